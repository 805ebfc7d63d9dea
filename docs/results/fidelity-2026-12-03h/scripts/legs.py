# ruff: noqa  (analysis script, kept as run)
"""Per real run and rate, the mean legs of a call, real vs simulated (ms): client dispatch
(ready -> send), ingress (send -> the engine's add_request; real: mean over calls of the log's
add times minus mean of the client's send times: order-free), engine (add -> finish), egress
(finish -> the client's last token), and TTFT. Sim: ready -> send, send -> end.
usage: legs.py RUNDIR SIM_PRED_PREFIX (e.g. results/H/mr results/pred/H-profile/H-mr)"""
import json, statistics as st, sys
from pathlib import Path
rd, pd = Path(sys.argv[1]), sys.argv[2]
print('| run | sched | rate | dispatch real/sim | ingress real | engine real | egress real | send->end real/sim | ttft real/sim |')
print('|---|---|---|---|---|---|---|---|---|')
for s in ('stock-fcfs', 'vllm_nexus'):
    real = json.load(open(rd / 'real' / s / 'rep0' / 'result.json'))
    for run in real['runs']:
        t0, t1 = run['wall_clock']
        adds, fins = {}, {}
        for line in (rd / 'steps' / f'{s}-rep0.jsonl').read_text().splitlines():
            d = json.loads(line)
            if 'add' in d and t0 <= d['t'] <= t1 + 60: adds[d['add']] = d['t'] - t0
            elif 'fin' in d: fins[d['fin']] = d['t'] - t0
        calls = [c for p in run['programs'] for c in p['calls']]
        n = len(calls)
        a = [adds[r] for r in adds if r in fins][:n]; f = [fins[r] for r in adds if r in fins][:n]
        m = lambda xs: 1e3 * st.mean(xs)
        sim = json.load(open(f"{pd}-r{run['rate']:g}/{s}/result.json"))['runs'][0]
        sc = [c for p in sim['programs'] for c in p['calls']]
        print(f"| {rd.name} | {s} | {run['rate']:g} | {m([c['send_s'] - c['ready_s'] for c in calls]):.1f} / {m([c['send_s'] - c['ready_s'] for c in sc]):.1f} | "
              f"{m(a) - m([c['send_s'] for c in calls]):.1f} | {m(f) - m(a):.1f} | {m([c['end_s'] for c in calls]) - m(f):.1f} | "
              f"{m([c['end_s'] - c['send_s'] for c in calls]):.0f} / {m([c['end_s'] - c['send_s'] for c in sc]):.0f} | "
              f"{m([c['first_token_s'] - c['send_s'] for c in calls]):.0f} / {m([c['first_token_s'] - c['send_s'] for c in sc]):.0f} |")
