# ruff: noqa  (verification script of the 2026-12-04 fidelity re-check, run from a dir holding window H unpacked as H/<mr|ag>/...; kept as run)
import json, statistics as st
def pct(xs,q): xs=sorted(xs); return xs[min(len(xs)-1,int(q*len(xs)))] if xs else 0
for fam in ('mr','ag'):
  for s in ('stock-fcfs','vllm_nexus'):
    real=json.load(open(f'H/{fam}/real/{s}/rep0/result.json'))
    rows=[json.loads(l) for l in open(f'H/{fam}/steps/{s}-rep0.jsonl')]
    for run in real['runs']:
        t0,t1=run['wall_clock']
        live=0; steps=0; span=0.0; gaps=[]; last_end=None; frozen=None; cur=None
        for r in rows:
            if 'add' in r:
                live+=1
                if frozen is None: frozen=live-1
            elif 'fin' in r: live-=1
            elif 'step' in r:
                if t0<=r['t']<=t1 and last_end is not None:
                    lv = frozen if frozen is not None else live
                    if lv>0: gaps.append(r['t']-last_end)
                if t0<=r['t']<=t1: steps+=1
                cur=r['t']
            elif 'end' in r and cur is not None:
                if t0<=cur<=t1: span+=r['end']-cur
                last_end=r['end']; cur=None; frozen=None
        g=sum(gaps)
        print(f"{fam} {s} r{run['rate']:g}: steps {steps} in-step wall {span:.2f}s ({1e3*span/steps:.2f} ms/step) | gaps with live reqs: n {len(gaps)} sum {g:.2f}s mean {1e3*g/len(gaps):.2f} p50 {1e3*pct(gaps,.5):.2f} p99 {1e3*pct(gaps,.99):.1f} >5ms {sum(x for x in gaps if x>0.005):.2f}s >20ms {sum(x for x in gaps if x>0.02):.2f}s")
