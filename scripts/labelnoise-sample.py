#!/usr/bin/env python3
"""Draw a blind labelling sample of a run's semantic tasks (pkg/labelnoise).

  scripts/labelnoise-sample.py DATASET.jsonl TASK N SEED blind.jsonl key.json

blind.jsonl holds what the labeller reads: a key, the user message and the
response, in random order, without the verifier's verdict. key.json maps keys to
records and is opened only after labelling, by scripts/labelnoise-merge.py.
A simple random sample (not stratified by the verdict), so that the verifier's
sensitivity and specificity are estimated without weights.
"""
import json, random, sys

path, task, n, seed, blind, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
recs = [json.loads(l) for l in open(path)]
recs = [r for r in recs if r['task'] == task and r.get('label') is not None]
rng = random.Random(seed)
chosen = rng.sample(recs, min(n, len(recs)))
keys = {}
with open(blind, 'w') as f:
    for i, r in enumerate(chosen):
        k = f'{task[:3]}{i:03d}'
        keys[k] = r['id']
        f.write(json.dumps({'key': k, 'prompt': r['prompt'], 'response': r['response']}) + '\n')
json.dump({'dataset': path, 'task': task, 'seed': seed, 'keys': keys}, open(key, 'w'))
print(f'{task}: {len(chosen)} of {len(recs)} responses in {blind}')
