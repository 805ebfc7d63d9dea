"""rel.py REF jsonl...: per run, REF mean / variant mean (>1: variant faster); worst per variant"""
import collections
import json
import sys

ref = sys.argv[1]
rows = collections.defaultdict(dict)
for f in sys.argv[2:]:
    for line in open(f):
        r = json.loads(line)
        rows[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
worst = {}
for k in sorted(rows):
    d = rows[k]
    if ref not in d:
        continue
    cells = []
    for n, m in d.items():
        if n in (ref, "stock", "oracle"):
            continue
        x = d[ref] / m
        cells.append(f"{n} {x:.3f}")
        if x < worst.get(n, (9, None))[0]:
            worst[n] = (x, k)
    print(*k, f"{ref} {1e3*d[ref]:.1f}", " ".join(cells))
print("worst:", {n: (round(x, 3), k) for n, (x, k) in worst.items()})
