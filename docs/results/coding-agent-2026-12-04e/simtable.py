"""Default vs candidate(s) from examples/policy_sim.py --json lines.

usage: simtable.py FILE.jsonl [...] --cands nopre,cf32
Per (setting, workload): geo-mean over runs (seeds x rates) of stock / scheduler for the
default and each candidate, the candidate / default geo-mean and its worst single run; with
an `oracle` row, each scheduler's share of the oracle's log gain (mean over runs).
"""
import argparse
import json
import math
from collections import defaultdict

p = argparse.ArgumentParser()
p.add_argument("files", nargs="+")
p.add_argument("--cands", required=True)
a = p.parse_args()
cands = a.cands.split(",")
runs = defaultdict(dict)
for f in a.files:
    for line in open(f):
        r = json.loads(line)
        runs[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
cells = defaultdict(lambda: defaultdict(list))
for (st, w, _seed, _rate), rows in runs.items():
    if "stock" not in rows or "default" not in rows:
        continue
    for s in ["default", *cands]:
        if s in rows:
            cells[(st, w)][s].append(rows["stock"] / rows[s])
            if s != "default":
                cells[(st, w)][s + "/d"].append(rows["default"] / rows[s])
    if "oracle" in rows and rows["oracle"] < rows["stock"] * 0.98:
        lo = math.log(rows["stock"] / rows["oracle"])
        for s in ["default", *cands]:
            if s in rows:
                cells[(st, w)][s + "@share"].append(math.log(rows["stock"] / rows[s]) / lo)


def geo(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


head = "| setting | workload | runs | default vs stock | " + " | ".join(
    f"{c} vs stock | {c} / default (worst run)" for c in cands) + " |"
print(head)
print("|---" * (3 + 1 + 2 * len(cands)) + "|")
allratio = defaultdict(list)
for (st, w) in sorted(cells):
    c = cells[(st, w)]
    d = c["default"]
    sh = c.get("default@share")
    line = f"| {st} | {w} | {len(d)} | {geo(d):.3f}x" + (f" ({sum(sh) / len(sh):.2f})" if sh else "")
    for k in cands:
        if not c.get(k):
            line += " | - | -"
            continue
        s2 = c.get(k + "@share")
        line += f" | {geo(c[k]):.3f}x" + (f" ({sum(s2) / len(s2):.2f})" if s2 else "")
        line += f" | {geo(c[k + '/d']):.3f} ({min(c[k + '/d']):.3f})"
        allratio[(st, k)].extend(c[k + "/d"])
    print(line + " |")
print()
for (st, k), xs in sorted(allratio.items()):
    print(f"{st}: {k} / default geo-mean {geo(xs):.4f} over {len(xs)} runs, worst {min(xs):.3f}")
