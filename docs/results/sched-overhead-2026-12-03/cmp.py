# ruff: noqa  (a throw-away measurement script, kept as run)
import json, sys, math, collections
for f in sys.argv[1:]:
    rows = [json.loads(l) for l in open(f)]
    by = {}
    for r in rows:
        by[(r["workload"], r["seed"], r["rate"], r["scheduler"])] = r
    keys = sorted({k[:3] for k in by}, key=str)
    fam = collections.defaultdict(lambda: collections.defaultdict(list))
    diff = 0
    print(f"== {f}")
    for k in keys:
        st = by.get(k + ("stock",)); p = by.get(k + ("plas",)); l = by.get(k + ("lvl",))
        if not (st and p and l): continue
        rp, rl = st["mean"] / p["mean"], st["mean"] / l["mean"]
        fam[k[0]]["plas"].append(rp); fam[k[0]]["lvl"].append(rl)
        same = p["mean"] == l["mean"] and p["proactive"] == l["proactive"]
        if not same:
            diff += 1
            print(f"  {k}: plas {rp:.3f}x (pre {p['proactive']}, rc {100*p['recompute_share']:.1f}%) lvl {rl:.3f}x (pre {l['proactive']}, rc {100*l['recompute_share']:.1f}%)  p95 {p['p95']*1e3:.1f}/{l['p95']*1e3:.1f}")
    print(f"  runs differing: {diff} of {len(keys)}")
    for w, d in fam.items():
        g = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
        print(f"  {w:12s} geo-mean plas {g(d['plas']):.3f}x  lvl {g(d['lvl']):.3f}x  ({len(d['plas'])} runs)")
