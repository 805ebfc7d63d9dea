# ruff: noqa
"""Score candidatePV.sh's simulations (/tmp/pv/X/{ca,mr}/) against each committed window's real medians (noise.py's cells), W's pre-registered rule: C gives the verdict if the total is >= 105. usage: python3 scoreC.py ROOT X...   (ROOT: /tmp/pv)"""
import importlib.util, json, statistics, sys
from pathlib import Path
ARGV = sys.argv[:]; sys.argv = sys.argv[:1]
spec = importlib.util.spec_from_file_location('noise', '/work/main/docs/results/noise-2026-12-06/noise.py')
noise = importlib.util.module_from_spec(spec); spec.loader.exec_module(noise)
ROOT = ARGV[1]; V = 'C'
tot = 0
for W in ARGV[2:]:
    cells, _, n = noise.window(W)
    sim = {}
    for fam in ('ca', 'mr'):
        for s in ('stock-fcfs', 'vllm_nexus'):
            p = Path(f'{ROOT}/{W}/{fam}/{s}/result.json')
            if not p.exists():
                continue
            for rate, runs in noise.by_rate(p).items():
                for stat in ('mean', 'p95'):
                    sim[f'{fam} {s} {rate:g} {stat}'] = 1e3 * statistics.mean(x[stat] for x in runs)
    rs = [sim[nm] / statistics.median(v) for nm, v in cells if nm in sim]
    k = sum(0.75 <= r <= 1.25 for r in rs)
    tot += k
    miss = [f'{nm} {sim[nm] / statistics.median(v):.2f}' for nm, v in cells if nm in sim and not 0.75 <= sim[nm] / statistics.median(v) <= 1.25]
    print(f'{V} {W}: {k}/{len(rs)}  ratios {min(rs):.2f}-{max(rs):.2f}  mean|ln| {statistics.mean(abs(__import__("math").log(r)) for r in rs):.3f}  misses: {"; ".join(miss)}')
print(V, 'total', tot)
