"""Per measured replay of an --record-steps run: busy seconds on the wall clock and on the
engine clock (wall minus the worker's and the engine core's run-queue waits,
vllm_nexus.sim.calibrate.EngineClock), their ratio (vllm_nexus.sim.fit.contention), and the
forward time of decode-only steps by decode count on the engine clock is not available, so
also the wall forward per decode class. usage: PYTHONPATH=<repo> python contention.py OUT"""
import json
import sys
from pathlib import Path

from vllm_nexus.sim.fit import read_log

out = Path(sys.argv[1])
rows = [json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()]
rows = sorted((r for r in rows if r.get("rep") is not None), key=lambda r: (r["rate"], r["rep"], r["sched"]))
print("| replay | ms/token | steps | busy s wall | busy s engine clock | wall / engine | "
      "engine-clock ms/step |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    w = tuple(r["wall"])
    wall = read_log(log, "wall", w)[0]
    eng = read_log(log, "engine", w)[0]
    bw, be = sum(p for _, p in wall), sum(p for _, p in eng)
    print(f"| {r['sched']} rep{r['rep']} r{r['rate']:g} | {r['mean']:.2f} | {len(wall)} | {bw:.2f} | {be:.2f} | "
          f"{bw / be:.3f} | {1e3 * be / len(eng):.3f} |")
