# ruff: noqa  (one-off analysis script of the 2026-12-03 fidelity re-check, kept as run)
"""per-call real vs sim: TTFT, duration; and program token latency tail."""
import json, sys, statistics as st
def load(p):
    d=json.load(open(p)); return {r['rate']: r for r in d['runs']}
def q(xs,p): xs=sorted(xs); return xs[min(len(xs)-1,int(p*len(xs)))]
real=load(sys.argv[1]); sim=load(sys.argv[2])
for rate in sorted(real):
    R=real[rate]; S=sim.get(rate)
    if not S: continue
    def calls(run):
        out={}
        for p in run['programs']:
            for c in p['calls']:
                out[(p['program_id'].split('-',1)[-1][-5:],c['call_id'])]=(c['first_token_s']-c['send_s'], c['end_s']-c['send_s'], c['output_tokens'], c['prompt_tokens'], c['send_s'])
        return out
    rc, sc = calls(R), calls(S)
    keys=sorted(set(rc)&set(sc))
    print(f'rate {rate}: calls real {len(rc)} sim {len(sc)} matched {len(keys)}')
    for name,i in (('ttft',0),('dur',1)):
        a=[rc[k][i] for k in keys]; b=[sc[k][i] for k in keys]
        print(f'  {name}: real mean {1e3*st.mean(a):.0f} p50 {1e3*q(a,.5):.0f} p95 {1e3*q(a,.95):.0f} | sim mean {1e3*st.mean(b):.0f} p50 {1e3*q(b,.5):.0f} p95 {1e3*q(b,.95):.0f} ms')
    # by output size bucket
    for lo,hi in ((0,40),(40,100),(100,400)):
        ks=[k for k in keys if lo<=rc[k][2]<hi]
        if not ks: continue
        a=[rc[k][0] for k in ks]; b=[sc[k][0] for k in ks]
        a2=[rc[k][1] for k in ks]; b2=[sc[k][1] for k in ks]
        print(f'   out {lo}-{hi} n={len(ks)}: ttft real {1e3*st.mean(a):.0f} sim {1e3*st.mean(b):.0f}; dur real {1e3*st.mean(a2):.0f} sim {1e3*st.mean(b2):.0f}; tbt real {1e3*st.mean((rc[k][1]-rc[k][0])/max(1,rc[k][2]-1) for k in ks):.1f} sim {1e3*st.mean((sc[k][1]-sc[k][0])/max(1,sc[k][2]-1) for k in ks):.1f}')
    def ptl(run):
        return {p['program_id'].split('-',1)[-1][-5:]: (max(c['end_s'] for c in p['calls'])-p['arrival_s'])/sum(c['output_tokens'] for c in p['calls']) for p in run['programs']}
    pr, ps = ptl(R), ptl(S)
    top=sorted(pr, key=lambda k:-ps.get(k,0))[:5]
    print('   top sim programs (tok lat ms): ', [(k, round(1e3*pr[k],1), round(1e3*ps[k],1)) for k in top])
    top=sorted(pr, key=lambda k:-pr[k])[:5]
    print('   top real programs (tok lat ms):', [(k, round(1e3*pr[k],1), round(1e3*ps[k],1)) for k in top])
