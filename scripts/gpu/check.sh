#!/usr/bin/env bash
# scripts/gpu/check.sh: the XLA CUDA checks and GPU figures of BENCHMARKS.md ("GPU"),
# run on a lent NVIDIA machine whose image has CUDA, PyTorch, transformers and the
# jax-cuda13-pjrt plugin (pip), but no Go and no network. It runs binaries built
# here by scripts/gpu/build.sh (carried in .dev/), from the repository root:
#
#   scripts/gpu/build.sh                      # here
#   bash scripts/gpu/check.sh                 # there; logs to $OUT (or /tmp/ifprobe-gpu)
#
# Steps (each bounded by a timeout, each logged with its exit status; one failing
# does not stop the others):
#   1. the machine: GPU, driver, where the jax CUDA plugin lies;
#   2. ifprobe doctor: which backend the automatic choice takes (want xla-cuda);
#   3. pkg/compute and pkg/model tests on that backend (every test that compares
#      the production backend with SimpleGo or with itself: padding, KV cache,
#      capture, interventions, HF-layout checkpoints against transformers);
#   4. ifprobe bench: f32 matmul GFLOP/s, full f32 (the default) and TF32;
#   5. a random SmolLM2-135M-shaped HF checkpoint: PyTorch's hidden states vs
#      ifprobe's on the GPU (ifprobe debug parity), full f32 and TF32;
#   6. SmolLM2-135M-shaped throughput (random weights: the model file cannot
#      travel; throughput does not depend on weight values) on XLA CUDA in f32 and
#      TF32, next to PyTorch on the same GPU (f32 and TF32) and on the CPU.
set -u
out=${OUT:-/tmp/ifprobe-gpu}
mkdir -p "$out"
exec > >(tee "$out/check.log") 2>&1
root=$PWD
bins=/tmp/ifprobe-gpu-bin # outside the tree: unpacked, the binaries would not fit what travels
mkdir -p "$bins" && tar xJf .dev/bins.tar.xz -C "$bins" || { echo "no .dev/bins.tar.xz: run scripts/gpu/build.sh and carry .dev"; exit 2; }
export IFPROBE_HOME=/tmp/ifprobe-home PYTHONUNBUFFERED=1
step() { # step NAME TIMEOUT_S CMD...: run CMD, print its status and seconds
  local name=$1 limit=$2 t0=$SECONDS
  shift 2
  echo "== $name"
  timeout "$limit" "$@"
  echo "== $name: exit $? in $((SECONDS - t0)) s"
}
echo "built from $(cat "$bins/COMMIT"), $(date -u +%FT%TZ)"
step machine 30 bash -c 'nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader;
  python3 -c "import jax, jaxlib, torch, transformers; print(\"jax\", jax.__version__, \"torch\", torch.__version__, \"transformers\", transformers.__version__)";
  python3 -c "import site; print(site.getsitepackages())";
  ls -d $(python3 -c "import site; print(site.getsitepackages()[0])")/jax_plugins/*; nproc'
step doctor 120 "$bins/ifprobe" doctor
# Precision: XLA takes TF32 for f32 products unless pkg/compute switches it off
# (the default); IFPROBE_TF32=1 lets it. f32 on tensor-core-less paths runs at a
# fraction of TF32's rate, so GFLOP/s tells which one ran.
step matmul-f32 60 "$bins/ifprobe" bench --sizes 512,4096 --backend xla:cuda
step matmul-tf32 60 env IFPROBE_TF32=1 "$bins/ifprobe" bench --sizes 512,4096 --backend xla:cuda
step compute-tests 240 bash -c "cd pkg/compute && '$bins/compute.test' -test.run 'TestOpen|TestDiscover|TestCheckChoice|TestMeasureMatMul|TestDotGeneral|TestTrainStep|TestPrepareCUDA' -test.v 2>&1 | grep -E '^(---|ok|PASS|FAIL|panic)|_test.go'"
step model-tests 300 bash -c "cd pkg/model && '$bins/model.test' -test.v 2>&1 | grep -E '^(\s*---|ok|PASS|FAIL|panic)|_test.go' | grep -v 'not installed'"
step model-tests-tf32 120 bash -c "cd pkg/model && IFPROBE_TF32=1 '$bins/model.test' -test.run 'TestCachedGeneration|TestLoadHFTiny$' -test.v 2>&1 | grep -E '^(\s*---|ok|PASS|FAIL|panic)|_test.go'"
# SmolLM2-135M-shaped random checkpoint: PyTorch's hidden states vs ours, layer by layer.
step hf-random 180 python3 scripts/gpu/hf_random.py /tmp/hf-smol cuda
step parity-f32 120 "$bins/ifprobe" debug parity --model /tmp/hf-smol --fixture /tmp/hf-smol/hidden.json
step parity-tf32 120 env IFPROBE_TF32=1 "$bins/ifprobe" debug parity --model /tmp/hf-smol --fixture /tmp/hf-smol/hidden.json
step model-bench-f32 240 bash -c "cd pkg/model && IFPROBE_BENCH_WEIGHTS=random '$bins/model.test' -test.run '^$' -test.bench 'SmolLM2' -test.benchtime 3x"
step model-bench-tf32 240 bash -c "cd pkg/model && IFPROBE_TF32=1 IFPROBE_BENCH_WEIGHTS=random '$bins/model.test' -test.run '^$' -test.bench 'SmolLM2' -test.benchtime 3x"
step torch-cuda 120 python3 scripts/gpu/bench_torch.py --device cuda --reps 3
step torch-cuda-tf32 120 python3 scripts/gpu/bench_torch.py --device cuda --tf32 --reps 3
step torch-cpu 120 python3 scripts/gpu/bench_torch.py --device cpu --reps 1
echo "done in $SECONDS s"
