"""End-to-end peer of `ifprobe reproduce`'s dataset and probe-grid stages, written
as a user of Hugging Face transformers, PyTorch and scikit-learn would write them.

Given a dataset build of ifprobe (DIR/dataset.jsonl and DIR/build.json, written by
`ifprobe dataset build` or `ifprobe reproduce`), it redoes that work on the same
model file:

  dataset  the same prompts (the token ids ifprobe fed, chat template applied),
           model.generate(..., do_sample=False, max_new_tokens=the build's, the
           same stop tokens, output_hidden_states=True) in static batches of
           --batch, left-padded; then one more forward over each batch's last
           tokens (generate never reads its last token, and ifprobe stores the
           stop token's state); every layer's residual stream (hidden_states[l+1])
           kept at prompt_last, response_first, the build's fractions and eos,
           exactly as pkg/hook.Position.Index places them.
  grid     per task (with enough of each label), layer and position: 5-fold
           grouped cross-validation (the build's folds) of
           make_pipeline(StandardScaler(), LogisticRegression(C=1)), pooled
           out-of-fold AUROC, the same for a control task (group labels
           shuffled), and a cluster bootstrap of both AUROCs over base requests
           (--bootstrap resamples): the work of ifprobe's probe grid
           (pkg/probeset.EvaluateGrid). Problems run over --jobs processes.

Labels are ifprobe's (its verifiers' verdicts on the same greedy answers): the
peer reports how many of its own greedy answers equal ifprobe's token for token.
HF returns the last layer's state after the final norm; ifprobe stores
resid_post, before it: the same work, a different vector at one layer.

Rerun (benchmarks/scripts/e2e.sh runs it in .cache/venv-e2e):
  python e2e_peer.py --build DIR --model MODEL.gguf [--stop auto|ID,ID] [--batch 32]
      [--threads 2] [--jobs 2] [--bootstrap 500] [--no-grid]
Prints one JSON object: seconds per stage, items, items/s, agreement.
"""
import argparse
import json
import os
import time
import warnings

import numpy as np


def positions(fractions):
    return ["prompt_last", "response_first"] + [f"frac:{f:g}" for f in fractions] + ["eos"]


def index(pos, pl, rl, ended):
    """pkg/hook.Position.Index: the token index of a position, or None."""
    if pos == "prompt_last":
        return pl - 1
    if pos == "response_first":
        return pl if rl > 0 else None
    if pos.startswith("frac:"):
        return pl + int(float(pos[5:]) * (rl - 1)) if rl > 0 else None
    if pos == "eos":
        return pl + rl - 1 if ended and rl > 0 else None
    raise ValueError(pos)


def generate(model, records, args, stop, pos_names, n_layers, d):
    """Greedy answers and the states at every position: X [n, layers, positions, d]."""
    import torch
    n = len(records)
    X = np.zeros((n, n_layers, len(pos_names), d), dtype=np.float32)
    agree = 0
    pad = 0
    for lo in range(0, n, args.batch):
        batch = records[lo:lo + args.batch]
        S = max(len(r["prompt_ids"]) for r in batch)
        ids = torch.full((len(batch), S), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), S), dtype=torch.long)
        for b, r in enumerate(batch):
            p = r["prompt_ids"]
            ids[b, S - len(p):] = torch.tensor(p)
            mask[b, S - len(p):] = 1
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=args.max_tokens, do_sample=False,
                             eos_token_id=stop, pad_token_id=pad, output_hidden_states=True,
                             return_dict_in_generate=True, use_cache=True)
        gen = out.sequences[:, S:]
        steps = out.hidden_states  # steps[0]: prompt [B,S,d] per layer; steps[k]: token k-1 fed [B,1,d]
        # One more forward over the last generated token of every row: the state of a
        # response's final token (the stop token, or the last one kept).
        last_mask = torch.cat([mask, torch.ones_like(gen)], dim=1)
        pos = (last_mask.sum(dim=1, keepdim=True) - 1)  # left padding: count real tokens
        tail = model(input_ids=gen[:, -1:], attention_mask=last_mask, position_ids=pos,
                     past_key_values=out.past_key_values, cache_position=torch.tensor([last_mask.shape[1] - 1]),
                     output_hidden_states=True, use_cache=False)
        for b, r in enumerate(batch):
            toks = gen[b].tolist()
            ended = False
            for t, tok in enumerate(toks):
                if tok in stop:
                    toks, ended = toks[:t + 1], True
                    break
            want = r["response_ids"] + ([] if r["truncated"] else [toks[-1]] if ended else [])
            agree += toks == want
            pl, rl = len(r["prompt_ids"]), len(toks)
            for j, name in enumerate(pos_names):
                i = index(name, pl, rl, ended)
                if i is None:
                    continue
                if i < pl:  # the prompt's last token, at the end of the left-padded row
                    hs = [h[b, -1] for h in steps[0][1:]]
                elif i - pl + 1 < len(steps):  # response token k was fed at step k+1
                    hs = [h[b, 0] for h in steps[i - pl + 1][1:]]
                else:
                    hs = [h[b, 0] for h in tail.hidden_states[1:]]
                X[lo + b, :, j, :] = torch.stack(hs).numpy()
    return X, agree


def control_labels(y, groups, seed):
    """Each base request's majority label, shuffled over requests (pkg/probe.ControlLabels)."""
    uniq = sorted(set(groups))
    lab = np.array([int(2 * y[groups == g].sum() >= (groups == g).sum()) for g in uniq])
    np.random.default_rng(seed).shuffle(lab)
    m = dict(zip(uniq, lab))
    return np.array([m[g] for g in groups])


def problem(X, y, folds, groups, reps, seed):
    """CV AUROC of a probe and its control, with cluster-bootstrap intervals."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X = X.astype(np.float64)
    out = []
    rng = np.random.default_rng(seed)
    uniq = np.unique(groups)
    members = [np.flatnonzero(groups == g) for g in uniq]
    for labels in (y, control_labels(y, groups, seed)):
        oof = np.zeros(len(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for f in np.unique(folds):
                tr, te = folds != f, folds == f
                m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
                m.fit(X[tr], labels[tr])
                oof[te] = m.decision_function(X[te])
        auc = roc_auc_score(labels, oof)
        boot = []
        for _ in range(reps):
            idx = np.concatenate([members[k] for k in rng.integers(0, len(members), len(members))])
            if labels[idx].min() != labels[idx].max():
                boot.append(roc_auc_score(labels[idx], oof[idx]))
        lo, hi = np.percentile(boot, [2.5, 97.5]) if boot else (np.nan, np.nan)
        out.append((float(auc), float(lo), float(hi)))
    return out


def grid(X, records, pos_names, folds_n, args):
    from joblib import Parallel, delayed
    tasks = sorted({r["task"] for r in records if r["label"] is not None})
    jobs = []
    for task in tasks:
        rows = np.array([i for i, r in enumerate(records) if r["task"] == task and r["label"] is not None])
        y = np.array([int(records[i]["label"]) for i in rows])
        if min(y.sum(), len(y) - y.sum()) < max(folds_n, 2):
            continue  # too few of a label to probe, as ifprobe skips it
        folds = np.array([records[i]["fold"] for i in rows])
        groups = np.array([records[i]["base_id"] for i in rows])
        for j in range(len(pos_names)):
            for layer in range(X.shape[1]):
                jobs.append((task, layer, pos_names[j], rows, y, folds, groups, j))
    res = Parallel(n_jobs=args.jobs)(
        delayed(problem)(X[rows, layer, j], y, folds, groups, args.bootstrap, 7)
        for (_, layer, _, rows, y, folds, groups, j) in jobs)
    return len(jobs), sum(r[0][0] for r in res) / max(len(res), 1)


def stop_tokens(spec, d, f, model):
    """The stop ids: given, or (auto) what ifprobe's lm.Stop takes from a GGUF: the
    end-of-generation tokens, i.e. eos and the chat format's end-of-turn tokens."""
    if spec != "auto":
        return [int(s) for s in spec.split(",")]
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    ids = set()
    eos = model.generation_config.eos_token_id
    ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tok.eos_token_id is not None:
        ids.add(tok.eos_token_id)
    vocab = tok.get_vocab()
    for t in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"):
        if t in vocab:
            ids.add(vocab[t])
    return sorted(ids)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="an ifprobe dataset build directory")
    ap.add_argument("--model", required=True, help="the GGUF file ifprobe read")
    ap.add_argument("--stop", default="auto",
                    help="comma-separated stop token ids; auto: the model's eos ids and its end-of-turn tokens")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--bootstrap", type=int, default=500)
    ap.add_argument("--no-grid", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import torch
    import transformers
    from transformers import AutoModelForCausalLM
    torch.set_num_threads(args.threads)
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    stamp = json.load(open(os.path.join(args.build, "build.json")))
    args.max_tokens = stamp["max_tokens"]
    pos_names = positions(stamp["fractions"])
    records = [json.loads(line) for line in open(os.path.join(args.build, "dataset.jsonl"))]
    t0 = time.perf_counter()
    d, f = os.path.split(args.model)
    model = AutoModelForCausalLM.from_pretrained(d or ".", gguf_file=f, dtype=torch.float32, attn_implementation="sdpa")
    model.eval()
    stop = stop_tokens(args.stop, d or ".", f, model)
    t_load = time.perf_counter() - t0
    cfg = model.config
    t0 = time.perf_counter()
    with torch.inference_mode():
        X, agree = generate(model, records, args, stop, pos_names, cfg.num_hidden_layers, cfg.hidden_size)
    t_data = time.perf_counter() - t0
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "threads": torch.get_num_threads(),
           "batch": args.batch, "stop": stop, "items": len(records), "load_s": t_load, "dataset_s": t_data,
           "items_per_s": len(records) / t_data, "same_answers": agree}
    if not args.no_grid:
        import sklearn
        t0 = time.perf_counter()
        n, mean_auc = grid(X, records, pos_names, stamp["plan"].get("folds") or 5, args)
        out.update({"sklearn": sklearn.__version__, "grid_s": time.perf_counter() - t0, "problems": n,
                    "mean_auroc": mean_auc, "jobs": args.jobs, "bootstrap": args.bootstrap})
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
