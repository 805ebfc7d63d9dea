# ruff: noqa
# stock-fcfs logs: per add, prompt tokens (FIFO-matched to nh entries) and the excess of the step before the add and the add's step, over baseline by streams
import sys, bisect, numpy as np
from pathlib import Path
from collections import defaultdict
import json, gzip
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, _parse_log
pred = StepLatencyModel(load_profile(sys.argv[1]), get_model('tiny')).step_time
rows = []
for log in sys.argv[2:]:
    lines = [json.loads(l) for l in gzip.open(log, 'rt')]
    prompts = [p for d in lines if 'nh' in d for p, _ in d['nh']]
    raw, added, _ = _parse_log(Path(log))
    ws, _ = read_log(Path(log), 'wall'); adds = adds_per_step(Path(log))
    ex = [tw - pred(*c) for c, tw in ws]; st = [streams_of(c) for c, _ in ws]; pre = [c[0] for c, _ in ws]
    # baseline per stream count: steps with no add in them or the next step, pure decode
    base = defaultdict(list)
    for i in range(len(ws) - 1):
        if adds[i] == 0 and adds[i + 1] == 0 and pre[i] == 0 and st[i]: base[st[i]].append(ex[i])
    bm = {s: np.mean(v) for s, v in base.items()}
    k = 0
    for i in range(1, len(ws)):
        if adds[i] == 1 and adds[i - 1] == 0 and pre[i] == 0 and pre[i - 1] == 0 and st[i] and st[i - 1] and k < len(prompts):
            n_add_before = sum(adds[:i])
            if n_add_before < len(prompts):
                rows.append((prompts[n_add_before], ex[i] - bm.get(st[i], 0), ex[i - 1] - bm.get(st[i - 1], 0)))
r = np.array(rows); print('n', len(r))
for lo, hi in ((0, 600), (600, 1500), (1500, 2500), (2500, 5000)):
    m = (r[:, 0] >= lo) & (r[:, 0] < hi)
    if m.sum(): print(f'prompt {lo}-{hi}: n={m.sum()} add-step extra {1e3*r[m,1].mean():.2f} ms, step-before extra {1e3*r[m,2].mean():.2f} ms, sum {1e3*(r[m,1]+r[m,2]).mean():.2f}')
x = np.stack([np.ones(len(r)), r[:, 0]], 1); c = np.linalg.lstsq(x, r[:, 1] + r[:, 2], rcond=None)[0]
print(f'sum = {1e3*c[0]:.2f} ms + {1e6*c[1]:.3f} us/token')
