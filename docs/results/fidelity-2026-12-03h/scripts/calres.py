# ruff: noqa  (analysis script, kept as run)
"""In-sample and streaming-phase residuals of a calibration log against its own profile:
measured/predicted step time (engine clock) by phase and step class, and decode 3-8 steps
split by requests new to the worker / finishing this step and by mean context.
usage: calres.py PROFILE_JSON STEP_LOG"""
import json, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import phase_times, read_log, step_class, STEP_CLASSES

lat = StepLatencyModel(get_hardware(sys.argv[1]), get_model('tiny'))
log = Path(sys.argv[2])
ph = phase_times(log)
wins = {'designed': (0, ph['frontend']), 'stream': (ph['frontend'], ph['burst']), 'burst': (ph['burst'], ph['burst-end'])}
# extra fields per step start time
extra = {}
fins_at = {}
for line in log.read_text().splitlines():
    d = json.loads(line)
    if 'step' in d:
        extra[d['t']] = d
for clock in ('engine', 'wall'):
    print(f'## clock {clock}')
    for name, w in wins.items():
        steps, _ = read_log(log, clock, w)
        by = {}
        for c, t in steps:
            k = step_class(c)
            r = by.setdefault(k, [0, 0., 0.])
            r[0] += 1; r[1] += t; r[2] += lat.step_time(*c)
        tot_m = sum(v[1] for v in by.values()); tot_p = sum(v[2] for v in by.values())
        print(name, ' | '.join(f'{k}: {v[1]/v[2]:.2f} ({v[0]})' for k, v in sorted(by.items())), f'| all {tot_m/tot_p:.2f}')
