# ruff: noqa
# per repetition and rate: wall time of the engine steps over the profile's prediction (the run's machine speed)
import json, sys
from pathlib import Path
from vllm_nexus.sim import fidelity
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.calibrate import read_log
out, prof = Path(sys.argv[1]), sys.argv[2]
lat = StepLatencyModel(get_hardware(prof), get_model("tiny"))
for sched in ("stock-fcfs", "vllm_nexus"):
    for rep, log, result in fidelity._logged_reps(out, sched):
        cells = []
        for run in result["runs"]:
            steps, _ = read_log(log, "wall", tuple(run["wall_clock"]))
            slow = sum(t for _, t in steps) / sum(lat.step_time(*c) for c, _ in steps)
            tl = run["summary"]["program_token_latency_s"]["mean"] * 1e3
            cells.append(f"{run['rate']:g}/s x{slow:.2f} {tl:.1f}ms/tok {len(steps)} steps")
        print(sched, rep, " | ".join(cells))
