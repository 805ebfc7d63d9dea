# ruff: noqa
# residual (wall - full profile) of steps whose total token count (batch M) is new in this server vs seen before
import sys, numpy as np
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, phase_times, _parse_log
hw = load_profile(sys.argv[1]); lat = StepLatencyModel(hw, get_model('tiny'))
def full(c, a):
    s = streams_of(c); cap = hw.frontend_stream_delay_cap
    t = lat.step_time(*c) * (hw.frontend_prefill_stretch if c[0] else 1.0)
    if s: t += hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (min(s, cap) if cap else s) + hw.frontend_call_delay_s * a
    return t
phase = sys.argv[2]
for log in sys.argv[3:]:
    raw, _, _ = _parse_log(Path(log))
    seen = set(); first_in = {}
    ws, _ = read_log(Path(log), 'wall'); adds = adds_per_step(Path(log))
    w = None
    if phase != 'all':
        ph = phase_times(Path(log)); x, y = phase.split(':'); w = (ph[x], ph[y])
    new, old, newd, oldd = [], [], [], []
    for ((c, t), a, (_, t0, _)) in zip(ws, adds, raw):
        m = int(round(c[1] + c[4]))
        isnew = m not in seen; seen.add(m)
        if w and not (w[0] <= t0[0] <= w[1]): continue
        r = t - full(c, a)
        if c[0]: (new if isnew else old).append(r)
        else: (newd if isnew else oldd).append(r)
    f = lambda v: f'{len(v)} / {1e3*np.mean(v):.2f} ms' if v else '0'
    print(Path(log).name, 'prefill steps, new M:', f(new), '| seen M:', f(old), '|| decode steps new M:', f(newd), '| seen:', f(oldd))
