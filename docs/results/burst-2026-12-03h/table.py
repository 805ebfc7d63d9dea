"""Ratio table from policy_sim.py JSON lines: default mean / variant mean per run (> 1: the
variant is faster), per-class means of `mixed` runs, and geo-means / minima per group.

python docs/results/burst-2026-12-03h/table.py [COND=]FILE.jsonl ...   (COND labels a condition)
"""

import json
import math
import sys
from collections import defaultdict

rows: dict[tuple, dict] = {}
for arg in sys.argv[1:]:
    cond, _, path = arg.rpartition("=")
    for line in open(path):
        r = json.loads(line)
        key = (cond, r["setting"], r["workload"], r["seed"], r["rate"])
        rows.setdefault(key, {})[r["scheduler"]] = r
names: list[str] = []
for v in rows.values():
    for n in v:
        if n not in names and n != "default":
            names.append(n)
print("| cond | setting | family | seed | rate | default ms/tok | " + " | ".join(names) + " |")
print("|---" * (6 + len(names)) + "|")
logs = defaultdict(list)
for key in sorted(rows):
    v = rows[key]
    if "default" not in v:
        continue
    d = v["default"]["mean"]
    cells = []
    for n in names:
        if n in v:
            ratio = d / v[n]["mean"]
            cells.append(f"{ratio:.3f}")
            burst = (key[4] >= 20) if key[2] == "mixed" and key[1] == "cpu" else None
            logs[(n, key[0], key[1], key[2], burst)].append(math.log(ratio))
        else:
            cells.append("")
    print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {key[4]} | {1e3 * d:.1f} | " + " | ".join(cells) + " |")
print()
for (n, cond, st, w, burst), ls in sorted(logs.items(), key=lambda x: str(x[0])):
    tag = "" if burst is None else (" (20-40/s)" if burst else " (4-10/s)")
    print(
        f"{n:8s} {cond:8s} {st:6s} {w}{tag}: geo-mean {math.exp(sum(ls) / len(ls)):.3f}"
        f"  min {math.exp(min(ls)):.3f}  n {len(ls)}"
    )
print()
print("per class (ms/token), mixed runs:")
for key in sorted(rows):
    if key[2] != "mixed":
        continue
    for n, r in rows[key].items():
        pk = " ".join(f"{k}={1e3 * x:.1f}" for k, x in sorted(r["per_kind"].items()))
        print(f"  {key}  {n:8s} {1e3 * r['mean']:7.1f}  [{pk}]  pre {r['proactive']} promo {r['promotions']}")
