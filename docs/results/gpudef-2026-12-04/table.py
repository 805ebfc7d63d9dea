"""Held-out table and the rule: python table.py ho-*.jsonl (stock, default, cand, oracle in the rows)."""

import collections
import json
import math
import sys

rows = collections.defaultdict(dict)
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line)
        rows[(r["setting"], r["workload"], r["seed"], r["rate"])][r["scheduler"]] = r
print("| preset | workload | seed | rate | stock ms/tok | default | **candidate** | oracle | default / cand |")
print("|---|---|---|---|---|---|---|---|---|")
ok = ok_b = True
for k in sorted(rows):
    d = rows[k]
    st, o = d["stock"]["mean"], d["oracle"]["mean"]
    og = math.log(st / o)

    def cell(n, d=d, st=st, og=og):
        m = d[n]["mean"]
        return f"{st / m:.2f}x ({math.log(st / m) / og:.2f})", math.log(st / m) / og

    dc, ds = cell("default")
    cc, cs = cell("cand")
    rel = d["default"]["mean"] / d["cand"]["mean"]
    ok &= cs >= 0.75
    if k[1] != "coding-agent":
        ok_b &= cs >= 0.75
    ok_b &= rel >= 0.99
    print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]:g} | {1e3 * st:.1f} | {dc} | **{cc}** | {st / o:.2f}x | {rel:.3f} |")
print()
print(f"rule (candidate share >= 0.75 on every run): {'PASS' if ok else 'FAIL'}")
print(f"rule B (>= 0.75 on mixed/agentic/map-reduce, default/cand >= 0.99 everywhere): {'PASS' if ok_b else 'FAIL'}")
