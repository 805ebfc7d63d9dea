# ruff: noqa  (analysis script, kept as run)
"""Per phase of a calibration log and decode batch bucket: steps, mean predicted, wall and
engine-clock period (ms), wall-pred and wall/pred: is the slowdown beside a busy frontend
additive per step or proportional to the step?
usage: stretch.py PROFILE_JSON STEP_LOG"""
import json, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import phase_times, read_log

lat = StepLatencyModel(get_hardware(sys.argv[1]), get_model('tiny'))
log = Path(sys.argv[2]); ph = phase_times(log)
wins = {'designed': (0, ph['frontend']), 'stream': (ph['frontend'], ph['burst']), 'burst': (ph['burst'], ph['burst-end'])}
def bucket(c):
    if c[0]: return 'prefill'
    n = c[4]
    return '1' if n == 1 else '2' if n == 2 else '3-4' if n <= 4 else '5-8' if n <= 8 else '9-24' if n <= 24 else '25+'
print('| phase | bucket | steps | pred ms | wall ms | engine ms | wall-pred | wall/pred | eng/pred |')
print('|---|---|---|---|---|---|---|---|---|')
for name, w in wins.items():
    sw, _ = read_log(log, 'wall', w); se, _ = read_log(log, 'engine', w)
    agg = {}
    for (c, tw), (_, te) in zip(sw, se):
        a = agg.setdefault(bucket(c), [0, 0., 0., 0.])
        a[0] += 1; a[1] += lat.step_time(*c); a[2] += tw; a[3] += te
    for b in ('1', '2', '3-4', '5-8', '9-24', '25+', 'prefill'):
        if b in agg:
            n, p, tw, te = agg[b]
            print(f'| {name} | {b} | {n} | {1e3*p/n:.2f} | {1e3*tw/n:.2f} | {1e3*te/n:.2f} | {1e3*(tw-p)/n:+.2f} | {tw/p:.2f} | {te/p:.2f} |')
