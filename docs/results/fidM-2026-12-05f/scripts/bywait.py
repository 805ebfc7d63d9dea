# ruff: noqa
# pure-decode steps at S streams, no adds: wall excess over the profile by waiting count
import sys, json, gzip, numpy as np
from pathlib import Path
from collections import defaultdict
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of
pred = StepLatencyModel(load_profile(sys.argv[1]), get_model('tiny')).step_time
S = int(sys.argv[2]); agg = defaultdict(list)
for log in sys.argv[3:]:
    ws, _ = read_log(Path(log), 'wall'); es, _ = read_log(Path(log), 'engine'); adds = adds_per_step(Path(log))
    op = gzip.open if log.endswith('.gz') else open
    W = []; cur = None
    for l in op(log, 'rt'):
        d = json.loads(l)
        if 'step' in d: cur = d.get('w', 0)
        elif 'end' in d and cur is not None: W.append(cur); cur = None
    assert len(W) == len(ws), (len(W), len(ws))
    for (c, tw), (_, te), a, w in zip(ws, es, adds, W):
        if streams_of(c) == S and not c[0] and not a:
            b = '0' if w == 0 else '1-5' if w <= 5 else '6-20' if w <= 20 else '21+'
            agg[b].append((tw - pred(*c), te - pred(*c)))
for b in ('0', '1-5', '6-20', '21+'):
    if b in agg:
        v = np.array(agg[b]); print(f'waiting {b}: n={len(v)} wall excess {1e3*v[:,0].mean():.2f} ms (engine {1e3*v[:,1].mean():.2f})')
