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
#   4. ifprobe bench: f32 matmul GFLOP/s;
#   5. SmolLM2-135M-shaped throughput (random weights: the model file cannot
#      travel; throughput does not depend on weight values) on XLA CUDA, next to
#      PyTorch on the same GPU (f32, with and without TF32) and on the CPU.
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
step compute-tests 240 bash -c "cd pkg/compute && '$bins/compute.test' -test.run 'TestOpen|TestDiscover|TestCheckChoice|TestMeasureMatMul|TestDotGeneral|TestTrainStep' -test.v 2>&1 | grep -E '^(---|ok|PASS|FAIL|panic)|_test.go'"
step model-tests 300 bash -c "cd pkg/model && '$bins/model.test' -test.v 2>&1 | grep -E '^(\s*---|ok|PASS|FAIL|panic)|_test.go'"
step bench-matmul 120 "$bins/ifprobe" bench --sizes 512,2048,4096
step model-bench-xla-cuda 300 bash -c "cd pkg/model && IFPROBE_BENCH_WEIGHTS=random '$bins/model.test' -test.run '^$' -test.bench 'SmolLM2' -test.benchtime 5x"
step torch-cuda 120 python3 scripts/gpu/bench_torch.py --device cuda
step torch-cuda-tf32 120 python3 scripts/gpu/bench_torch.py --device cuda --tf32
step torch-cpu 120 python3 scripts/gpu/bench_torch.py --device cpu --reps 2
step model-bench-simplego 90 bash -c "cd pkg/model && IFPROBE_BACKEND=go IFPROBE_BENCH_WEIGHTS=random '$bins/model.test' -test.run '^$' -test.bench 'SmolLM2(Prefill1x64|Decode1)$' -test.benchtime 1x"
echo "done in $SECONDS s"
