#!/usr/bin/env bash
# Go module dependencies and the ifprobe binary (bin/ifprobe).
# GoMLX's XLA backend needs cgo: without a C compiler Go silently builds without it,
# so make sure gcc is there first (Debian's gcc + libc6-dev; nothing else is linked).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
go version
if ! command -v gcc >/dev/null 2>&1; then
  echo "go: no C compiler (needed for the XLA backend): installing gcc libc6-dev from Debian"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null; } ||
    echo "go: could not install gcc; building without cgo: ifprobe will use SimpleGo only" >&2
fi
go mod download
go build -o bin/ifprobe ./cmd/ifprobe
echo "built bin/ifprobe"
