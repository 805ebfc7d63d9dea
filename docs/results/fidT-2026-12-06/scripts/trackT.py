# ruff: noqa
"""Post hoc diagnostic (window T; written during the window, before its results were read): does
the per-server speed probe follow the speed each run then ran at?

Per family, scheduler, repetition and rate: the probe's decode ratio before and after the trace
(`speed.log_ratio` over the probe's one-request decode steps), the factor the registered predictor
used (their geometric mean over the profile's reference), and the run's own engine steps (engine
clock) over the profile's model for the same steps, over the same reference ("run"): what the
factor tries to predict. The last column is factor / run.
usage: cd FROZEN_CODE && PYTHONPATH=. python3 trackT.py WINDOW_DIR"""
import json, math, statistics, sys
from pathlib import Path

from vllm_nexus.bench import report
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim import fidelity, speed
from vllm_nexus.sim.fit import read_log

W = Path(sys.argv[1])
prof = W / "calibration.json"
hw = load_profile(prof)
ref = speed.profile_reference(prof)["ratio"]
lat = StepLatencyModel(hw, get_model("tiny"))
print(f"profile {prof}; reference decode ratio {ref:.3f}")
print("| family | scheduler | rep | rate | probe before | probe after | factor | run | factor / run |")
print("|---|---|---|---|---|---|---|---|---|")
logs = []
for fam in ("ca", "mr"):
    for sched in ("stock-fcfs", "vllm_nexus"):
        for rep, log, result in fidelity._logged_reps(W / fam, sched):
            rates = list(dict.fromkeys(float(r["rate"]) for r in result["runs"]))
            for i, rate in enumerate(rates):
                wins = speed.probe_windows(log, speed.server_tag(i))
                r = {w: speed.log_ratio(log, hw, (a, b)).ratio for a, b, w in wins}
                f = speed.bracket_ratio(list(r.values())) / ref if r else float("nan")
                run = next(x for x in result["runs"] if float(x["rate"]) == rate)
                steps, _ = read_log(log, "engine", tuple(run["wall_clock"]))
                own = sum(t for _, t in steps) / sum(lat.step_time(*c) for c, _ in steps) / ref
                logs.append(math.log(f / own))
                print(f"| {fam} | {sched} | {rep} | {rate:g} | {r.get('before', float('nan')):.3f} | "
                      f"{r.get('after', float('nan')):.3f} | {f:.3f} | {own:.3f} | {f / own:.3f} |")
print(f"\nfactor / run: geometric mean {math.exp(statistics.mean(logs)):.3f}, "
      f"sd of log {statistics.stdev(logs):.3f} over {len(logs)} runs")
