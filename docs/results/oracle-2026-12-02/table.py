"""Throw-away: per-cell ratio to stock and share of the oracle's log gain from policy_sim JSON lines.

python docs/results/oracle-2026-12-02/table.py FILE... [--oracle-from FILE...]
Rows keyed by (setting, workload, seed, rate); stock and oracle may come from any file given.
"""

import json
import math
import sys

files = sys.argv[1:]
rows = {}
for f in files:
    for line in open(f):
        r = json.loads(line)
        key = (r["setting"], r["workload"], r["seed"], r["rate"])
        name = r["scheduler"]
        if f.split("/")[-1].startswith("hint") and name == "oracle":
            name = "hint" + f.split("/")[-1][4:].split("-")[0]
        rows.setdefault(key, {})[name] = r["mean"]
names = []
for v in rows.values():
    for n in v:
        if n not in names:
            names.append(n)
print(
    "| preset | workload | seed | rate | stock ms/tok | "
    + " | ".join(n for n in names if n != "stock")
    + " |"
)
print("|---" * (5 + len(names) - 1) + "|")
for key in sorted(rows):
    v = rows[key]
    st, orc = v.get("stock"), v.get("oracle")
    cells = []
    for n in names:
        if n == "stock":
            continue
        if n not in v or st is None:
            cells.append("-")
            continue
        ratio = st / v[n]
        share = (
            math.log(ratio) / math.log(st / orc)
            if orc and orc < 0.98 * st and n != "oracle"
            else None
        )
        cells.append(f"{ratio:.2f}x" + (f" ({share:.2f})" if share is not None else ""))
    print(
        f"| {key[0]} | {key[1]} | {key[2]} | {key[3]:g} | {1e3 * st:.1f} | "
        + " | ".join(cells)
        + " |"
        if st
        else f"| {key} | no stock |"
    )
