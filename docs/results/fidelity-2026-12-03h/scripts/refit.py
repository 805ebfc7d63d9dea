# ruff: noqa  (analysis script, kept as run)
"""Refit a calibration log's step model on another window of its steps (engine clock), keep
every other field of the profile; print the fit and per-phase residuals.
usage: refit.py PROFILE_JSON STEP_LOG OUT_JSON designed|stream|all"""
import json, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.perf.hardware import get_hardware, HardwarePreset
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import fit_preset, phase_times, read_log, FIT_FIELDS

prof, log, out, which = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
base = get_hardware(prof)
ph = phase_times(log)
win = {'designed': (0, ph['frontend']), 'stream': (0, ph['burst']), 'all': None}[which]
steps, _ = read_log(log, 'engine', win)
fitted, q = fit_preset(steps, base, get_model('tiny'))
doc = json.loads(Path(prof).read_text())
doc['hardware'].update({f: getattr(fitted, f) for f in FIT_FIELDS})
doc['fit'] = q
out.write_text(json.dumps(doc, indent=1))
print({f: getattr(fitted, f) for f in FIT_FIELDS}); print(q)
