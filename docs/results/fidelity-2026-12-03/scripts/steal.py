# ruff: noqa  (one-off analysis script of the 2026-12-03 fidelity re-check, kept as run)
import sys, time
rows=[]
for l in open(sys.argv[1]):
    a,b=l.split('|'); f=a.split(); t=int(f[0]); v=[int(x) for x in f[2:]]
    rows.append((t, v[7], sum(v[:8]), v[3], b.split()[0]))
for (t0,s0,T0,i0,_),(t1,s1,T1,i1,la) in zip(rows,rows[1:]):
    d=T1-T0
    print(time.strftime('%H:%M:%S',time.gmtime(t1)), 'steal %5.1f%%  busy %5.1f%%  load %s'%(100*(s1-s0)/d, 100*(1-(i1-i0)/d), la))
