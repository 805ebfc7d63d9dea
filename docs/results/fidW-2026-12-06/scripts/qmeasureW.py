# ruff: noqa
"""Queued ingress per call, measured in a window's calibration logs (never its runs): over the
calibration's fan-out bursts of >= 8 calls sent together (designed load, stream groups, the
32-call burst; not the agent load, whose calls are sent one after another), the spacing of
their arrivals at the engine, (last - first) / (n - 1); the median over the six servers' bursts.
usage: python3 qmeasure.py WINDOW_DIR"""
import glob, json, statistics, sys
gaps = []
for f in sorted(glob.glob(f'{sys.argv[1]}/calibration-*-steps*.jsonl')):
    if f.endswith('machine.jsonl'):
        continue
    ev, phase = [], None
    for line in open(f):
        if line.startswith('{"phase"'):
            phase = json.loads(line)['phase']
        elif line.startswith('{"add"'):
            ev.append((json.loads(line)['t'], phase))
    cur = [ev[0]]
    for e in ev[1:] + [(float('inf'), None)]:
        if e[0] - cur[-1][0] > 0.05:
            if len(cur) >= 8 and cur[0][1] != 'agent-load':
                gaps.append((cur[-1][0] - cur[0][0]) / (len(cur) - 1))
            cur = [e]
        else:
            cur.append(e)
print(f'{statistics.median(gaps):.6f} {len(gaps)}')
