# ruff: noqa  (a throw-away measurement script, kept as run)
import json, sys, math, collections
# held-out: "plas" = this branch's default (recompute_ahead level), "better" = the old estimate
for f in sys.argv[1:]:
    rows = [json.loads(l) for l in open(f)]
    by = {(r["workload"], r["seed"], r["rate"], r["scheduler"]): r for r in rows}
    keys = sorted({k[:3] for k in by}, key=str)
    fam = collections.defaultdict(lambda: collections.defaultdict(list)); diff = n = 0
    print(f"== {f}")
    for k in keys:
        st, p, b = by.get(k + ("stock",)), by.get(k + ("plas",)), by.get(k + ("better",))
        if not (st and p and b): continue
        n += 1
        rp, rb = st["mean"] / p["mean"], st["mean"] / b["mean"]
        fam[k[0]]["level"].append(rp); fam[k[0]]["better"].append(rb)
        if not (p["mean"] == b["mean"] and p["proactive"] == b["proactive"]):
            diff += 1
            print(f"  {k}: level (default) {rp:.3f}x (pre {p['proactive']}, rc {100*p['recompute_share']:.1f}%) better {rb:.3f}x (pre {b['proactive']}, rc {100*b['recompute_share']:.1f}%)")
    print(f"  runs differing: {diff} of {n}")
    g = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
    for w, d in fam.items():
        print(f"  {w:12s} geo-mean level {g(d['level']):.3f}x  better {g(d['better']):.3f}x  ({len(d['level'])} runs)")
