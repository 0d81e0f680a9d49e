#!/usr/bin/env bash
# Go module dependencies and the ifprobe binary (bin/ifprobe).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
go version
go mod download
go build -o bin/ifprobe ./cmd/ifprobe
echo "built bin/ifprobe"
