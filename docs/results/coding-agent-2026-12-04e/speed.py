"""How much of each replay's mean program token latency the engine's speed during it explains.

usage: python speed.py DIR[:TRACE] ...  (dirs with rows.jsonl and steps.md from steps.py)
Per measured replay: scheduler, mean ms/token, the steps' measured / model ratio (how slow
the engine ran against the fitted step model for the same step composition). Fits
log(latency) = a + b log(slowness) + per-(trace) offsets by least squares over all replays,
then prints each scheduler's mean residual (log units; > 0: slower than the engine speed
predicts) per trace.
"""
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

pts = []
for arg in sys.argv[1:]:
    d, _, trace = arg.partition(":")
    d = Path(d)
    trace = trace or d.name
    rows = {f"{r['sched']} {r['tag']}": r for r in map(json.loads, (d / "rows.jsonl").read_text().splitlines())}
    for line in (d / "steps.md").read_text().splitlines():
        if not line.startswith("| ") or "warm" in line or line.startswith("| replay"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        name, slow = cells[0], float(cells[8])
        key = name.replace("(as stock) ", "")
        r = rows.get(name) or rows.get(key)
        sched = name.split()[0]
        if r is None:
            continue
        pts.append((trace, sched, name, r["mean"], slow))
traces = sorted({p[0] for p in pts})
X = np.array([[1.0 if p[0] == t else 0.0 for t in traces] + [math.log(p[4])] for p in pts])
y = np.array([math.log(p[3]) for p in pts])
coef, *_ = np.linalg.lstsq(X, y, rcond=None)
res = y - X @ coef
print(f"replays {len(pts)}; slope of log latency on log slowness b = {coef[-1]:.2f}; "
      f"R^2 = {1 - res.var() / y.var():.2f}")
print("| trace | replay | ms/token | measured / model | residual |")
print("|---|---|---|---|---|")
by = defaultdict(list)
for p, r in zip(pts, res, strict=True):
    print(f"| {p[0]} | {p[2]} | {p[3]:.1f} | {p[4]:.2f} | {r:+.3f} |")
    by[(p[0], p[1])].append(r)
print()
for (t, s), rs in sorted(by.items()):
    print(f"{t} {s}: mean residual {sum(rs) / len(rs):+.3f} over {len(rs)} replays "
          f"(x{math.exp(sum(rs) / len(rs)):.3f})")
