"""Candidate vs default per preset and family from policy_sim --json files: geo-mean of
default ms/token / candidate ms/token (>1: candidate faster), the worst run, and proactive
preemptions summed. Usage: python simtable.py FILE... [--cand gap2]"""

import json
import math
import sys
from collections import defaultdict

args = sys.argv[1:]
cands = ["gap2", "sz"]
rows = {}
for path in args:
    for line in open(path):
        r = json.loads(line)
        key = (path.split("/")[-1], r["setting"], r["workload"], r["seed"], r["rate"])
        rows.setdefault(key, {})[r["scheduler"]] = r


def geo(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


print(
    "| file | preset | family | runs | "
    + " | ".join(f"{c} vs default (geo, worst) | preemptions default / {c}" for c in cands)
    + " |"
)
print("|---|---|---|---|" + "---|---|" * len(cands))
per_preset = defaultdict(lambda: defaultdict(list))
groups = defaultdict(list)
for key, by in sorted(rows.items()):
    groups[key[:3]].append(by)
for (f, st, w), runs in sorted(groups.items()):
    cells = []
    for c in cands:
        rs = [b["default"]["mean"] / b[c]["mean"] for b in runs if c in b and "default" in b]
        per_preset[(f, st)][c] += rs
        pd = sum(b["default"]["proactive"] for b in runs)
        pc = sum(b[c]["proactive"] for b in runs if c in b)
        cells.append(f"{geo(rs):.3f}, {min(rs):.3f} | {pd} / {pc}")
    print(f"| {f} | {st} | {w} | {len(runs)} | " + " | ".join(cells) + " |")
for (f, st), d in sorted(per_preset.items()):
    print(
        f"{f} {st}: " + ", ".join(f"{c} geo {geo(v):.4f} worst {min(v):.3f}" for c, v in d.items())
    )
