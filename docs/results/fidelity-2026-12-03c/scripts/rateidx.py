# ruff: noqa  (one-off analysis script of the 2026-12-03 fidelity re-check (copied for 2026-12-03c, path fixes only), kept as run)
"""per (run dir, scheduler, rate): in-situ sched-CPU index and fwd index vs a calibration log;
plus sampler median in the window if samples exist. usage: rateidx.py CALIB_LOG RUNDIR... [--samples S --calib-window-from LOG]"""
import json, sys, statistics as st

from pathlib import Path
def steps(fn):
    rows=[];cur=None
    for l in open(fn):
        d=json.loads(l)
        if 'step' in d: cur=d
        elif 'end' in d and cur is not None: rows.append((cur,d)); cur=None
    return rows
def dec(rows):
    for a,e in rows:
        c=a['step']
        if c[0]==0 and 1<=c[4]<=8: yield a['t'], int(c[4]), a['sc']+e['uc'], e['end']-a.get('ts',a['t'])
args=sys.argv[1:]
samples=None
if '--samples' in args:
    i=args.index('--samples'); samples=[json.loads(x) for f in args[i+1].split(',') for x in open(f)]; del args[i:i+2]
cal={}; crow=steps(args[0])
for t,n,s,f in dec(crow): cal.setdefault(n,[]).append((s,f))
ref={n:(st.median(x[0] for x in v), st.median(x[1] for x in v)) for n,v in cal.items() if len(v)>=10}
ct0,ct1=crow[0][0]['t'],crow[-1][1]['end']
def smed(t0,t1):
    if not samples: return None
    xs=[s['python_ms'] for s in samples if t0<=s['t']<=t1]
    return st.median(xs) if xs else None
cs=smed(ct0,ct1)
print('calibration window sampler median', cs)
res={}
for rd in args[1:]:
    rd=Path(rd)
    for sd in sorted((rd/'real').iterdir()):
        sched=sd.name; log=rd/'steps'/f'{sched}-rep0.jsonl'
        result=json.load(open(sd/'rep0'/'result.json')); rows=list(dec(steps(log)))
        for run in result['runs']:
            w0,w1=run['wall_clock']
            xs=[(s/ref[n][0], f/ref[n][1]) for t,n,s,f in rows if w0<=t<=w1 and n in ref]
            sm=smed(w0,w1)
            key=f'{rd.parent.name}/{rd.name}/{sched}/{run["rate"]:g}'
            res[key]=dict(sched=st.median(x[0] for x in xs), fwd=st.median(x[1] for x in xs), sampler=(sm/cs if sm and cs else None), n=len(xs))
            print(key, {k:(round(v,3) if isinstance(v,float) else v) for k,v in res[key].items()})
import os; json.dump(res, open(os.environ.get('IDX_OUT','/tmp/fidelity4-rateidx.json'),'w'))
