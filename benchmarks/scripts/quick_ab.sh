#!/usr/bin/env bash
# benchmarks/scripts/quick_ab.sh: the whole quick profile, new build against an
# older one, then the dataset stage's transformers peer on the new run's prompts,
# one after the other in one run (BENCHMARKS.md, "Quick profile and dataset stage
# on a quiet machine").
#
#   benchmarks/scripts/quick_ab.sh OLD_BIN [NEW_BIN] [OUT]    defaults: bin/ifprobe /tmp/runs
#
# Each ifprobe side is `reproduce --out OUT/quick-{new,old}` under /usr/bin/time -v
# (its report.json timings_s hold the stages); the peer is e2e_peer.py --no-grid
# (1 torch thread, static batches of 32) on OUT/quick-new's dataset, writing
# OUT/peer.json. Each line of OUT/ab.log is a side's start with the load average.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
old=${1:?usage: quick_ab.sh OLD_BIN [NEW_BIN] [OUT]}
new=${2:-bin/ifprobe}
out=${3:-/tmp/runs}
bash benchmarks/scripts/e2e_setup.sh
gguf=$("$new" models info smollm2-135m-instruct | awk '$1 == "path" { print $2 }')
mkdir -p "$out"
mark() { echo "$1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/ab.log"; }
side() { # NAME BIN
  rm -rf "${out:?}/quick-$1"
  mark "start $1"
  /usr/bin/time -v "$2" reproduce --out "$out/quick-$1" > "$out/quick-$1.log" 2>&1
}
side new "$new"
side old "$old"
mark "start peer"
.cache/venv-e2e/bin/python benchmarks/scripts/e2e_peer.py --build "$out/quick-new/smollm2-135m-instruct/data" \
  --model "$gguf" --batch 32 --threads 1 --jobs 2 --no-grid > "$out/peer.json" 2> "$out/peer.log"
mark done
.cache/venv-e2e/bin/python - "$out" <<'PY'
import json, sys
out = sys.argv[1]
t = {s: json.load(open(f"{out}/quick-{s}/report.json"))["models"][0]["timings_s"] for s in ("new", "old")}
peer = json.load(open(f"{out}/peer.json"))
for s in ("new", "old"):
    print(s, {k: round(v, 1) for k, v in t[s].items()})
print("peer dataset_s %.1f, same answers %d of %d" % (peer["dataset_s"], peer["same_answers"], peer["items"]))
print("dataset: old/new %.2f, peer/new %.2f, peer/old %.2f" % (
    t["old"]["dataset"] / t["new"]["dataset"], peer["dataset_s"] / t["new"]["dataset"], peer["dataset_s"] / t["old"]["dataset"]))
PY
