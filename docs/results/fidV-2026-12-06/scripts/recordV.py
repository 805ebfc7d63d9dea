# ruff: noqa
"""The midpoint's record on P-V against a perfect predictor (after window V; the P-U part is
../../noise-2026-12-06/noise.py's table, V's is floorV.py's): cells in, expected cells in for a
perfect predictor, and the chance of at most that many, were it perfect (cells independent).
usage: python3 recordV.py"""
import importlib.util, random, statistics
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    'noise', Path(__file__).resolve().parents[2] / 'noise-2026-12-06' / 'noise.py')
noise = importlib.util.module_from_spec(spec); spec.loader.exec_module(noise)
probs, hits, rows = [], 0, []
for letter in 'PQRSTUV':
    cells, sim, n = noise.window(letter)
    mid = sim if letter == 'V' else noise.midpoint(letter)  # V's sim-alone is the midpoint profile
    _, _, pc = noise.bootstrap(cells, n, random.Random(0))
    k = sum(noise.within(mid[nm], statistics.median(v)) for nm, v in cells)
    probs += pc; hits += k
    rows.append(f'| {letter} | {n} | {k} | {sum(pc):.1f} | {noise.at_most(pc, k):.3f} |')
print('| window | reps | midpoint: cells in | perfect: expected | P(<= that) |')
print('|---|---|---|---|---|')
print('\n'.join(rows))
print(f'| P-V | | {hits} of {len(probs)} | {sum(probs):.1f} | {noise.at_most(probs, hits):.3f} |')
