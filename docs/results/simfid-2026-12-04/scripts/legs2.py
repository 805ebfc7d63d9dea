# ruff: noqa  (verification script of the 2026-12-04 fidelity re-check, run from a dir holding window H unpacked as H/<mr|ag>/...; kept as run)
import json, statistics as st, sys
def pct(xs,q): xs=sorted(xs); return xs[min(len(xs)-1,int(q*len(xs)))]
for fam in ('mr','ag'):
  for s in ('stock-fcfs','vllm_nexus'):
    real=json.load(open(f'H/{fam}/real/{s}/rep0/result.json'))
    rows=[json.loads(l) for l in open(f'H/{fam}/steps/{s}-rep0.jsonl')]
    for run in real['runs']:
        t0,t1=run['wall_clock']
        adds=sorted(r['t']-t0 for r in rows if 'add' in r and t0<=r['t']<=t1+5)
        fins=sorted(r['t']-t0 for r in rows if 'fin' in r and t0<=r['t']<=t1+5)
        calls=[c for p in run['programs'] for c in p['calls']]
        sends=sorted(c['send_s'] for c in calls); ends=sorted(c['end_s'] for c in calls)
        intended=sorted([p['arrival_s'] for p in run['programs'] for c in p['calls'] if not c['after']]+[c['ready_s'] for p in run['programs'] for c in p['calls'] if c['after']])
        n=min(len(adds),len(sends))
        ing=[a-b for a,b in zip(adds,sends)]; eg=[a-b for a,b in zip(ends,fins)]
        f=lambda xs: f"mean {1e3*st.mean(xs):.1f} p50 {1e3*pct(xs,.5):.1f} p90 {1e3*pct(xs,.9):.1f} max {1e3*max(xs):.1f} min {1e3*min(xs):.1f}"
        print(f"{fam} {s} r{run['rate']:g} n {len(calls)}/{len(adds)}/{len(fins)} | ingress {f(ing)} | egress {f(eg)}")
