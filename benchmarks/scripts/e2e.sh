#!/usr/bin/env bash
# benchmarks/scripts/e2e.sh: `ifprobe reproduce` against the end-to-end peer
# (e2e_peer.py: transformers + PyTorch on the CPU, scikit-learn probes) on the same
# model, prompts, token limit, states and probe grid, alternating the two sides
# (ifprobe, peer, peer, ifprobe, ...) so that a change of load hits both alike.
#
#   benchmarks/scripts/e2e.sh [ROUNDS] [PROFILE] [MODEL]      defaults: 1 quick smollm2-135m-instruct
#
# ifprobe side: `bin/ifprobe reproduce --profile PROFILE` into a fresh directory
# each time; its report.json timings_s give the dataset and grid stages (and the
# whole run). Peer side: e2e_peer.py on the first ifprobe run's dataset (the
# prompts' token ids, the build's token limit and fractions, ifprobe's labels and
# folds), static batches of 32, 2 torch threads and 2 scikit-learn processes
# (the machine's 2 cores, as ifprobe uses them). Each line of the log is one side
# of one round, with the load average before it; the ratios are printed at the end.
# Environment: IFPROBE_E2E_PEER_BATCH (default 32),
# IFPROBE_E2E_THREADS (default 2), IFPROBE_E2E_OUT (default .cache/e2e).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
rounds=${1:-1}
profile=${2:-quick}
model=${3:-smollm2-135m-instruct}
out=${IFPROBE_E2E_OUT:-.cache/e2e}
threads=${IFPROBE_E2E_THREADS:-2}
bash benchmarks/scripts/e2e_setup.sh
py=.cache/venv-e2e/bin/python
[ -x bin/ifprobe ] || { echo "e2e.sh: bin/ifprobe missing: run ./install.sh" >&2; exit 4; }
gguf=$(bin/ifprobe models info "$model" | awk '$1 == "path" { print $2 }')
mkdir -p "$out"
log="$out/e2e-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "# e2e: profile $profile, model $model, $rounds rounds; log $log" | tee "$log"

ifprobe_side() { # ROUND
  local dir="$out/ifprobe-$profile-$1"
  rm -rf "$dir"
  local l0; l0=$(cut -d' ' -f1-3 /proc/loadavg)
  local t0; t0=$(date +%s.%N)
  bin/ifprobe reproduce --profile "$profile" --models "$model" --out "$dir" > "$dir.log" 2>&1
  local t1; t1=$(date +%s.%N)
  "$py" - "$dir/report.json" "$model" "$l0" "$t0" "$t1" "$1" <<'PY' | tee -a "$log"
import json, sys
path, model, load, t0, t1, rnd = sys.argv[1:]
rep = json.load(open(path))
t = next(m["timings_s"] for m in rep["models"] if m["model"] == model)
print("SIDE ifprobe round=%s load=%s wall_s=%.1f load_s=%.1f calibration_s=%.1f dataset_s=%.1f grid_s=%.1f" % (
    rnd, load.replace(" ", "/"), float(t1) - float(t0), t.get("load", 0), t.get("calibration", 0), t["dataset"], t["grid"]))
PY
}

peer_side() { # ROUND DATA
  local l0; l0=$(cut -d' ' -f1-3 /proc/loadavg)
  local batch=${IFPROBE_E2E_PEER_BATCH:-32}
  "$py" benchmarks/scripts/e2e_peer.py --build "$2" --model "$gguf" --batch "$batch" \
    --threads "$threads" --jobs 2 | "$py" -c '
import json, sys
r = json.loads(sys.stdin.read())
print("SIDE peer round=%s load=%s load_s=%.1f dataset_s=%.1f grid_s=%.1f items=%d same_answers=%d problems=%d batch=%d threads=%d stop=%s" % (
    sys.argv[1], sys.argv[2].replace(" ", "/"), r["load_s"], r["dataset_s"], r["grid_s"], r["items"], r["same_answers"],
    r["problems"], r["batch"], r["threads"], ",".join(map(str, r["stop"]))))' "$1" "$l0" | tee -a "$log"
}

data=""
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then
    ifprobe_side "$r"
    data=${data:-$out/ifprobe-$profile-1/$model/data}
    peer_side "$r" "$data"
  else
    peer_side "$r" "$data"
    ifprobe_side "$r"
  fi
done
"$py" - "$log" <<'PY'
import re, sys
sides = {"ifprobe": {}, "peer": {}}
for line in open(sys.argv[1]):
    if line.startswith("SIDE "):
        f = dict(kv.split("=", 1) for kv in line.split()[2:])
        sides[line.split()[1]][f["round"]] = f
for r in sorted(sides["ifprobe"]):
    a, b = sides["ifprobe"][r], sides["peer"].get(r)
    if not b:
        continue
    ds = float(b["dataset_s"]) / float(a["dataset_s"])
    e2e = (float(b["dataset_s"]) + float(b["grid_s"])) / (float(a["dataset_s"]) + float(a["grid_s"]))
    print("RATIO round=%s dataset items/s ifprobe/peer=%.2f  dataset+grid ifprobe/peer=%.2f" % (r, ds, e2e))
PY
