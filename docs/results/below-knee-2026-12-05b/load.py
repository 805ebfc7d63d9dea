"""The 5-s average of waiting calls per running call (the queueing ratio behind
starvation_relative and preemption_min_load), recomputed from each step's waiting and running
counts of an --record-steps run: its quantiles per replay and its value at steps that resumed
a preempted call. usage: python load.py OUT"""
import json
import math
import sys
from pathlib import Path

out = Path(sys.argv[1])
rows = [json.loads(x) for x in (out / "rows.jsonl").read_text().splitlines() if x.strip()]
rows = sorted((r for r in rows if r.get("rep") is not None), key=lambda r: (r["rep"], r["sched"]))
TAU = 5.0


def q(v: list[float], p: float) -> float:
    return v[int(p * (len(v) - 1))] if v else float("nan")


for r in rows:
    log = out / f"steps-{r['sched']}-c{r['cmd']}.jsonl"
    w = r["wall"]
    load, t0, vals, pre = 0.0, None, [], []
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if "step" in d and w[0] <= d["t"] <= w[1]:
            ratio = d["w"] / d["r"] if d["r"] else 0.0  # counts after this step's schedule()
            if t0 is not None:
                load += (1 - math.exp(-(d["t"] - t0) / TAU)) * (ratio - load)
            t0 = d["t"]
            vals.append(load)
            if d["res"]:
                pre.append(load)
    vals.sort()
    pre.sort()
    print(f"{r['sched']} {r['rep']} load p50 {q(vals, 0.5):.3f} p90 {q(vals, 0.9):.3f} "
          f"p99 {q(vals, 0.99):.3f} max {vals[-1]:.3f} | at resumes: n {len(pre)} "
          f"p50 {q(pre, 0.5):.3f} max {max(pre) if pre else 0:.3f}")
