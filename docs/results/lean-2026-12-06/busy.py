"""Post hoc (2026-12-06 (j)): the engine's total busy time per run, real against simulated.

Real: the sum of a run's step periods on the wall clock (fit.read_log, the run's wall window:
schedule() to the next schedule() while the engine stays busy), i.e. everything the engine
spent on the run's steps, waits beside the frontend included. Simulated: the registered
prediction's `busy_s` for the same trace and rate (sim-alone). Their ratio is the lean in
engine work, before any queueing amplifies it.
usage: python busy.py WINDOW_DIR...  (real runs with step logs, and sim-alone/)"""

import json
import statistics
import sys
from pathlib import Path

from vllm_nexus.bench.report import plain_or_gz, read_text
from vllm_nexus.sim.fidelity import _logged_reps
from vllm_nexus.sim.fit import read_log

print("| window | family | scheduler | rate | runs | real busy (s), median [min-max] | sim busy (s) | "
      "sim / real median | real steps, median | sim steps |")  # fmt: skip
print("|---|---|---|---|---|---|---|---|---|---|")
for win in sys.argv[1:]:
    for fam in ("ca", "mr"):
        for sched in ("stock-fcfs", "vllm_nexus"):
            sim_result = plain_or_gz(Path(f"{win}/{fam}/sim-alone/{sched}/result.json"))
            sim = {float(r["rate"]): r["simulation"] for r in json.loads(read_text(sim_result))["runs"]}
            real: dict[float, list[tuple[float, int]]] = {}
            for _, log, result in _logged_reps(Path(win) / fam, sched):
                for run in result["runs"]:
                    steps, _ = read_log(log, "wall", tuple(run["wall_clock"]))
                    real.setdefault(float(run["rate"]), []).append((sum(p for _, p in steps), len(steps)))
            for rate, xs in sorted(real.items()):
                b = statistics.median(x[0] for x in xs)
                s = sim[rate]
                print(f"| {Path(win).name} | {fam} | {sched} | {rate:g} | {len(xs)} | {b:.2f} "
                      f"[{min(x[0] for x in xs):.2f}-{max(x[0] for x in xs):.2f}] | {s['busy_s']:.2f} | "
                      f"{s['busy_s'] / b:.2f} | {statistics.median(x[1] for x in xs):.0f} | {s['steps']} |")  # fmt: skip
