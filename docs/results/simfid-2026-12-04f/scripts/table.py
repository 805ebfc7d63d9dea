# ruff: noqa
"""Cells of window F: real (mean over repetitions of each repetition's mean / P95 program
token latency) vs a simulation dir per family. usage: python table.py F LABEL DIR_ca DIR_mr
(DIR_x: a directory holding <sched>/result.json, e.g. F/ca/sim or F/ca/side-committed)"""
import json, sys
from pathlib import Path
F, label, dirs = Path(sys.argv[1]), sys.argv[2], dict(zip(('ca', 'mr'), sys.argv[3:5]))
def runs(p):
    return {float(r['rate']): r['summary']['program_token_latency_s'] for r in json.load(open(p))['runs']}
rows, met, over = [], 0, [0, 0]
print(f"#### {label}\n\n| family | scheduler | rate | real mean (reps) | sim mean | ratio | real P95 (reps) | sim P95 | ratio |\n|---|---|---|---|---|---|---|---|---|")
for fam, d in dirs.items():
    for s in ('stock-fcfs', 'vllm_nexus'):
        reps = sorted((F / fam / 'real' / s).glob('rep*/result.json'))
        real = [runs(p) for p in reps]
        sim = runs(Path(d) / s / 'result.json')
        for rate in sorted(sim):
            cells = []
            for k in ('mean', 'p95'):
                vals = [1e3 * r[rate][k] for r in real]
                rv = sum(vals) / len(vals); sv = 1e3 * sim[rate][k]; q = sv / rv
                ok = 0.75 <= q <= 1.25; met += ok
                overload = (fam == 'ca') or rate == 4.0
                if overload: over[0] += ok; over[1] += 1
                cells.append(f"{rv:.1f} ({' / '.join(f'{v:.1f}' for v in vals)}) | {sv:.1f} | {q:.2f}{'' if ok else ' **miss**'}")
            print(f"| {fam} | {s} | {rate:g} | " + ' | '.join(cells) + ' |')
print(f"\nwithin 25%: {met}/16 cells; overload cells (ca 12, ca 24, mr 4): {over[0]}/{over[1]}")
