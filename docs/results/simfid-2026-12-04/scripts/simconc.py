# ruff: noqa  (verification script of the 2026-12-04 fidelity re-check, run from a dir holding window H unpacked as H/<mr|ag>/...; kept as run)
import json, statistics as st, sys, argparse
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from vllm_nexus.sim import cli as simcli
from vllm_nexus.sim.engine import Simulator
from vllm_nexus.sim import replay as rp
HW = sys.argv[2]; only = sys.argv[3:] 
FAM = {'mr': ('30', '4000'), 'ag': ('20', '5000')}
print('| run | sched | rate | real Σn·dt s / sim | real Σn (req-steps incl waiting) / sim | real Σsched / sim | real mean n / sim | real e2e/call add->fin ms / sim engine-finish ms / sim incl FIFO |')
print('|---|---|---|---|---|---|---|---|')
for fam in ('mr','ag'):
  progs, seed = FAM[fam]
  for s in ('stock-fcfs','vllm_nexus'):
    real=json.load(open(f'H/{fam}/real/{s}/rep0/result.json'))
    rows=[json.loads(l) for l in open(f'H/{fam}/steps/{s}-rep0.jsonl')]
    for run in real['runs']:
        t0,t1=run['wall_clock']; rate=run['rate']
        if only and f'{fam}{rate:g}' not in only: continue
        # real: per step n, scheduled count, period (to next step if within 20ms else to end)
        st_rows=[r for r in rows if 'step' in r or 'end' in r]
        Sn=Sdt=Ss=0.0; cnt=0
        for i,r in enumerate(st_rows):
            if 'step' in r and t0<=r['t']<=t1 and i+1<len(st_rows):
                e=st_rows[i+1]['end'] if 'end' in st_rows[i+1] else None
                if e is None: continue
                nxt=st_rows[i+2]['t'] if i+2<len(st_rows) and 'step' in st_rows[i+2] and st_rows[i+2]['t']-e<0.02 else e
                dt=nxt-r['t']; Sn+=r['n']*dt; Ss+=r['step'][0]+r['step'][4]; Sdt+=r['n']; cnt+=1
        calls=sum(len(p['calls']) for p in run['programs'])
        adds={r['add']:r['t'] for r in rows if 'add' in r and t0<=r['t']<=t1}
        fins={r['fin']:r['t'] for r in rows if 'fin' in r}
        res_real=st.mean([fins[k]-v for k,v in adds.items() if k in fins])
        ap = argparse.ArgumentParser(); simcli.add_arguments(ap)
        a = ap.parse_args(['--trace', f'H/{fam}/trace.jsonl','--programs',progs,'--sweep-rates',f'{rate:g}','--seed',seed,'--arrival-cv','1.0','--think-scale','0.3','--hardware',HW,'--model','tiny','--scheduler',s,'--max-num-seqs','8','--max-model-len','4096'])
        hw, model, scheds, add = simcli._engine_inputs(a)
        (r_, programs), = simcli.load_runs(a, [rate])
        spec = simcli._engine_spec(a, hw, model, s, add)
        sim = Simulator(spec, seed=a.seed)
        acc={'Sn':0.0,'n':0,'s':0}; efin={}
        orig_step=rp.Replay.step; orig_deliver=rp.Replay._deliver
        def step(self, mx=None):
            n=len(self.sched.requests); t=self.clock.t; st0=self.steps
            r=orig_step(self, mx)
            if self.steps>st0:
                acc['Sn']+=n*(self.clock.t-t); acc['n']+=n
            return r
        def deliver(self, o):
            if o.finish_reason is not None: efin[o.request_id]=self.clock.t
            return orig_deliver(self, o)
        rp.Replay.step=step; rp.Replay._deliver=deliver
        res = sim.run(programs, think_scale=0.3)
        rp.Replay.step=orig_step; rp.Replay._deliver=orig_deliver
        recs={f'{c.program_id}/{c.call_id}':c for c in res.calls}
        se=st.mean([efin[k]-c.arrival_s for k,c in recs.items()]); sf=st.mean([c.finish_s-c.arrival_s for c in res.calls])
        print(f"| {fam} | {s} | {rate:g} | {Sn:.1f} / {acc['Sn']:.1f} | {Sdt:.0f} / {acc['n']} | {Ss:.0f} / - | {Sdt/cnt:.2f} / {acc['n']/res.steps:.2f} | {1e3*res_real:.0f} / {1e3*se:.0f} / {1e3*sf:.0f} |", flush=True)
