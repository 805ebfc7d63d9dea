# ruff: noqa  (diagnostic script of the 2026-12-04 fidelity re-check: the verification script for window W, run from a dir with W -> results/W; kept as run)
import json, sys
sys.path.insert(0, sys.argv[1])
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
hw=get_hardware('W/calibration.json'); lat=StepLatencyModel(hw,get_model('tiny'))
for fam in ('mr','ag'):
  for s in ('stock-fcfs','vllm_nexus'):
    real=json.load(open(f'W/{fam}/real/{s}/rep0/result.json'))
    rows=[json.loads(l) for l in open(f'W/{fam}/steps/{s}-rep0.jsonl')]
    st_rows=[r for r in rows if 'step' in r or 'end' in r]
    for run in real['runs']:
        t0,t1=run['wall_clock']
        A=B=C=D=0.0; byn={}
        for i,r in enumerate(st_rows):
            if 'step' in r and t0<=r['t']<=t1 and i+1<len(st_rows) and 'end' in st_rows[i+1]:
                e=st_rows[i+1]['end']
                nxt=st_rows[i+2]['t'] if i+2<len(st_rows) and 'step' in st_rows[i+2] and st_rows[i+2]['t']-e<0.02 else e
                dt=nxt-r['t']; m=lat.step_time(*r['step']); n=r['n']
                A+=n*dt; B+=n*m; C+=dt; D+=m
                k=min(n,9); x=byn.setdefault(k,[0,0,0]); x[0]+=dt; x[1]+=m; x[2]+=1
        print(f"{fam} {s} r{run['rate']:g}: n-weighted wall/model {A/B:.2f}, unweighted {C/D:.2f} | by n: " + ' '.join(f"{k}:{v[0]/v[1]:.2f}({v[2]})" for k,v in sorted(byn.items())))
