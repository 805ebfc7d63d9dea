# ruff: noqa
# step classes (engine clock) over a profile, per phase window of calibration logs or whole run logs
import sys
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, phase_times, step_classes
pred = StepLatencyModel(load_profile(sys.argv[1]), get_model('tiny')).step_time
phase = sys.argv[2]; clock = sys.argv[3]
for log in sys.argv[4:]:
    w = None
    if phase != 'all':
        ph = phase_times(Path(log)); a, b = phase.split(':'); w = (ph.get(a, 0), ph[b])
    steps, _ = read_log(Path(log), clock, w)
    cl = step_classes(steps, pred)
    print(Path(log).name[:30], ' '.join(f'{c}: {m/p:.2f} ({n})' for c, (n, m, p) in cl.items()))
