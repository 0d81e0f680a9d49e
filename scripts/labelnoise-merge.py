#!/usr/bin/env python3
"""Join a labeller's answers to the records and the verifier's verdicts.

  scripts/labelnoise-merge.py key.json answers.jsonl >> pkg/labelnoise/data/MODEL.jsonl

answers.jsonl has one {"key", "human": true|false, "note"} per line, written
while reading blind.jsonl (scripts/labelnoise-sample.py).
"""
import json, sys

key = json.load(open(sys.argv[1]))
recs = {}
for l in open(key['dataset']):
    r = json.loads(l)
    recs[r['id']] = r
for l in open(sys.argv[2]):
    a = json.loads(l)
    r = recs[key['keys'][a['key']]]
    out = {'id': r['id'], 'model': r['model'], 'task': r['task'], 'params': r['params'],
           'prompt': r['prompt'], 'response': r['response'], 'human': a['human'], 'verifier': r['label']}
    if a.get('note'):
        out['note'] = a['note']
    print(json.dumps(out, ensure_ascii=False))
