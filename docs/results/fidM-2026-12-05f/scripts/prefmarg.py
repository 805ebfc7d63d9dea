# ruff: noqa
# prefill steps: fit excess = k_whole*(model) vs k_marg*(marginal prefill time), on calibration streaming phases; apply to a run
import sys, numpy as np
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, phase_times
hw = load_profile(sys.argv[1]); lat = StepLatencyModel(hw, get_model('tiny'))
def delays(c, a):
    s = streams_of(c); cap = hw.frontend_stream_delay_cap
    return hw.frontend_step_delay_s + hw.frontend_stream_delay_s * (min(s, cap) if cap else s) + hw.frontend_call_delay_s * a
def rows(log, w):
    ws, _ = read_log(Path(log), 'wall', w); adds = adds_per_step(Path(log), w); out = []
    for (c, t), a in zip(ws, adds):
        if c[0]:
            m = lat.step_time(*c); dec = lat.step_time(0, 0, 0, 0, c[4], c[5]) if c[4] else 0.0
            out.append((t - delays(c, a), m, m - dec, c[1]))
    return np.array(out)
ph = phase_times(Path(sys.argv[2])); cal = rows(sys.argv[2], (ph['frontend'], ph['burst']))
run = rows(sys.argv[3], None)
kw = (cal[:, 0].sum() / cal[:, 1].sum()); km = 1 + (cal[:, 0] - cal[:, 1]).sum() / cal[:, 2].sum()
print(f'calibration prefill steps {len(cal)}: mean tokens {cal[:,3].mean():.0f}, whole stretch {kw:.3f}, marginal stretch {km:.3f}; marginal share {cal[:,2].sum()/cal[:,1].sum():.2f}')
print(f'run prefill steps {len(run)}: mean tokens {run[:,3].mean():.0f}; marginal share {run[:,2].sum()/run[:,1].sum():.2f}')
print(f'run measured {run[:,0].sum():.2f} s; whole-stretch prediction {kw*run[:,1].sum():.2f}; marginal-stretch prediction {(run[:,1] + (km-1)*run[:,2]).sum():.2f}')
