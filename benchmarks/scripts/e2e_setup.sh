#!/usr/bin/env bash
# benchmarks/scripts/e2e_setup.sh: the venv of the end-to-end peer (e2e_peer.py):
# Hugging Face transformers + PyTorch on the CPU + scikit-learn, pinned, in
# .cache/venv-e2e (git-ignored). PyPI's torch wheel for Linux pulls the CUDA
# libraries (~5 GB); the peer runs on the CPU only. Idempotent: a second run only
# checks the imports. Run by benchmarks/scripts/e2e.sh; never by install.sh or go test.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.cache/venv-e2e
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch, transformers, gguf, sklearn, accelerate' 2>/dev/null; then
  echo "e2e_setup: $venv is ready"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q torch==2.15.0 transformers==5.23.0 gguf==0.19.0 numpy==2.4.6 \
  accelerate==1.15.0 scikit-learn==1.9.1 scipy==1.17.1 joblib==1.6.0 threadpoolctl==3.8.0
"$venv/bin/python" -c 'import torch, transformers, sklearn; print("e2e_setup: torch", torch.__version__, "transformers", transformers.__version__, "scikit-learn", sklearn.__version__)'
