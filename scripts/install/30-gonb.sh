#!/usr/bin/env bash
# The Go Jupyter kernel: gonb v0.11.4, goimports and gopls (into $(go env GOPATH)/bin),
# then the Jupyter kernel "ifprobe" (display name "Go (ifprobe)") in the venv's Jupyter:
# .venv/share/jupyter/kernels/ifprobe/kernel.json (sys-prefix style, so it never
# touches ~/.local), made the default kernel of the venv's Jupyter server
# (.venv/etc/jupyter/jupyter_server_config.json). Needs 20-python.sh first.
#
# gopls is what gonb asks for completion (Tab) and documentation (Shift+Tab) in
# JupyterLab; without it both answer nothing. v0.23.0 is the newest gopls that builds
# with Go 1.26 (v0.24.0 requires Go 1.27).
#
# The kernel runs gonb with --go_work=<checkout>: every notebook's temporary Go module
# sits in a go.work next to this checkout, so cells import
# github.com/ifprobe/ifprobe/... from the working tree, and every other module at the
# exact version of the checkout's go.mod, with no `go get @latest` (kernel/README.md).
#
# Idempotent: binaries are checked with `go version -m` (module and version built in),
# and kernel.json is rewritten only when its content would change.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
gonb_version=v0.11.4
goimports_version=v0.52.0
gopls_version=v0.23.0
gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
venv=$IFPROBE_ROOT/.venv
kdir=$venv/share/jupyter/kernels/ifprobe

# has_build BIN MODULE VERSION: BIN exists and was built from MODULE at VERSION.
has_build() {
  [ -x "$1" ] && go version -m "$1" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+$2[[:space:]]+$3([[:space:]]|$)"
}

if has_build "$gobin/gonb" github.com/janpfeifer/gonb "$gonb_version"; then
  echo "gonb: $gonb_version already installed in $gobin"
else
  # `go install gonb@v0.11.4` asks the proxy for the version list, which is refused
  # here: resolve the exact version in a throw-away module, then install from it.
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && go mod init ifprobe.local/gonbinstall >/dev/null 2>&1 \
    && go get "github.com/janpfeifer/gonb@$gonb_version" \
    && GOBIN=$gobin go install github.com/janpfeifer/gonb)
  echo "gonb: installed $gonb_version into $gobin"
fi

if has_build "$gobin/goimports" golang.org/x/tools "$goimports_version"; then
  echo "gonb: goimports $goimports_version already installed"
else
  GOBIN=$gobin go install "golang.org/x/tools/cmd/goimports@$goimports_version"
  echo "gonb: installed goimports $goimports_version into $gobin"
fi

if has_build "$gobin/gopls" golang.org/x/tools/gopls "$gopls_version"; then
  echo "gonb: gopls $gopls_version already installed"
else
  GOBIN=$gobin go install "golang.org/x/tools/gopls@$gopls_version"
  echo "gonb: installed gopls $gopls_version into $gobin"
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "gonb: $venv is missing: run scripts/install/20-python.sh first" >&2
  exit 1
fi
mkdir -p "$kdir"
# The kernel's environment: what a cell's `go build` and program need, fixed at
# install time (Jupyter starts kernels with the server's environment plus these).
# PATH puts go, gonb, goimports, gopls and bin/ifprobe first. IFPROBE_BACKEND and
# IFPROBE_HOME are recorded only when set now; otherwise the program's defaults apply.
new=$(GONB="$gobin/gonb" GOROOT_BIN=$(dirname "$(command -v go)") GOBIN_DIR=$gobin \
  "$venv/bin/python" - <<'PY'
import json, os
root = os.environ["IFPROBE_ROOT"]
path = [os.environ["GOROOT_BIN"], os.environ["GOBIN_DIR"], os.path.join(root, "bin")]
for p in os.environ.get("PATH", "").split(os.pathsep):
    if p and p not in path:
        path.append(p)
env = {
    "PATH": os.pathsep.join(path),
    "GOTOOLCHAIN": "local",
    "GOMLX_NO_AUTO_INSTALL": "1",
    "IFPROBE_ROOT": root,
}
for k in ("IFPROBE_BACKEND", "IFPROBE_HOME", "GOPATH", "GOMODCACHE", "GOCACHE", "GOFLAGS"):
    if os.environ.get(k):
        env[k] = os.environ[k]
spec = {
    "argv": [os.environ["GONB"], "--kernel", "{connection_file}", "--go_work=" + root],
    "display_name": "Go (ifprobe)",
    "language": "go",
    "interrupt_mode": "message",
    "env": env,
    "metadata": {"ifprobe": {"gonb": "v0.11.4", "root": root}},
}
print(json.dumps(spec, indent=1, sort_keys=True))
PY
)
if [ -f "$kdir/kernel.json" ] && [ "$(cat "$kdir/kernel.json")" = "$new" ]; then
  echo "gonb: kernel \"ifprobe\" up to date in $kdir"
else
  printf '%s\n' "$new" > "$kdir/kernel.json.tmp" && mv "$kdir/kernel.json.tmp" "$kdir/kernel.json"
  echo "gonb: wrote kernel \"ifprobe\" (Go (ifprobe)) to $kdir/kernel.json"
fi

# "ifprobe" is the default kernel of the venv's Jupyter: a new notebook in JupyterLab
# starts it without asking. Merged into jupyter_server_config.json (other settings in
# it are kept); written only when the setting is missing or different.
"$venv/bin/python" - "$venv/etc/jupyter/jupyter_server_config.json" <<'PY'
import json, os, sys
path = sys.argv[1]
cfg = {}
if os.path.exists(path):
    with open(path) as f:
        cfg = json.load(f)
mkm = cfg.setdefault("MultiKernelManager", {})
if mkm.get("default_kernel_name") == "ifprobe":
    print(f"gonb: ifprobe is already the default kernel ({path})")
    sys.exit(0)
mkm["default_kernel_name"] = "ifprobe"
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump(cfg, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(path + ".tmp", path)
print(f"gonb: made ifprobe the default kernel ({path})")
PY
