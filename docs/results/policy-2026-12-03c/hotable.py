"""Held-out table: default vs cand, stock/oracle from earlier deterministic rows when not re-run.

python docs/results/policy-2026-12-03b/hotable.py NEW.jsonl... -- OLD.jsonl...
"""

import collections
import json
import math
import sys

args = sys.argv[1:]
cut = args.index("--")
new = [json.loads(x) for f in args[:cut] for x in open(f) if x.strip()]
old = [json.loads(x) for f in args[cut + 1 :] for x in open(f) if x.strip()]
runs = collections.defaultdict(dict)
for r in old:
    if r["scheduler"] in ("stock", "oracle"):
        runs[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
for r in new:
    runs[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
fam = collections.defaultdict(lambda: collections.defaultdict(list))
worst = {}
print("| preset | workload | seed | rate | stock ms/tok | default | cand | oracle | cand/default |")
print("|---|---|---|---|---|---|---|---|---|")
for k, d in sorted(runs.items()):
    if "default" not in d or "cand" not in d:
        continue
    st, o = d.get("stock"), d.get("oracle")
    og = math.log(st / o) if st and o and o < 0.98 * st else None
    cells = []
    for n in ("default", "cand"):
        if st:
            g = math.log(st / d[n])
            fam[k[:2]][n].append(g)
            cells.append(f"{st / d[n]:.2f}x" + (f" ({g / og:.2f})" if og else ""))
        else:
            cells.append(f"{1e3 * d[n]:.1f} ms")
    if og:
        fam[k[:2]]["oracle"].append(og)
    rel = d["default"] / d["cand"]
    worst[k[:2]] = min(worst.get(k[:2], 9), rel)
    print(
        f"| {k[0]} | {k[1]} | {k[2]} | {k[3]:g} | {1e3 * st:.1f} | "
        if st
        else f"| {k[0]} | {k[1]} | {k[2]} | {k[3]:g} | - | ",
        end="",
    )
    print(
        " | ".join(cells) + f" | {st / o:.2f}x | " if o and st else " | ".join(cells) + " | - | ",
        end="",
    )
    print(f"{rel:.3f} |")
print(
    "\n| preset, family (geo-mean over runs) | default | cand | oracle | worst cand/default run |"
)
print("|---|---|---|---|---|")
for k, d in sorted(fam.items()):
    o = d.get("oracle")
    om = sum(o) / len(o) if o and len(o) == len(d["default"]) else None
    cells = []
    for n in ("default", "cand"):
        m = sum(d[n]) / len(d[n])
        cells.append(f"{math.exp(m):.2f}x" + (f" ({m / om:.2f})" if om else ""))
    print(
        f"| {k[0]} {k[1]} | " + " | ".join(cells) + f" | {math.exp(om):.2f}x | "
        if om
        else f"| {k[0]} {k[1]} | " + " | ".join(cells) + " | - | ",
        end="",
    )
    print(f"{worst[k]:.3f} |")
