# ruff: noqa  (analysis script, kept as run)
"""Client lag per call, real: (send - ready) - think_s x think-scale, from the trace (the
bench client waits think_s x scale after a call's dependencies end, then builds the prompt
and sends); the simulator sends at ready + think exactly. Mean and P50/P95 per run and rate,
for calls with dependencies (first calls are sent at the program's arrival).
usage: lag.py RUNDIR THINK_SCALE"""
import json, statistics as st, sys
from pathlib import Path
rd, scale = Path(sys.argv[1]), float(sys.argv[2])
think = {}
for line in (rd / 'trace.jsonl').read_text().splitlines():
    p = json.loads(line)
    for c in p['calls']:
        think[(p['program_id'], c['id'])] = c.get('think_s', 0.0) * scale
for s in ('stock-fcfs', 'vllm_nexus'):
    for run in json.load(open(rd / 'real' / s / 'rep0' / 'result.json'))['runs']:
        lag, first = [], []
        for p in run['programs']:
            for c in p['calls']:
                x = c['send_s'] - c['ready_s'] - think[(p['program_id'], c['call_id'])]
                (lag if c['after'] else first).append(x)
        lag.sort(); q = lambda p: 1e3 * lag[int(p * (len(lag) - 1))]
        print(f"{rd.name} {s} rate {run['rate']:g}: dependent calls {len(lag)}: lag mean {1e3*st.mean(lag):.1f} p50 {q(.5):.1f} p95 {q(.95):.1f} max {1e3*lag[-1]:.0f} ms; first calls {len(first)}: mean {1e3*st.mean(first):.1f} ms")
