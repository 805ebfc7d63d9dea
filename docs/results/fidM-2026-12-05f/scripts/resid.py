# ruff: noqa
# wall residual (measured - full profile prediction incl. delays and prefill stretch) by streams, prefill/no
import sys, numpy as np
from pathlib import Path
from collections import defaultdict
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, phase_times
hw = load_profile(sys.argv[1]); lat = StepLatencyModel(hw, get_model('tiny'))
phase = sys.argv[2]
def full(c, a):
    s = streams_of(c); cap = hw.frontend_stream_delay_cap
    t = lat.step_time(*c) * (hw.frontend_prefill_stretch if c[0] else 1.0)
    if s: t += hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (min(s, cap) if cap else s) + hw.frontend_call_delay_s * a
    return t
agg = defaultdict(lambda: [0, 0.0, 0.0])
for log in sys.argv[3:]:
    w = None
    if phase != 'all':
        ph = phase_times(Path(log)); x, y = phase.split(':'); w = (ph[x], ph[y])
    ws, _ = read_log(Path(log), 'wall', w); adds = adds_per_step(Path(log), w)
    for (c, t), a in zip(ws, adds):
        k = ('P' if c[0] else 'D', min(streams_of(c), 9)); g = agg[k]; g[0] += 1; g[1] += t; g[2] += full(c, a)
tot = [0, 0.0, 0.0]
for k in sorted(agg):
    n, m, p = agg[k]; tot[0] += n; tot[1] += m; tot[2] += p
    print(f'{k[0]} s={k[1]}: n={n} measured {1e3*m/n:.2f} ms, profile {1e3*p/n:.2f} ms, ratio {m/p:.3f}')
print(f'all: n={tot[0]} measured {tot[1]:.2f} s profile {tot[2]:.2f} s ratio {tot[1]/tot[2]:.3f}')
