# ruff: noqa
"""Window X's noise-floor reading (pre-registered in ../README.md, reading 2): per cell, the
chance that a perfect predictor lands within 25% of the median of X's repetitions (the
bootstrap of ../../noise-2026-12-06/noise.py: 20,000 draws of X's repetition indices, seed 0),
and the chance of at most the registered predictor's number of cells in, were it perfect.
usage: python3 floorX.py [SIMSUB]   (SIMSUB default sim-alone: the registered midpoint profile)"""
import importlib.util, random, statistics, sys
from pathlib import Path
sub = sys.argv[1] if len(sys.argv) > 1 else 'sim-alone'
sys.argv = sys.argv[:1]  # noise.py reads its own argv on import

spec = importlib.util.spec_from_file_location(
    'noise', Path(__file__).resolve().parents[2] / 'noise-2026-12-06' / 'noise.py')
noise = importlib.util.module_from_spec(spec); spec.loader.exec_module(noise)
W = Path(__file__).resolve().parents[1] / 'X'
cells, sim, n = noise.window('X')
if sub != 'sim-alone':
    sim = {}
    for fam in ('ca', 'mr'):
        for s in ('stock-fcfs', 'vllm_nexus'):
            p = sorted((W / fam / sub / s).glob('result.json*'))
            for rate, runs in noise.by_rate(p[0]).items():
                for stat in ('mean', 'p95'):
                    sim[f'{fam} {s} {rate:g} {stat}'] = 1e3 * statistics.mean(x[stat] for x in runs)
mean_in, p_all, pc = noise.bootstrap(cells, n, random.Random(0))
print(f'| cell | real reps (ms/token) | median | sim ({sub}) | sim / median | P(perfect in) |')
print('|---|---|---|---|---|---|')
k = 0
for (nm, v), p in zip(cells, pc):
    med = statistics.median(v); ok = noise.within(sim[nm], med); k += ok
    print(f'| {nm} | {" / ".join(f"{x:.1f}" for x in v)} | {med:.1f} | {sim[nm]:.1f} | '
          f'{sim[nm] / med:.2f}{"" if ok else " **miss**"} | {p:.2f} |')
print()
print(f'- repetitions {n}; {sub}: {k} of {len(cells)} cells within 25%')
print(f'- perfect predictor: expected cells in {sum(pc):.1f}, P(all 16 in) {p_all:.2f}')
print(f'- P(at most {k} cells in | perfect predictor, cells independent) = {noise.at_most(pc, k):.3f}; '
      f'consistent with the floor (pre-registered rule, >= 0.05): {"yes" if noise.at_most(pc, k) >= 0.05 else "no"}')
