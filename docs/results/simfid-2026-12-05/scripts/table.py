# ruff: noqa
"""Cells of a window: real (mean over repetitions of each repetition's mean / P95 program token
latency) vs one simulation. usage: python table.py WINDOW_DIR SIM_DIR LABEL [OVERLOAD_MR_RATE [OVERLOAD_CA_RATES]]
WINDOW_DIR holds {ca,mr}/real/<sched>/rep*/result.json(.gz); SIM_DIR holds {ca,mr}/<sched>/result.json.
Prints the markdown table and a last line `COUNT within/16 overload within/n`."""
import gzip, json, sys
from pathlib import Path
W, S, label = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
mr_over = float(sys.argv[4]) if len(sys.argv) > 4 else 4.0
ca_over = [float(x) for x in sys.argv[5].split(',')] if len(sys.argv) > 5 else None
def load(p):
    return json.load(gzip.open(p) if str(p).endswith('.gz') else open(p))
def runs(p):
    return {float(r['rate']): r['summary']['program_token_latency_s'] for r in load(p)['runs']}
met, over, ratios = 0, [0, 0], []
print(f"#### {label}\n\n| family | scheduler | rate | real mean (reps) | sim mean | ratio | real P95 (reps) | sim P95 | ratio |\n|---|---|---|---|---|---|---|---|---|")
for fam in ('ca', 'mr'):
    for s in ('stock-fcfs', 'vllm_nexus'):
        reps = sorted((W / fam / 'real' / s).glob('rep*/result.json*'))
        real = [runs(p) for p in reps]
        sim = runs(S / fam / s / 'result.json')
        for rate in sorted(sim):
            cells = []
            for k in ('mean', 'p95'):
                vals = [1e3 * r[rate][k] for r in real]
                rv = sum(vals) / len(vals); sv = 1e3 * sim[rate][k]; q = sv / rv
                ok = 0.75 <= q <= 1.25; met += ok; ratios.append(q)
                overload = (rate == mr_over) if fam == 'mr' else (ca_over is None or rate in ca_over)
                if overload: over[0] += ok; over[1] += 1
                cells.append(f"{rv:.1f} ({' / '.join(f'{v:.1f}' for v in vals)}) | {sv:.1f} | {q:.2f}{'' if ok else ' **miss**'}")
            print(f"| {fam} | {s} | {rate:g} | " + ' | '.join(cells) + ' |')
import math
print(f"\nwithin 25%: {met}/16 cells; overload cells: {over[0]}/{over[1]}; ratios {min(ratios):.2f}-{max(ratios):.2f}; mean |ln ratio| {sum(abs(math.log(q)) for q in ratios)/len(ratios):.3f}")
