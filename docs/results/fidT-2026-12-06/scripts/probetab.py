# ruff: noqa
"""Post hoc tally that chose window T's predictor: the probe-rescaled prediction that `simulate fidelity`
prints beside the profile-alone one (section "Probe-rescaled prediction: `program_token_latency_s`"
of each family's fidelity.md) against the MEDIAN of the real repetitions, as the windows' tables
count. usage: python3 probetab.py WINDOW_DIR...   (e.g. ../../fidP-2026-12-05h/P)"""
import gzip, json, math, statistics, sys, re
from pathlib import Path
def load(p): return json.load(gzip.open(p) if str(p).endswith('.gz') else open(p))
for W in sys.argv[1:]:
    W = Path(W); ok = n = 0; over = [0,0]; lns=[]
    for fam in ('ca','mr'):
        md = (W/fam/'fidelity.md').read_text()
        sec = md.split('#### Probe-rescaled prediction: `program_token_latency_s`')[1].split('####')[0]
        sims = {}
        for line in sec.splitlines():
            c = [x.strip() for x in line.strip('|').split('|')]
            if len(c) == 9 and c[0] in ('stock-fcfs','vllm_nexus'):
                sims[(c[0], float(c[1]))] = (float(c[4]), float(c[7]))
        for s in ('stock-fcfs','vllm_nexus'):
            reps = sorted((W/fam/'real'/s).glob('rep*/result.json*'))
            real = {}
            for p in reps:
                for r in load(p)['runs']:
                    real.setdefault(float(r['rate']), []).append(r['summary']['program_token_latency_s'])
            for rate, lst in sorted(real.items()):
                for i, stat in enumerate(('mean','p95')):
                    med = statistics.median(1e3*x[0][stat] if isinstance(x, list) else 1e3*x[stat] for x in lst)
                    q = sims[(s, rate)][i]/med; good = 0.75 <= q <= 1.25
                    ok += good; n += 1; lns.append(abs(math.log(q)))
                    if rate == 12: over[0]+=good; over[1]+=1
                    print(W.name, fam, s, rate, stat, f"{med:.1f}", sims[(s,rate)][i], f"{q:.2f}", "" if good else "MISS")
    print(f"== {W}: probe-rescaled vs median {ok}/{n}, overload {over}, mean|ln| {sum(lns)/len(lns):.3f}")
