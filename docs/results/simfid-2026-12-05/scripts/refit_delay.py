# ruff: noqa
"""A recorded window's calibration with the frontend delay re-measured from its own log by the
2026-12-05 calibrate code (fixed part + part per stream, `fit.stream_delay`, same steps and
ramp as `simulate calibrate`; since 2026-12-05 also a part per call received,
`fit.frontend_delay`): every other field as the window measured it.
usage: python refit_delay.py CALIBRATION.json STEPLOG(.gz) OUT.json"""
import gzip, json, sys, tempfile
from pathlib import Path
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.calibrate import BURST_END_PHASE, BURST_PHASE, BURST_RAMP, FRONTEND_PHASE
from vllm_nexus.sim.fit import adds_per_step, frontend_delay, phase_times, read_log

cal, log, out = sys.argv[1:4]
if log.endswith(".gz"):
    t = Path(tempfile.mktemp(suffix=".jsonl")); t.write_bytes(gzip.open(log).read()); log = str(t)
log = Path(log)
hw = resolve_hardware(cal, warn=False).preset
predict = StepLatencyModel(hw, get_model("tiny")).step_time
ph = phase_times(log)
burst, _ = read_log(log, "wall", (ph[BURST_PHASE], ph[BURST_END_PHASE]))
burst = burst[int(BURST_RAMP * len(burst)):]
rounds, _ = read_log(log, "wall", (ph[FRONTEND_PHASE], ph[BURST_PHASE]))
ba = adds_per_step(log, (ph[BURST_PHASE], ph[BURST_END_PHASE]))
adds = adds_per_step(log, (ph[FRONTEND_PHASE], ph[BURST_PHASE])) + ba[len(ba) - len(burst):]
base, per, call = frontend_delay(rounds + burst, adds, predict)
doc = json.load(open(cal))
doc["hardware"]["frontend_step_delay_s"] = base
doc["hardware"]["frontend_stream_delay_s"] = per
doc["hardware"]["frontend_call_delay_s"] = call
doc["fit"]["stream_delay_refit"] = f"refit_delay.py from {sys.argv[2]}"
Path(out).write_text(json.dumps(doc, indent=1) + "\n")
print(f"{out}: frontend_step_delay_s {1e3*base:.3f} ms, frontend_stream_delay_s {1e3*per:.4f} ms, frontend_call_delay_s {1e3*call:.3f} ms"
      f" (was {1e3*resolve_hardware(cal, warn=False).preset.frontend_step_delay_s:.3f} ms fixed)")
