# ruff: noqa
# full-profile wall residual incl. new shapes (seen set from log start), by class
import sys, numpy as np
from pathlib import Path
from collections import defaultdict
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, new_shape_flags
hw = load_profile(sys.argv[1]); lat = StepLatencyModel(hw, get_model('tiny'))
def full(c, a, f):
    s = streams_of(c); cap = hw.frontend_stream_delay_cap
    t = lat.step_time(*c) * (hw.frontend_prefill_stretch if c[0] else 1.0) + hw.new_shape_s * f
    if s: t += hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (min(s, cap) if cap else s) + hw.frontend_call_delay_s * a
    return t
for log in sys.argv[2:]:
    ws, _ = read_log(Path(log), 'wall'); adds = adds_per_step(Path(log)); fl = new_shape_flags(Path(log))
    agg = defaultdict(lambda: [0, 0.0, 0.0])
    for (c, t), a, f in zip(ws, adds, fl):
        k = ('new' if f else 'P' if c[0] else 'D'); g = agg[k]; g[0] += 1; g[1] += t; g[2] += full(c, a, f)
    tot = [sum(v[i] for v in agg.values()) for i in range(3)]
    print(Path(log).parent.parent.name, Path(log).name, ' '.join(f'{k}: n={n} {m/p:.3f}' for k, (n, m, p) in sorted(agg.items())), f'| all {tot[1]/tot[2]:.3f} ({tot[1]:.1f} s)')
