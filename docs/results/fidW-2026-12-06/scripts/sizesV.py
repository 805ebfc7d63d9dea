# ruff: noqa
"""Post hoc (after W): which programs does the simulated default serve differently? Window V's
map-reduce at RATE (default 12/s; a steady host, six repetitions): mean program token latency
(end to end / output tokens, ms/token) by program size (calls) and by arrival quarter, the
committed midpoint prediction (sim-alone) against the median over the real repetitions.
usage: python3 sizesV.py [RATE]"""
import gzip, json, statistics as st, sys
from pathlib import Path

RATE = float(sys.argv[1]) if len(sys.argv) > 1 else 12.0
D = Path(__file__).resolve().parents[2] / 'fidV-2026-12-06' / 'V' / 'mr'


def progs(p):
    d = json.load(gzip.open(p)); r = [x for x in d['runs'] if float(x['rate']) == RATE][0]
    out = {}
    for pr in r['programs']:
        cs = pr['calls']
        out[pr['program_id']] = (len(cs), max(c['end_s'] for c in cs) - min(c['send_s'] for c in cs),
                                 sum(c['output_tokens'] for c in cs), min(c['send_s'] for c in cs))
    return out


print(f'map-reduce at {RATE:g}/s (window V): mean ms/token, sim (midpoint) vs median of 6 real repetitions')
print()
print('| scheduler | group | programs | sim | real | sim / real |')
print('|---|---|---|---|---|---|')
for sched in ('stock-fcfs', 'vllm_nexus'):
    sim = progs(D / 'sim-alone' / sched / 'result.json.gz')
    reals = [progs(D / 'real' / sched / f'rep{k}' / 'result.json.gz') for k in range(6)]
    order = sorted(sim, key=lambda p: sim[p][3])
    groups = [(f'{lo}-{hi} calls', [p for p in sim if lo <= sim[p][0] <= hi]) for lo, hi in ((1, 5), (6, 10), (11, 20), (21, 99))]
    groups += [(f'arrival quarter {q + 1}', order[q * len(order) // 4:(q + 1) * len(order) // 4]) for q in range(4)]
    for name, ps in groups:
        if not ps:
            continue
        s = 1e3 * st.mean(sim[p][1] / sim[p][2] for p in ps)
        r = 1e3 * st.median(st.mean(R[p][1] / R[p][2] for p in ps) for R in reals)
        print(f'| {sched} | {name} | {len(ps)} | {s:.1f} | {r:.1f} | {s / r:.2f} |')
