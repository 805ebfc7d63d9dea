# ruff: noqa
import sys, numpy as np
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, _parse_log
hw = load_profile(sys.argv[1]); lat = StepLatencyModel(hw, get_model('tiny'))
def full(c, a):
    s = streams_of(c); cap = hw.frontend_stream_delay_cap
    t = lat.step_time(*c) * (hw.frontend_prefill_stretch if c[0] else 1.0)
    if s: t += hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (min(s, cap) if cap else s) + hw.frontend_call_delay_s * a
    return t
KEYS = {'M': lambda c: round(c[1] + c[4]), 'P': lambda c: round(c[1]), 'Mn': lambda c: (round(c[1] + c[4]), int(c[0] + c[4])), 'Pd': lambda c: (round(c[1]), int(c[4]))}
for log in sys.argv[2:]:
    raw, _, _ = _parse_log(Path(log)); ws, _ = read_log(Path(log), 'wall'); adds = adds_per_step(Path(log))
    out = []
    for name, key in KEYS.items():
        seen = set(); nn, oo = [], []
        for (c, t), a in zip(ws, adds):
            k = key(c); isnew = k not in seen; seen.add(k)
            if c[0]: (nn if isnew else oo).append(t - full(c, a))
        out.append(f'{name}: new {len(nn)} {1e3*np.mean(nn):.2f} / seen {len(oo)} {1e3*np.mean(oo):.2f}')
    print(Path(log).parent.parent.name, ' | '.join(out))
