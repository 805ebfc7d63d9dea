"""Decision rule (a)-(d) of README.md on tuning rows: python check.py VARIANT tuning-*.jsonl"""

import collections
import glob
import json
import math
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
var = sys.argv[1]
base = collections.defaultdict(dict)
for f in glob.glob(here + "/../policy-2026-12-03/sim/*.jsonl"):
    for line in open(f):
        r = json.loads(line)
        if r["scheduler"] in ("stock", "oracle"):
            base[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
rows = collections.defaultdict(dict)
for f in sys.argv[2:]:
    for line in open(f):
        r = json.loads(line)
        rows[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r["mean"]
gpu = ("a100", "h100")


def share(k, m):
    st, o = base[k]["stock"], base[k]["oracle"]
    return math.log(st / m) / math.log(st / o)


ok = {"a": [], "b": [], "c": [], "d": []}
for k in sorted(rows):
    d = rows[k]
    if var not in d or "default" not in d:
        continue
    rel = d["default"] / d[var]  # > 1: the variant is faster
    if k[0] in gpu and k[1] == "agentic":
        s = share(k, d[var])
        ok["a"].append((s >= 0.75, f"{k} share {s:.3f} (default {share(k, d['default']):.3f})"))
    elif k[0] in gpu and k[1] == "mixed":
        refs = [d["default"]] + ([d["nq10"]] if "nq10" in d and var.startswith("n10") else [])
        good = d[var] <= min(refs)
        ok["b"].append((good, f"{k} {1e3 * d[var]:.2f} vs {[round(1e3 * x, 2) for x in refs]}, share {share(k, d[var]):.3f} (default {share(k, d['default']):.3f})"))
    elif k[0] in gpu and k[1] == "map-reduce":
        ok["c"].append((rel >= 0.99, f"{k} default/variant {rel:.3f}"))
    elif k[0] in ("cpu", "cpu-kv"):
        ok["d"].append((rel >= 0.99, f"{k} default/variant {rel:.3f}"))
for c, items in ok.items():
    bad = [t for g, t in items if not g]
    worst = min(items, key=lambda t: t[1]) if items else None
    print(f"({c}) {len(items)} runs, {'PASS' if items and not bad else 'FAIL' if bad else 'n/a'}")
    for g, t in items:
        if not g or c in "ab":
            print("   ", "ok " if g else "BAD", t)
    if c in "cd" and items:
        rels = sorted(float(t.rsplit(" ", 1)[1]) for _, t in items)
        print(f"    default/variant min {rels[0]:.3f} max {rels[-1]:.3f}")
