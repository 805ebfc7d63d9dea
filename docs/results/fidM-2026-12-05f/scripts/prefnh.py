# ruff: noqa
# prefill steps with one new request: residual (wall - delays - stretch*model) by the new request's prompt length and cache hits
import sys, json, gzip, numpy as np
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, phase_times
hw = load_profile(sys.argv[1]); lat = StepLatencyModel(hw, get_model('tiny'))
def delays(c, a):
    s = streams_of(c); cap = hw.frontend_stream_delay_cap
    return hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (min(s, cap) if cap else s) + hw.frontend_call_delay_s * a
phase = sys.argv[2]
for log in sys.argv[3:]:
    w = None
    if phase != 'all':
        ph = phase_times(Path(log)); x, y = phase.split(':'); w = (ph[x], ph[y])
    op = gzip.open if log.endswith('.gz') else open
    NH = []; cur = None
    for l in op(log, 'rt'):
        d = json.loads(l)
        if 'step' in d: cur = (d['t'], d.get('nh', []))
        elif 'end' in d and cur is not None:
            if w is None or w[0] <= cur[0] <= w[1]: NH.append(cur[1])
            cur = None
    ws, _ = read_log(Path(log), 'wall', w); adds = adds_per_step(Path(log), w)
    assert len(NH) == len(ws), (len(NH), len(ws))
    rows = []
    for (c, t), a, nh in zip(ws, adds, NH):
        if c[0] == 1 and len(nh) == 1:
            r = t - delays(c, a) - hw.frontend_prefill_stretch * lat.step_time(*c)
            rows.append((nh[0][0], nh[0][1], c[1], r))
    r = np.array(rows)
    if not len(r): continue
    print(Path(log).name, 'steps', len(r), 'mean prompt %.0f hits %.0f chunk %.0f, residual %.2f ms' % (r[:,0].mean(), r[:,1].mean(), r[:,2].mean(), 1e3*r[:,3].mean()))
    for lo, hi in ((0, 512), (512, 1024), (1024, 2048), (2048, 9999)):
        m = (r[:, 0] >= lo) & (r[:, 0] < hi)
        if m.sum() > 3: print(f'   prompt {lo}-{hi}: n={m.sum()} residual {1e3*r[m,3].mean():.2f} ms (chunk {r[m,2].mean():.0f}, hits {r[m,1].mean():.0f})')
    rows2 = []
    for (c, t), a, nh in zip(ws, adds, NH):
        if c[0] == 1:
            r2 = t - delays(c, a) - hw.frontend_prefill_stretch * lat.step_time(*c)
            rows2.append((c[4], c[5], r2))
    r2 = np.array(rows2)
    for lo, hi in ((0, 0), (1, 3), (4, 6), (7, 20)):
        m = (r2[:, 0] >= lo) & (r2[:, 0] <= hi)
        if m.sum() > 3: print(f'   decodes {lo}-{hi}: n={m.sum()} residual {1e3*r2[m,2].mean():.2f} ms (decode ctx {r2[m,1].mean():.0f})')
