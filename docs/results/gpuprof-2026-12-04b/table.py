"""Tables and the rule: python table.py [--cand NAME] rows.jsonl...

Rows: stock, default, oracle and the variants per run (setting, workload, seed, rate). Prints
per run the ratio to stock and the share of the oracle's log gain, default / variant, and
each variant's recompute share; then the tuning criterion T (or, with --cand, the held-out
rule R) per variant: (1) share >= 0.75 on every batch-bound mixed / agentic / map-reduce run,
(2) default / variant >= 0.99 on every run."""

import collections
import json
import math
import sys

args = sys.argv[1:]
only = None
if args and args[0] == "--cand":
    only, args = args[1], args[2:]
rows = collections.defaultdict(dict)
for f in args:
    for line in open(f):
        r = json.loads(line)
        rows[(r["setting"], r["workload"], r["seed"], float(r["rate"]))][r["scheduler"]] = r
base = {"stock", "default", "oracle"}
variants = sorted({n for d in rows.values() for n in d} - base)
if only:
    variants = [only]
head = "| setting | workload | seed | rate | stock ms/tok | oracle | default |"
head += "".join(f" **{v}** | default / {v} |" for v in variants)
head += " recompute: default |" + "".join(f" {v} |" for v in variants)
print(head)
print("|" + "---|" * (head.count("|") - 1))
ok1 = {v: [] for v in variants}
ok2 = {v: [] for v in variants}
incomplete = []
for k in sorted(rows):
    d = rows[k]
    if not base.union(variants) <= set(d):
        incomplete.append(k)
        continue
    st, o = d["stock"]["mean"], d["oracle"]["mean"]
    og = math.log(st / o)

    def share(n, d=d, st=st, og=og):
        return math.log(st / d[n]["mean"]) / og

    cells = [f"{st / o:.2f}x", f"{st / d['default']['mean']:.2f}x ({share('default'):.2f})"]
    for v in variants:
        s = share(v)
        rel = d["default"]["mean"] / d[v]["mean"]
        cells += [f"**{st / d[v]['mean']:.2f}x ({s:.2f})**", f"{rel:.3f}"]
        if not k[0].endswith("-kv") and k[1] in ("mixed", "agentic", "map-reduce") and s < 0.75:
            ok1[v].append(f"{k[0]} {k[1]} s{k[2]} {s:.2f}")
        if rel < 0.99:
            ok2[v].append(f"{k[0]} {k[1]} s{k[2]} {rel:.3f}")
    rec = [f"{100 * d[n]['recompute_share']:.1f}%" for n in ["default", *variants]]
    print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]:g} | {1e3 * st:.1f} | " + " | ".join(cells + rec) + " |")
print()
if incomplete:
    print(f"INCOMPLETE runs (not judged): {incomplete}")
for v in variants:
    n = len(ok1[v]) + len(ok2[v])
    print(f"{v}: (1) share >= 0.75 on batch-bound mixed/agentic/map-reduce: "
          f"{'PASS' if not ok1[v] else 'FAIL ' + '; '.join(ok1[v])}")
    print(f"{v}: (2) default/{v} >= 0.99 everywhere: "
          f"{'PASS' if not ok2[v] else 'FAIL ' + '; '.join(ok2[v])}")
    print(f"{v}: {'PASS' if n == 0 else f'FAIL ({n} violations)'}")
