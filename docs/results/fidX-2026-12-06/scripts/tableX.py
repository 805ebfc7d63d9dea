# ruff: noqa
"""Cells of window X (pre-registered in ../README.md): the real value of a cell is the MEDIAN over
its repetitions of each repetition's mean / P95 program token latency (primary); the mean over
repetitions and the mean over the first two repetitions (windows I-K's rule) are reported beside it.
A cell is within 25% if 0.75 <= sim / real <= 1.25. Overload cells: ca 12/s, mr 12/s.
usage: python tableX.py WINDOW_DIR [SIMSUB]   (SIMSUB default sim-alone, under {ca,mr}/)"""
import gzip, json, math, statistics, sys
from pathlib import Path
W = Path(sys.argv[1]); S = sys.argv[2] if len(sys.argv) > 2 else 'sim-alone'
OVER = {'ca': 12.0, 'mr': 12.0}
RULES = {'median': statistics.median, 'mean': statistics.mean, 'first-2 mean': lambda v: statistics.mean(v[:2])}
def load(p):
    return json.load(gzip.open(p) if str(p).endswith('.gz') else open(p))
def runs(p):
    out = {}
    for r in load(p)['runs']:
        out.setdefault(float(r['rate']), []).append(r['summary']['program_token_latency_s'])
    return out
tally = {k: [0, 0, [0, 0], []] for k in RULES}
print("| family | scheduler | rate | stat | real reps (ms/token, in repetition order) | real median | real mean | sim | sim / median | sim / mean | sim / first-2 mean |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for fam in ('ca', 'mr'):
    for s in ('stock-fcfs', 'vllm_nexus'):
        reps = sorted((W / fam / 'real' / s).glob('rep*/result.json*'), key=lambda p: int(p.parent.name[3:]))
        real = [runs(p) for p in reps]
        simp = sorted((W / fam / S / s).glob('result.json*'))
        if not real or not simp:
            print(f"| {fam} | {s} | missing | | | | | | | | |"); continue
        sim = runs(simp[0])
        for rate in sorted(sim):
            for stat in ('mean', 'p95'):
                vals = [1e3 * r[rate][0][stat] for r in real if rate in r]
                sv = 1e3 * statistics.mean(x[stat] for x in sim[rate])
                qs = {}
                for k, f in RULES.items():
                    q = sv / f(vals); ok = 0.75 <= q <= 1.25; qs[k] = f"{q:.2f}{'' if ok else ' **miss**'}"
                    t = tally[k]; t[0] += ok; t[1] += 1; t[3].append(q)
                    if rate == OVER[fam]: t[2][0] += ok; t[2][1] += 1
                print(f"| {fam} | {s} | {rate:g} | {stat} | {' / '.join(f'{v:.1f}' for v in vals)} | "
                      f"{statistics.median(vals):.1f} | {statistics.mean(vals):.1f} | {sv:.1f} | "
                      f"{qs['median']} | {qs['mean']} | {qs['first-2 mean']} |")
print()
for k, (met, n, over, qs) in tally.items():
    if n:
        print(f"- real value = {k}: within 25% {met}/{n} cells; overload {over[0]}/{over[1]}; ratios "
              f"{min(qs):.2f}-{max(qs):.2f}; mean |ln ratio| {sum(abs(math.log(q)) for q in qs) / len(qs):.3f}")
