# ruff: noqa
import sys, numpy as np
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, adds_per_step, streams_of, phase_times, frontend_delay_knee
pred = StepLatencyModel(load_profile(sys.argv[1]), get_model('tiny')).step_time
phase = sys.argv[2]
S, A = [], []
for log in sys.argv[3:]:
    w = None
    if phase != 'all':
        ph = phase_times(Path(log)); a, b = phase.split(':'); w = (ph[a], ph[b])
    st, _ = read_log(Path(log), 'wall', w); S += st; A += adds_per_step(Path(log), w)
f = frontend_delay_knee(S, A, pred)
print('fixed %.3f ms, per stream %.3f ms, per call %.3f ms, knee %g' % (1e3*f[0], 1e3*f[1], 1e3*f[2], f[3]))
