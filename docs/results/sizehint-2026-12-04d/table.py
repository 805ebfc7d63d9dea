"""Tables from policy_sim JSON lines: per run (setting, workload, seed, rate) each scheduler's
mean program token latency (ms/token), ratio to stock and share of the SRPT oracle's log gain,
log(stock/x) / log(stock/oracle). Usage: python table.py FILE.jsonl... [--names a,b,c]"""

import json
import math
import sys

files = [a for a in sys.argv[1:] if not a.startswith("--")]
names = None
for a in sys.argv[1:]:
    if a.startswith("--names="):
        names = a.split("=", 1)[1].split(",")
runs: dict = {}
for f in files:
    for line in open(f):
        d = json.loads(line)
        key = (d["setting"], d["workload"], d["seed"], d["rate"])
        runs.setdefault(key, {})[d["scheduler"]] = d
cols = names or sorted({s for r in runs.values() for s in r} - {"stock", "oracle"})
print("| preset | workload | seed | rate | stock ms/tok | " + " | ".join(cols) + " | oracle |")
print("|---|---|---|---|---|" + "---|" * (len(cols) + 1))
for key in sorted(runs):
    r = runs[key]
    st, orc = r.get("stock"), r.get("oracle")
    cells = []
    for c in cols:
        x = r.get(c)
        if x is None or st is None:
            cells.append("-")
            continue
        ratio = st["mean"] / x["mean"]
        cell = f"{ratio:.2f}x"
        if orc is not None and orc["mean"] < st["mean"] * 0.98:
            cell += f" ({math.log(ratio) / math.log(st['mean'] / orc['mean']):.2f})"
        cells.append(cell)
    o = f"{st['mean'] / orc['mean']:.2f}x" if st and orc else "-"
    s = f"{st['mean'] * 1e3:.1f}" if st else "-"
    print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]:g} | {s} | " + " | ".join(cells) + f" | {o} |")
