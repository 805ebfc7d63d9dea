# ruff: noqa
"""Post hoc (after W): is the real default's engine slower than stock's on map-reduce, on the
steady host of window V? From V's committed step logs (repetitions 0 and 5, both rates' servers
in one file): per step class, steps and mean wall time (step start to end); the engine's busy
time; and for 5-8-request decode steps by waiting-queue length, the scheduler's own CPU
(`sc` + `uc`: schedule() and update_from_output()) and the engine-clock step time.
usage: python3 engineV.py   (reads ../../fidV-2026-12-06/V/mr/steps/)"""
import gzip, json, statistics as st
from pathlib import Path

D = Path(__file__).resolve().parents[2] / 'fidV-2026-12-06' / 'V' / 'mr' / 'steps'
cls = lambda c: 'decode' if c[0] == 0 else ('1 prefill' if c[0] == 1 else '2+ prefills')
for f in ('stock-fcfs-rep0', 'vllm_nexus-rep0', 'stock-fcfs-rep5', 'vllm_nexus-rep5'):
    rows, cur = [], None
    for line in gzip.open(D / f'{f}.jsonl.gz'):
        d = json.loads(line)
        if 'step' in d:
            cur = d
        elif 'end' in d and cur:
            rows.append((cur['step'], d['end'] - cur['t'], cur['w'], cur.get('sc', 0) + d.get('uc', 0), d['c'] - cur['c']))
            cur = None
    tot = {}
    for c, t, *_ in rows:
        a = tot.setdefault(cls(c), [0, 0.0]); a[0] += 1; a[1] += t
    print(f'{f}: busy {sum(v[1] for v in tot.values()):.1f} s; ' + '; '.join(f'{k} {v[0]} steps {1e3 * v[1] / v[0]:.2f} ms' for k, v in sorted(tot.items())))
    for lo, hi in ((0, 0), (1, 10), (11, 40), (41, 10**6)):
        x = [r for r in rows if lo <= r[2] <= hi and r[0][0] == 0 and 5 <= r[0][4] <= 8]
        if x:
            print(f'    decode 5-8, waiting {lo}-{hi if hi < 10**6 else "more"}: {len(x)} steps, scheduler CPU {1e3 * st.mean(r[3] for r in x):.3f} ms, engine clock {1e3 * st.median(r[4] for r in x):.3f} ms')
