# ruff: noqa
# wall excess of pure-decode steps without adds, by time to the next add (ms), for stream counts 1 and 5-8
import sys, json, gzip, bisect, numpy as np
from pathlib import Path
from collections import defaultdict
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, _parse_log
pred = StepLatencyModel(load_profile(sys.argv[1]), get_model('tiny')).step_time
B = [(-1e9, 5), (5, 15), (15, 40), (40, 100), (100, 1e12)]
agg = defaultdict(list)
for log in sys.argv[2:]:
    raw, added, _ = _parse_log(Path(log)); addt = sorted(t for _, t in added)
    ws, _ = read_log(Path(log), 'wall'); adds = adds_per_step(Path(log))
    starts = [t0[0] for _, t0, _ in raw]
    assert len(starts) == len(ws)
    for (c, tw), a, t0 in zip(ws, adds, starts):
        s = streams_of(c)
        if not s or c[0] or a: continue
        i = bisect.bisect_left(addt, t0 + tw)
        nxt = 1e3 * (addt[i] - (t0 + tw)) if i < len(addt) else 1e9
        j = bisect.bisect_left(addt, t0) - 1
        prev = 1e3 * (t0 - addt[j]) if j >= 0 else 1e9
        b = next(k for k, (lo, hi) in enumerate(B) if lo <= nxt < hi)
        sb = 's1' if s == 1 else 's2-4' if s <= 4 else 's5-8'
        agg[(sb, b)].append(tw - pred(*c))
for (sb, b), v in sorted(agg.items()):
    print(f'{sb} next add in {B[b][0]}-{B[b][1]} ms: n={len(v)} excess mean {1e3*np.mean(v):.2f} med {1e3*np.median(v):.2f}')
