"""share table: python share.py NEW.jsonl... (stock/oracle from policy-2026-12-03 sim rows)"""
import collections
import glob
import json
import math
import os
import sys

base = collections.defaultdict(dict)
for f in glob.glob(os.path.dirname(os.path.abspath(__file__)) + "/../policy-2026-12-03/sim/*.jsonl"):
    for line in open(f):
        r = json.loads(line)
        if r["scheduler"] in ("stock", "oracle"):
            base[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
rows = collections.defaultdict(dict)
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line)
        k = (r["setting"], r["workload"], r["seed"], r["rate"])
        rows[k][r["scheduler"]] = r["mean"]
        if r["scheduler"] in ("stock", "oracle"):
            base[k][r["scheduler"]] = r["mean"]
names = []
for d in rows.values():
    for n in d:
        if n not in names and n not in ("stock", "oracle"):
            names.append(n)
print("| preset | workload | seed | rate | stock | oracle | " + " | ".join(names) + " |")
print("|" + "---|" * (6 + len(names)))
for k in sorted(rows):
    st, o = base[k].get("stock"), base[k].get("oracle")
    og = math.log(st / o) if st and o and o < 0.98 * st else None
    cells = []
    for n in names:
        m = rows[k].get(n)
        if m is None:
            cells.append("-")
        elif st:
            cells.append(f"{1e3*m:.1f} {st/m:.2f}x" + (f" ({math.log(st/m)/og:.2f})" if og else ""))
        else:
            cells.append(f"{1e3*m:.1f}")
    ref = rows[k].get("nq10") or rows[k].get("default")
    print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]:g} | {1e3*st if st else float('nan'):.1f} | {1e3*o if o else float('nan'):.1f} | " + " | ".join(cells) + " |")
