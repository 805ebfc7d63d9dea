"""The README's candidate choice, mechanised: reads policy_sim --json files (tuning seeds 0-1,
CPU preset, lats and mixed, cold and --warmup), prints the chosen candidate's scheduler
section as JSON (stdout) and the figures (stderr); exit 1 if none qualifies or rows are
missing. Usage: python choose.py t1.jsonl t1w.jsonl > cand.json"""

import json
import math
import sys

CANDS = {
    "sz": {"preemption_size_check": True},
    "gap2": {"preemption_min_level_gap": 2},
}
rows = {}
for i, path in enumerate(sys.argv[1:]):
    for line in open(path):
        r = json.loads(line)
        if r["setting"] == "cpu" and r["workload"] in ("lats", "mixed") and r["seed"] in (0, 1):
            rows[(i, r["workload"], r["seed"], r["rate"], r["scheduler"])] = r["mean"]
cells = sorted({k[:4] for k in rows})
if len(cells) != 16 or any((*c, s) not in rows for c in cells for s in ("default", *CANDS)):
    sys.exit(f"missing rows: {len(cells)} cells")
best, best_g = None, -1.0
for name in CANDS:
    ratios = {c: rows[(*c, "default")] / rows[(*c, name)] for c in cells}
    g = math.exp(sum(math.log(v) for v in ratios.values()) / len(ratios))
    mixed_min = min(v for c, v in ratios.items() if c[1] == "mixed")
    ok = mixed_min >= 0.98
    print(
        f"{name}: geo-mean vs default {g:.4f}, mixed min {mixed_min:.4f}, qualifies {ok}",
        file=sys.stderr,
    )
    for c, v in sorted(ratios.items()):
        print(f"  {'warm' if c[0] else 'cold'} {c[1]} s{c[2]} r{c[3]:g}: {v:.3f}", file=sys.stderr)
    if ok and g > best_g:
        best, best_g = name, g
if best is None:
    sys.exit("no candidate qualifies")
print(f"chosen: {best}", file=sys.stderr)
print(json.dumps(CANDS[best]))
