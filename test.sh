#!/usr/bin/env bash
# test.sh: the whole test suite. README's Quickstart runs `./install.sh && ./test.sh`,
# and so does .ci/run. Unit tests, tests on the real default model, notebook
# execution (Go tests that drive Jupyter), the fault-injection suite
# (pipeline/faults: one round of kills, full disks, SIGINT and damaged shards over a
# small real study, a few minutes; IFPROBE_FAULTS_ROUNDS=N runs N rounds at other
# seeded points, IFPROBE_FAULTS_SEED another seed), then each fuzz target for a
# short while.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/env.sh
fuzztime=${IFPROBE_FUZZTIME:-15s}
go vet ./...
go test -count=1 -timeout 75m ./...
# Fuzz targets: every `func FuzzX(` in a _test.go file, run for $IFPROBE_FUZZTIME each.
if [ "$fuzztime" != "0" ]; then
  grep -rl --include='*_test.go' --exclude-dir=.cache --exclude-dir=.venv --exclude-dir=runs '^func Fuzz' . | sort | while read -r f; do
    dir=$(dirname "$f")
    for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
      echo "== fuzz $dir $fn ($fuzztime)"
      go test -run='^$' -fuzz="^${fn}\$" -fuzztime="$fuzztime" "$dir"
    done
  done
fi
echo "test.sh: all passed"
