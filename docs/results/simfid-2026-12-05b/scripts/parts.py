# ruff: noqa
import gzip, json, sys, statistics, tempfile
from pathlib import Path
for lp in sys.argv[1:]:
    lines = gzip.open(lp).read().decode().splitlines() if lp.endswith('.gz') else open(lp).read().splitlines()
    rows = []; cur = None; fr = None
    for l in lines:
        d = json.loads(l)
        if 'phase' in d and d['phase'] == 'frontend': fr = d['t']
        if 'step' in d: cur = d
        elif 'end' in d and cur is not None:
            rows.append((cur, d)); cur = None
    out = {}
    for (s, e), (s2, _) in zip(rows, rows[1:]):
        if fr and s['t'] > fr: break
        if s['step'][0] or 'ts' not in s: continue
        n = s['step'][4]
        k = 'd1-2' if n <= 2 else 'd3-8' if n <= 8 else 'd9+'
        gap = s2['t'] - e['end']
        if gap > 0.02: continue
        out.setdefault(k, []).append((s['ts']-s['t'], e['end']-s['ts'], gap, s.get('sc',0), e.get('uc',0)))
    print(lp.split('results/')[-1])
    for k in sorted(out):
        a = out[k]
        med = lambda i: 1e3*statistics.median(x[i] for x in a)
        print(f"  {k} n={len(a)} schedule {med(0):.2f} | forward+update {med(1):.2f} | gap {med(2):.2f} | sched cpu {med(3):.2f} upd cpu {med(4):.2f}")
