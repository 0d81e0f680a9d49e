"""PyTorch (Hugging Face transformers) peer for pkg/model's SmolLM2 benchmarks on
the lent GPU machine, where the 98 MB GGUF cannot travel: the same architecture
and shape (LlamaForCausalLM from pkg/model/testdata/hf/smollm2-135m-instruct.json),
random weights (throughput does not depend on their values: no EOS stop), the same
synthetic token ids and workloads as pkg/model/bench_test.go and
scripts/fixtures/model/bench_hf.py (the CPU peer on the real file).

Rerun (scripts/gpu/check.sh runs it with the machine's own python3):
  python3 scripts/gpu/bench_torch.py --device cuda [--tf32] [--reps 5]
  python3 scripts/gpu/bench_torch.py --device cpu --threads 16

Each workload runs once untimed, then --reps times; the median is reported, timed
with torch.cuda.synchronize() around it on a GPU. One line per workload:
  RESULT impl=torch device=D tf32=B workload=W tokens_per_s=X reps=N
"""
import argparse
import json
import statistics
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

CONFIG = "pkg/model/testdata/hf/smollm2-135m-instruct.json"
PROMPT_DECODE, GENERATE = 32, 32


def ids_for(batch, tokens, device):
    """benchPrompts of pkg/model/bench_test.go: row i, position j -> 200 + (131i + 17j) % 40000."""
    rows = [[200 + (i * 131 + j * 17) % 40000 for j in range(tokens)] for i in range(batch)]
    return torch.tensor(rows, dtype=torch.long, device=device)


def timed(device, fn):
    """Seconds fn takes, counting its GPU work; fn may return a start time of its own."""
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    start = fn() or t0
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def prefill_once(model, ids):
    model(input_ids=ids, use_cache=False, logits_to_keep=1)


def decode_once(model, ids, device):
    """Prefill with the cache, then GENERATE-1 greedy one-token steps; returns the
    time the decode phase started (after the prefill's GPU work finished)."""
    out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
    tok = out.logits[:, -1, :].argmax(dim=-1, keepdim=True)
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    past = out.past_key_values
    for _ in range(GENERATE - 1):
        out = model(input_ids=tok, past_key_values=past, use_cache=True)
        past = out.past_key_values
        tok = out.logits[:, -1, :].argmax(dim=-1, keepdim=True)
    return start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 matrix products (XLA's default on GPU)")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.manual_seed(7)
    cfg = LlamaConfig(**json.load(open(CONFIG)))
    model = LlamaForCausalLM(cfg).to(device=a.device, dtype=torch.float32).eval()
    work = [("prefill1x64", 1, 64, False), ("prefill8x64", 8, 64, False), ("prefill32x64", 32, 64, False),
            ("decode1", 1, PROMPT_DECODE, True), ("decode8", 8, PROMPT_DECODE, True),
            ("decode32", 32, PROMPT_DECODE, True)]
    with torch.inference_mode():
        for name, batch, tokens, is_decode in work:
            ids = ids_for(batch, tokens, a.device)
            fn = (lambda: decode_once(model, ids, a.device)) if is_decode else (lambda: prefill_once(model, ids))
            timed(a.device, fn)
            sec = statistics.median(timed(a.device, fn) for _ in range(a.reps))
            n = batch * (GENERATE - 1) if is_decode else batch * tokens
            print(f"RESULT impl=torch device={a.device} tf32={a.tf32} workload={name} "
                  f"tokens_per_s={n / sec:.1f} reps={a.reps}", flush=True)


if __name__ == "__main__":
    main()
