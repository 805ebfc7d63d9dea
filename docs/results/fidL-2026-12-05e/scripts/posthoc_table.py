# ruff: noqa
"""Score a post-hoc variant on the recorded windows (each window's registered rule: real = mean over its
2 repetitions; within 25%). usage: python posthoc_table.py VARIANT_DIR   (from posthoc.sh)"""
import gzip, json, math, sys
from pathlib import Path
R = Path('/work/main/docs/results')
WIN = {'I': (R / 'simfid-2026-12-05b/I', ('ca', 'ag')), 'J': (R / 'simfid-J-2026-12-05b/J', ('ca', 'mr')),
       'H': (R / 'simfid-2026-12-05/H', ('ca', 'mr')), 'K': (R / 'simfid-speed-2026-12-05c/K', ('ca', 'mr'))}
V = Path(sys.argv[1])
def load(p): return json.load(gzip.open(p) if str(p).endswith('.gz') else open(p))
def runs(p):
    out = {}
    for r in load(p)['runs']: out.setdefault(float(r['rate']), []).append(r['summary']['program_token_latency_s'])
    return out
tot = [0, 0, 0, 0]
for w, (d, fams) in WIN.items():
    met = n = om = on = 0; qs = []
    for fam in fams:
        for s in ('stock-fcfs', 'vllm_nexus'):
            real = [runs(p) for p in sorted((d / fam / 'real' / s).glob('rep*/result.json*'))]
            sp = sorted((V / w / fam / s).glob('result.json*'))
            if not real or not sp: print(w, fam, s, 'missing'); continue
            sim = runs(sp[0]); top = max(sim)
            for rate in sorted(sim):
                for stat in ('mean', 'p95'):
                    vals = [r[rate][0][stat] for r in real if rate in r]
                    q = sum(x[stat] for x in sim[rate]) / len(sim[rate]) / (sum(vals) / len(vals))
                    ok = 0.75 <= q <= 1.25; met += ok; n += 1; qs.append(q)
                    if rate == top: om += ok; on += 1
    tot[0] += met; tot[1] += n; tot[2] += om; tot[3] += on
    print(f"- {w}: {met}/{n} within 25% (overload {om}/{on}); ratios {min(qs):.2f}-{max(qs):.2f}; mean |ln| {sum(abs(math.log(q)) for q in qs)/len(qs):.3f}")
print(f"- all: {tot[0]}/{tot[1]} (overload {tot[2]}/{tot[3]})")
