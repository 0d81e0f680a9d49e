"""A random-weight Hugging Face checkpoint in SmolLM2-135M's exact shape, and
PyTorch's hidden states on it, for `ifprobe debug parity` on the lent GPU machine
(the real 98 MB model file cannot travel there; same architecture, same shapes,
same code path through model.LoadHF).

Rerun (scripts/gpu/check.sh does, with the machine's python3):
  python3 scripts/gpu/hf_random.py OUT_DIR [cuda|cpu]
  ifprobe debug parity --model OUT_DIR --fixture OUT_DIR/hidden.json

Writes OUT_DIR/{config.json, model.safetensors, generation_config.json} with
transformers' own save_pretrained (f32), a word-level tokenizer.json so the
directory resolves as a model (debug parity feeds the fixture's token ids, never
text), and OUT_DIR/hidden.json in the format of scripts/fixtures/model/hf_reference.py:
output_hidden_states for one 24-token prompt, computed in f32 on the given device
with TF32 off.
"""
import base64
import json
import os
import sys

import torch
import transformers
from tokenizers import Tokenizer, models
from transformers import LlamaConfig, LlamaForCausalLM

CONFIG = "pkg/model/testdata/hf/smollm2-135m-instruct.json"


def main():
    out = sys.argv[1]
    device = sys.argv[2] if len(sys.argv) > 2 else "cuda"
    torch.manual_seed(11)
    torch.backends.cuda.matmul.allow_tf32 = False
    cfg = LlamaConfig(**json.load(open(CONFIG)))
    model = LlamaForCausalLM(cfg).to(torch.float32).eval()
    model.save_pretrained(out)
    Tokenizer(models.WordLevel({"<unk>": 0}, unk_token="<unk>")).save(os.path.join(out, "tokenizer.json"))
    ids = [200 + (j * 17) % 40000 for j in range(24)]
    model.to(device)
    with torch.inference_mode():
        hs = model(torch.tensor([ids], device=device), output_hidden_states=True).hidden_states
    states = [base64.b64encode(h[0].float().cpu().numpy().astype("<f4").tobytes()).decode() for h in hs]
    ref = {"reference": f"transformers {transformers.__version__}, torch {torch.__version__}, f32 {device}, TF32 off",
           "model_file": "random SmolLM2-135M-shaped (seed 11)", "ids": ids, "d_model": cfg.hidden_size, "states": states}
    with open(os.path.join(out, "hidden.json"), "w") as fh:
        json.dump(ref, fh, separators=(",", ":"))
    print(f"wrote {out}: {len(states)} hidden states of {len(ids)} tokens")


if __name__ == "__main__":
    main()
