# scripts/env.sh: the environment every ifprobe script, test and notebook runs in.
# Source it: `. scripts/env.sh`. Safe to source twice.
IFPROBE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export IFPROBE_ROOT
export GOTOOLCHAIN=local
# GoMLX must never download a PJRT plugin at run time: pkg/compute picks what is installed.
export GOMLX_NO_AUTO_INSTALL=1
for d in /usr/local/go/bin "$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin" "$IFPROBE_ROOT/bin"; do
  case ":$PATH:" in *":$d:"*) ;; *) PATH="$d:$PATH";; esac
done
export PATH
