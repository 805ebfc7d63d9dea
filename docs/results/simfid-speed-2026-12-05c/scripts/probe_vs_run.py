# ruff: noqa
"""Window K: each server's pre-trace probe factor against its own steps during the trace
(post hoc). usage: python probe_vs_run.py K_DIR PROFILE
Factor = median(engine-clock period / the profile's model) of one-request pure-decode steps,
over the profile's speed_probe reference; windows: the probe, each rate's run (result.json
wall_clock), and the run's 1-8-request pure-decode steps pooled."""
import json, statistics as st, sys
from pathlib import Path
from vllm_nexus.perf.hardware import load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.fit import read_log
from vllm_nexus.sim.speed import probe_window, profile_reference

K, prof = Path(sys.argv[1]), sys.argv[2]
ref = profile_reference(prof)["ratio"]
m = StepLatencyModel(load_profile(prof), get_model("tiny"))
def ratio(log, w, hi=1):
    steps, _ = read_log(log, "engine", w)
    r = [t / m.step_time(*c) for c, t in steps if c[0] == 0 and 1 <= c[4] <= hi]
    return (st.median(r) / ref, len(r)) if len(r) >= 20 else (float("nan"), len(r))
print("| family | server | probe factor (steps, median ms) | run b1 factor per rate (steps) | run 1-8 pooled per rate | real mean ms/token per rate |")
print("|---|---|---|---|---|---|")
for fam in ("ca", "mr"):
    for log in sorted((K / fam / "steps").glob("*.jsonl")):
        name = log.stem
        sched, rep = name.rsplit("-", 1)
        pw = probe_window(log)
        pf, pn = ratio(log, pw)
        steps, _ = read_log(log, "engine", pw)
        pms = 1e3 * st.median(t for c, t in steps if c[0] == 0 and c[4] == 1)
        res = json.loads((K / fam / "real" / sched / rep / "result.json").read_text())
        b1, pooled, lat = [], [], []
        for run in res["runs"]:
            w = tuple(run["wall_clock"])
            f, n = ratio(log, w); b1.append(f"{run['rate']:g}/s {f:.3f} ({n})")
            f, n = ratio(log, w, 8); pooled.append(f"{run['rate']:g}/s {f:.3f}")
            lat.append(f"{run['rate']:g}/s {1e3*run['summary']['program_token_latency_s']['mean']:.1f}")
        print(f"| {fam} | {sched} {rep} | {pf:.3f} ({pn}, {pms:.2f}) | {'; '.join(b1)} | {'; '.join(pooled)} | {'; '.join(lat)} |")
