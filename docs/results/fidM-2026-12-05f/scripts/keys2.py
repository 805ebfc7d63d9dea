# ruff: noqa
# prefill steps: residual vs profile (with new-shape cost by M) split by: new max M? and by time third of the run
import sys, numpy as np
from pathlib import Path
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
    n = len(ws); thirds = [[], [], []]; seen_pre = []
    for i, ((c, t), a, f) in enumerate(zip(ws, adds, fl)):
        if c[0] and not f:
            thirds[min(2, 3 * i // n)].append(t - full(c, a, f))
    # seen-M prefill residual vs prefill chunk tokens
    rows = [(c[1], t - full(c, a, f)) for (c, t), a, f in zip(ws, adds, fl) if c[0] and not f]
    r = np.array(rows)
    bins = [(0, 128), (128, 256), (256, 512), (512, 2048)]
    print(Path(log).parent.parent.name, 'seen-M prefill residual by third:', [f'{len(v)} {1e3*np.mean(v):.2f}' for v in thirds], 'by tokens:', [f'{lo}-{hi}: {int(((r[:,0]>=lo)&(r[:,0]<hi)).sum())} {1e3*r[(r[:,0]>=lo)&(r[:,0]<hi),1].mean():.2f}' for lo, hi in bins if ((r[:,0]>=lo)&(r[:,0]<hi)).sum()])
