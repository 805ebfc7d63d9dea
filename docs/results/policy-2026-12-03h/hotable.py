"""Held-out table: default and the candidate (re-run here), stock / oracle from earlier rows.

python docs/results/policy-2026-12-03h/hotable.py docs/results/policy-2026-12-03h/ho-H*.jsonl
(stock / oracle: ../policy-2026-12-03/sim/ho-*.jsonl and ../policy-2026-12-03b/ho-*.jsonl,
the same deterministic runs)
"""

import collections
import glob
import json
import math
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
runs = collections.defaultdict(dict)
for pat in ("/../policy-2026-12-03/sim/ho-*.jsonl", "/../policy-2026-12-03b/ho-*.jsonl"):
    for f in glob.glob(here + pat):
        for line in open(f):
            r = json.loads(line)
            if r["scheduler"] in ("stock", "oracle"):
                runs[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line)
        runs[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
print("| preset | workload | seed | rate | stock ms/tok | default | cand | oracle | default / cand |")
print("|---|---|---|---|---|---|---|---|---|")
worst = 9.0
for k, d in sorted(runs.items()):
    if "default" not in d or "cand" not in d:
        continue
    st, o = d.get("stock"), d.get("oracle")
    og = math.log(st / o) if st and o and o < 0.98 * st else None
    cells = []
    for n in ("default", "cand"):
        m = d[n]
        if st:
            cells.append(f"{st / m:.2f}x" + (f" ({math.log(st / m) / og:.2f})" if og else ""))
        else:
            cells.append(f"{1e3 * m:.1f} ms")
    rel = d["default"] / d["cand"]
    worst = min(worst, rel)
    stc = f"{1e3 * st:.1f}" if st else "-"
    oc = f"{st / o:.2f}x" if st and o else "-"
    print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]:g} | {stc} | " + " | ".join(cells) + f" | {oc} | {rel:.3f} |")
print(f"\nworst default / cand: {worst:.3f}")
