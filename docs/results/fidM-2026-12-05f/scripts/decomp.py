# ruff: noqa
# per stream count (no adds, pure decode): engine-clock excess and CPU wait, mean ms; optional phase window
import sys, numpy as np
from pathlib import Path
from collections import defaultdict
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, phase_times
pred = StepLatencyModel(load_profile(sys.argv[1]), get_model('tiny')).step_time
phase = sys.argv[2]
agg = defaultdict(lambda: [[], [], []])
for log in sys.argv[3:]:
    w = None
    if phase != 'all':
        ph = phase_times(Path(log)); a, b = phase.split(':'); w = (ph[a], ph[b])
    ws, _ = read_log(Path(log), 'wall', w); es, _ = read_log(Path(log), 'engine', w); adds = adds_per_step(Path(log), w)
    for (c, tw), (_, te), a in zip(ws, es, adds):
        s = streams_of(c)
        if s and c[0] == 0 and a == 0:
            m = pred(*c); g = agg[min(s, 9)]; g[0].append(te - m); g[1].append(tw - te); g[2].append(c[5] / c[4])
print('streams: n engine-excess/wait ms (mean ctx)')
print(' '.join(f'{s}:{len(v[0])} {1e3*np.mean(v[0]):.2f}/{1e3*np.mean(v[1]):.2f} ({np.mean(v[2]):.0f})' for s, v in sorted(agg.items()) if len(v[0]) > 5))
