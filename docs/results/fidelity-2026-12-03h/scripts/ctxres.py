# ruff: noqa  (analysis script, kept as run)
"""Decode-only steps of a calibration log by batch and mean context: steps, predicted and
measured (engine clock) ms, ratio. Where the designed load has (no) decodes like a family's.
usage: ctxres.py PROFILE_JSON STEP_LOG [designed|stream|all]"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import phase_times, read_log

lat = StepLatencyModel(get_hardware(sys.argv[1]), get_model('tiny'))
log = Path(sys.argv[2]); ph = phase_times(log)
which = sys.argv[3] if len(sys.argv) > 3 else 'designed'
win = {'designed': (0, ph['frontend']), 'stream': (ph['frontend'], ph['burst']), 'all': None}[which]
steps, _ = read_log(log, 'engine', win)
agg = {}
for c, t in steps:
    if c[0] or not c[4]: continue
    n = int(c[4]); ctx = c[5] / n
    b = ('1-2' if n <= 2 else '3-8' if n <= 8 else '9+', '<200' if ctx < 200 else '200-1000' if ctx < 1000 else '1000-2500' if ctx < 2500 else '2500+')
    a = agg.setdefault(b, [0, 0., 0.]); a[0] += 1; a[1] += lat.step_time(*c); a[2] += t
print(f'# {which}: decode-only steps, engine clock')
print('| batch | mean ctx | steps | pred ms | meas ms | meas/pred |'); print('|---|---|---|---|---|---|')
for b in sorted(agg):
    n, p, t = agg[b]; print(f'| {b[0]} | {b[1]} | {n} | {1e3*p/n:.2f} | {1e3*t/n:.2f} | {t/p:.2f} |')
