"""Ratio table from policy_sim.py JSON lines: default mean / variant mean per run (> 1: faster).

python docs/results/burst-2026-12-03d/table.py FILE.jsonl ...   (warm-up runs kept apart)
"""

import json
import math
import sys
from collections import defaultdict

rows = {}
for path in sys.argv[1:]:
    warm = "warm" in path
    for line in open(path):
        r = json.loads(line)
        key = (r["setting"], r["workload"], r["seed"], r["rate"], warm)
        rows.setdefault(key, {})[r["scheduler"]] = r
names = []
for v in rows.values():
    for n in v:
        if n not in names:
            names.append(n)
print(
    "| setting | family | seed | rate | warm | default ms/tok | "
    + " | ".join(f"{n}" for n in names if n != "default")
    + " |"
)
print("|---" * (6 + len(names) - 1) + "|")
logs = defaultdict(list)
for key in sorted(rows):
    v = rows[key]
    if "default" not in v:
        continue
    d = v["default"]["mean"]
    cells = []
    for n in names:
        if n == "default":
            continue
        if n in v:
            ratio = d / v[n]["mean"]
            cells.append(f"{ratio:.3f}")
            logs[(n, key[1], key[3] >= 20 if key[1] == "mixed" else None)].append(math.log(ratio))
        else:
            cells.append("")
    print(
        f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {'y' if key[4] else ''} | {1e3 * d:.1f} | "
        + " | ".join(cells)
        + " |"
    )
print()
for (n, w, burst), ls in sorted(logs.items(), key=lambda x: str(x[0])):
    tag = "" if burst is None else (" (20-40/s)" if burst else " (4-10/s)")
    print(
        f"{n:10s} {w}{tag}: geo-mean {math.exp(sum(ls) / len(ls)):.3f}  min {math.exp(min(ls)):.3f}  n {len(ls)}"
    )
