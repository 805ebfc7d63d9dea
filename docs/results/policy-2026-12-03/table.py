"""Markdown rows from policy_sim.py --json lines: per run, each scheduler's ratio to stock and
its share of the oracle's log gain; then per (setting, workload) the geometric mean.

python docs/results/policy-2026-12-03/table.py FILE.jsonl ... [--names a,b,c]
"""

import collections
import json
import math
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--names=")]
names = next((a.split("=", 1)[1].split(",") for a in sys.argv[1:] if a.startswith("--names=")), None)
rows = [json.loads(line) for f in args for line in open(f) if line.strip()]
runs = collections.defaultdict(dict)
for r in rows:
    runs[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r
names = names or sorted({r["scheduler"] for r in rows} - {"stock", "oracle"})
if any("oracle" in d for d in runs.values()):
    names = names + ["oracle"]
print("| preset | workload | seed | rate | stock ms/tok | " + " | ".join(names) + " |")
print("|---|---|---|---|---|" + "---|" * len(names))
fam = collections.defaultdict(lambda: collections.defaultdict(list))
for key, d in sorted(runs.items()):
    st, o = d.get("stock"), d.get("oracle")
    if not st:
        continue
    og = math.log(st["mean"] / o["mean"]) if o and o["mean"] < 0.98 * st["mean"] else None
    cells = []
    for n in names:
        r = d.get(n)
        if r is None:
            cells.append("-")
            continue
        g = math.log(st["mean"] / r["mean"])
        fam[key[:2]][n].append(g)
        if n == "oracle":
            fam[key[:2]]["_og"].append(og if og else 0.0)
        share = f" ({g / og:.2f})" if og and n != "oracle" else ""
        rc = r["recompute_share"]
        cells.append(f"{math.exp(g):.2f}x{share}" + (f", rc {100 * rc:.0f}%" if rc >= 0.005 else ""))
    print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]:g} | {st['mean'] * 1e3:.1f} | " + " | ".join(cells) + " |")
print()
print("| preset, workload (geo-mean) | " + " | ".join(names) + " |")
print("|---|" + "---|" * len(names))
for key, d in sorted(fam.items()):
    og = d.get("oracle")
    mo = sum(og) / len(og) if og else None
    cells = []
    for n in names:
        g = d.get(n)
        if not g:
            cells.append("-")
            continue
        m = sum(g) / len(g)
        share = f" ({m / mo:.2f})" if mo and mo > 0.02 and n != "oracle" else ""
        cells.append(f"{math.exp(m):.2f}x{share}")
    print(f"| {key[0]} {key[1]} | " + " | ".join(cells) + " |")
