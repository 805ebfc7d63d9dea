# ruff: noqa  (diagnostic script of the 2026-12-04 fidelity re-check: the verification script for window W, run from a dir with W -> results/W; kept as run)
# per-call legs, real (H window, order-matched) vs simulated (H calibration): ms
import json, statistics as st, sys, argparse
sys.path.insert(0, sys.argv[1])
from vllm_nexus.sim import cli as simcli
from vllm_nexus.sim.engine import Simulator
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.models import get_model
HW = sys.argv[2]
FAM = {'mr': ('30', '6000'), 'ag': ('20', '7000')}
def pct(xs,q): xs=sorted(xs); return xs[min(len(xs)-1,int(q*len(xs)))]
f=lambda xs: f"{1e3*st.mean(xs):.1f}/{1e3*pct(xs,.5):.1f}/{1e3*pct(xs,.9):.1f}"
print('| run | sched | rate | outside real: in(intended->add) / out(fin->end), mean/p50/p90 | sim in / out | engine add->fin real / sim mean | per-call total real / sim mean |')
print('|---|---|---|---|---|---|---|')
for fam in ('mr','ag'):
  progs, seed = FAM[fam]
  for s in ('stock-fcfs','vllm_nexus'):
    real=json.load(open(f'W/{fam}/real/{s}/rep0/result.json'))
    rows=[json.loads(l) for l in open(f'W/{fam}/steps/{s}-rep0.jsonl')]
    for run in real['runs']:
        t0,t1=run['wall_clock']; rate=run['rate']
        calls=[(p,c) for p in run['programs'] for c in p['calls']]
        n=len(calls)
        adds=sorted(r['t']-t0 for r in rows if 'add' in r and t0<=r['t'])[:n]
        fins=sorted(r['t']-t0 for r in rows if 'fin' in r and t0<=r['t'])[:n]
        intended=sorted((p['arrival_s'] if not c['after'] else c['ready_s']) + 0 for p,c in calls)
        # think time: intended send = ready + think*0.3; ready->send in real includes it; use send - lag: approximate intended by trace think
        ends=sorted(c['end_s'] for p,c in calls)
        ap = argparse.ArgumentParser(); simcli.add_arguments(ap)
        a = ap.parse_args(['--trace', f'W/{fam}/trace.jsonl','--programs',progs,'--sweep-rates',f'{rate:g}','--seed',seed,'--arrival-cv','1.0','--think-scale','0.3','--hardware',HW,'--model','tiny','--scheduler',s,'--max-num-seqs','8','--max-model-len','4096'])
        hw, model, scheds, add = simcli._engine_inputs(a)
        (r_, programs), = simcli.load_runs(a, [rate])
        spec = simcli._engine_spec(a, hw, model, s, add)
        res = Simulator(spec, seed=a.seed).run(programs, think_scale=0.3)
        sin=[c.arrival_s-c.send_s for c in res.calls]
        # sim egress = 0 beyond FIFO (finish_s is after the FIFO); engine = finish - arrival
        seng=[c.finish_s-c.arrival_s for c in res.calls]
        ring=[a-b for a,b in zip(adds,[c['send_s'] for p,c in sorted(calls,key=lambda x:x[1]['send_s'])])]
        reg=[a-b for a,b in zip(ends,fins)]
        reng=st.mean(fins)-st.mean(adds)
        rtot=st.mean([c['end_s']-c['send_s'] for p,c in calls]); stot=st.mean([c.finish_s-c.send_s for c in res.calls])
        print(f"| {fam} | {s} | {rate:g} | {f(ring)} / {f(reg)} | {f(sin)} / 0 | {1e3*reng:.0f} / {1e3*st.mean(seng):.0f} | {1e3*rtot:.0f} / {1e3*stot:.0f} |", flush=True)
