"""The README's rules, mechanically. Ratios: default mean / variant mean (> 1: variant faster).

python decide.py candidate DEFAULTS.jsonl VARIANTS.jsonl [names...]   -> prints the rule-1 candidate or "none"
python decide.py guard MIN DEFAULTS.jsonl VARIANTS.jsonl NAME            -> rule 2 / 3b: exit 1 if any run < MIN
python decide.py burst DEFAULTS.jsonl VARIANTS.jsonl NAME                -> rule 3a on CPU mixed (20/40/s)
"""

import json
import math
import sys


def load(*paths):
    rows = {}
    for p in paths:
        for line in open(p):
            r = json.loads(line)
            rows.setdefault((r["setting"], r["workload"], r["seed"], r["rate"]), {})[r["scheduler"]] = r["mean"]
    return rows


def ratios(rows, name):
    return {k: v["default"] / v[name] for k, v in rows.items() if "default" in v and name in v}


def geo(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


cmd = sys.argv[1]
if cmd == "candidate":
    rows = load(sys.argv[2], sys.argv[3])
    names = sys.argv[4:]
    best = None
    for n in names:
        rs = ratios(rows, n)
        low = [x for (s, w, _, rate), x in rs.items() if w == "mixed" and rate in (4, 10)]
        burst = [x for (s, w, _, rate), x in rs.items() if w == "mixed" and rate in (20, 40)]
        g = geo(burst)
        ok = len(low) == 4 and len(burst) == 4 and min(low) >= 0.99
        print(f"{n}: low-rate min {min(low):.3f} ({'ok' if ok else 'fails'}), burst geo-mean {g:.3f}")
        if ok and (best is None or g > best[1]):
            best = (n, g)
    print("candidate:", best[0] if best and best[1] >= 1.03 else "none")
elif cmd == "guard":
    lo = float(sys.argv[2])
    rs = ratios(load(sys.argv[3], sys.argv[4]), sys.argv[5])
    bad = {k: round(x, 3) for k, x in rs.items() if x < lo}
    print(f"{len(rs)} runs, min {min(rs.values()):.3f}; below {lo}: {bad or 'none'}")
    sys.exit(1 if bad or not rs else 0)
elif cmd == "burst":
    rs = ratios(load(sys.argv[2], sys.argv[3]), sys.argv[4])
    burst = [x for (s, w, _, rate), x in rs.items() if s == "cpu" and w == "mixed" and rate in (20, 40)]
    low = [x for (s, w, _, rate), x in rs.items() if s == "cpu" and w == "mixed" and rate in (4, 10)]
    ok = geo(burst) >= 1.05 and min(burst) >= 0.99 and min(low) >= 0.99
    print(f"burst geo-mean {geo(burst):.3f} min {min(burst):.3f}; 4-10/s min {min(low):.3f}: {'met' if ok else 'not met'}")
    sys.exit(0 if ok else 1)
