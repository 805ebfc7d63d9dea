# ruff: noqa
import sys, numpy as np
from pathlib import Path
from collections import defaultdict
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, phase_times
pred = StepLatencyModel(load_profile(sys.argv[1]), get_model('tiny')).step_time
for log in sys.argv[2:]:
    ph = phase_times(Path(log)); print(log)
    for name, w in (('rounds', (ph['frontend'], ph.get('stream-groups', ph['burst']))), ('groups', (ph.get('stream-groups', 0), ph['burst'])), ('burst', (ph['burst'], ph['burst-end']))):
        steps, _ = read_log(Path(log), 'wall', w); adds = adds_per_step(Path(log), w)
        agg = defaultdict(list)
        for (c, t), a in zip(steps, adds):
            s = streams_of(c)
            if s and c[0] == 0 and a == 0: agg[s].append(t - pred(*c))
        print(' ', name, ' '.join(f'{s}:{len(v)}/{1e3*np.mean(v):.2f}' for s, v in sorted(agg.items()) if len(v) > 5))
