#!/usr/bin/env bash
# examples/cluster/slurm/submit.sh: submit a sharded ifprobe reproduction as three
# dependent Slurm jobs (see ifprobe.sbatch).
#
#   IFPROBE_OUT=/shared/runs/paper IFPROBE_MODELS=smollm2-135m-instruct,/shared/models/Qwen2.5-0.5B-Instruct \
#     examples/cluster/slurm/submit.sh 16 32
#
# Arguments: the number of dataset tasks (one GPU each; default 16) and of grid tasks
# (CPU; default 32). Extra sbatch options for every job go in $IFPROBE_SBATCH_ARGS
# (e.g. "--partition=gpu --account=lab"), for the GPU stage in $IFPROBE_GPU_ARGS
# (default --gres=gpu:1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ndata=${1:-16}
ngrid=${2:-32}
: "${IFPROBE_OUT:?set IFPROBE_OUT to a directory on the shared filesystem}"
export IFPROBE_OUT
read -r -a common <<<"${IFPROBE_SBATCH_ARGS:-}"
read -r -a gpu <<<"${IFPROBE_GPU_ARGS:---gres=gpu:1}"
submit() {
  local id
  id=$(sbatch --parsable "${common[@]}" "$@" "$here/ifprobe.sbatch")
  echo "${id%%;*}" # --parsable prints "id" or "id;cluster"
}
data=$(submit --job-name=ifprobe-dataset --export=ALL,IFPROBE_STAGE=dataset --array="0-$((ndata - 1))" "${gpu[@]}")
grid=$(submit --job-name=ifprobe-grid --export=ALL,IFPROBE_STAGE=grid --array="0-$((ngrid - 1))" --dependency="afterok:$data")
report=$(submit --job-name=ifprobe-report --export=ALL,IFPROBE_STAGE=report --dependency="afterok:$grid")
echo "submitted: dataset $data ($ndata tasks), grid $grid ($ngrid tasks), report $report"
echo "report: $IFPROBE_OUT/report.html"
