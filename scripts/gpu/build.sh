#!/usr/bin/env bash
# scripts/gpu/build.sh: build what scripts/gpu/check.sh runs on a lent GPU machine
# (which has CUDA, PyTorch and the jax-cuda13 PJRT plugin, but no Go and no
# network) into .dev/bins.tar.xz: bin ifprobe and the pkg/compute and pkg/model
# test binaries, stripped and xz-compressed (about 18 MB; what travels to that
# machine is limited to 64 MiB with the working tree). .dev/ is git-ignored.
#
# Rerun: scripts/gpu/build.sh   then run scripts/gpu/check.sh there with .dev carried.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(-trimpath -ldflags=-s\ -w)
go build "${flags[@]}" -o "$tmp/ifprobe" ./cmd/ifprobe
for p in compute model; do
  go test -c "${flags[@]}" -o "$tmp/$p.test" "./pkg/$p"
done
git rev-parse HEAD >"$tmp/COMMIT"
mkdir -p .dev
tar cJf .dev/bins.tar.xz.tmp -C "$tmp" .
mv .dev/bins.tar.xz.tmp .dev/bins.tar.xz
ls -l .dev/bins.tar.xz
