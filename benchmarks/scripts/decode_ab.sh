#!/usr/bin/env bash
# benchmarks/scripts/decode_ab.sh: decode and prefill tokens/s of two ifprobe
# binaries on the same model, batch by batch, alternating the binaries (A B, then
# B A for the next batch size...) so that a change of load hits both alike.
#
#   benchmarks/scripts/decode_ab.sh BEFORE_BIN AFTER_BIN [BATCHES] [PROMPT] [GEN] [REPS] [MODEL]
#   e.g. benchmarks/scripts/decode_ab.sh /work/wt/base/bin/ifprobe bin/ifprobe 32,64,128,256 64 32 1
#
# Each side is one `ifprobe bench --model MODEL --batch B --prompt PROMPT --gen GEN
# --reps REPS --json` process (an untimed run compiles, then the median of REPS).
# Prints one line per side with the load average before it, then the after/before
# ratios per batch. Defaults: batches 32,64,128,256, prompt 64, gen 32, reps 1,
# smollm2-135m-instruct.
set -euo pipefail
before=${1:?usage: decode_ab.sh BEFORE_BIN AFTER_BIN [BATCHES] [PROMPT] [GEN] [REPS] [MODEL]}
after=${2:?usage: decode_ab.sh BEFORE_BIN AFTER_BIN [BATCHES] [PROMPT] [GEN] [REPS] [MODEL]}
batches=${3:-32,64,128,256}
prompt=${4:-64}
gen=${5:-32}
reps=${6:-1}
model=${7:-smollm2-135m-instruct}
export GOMLX_NO_AUTO_INSTALL=1

side() { # LABEL BIN BATCH
  local l0; l0=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)
  "$2" bench --model "$model" --batch "$3" --prompt "$prompt" --gen "$gen" --reps "$reps" --json |
    python3 -c '
import json, sys
r = json.load(sys.stdin)[0]
print("SIDE %s batch=%d load=%s prefill=%.1f decode=%.1f kv_mib=%.0f peak_rss_mib=%.0f" % (
    sys.argv[1], r["batch"], sys.argv[2], r["prefill_tokens_per_s"], r["decode_tokens_per_s"],
    r.get("kv_cache_mib", 0), r.get("peak_rss_mib", 0)))' "$1" "$l0"
}

i=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for b in ${batches//,/ }; do
  if [ $((i % 2)) = 0 ]; then side before "$before" "$b"; side after "$after" "$b"
  else side after "$after" "$b"; side before "$before" "$b"; fi
  i=$((i + 1))
done | tee "$out"
python3 - "$out" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[2:])
    rows.setdefault(int(kv["batch"]), {})[f[1]] = kv
for b in sorted(rows):
    a, z = rows[b].get("before"), rows[b].get("after")
    if a and z:
        print("RATIO batch=%d decode after/before=%.2f prefill after/before=%.2f" % (
            b, float(z["decode"]) / float(a["decode"]), float(z["prefill"]) / float(a["prefill"])))
PY
