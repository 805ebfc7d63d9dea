# ruff: noqa
"""The calibration burst's delay per step, per quarter of its steps.
usage: PYTHONPATH=<repo> python burst.py CALIBRATION_LOG.jsonl PROFILE.json"""
import json, sys
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log, engine_step_delay
from vllm_nexus.sim.calibrate import phase_times, BURST_PHASE, BURST_END_PHASE
from pathlib import Path
log, prof = Path(sys.argv[1]), sys.argv[2]
ph = phase_times(log)
pred = StepLatencyModel(load_profile(prof), get_model("tiny")).step_time
steps, _ = read_log(log, "wall", (ph[BURST_PHASE], ph[BURST_END_PHASE]))
n = len(steps); print("burst s", round(ph[BURST_END_PHASE]-ph[BURST_PHASE],2), "steps", n)
for k in range(4):
    part = steps[k*n//4:(k+1)*n//4]
    print(" quarter", k, "delay ms %.2f" % (1e3*engine_step_delay(part, pred)), "mean step ms %.2f" % (1e3*sum(t for _,t in part)/len(part)), "pred ms %.2f" % (1e3*sum(pred(*c) for c,_ in part)/len(part)), "dec/step %.1f" % (sum(c[4] for c,_ in part)/len(part)))
