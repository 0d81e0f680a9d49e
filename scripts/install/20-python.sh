#!/usr/bin/env bash
# Python venv for the notebooks: .venv in the checkout (git-ignored) with the exact
# Jupyter of requirements-notebooks.txt (JupyterLab, nbclient, nbconvert, ipykernel).
# Idempotent: a second run only checks, through package metadata, that every pin is
# installed (well under a second) and changes nothing.
# If PyPI cannot serve the pins, it falls back to Debian's Jupyter
# (jupyter-nbconvert jupyter-client jupyter-core, --no-install-recommends) and a venv
# that sees the system packages; delete .venv to try PyPI again.
# Environment: IFPROBE_PYTHON picks the interpreter (default /usr/bin/python3, else
# python3 on PATH).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
venv=$IFPROBE_ROOT/.venv
req=$IFPROBE_ROOT/requirements-notebooks.txt
stamp=$venv/.ifprobe-requirements
want=$(sha256sum "$req" | cut -d' ' -f1)

pick_python() {
  if [ -n "${IFPROBE_PYTHON:-}" ]; then echo "$IFPROBE_PYTHON"
  elif [ -x /usr/bin/python3 ]; then echo /usr/bin/python3
  else command -v python3
  fi
}

# venv_works: the venv's interpreter runs and has Jupyter's execution stack.
venv_works() {
  [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
for d in ("nbclient", "nbconvert", "nbformat", "jupyter_client", "jupyter_core"):
    m.version(d)
PY
}

# pins_satisfied: every name==version of requirements-notebooks.txt is installed in
# the venv (importlib.metadata: no imports, so it takes a fraction of a second).
pins_satisfied() {
  "$venv/bin/python" - "$req" <<'PY'
import importlib.metadata as m, re, sys
bad = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, want = line.partition("==")
    try:
        have = m.version(name)
    except m.PackageNotFoundError:
        have = None
    if have != want:
        bad.append(f"{name}: want {want}, have {have}")
if bad:
    print("python: venv differs from requirements-notebooks.txt: " + "; ".join(bad[:5]), file=sys.stderr)
    sys.exit(1)
PY
}

nbconvert_version() {
  "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("nbconvert"))'
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${ifprobe_apt_updated:-}" ]; then apt-get update -qq; ifprobe_apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@"
}

if venv_works; then
  mode=$(cut -d' ' -f1 "$stamp" 2>/dev/null || true)
  if [ "$mode" = debian ] && [ "$(cut -d' ' -f2 "$stamp")" = "$want" ]; then
    echo "python: .venv is up to date (Debian's Jupyter, nbconvert $(nbconvert_version)); PyPI failed earlier: rm -rf .venv and rerun to try it again"
    exit 0
  fi
  if [ "$mode" != debian ] && pins_satisfied; then
    echo "python: .venv is up to date (nbconvert $(nbconvert_version), $(grep -c '==' "$req") pins satisfied)"
    exit 0
  fi
fi

py=$(pick_python)
if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "python: $py lacks venv/ensurepip: installing python3-venv from Debian"
  apt_install python3-venv
fi
echo "python: interpreter $py ($("$py" --version 2>&1))"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  rm -rf "$venv"
  "$py" -m venv "$venv"
  echo "python: created $venv"
fi

if "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"; then
  mode=pypi
  echo "python: installed requirements-notebooks.txt into .venv"
else
  echo "python: pip could not install requirements-notebooks.txt; falling back to Debian's Jupyter" >&2
  apt_install python3-venv jupyter-nbconvert jupyter-client jupyter-core python3-nbclient python3-ipykernel
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  # The venv has no jupyter script of its own here: add one. Jupyter runs its
  # subcommands (jupyter-kernelspec, ...) from /usr/bin with the system interpreter,
  # so the venv's kernels are named through JUPYTER_PATH, which every subcommand reads.
  cat > "$venv/bin/jupyter" <<'SH'
#!/bin/sh
venv=$(cd "$(dirname "$0")/.." && pwd)
JUPYTER_PATH="$venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" exec "$venv/bin/python" -m jupyter "$@"
SH
  chmod +x "$venv/bin/jupyter"
  mode=debian
  echo "python: created $venv over Debian's Jupyter (--system-site-packages)"
fi
if ! venv_works; then
  echo "python: .venv cannot import nbclient/nbconvert after install" >&2
  exit 1
fi
echo "$mode $want" > "$stamp"
echo "python: nbconvert $(nbconvert_version) ready in .venv ($mode)"
