#!/usr/bin/env bash
# benchmarks/scripts/dataset_ab.sh: the dataset stage (answer every prompt, store
# every layer's states at the build's positions) of two ifprobe binaries and of the
# transformers peer (e2e_peer.py --no-grid) on the same plan, one side after the
# other and the order reversed every round (before, after, peer; then peer, after,
# before), so that a change of load hits all sides alike.
#
#   benchmarks/scripts/dataset_ab.sh BEFORE_BIN AFTER_BIN [ROUNDS] [PER_TASK] [MAX_TOKENS] [BATCH] [PEER_THREADS]
#   e.g. benchmarks/scripts/dataset_ab.sh /work/wt/base/bin/ifprobe bin/ifprobe 1 8 64 16 1
#
# Each ifprobe side is one `ifprobe dataset build --model smollm2-135m-instruct
# --per-task PER_TASK --max-tokens MAX_TOKENS --batch BATCH --no-controls --space
# word_limit.n=10:35` into a fresh directory, timed whole (model load, compilation
# and generation). The peer answers the after side's prompts (its token ids, stop
# tokens and positions; first round: after the after side has run once) in static
# batches of BATCH with PEER_THREADS torch threads; its own timings split loading
# from generation. Prints one SIDE line per side with the load average before it,
# then per round the ratios of items/s. Defaults: 1 round, 8 per task, 64 tokens,
# batch 16, 1 peer thread (two torch threads collapse when the cores are
# oversubscribed; BENCHMARKS.md "Model throughput").
set -euo pipefail
cd "$(dirname "$0")/../.."
before=${1:?usage: dataset_ab.sh BEFORE_BIN AFTER_BIN [ROUNDS] [PER_TASK] [MAX_TOKENS] [BATCH] [PEER_THREADS]}
after=${2:?usage: dataset_ab.sh BEFORE_BIN AFTER_BIN [ROUNDS] [PER_TASK] [MAX_TOKENS] [BATCH] [PEER_THREADS]}
rounds=${3:-1}
per=${4:-8}
maxtok=${5:-64}
batch=${6:-16}
threads=${7:-1}
model=smollm2-135m-instruct
export GOMLX_NO_AUTO_INSTALL=1
bash benchmarks/scripts/e2e_setup.sh >&2
py=.cache/venv-e2e/bin/python
gguf=$("$after" models info "$model" | awk '$1 == "path" { print $2 }')
out=${IFPROBE_AB_OUT:-.cache/dataset-ab}
mkdir -p "$out"
log="$out/ab-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "# dataset_ab: $per per task (x9 tasks), $maxtok tokens, batch $batch, peer threads $threads, $rounds rounds; log $log" | tee "$log"

ifprobe_side() { # LABEL BIN ROUND
  local dir="$out/$1-$3" l0 t0 t1
  rm -rf "$dir"
  l0=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)
  t0=$(date +%s.%N)
  "$2" dataset build --model "$model" --per-task "$per" --max-tokens "$maxtok" --batch "$batch" \
    --no-controls --space word_limit.n=10:35 --out "$dir" > "$dir.log" 2>&1
  t1=$(date +%s.%N)
  "$py" - "$dir" "$1" "$3" "$l0" "$t0" "$t1" <<'PY' | tee -a "$log"
import json, os, sys
d, side, rnd, load, t0, t1 = sys.argv[1:]
recs = [json.loads(l) for l in open(os.path.join(d, "dataset.jsonl"))]
wall = float(t1) - float(t0)
print("SIDE %s round=%s load=%s items=%d wall_s=%.1f items_per_s=%.3f" % (
    side, rnd, load, len(recs), wall, len(recs) / wall))
PY
}

peer_side() { # ROUND
  local l0 t0 t1
  l0=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)
  t0=$(date +%s.%N)
  "$py" benchmarks/scripts/e2e_peer.py --build "$out/after-1" --model "$gguf" --batch "$batch" \
    --threads "$threads" --jobs 1 --no-grid 2> "$out/peer-$1.log" > "$out/peer-$1.json"
  t1=$(date +%s.%N)
  "$py" - "$out/peer-$1.json" "$1" "$l0" "$t0" "$t1" <<'PY' | tee -a "$log"
import json, sys
path, rnd, load, t0, t1 = sys.argv[1:]
r = json.load(open(path))
wall = float(t1) - float(t0)
print("SIDE peer round=%s load=%s items=%d same_answers=%d wall_s=%.1f items_per_s=%.3f load_s=%.1f dataset_s=%.1f threads=%d" % (
    rnd, load, r["items"], r["same_answers"], wall, r["items"] / wall, r["load_s"], r["dataset_s"], r["threads"]))
PY
}

for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    ifprobe_side before "$before" "$r"; ifprobe_side after "$after" "$r"; peer_side "$r"
  else
    peer_side "$r"; ifprobe_side after "$after" "$r"; ifprobe_side before "$before" "$r"
  fi
done
"$py" - "$log" <<'PY'
import sys
rounds = {}
for line in open(sys.argv[1]):
    if line.startswith("SIDE "):
        f = line.split()
        kv = dict(x.split("=", 1) for x in f[2:])
        rounds.setdefault(kv["round"], {})[f[1]] = float(kv["items_per_s"])
for r, s in sorted(rounds.items()):
    if {"before", "after", "peer"} <= s.keys():
        print("RATIO round=%s items/s after/before=%.2f after/peer=%.2f before/peer=%.2f" % (
            r, s["after"] / s["before"], s["after"] / s["peer"], s["before"] / s["peer"]))
PY
