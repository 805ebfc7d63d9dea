# ruff: noqa
"""Cells of window K: real (mean over repetitions of each repetition's mean / P95 program token
latency) vs a prediction (mean over its simulated repetitions, if it has several).
usage: python tableK.py WINDOW_DIR SIMSUB LABEL   (SIMSUB: sim-alone or sim-speed under {ca,mr}/)
Overload cells: ca 12/s, mr 12/s."""
import gzip, json, math, sys
from pathlib import Path
W, S, label = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
OVER = {'ca': 12.0, 'mr': 12.0}
def load(p):
    return json.load(gzip.open(p) if str(p).endswith('.gz') else open(p))
def runs(p):
    out = {}
    for r in load(p)['runs']:
        out.setdefault(float(r['rate']), []).append(r['summary']['program_token_latency_s'])
    return out
met, over, ratios, n = 0, [0, 0], [], 0
print(f"#### {label}\n\n| family | scheduler | rate | real mean (reps) | sim mean | ratio | real P95 (reps) | sim P95 | ratio |\n|---|---|---|---|---|---|---|---|---|")
for fam in ('ca', 'mr'):
    for s in ('stock-fcfs', 'vllm_nexus'):
        real = [runs(p) for p in sorted((W / fam / 'real' / s).glob('rep*/result.json*'))]
        simp = sorted((W / fam / S / s).glob('result.json*'))
        if not real or not simp:
            print(f"| {fam} | {s} | missing | | | | | | |"); continue
        sim = runs(simp[0])
        for rate in sorted(sim):
            cells = []
            for stat in ('mean', 'p95'):
                vals = [1e3 * r[rate][0][stat] for r in real if rate in r]
                rv = sum(vals) / len(vals); sv = 1e3 * sum(x[stat] for x in sim[rate]) / len(sim[rate]); q = sv / rv
                ok = 0.75 <= q <= 1.25; met += ok; n += 1; ratios.append(q)
                if rate == OVER[fam]: over[0] += ok; over[1] += 1
                cells.append(f"{rv:.1f} ({' / '.join(f'{v:.1f}' for v in vals)}) | {sv:.1f} | {q:.2f}{'' if ok else ' **miss**'}")
            print(f"| {fam} | {s} | {rate:g} | " + " | ".join(cells) + " |")
print(f"\nwithin 25%: {met}/{n} cells; overload cells: {over[0]}/{over[1]}; ratios {min(ratios):.2f}-{max(ratios):.2f}; mean |ln ratio| {sum(abs(math.log(q)) for q in ratios)/len(ratios):.3f}")
