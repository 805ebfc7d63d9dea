# ruff: noqa
"""Post hoc on window V: in a real run, the time from a call's send by the client to the engine's
add_request (the step log's "add"), matched in order (calls reach the engine in the order sent),
above the smallest such time in the run, by map-reduce call kind; the server of the given RATE is
the step log's part after its largest gap between adds (the file holds both rates' servers).
usage: python3 ingress_real.py STEPS.jsonl.gz RESULT.json.gz RATE"""
import gzip, json, sys, statistics as st
steps, result, RATE = sys.argv[1], sys.argv[2], float(sys.argv[3])
adds = []
for line in gzip.open(steps, 'rt'):
    e = json.loads(line)
    if 'add' in e: adds.append(e['t'])
r = [x for x in json.load(gzip.open(result))['runs'] if float(x['rate']) == RATE][0]
sends = []
for pr in r['programs']:
    n = len(pr['calls'])
    for i, c in enumerate(pr['calls']):
        sends.append((c['send_s'], 'plan' if i == 0 else 'reduce' if i == n - 1 else 'map', c['first_token_s'] - c['send_s']))
sends.sort()
# split the two servers' adds at the largest gap
gaps = [(adds[i + 1] - adds[i], i) for i in range(len(adds) - 1)]
g, i = max(gaps)
parts = [adds[:i + 1], adds[i + 1:]]
print('parts', [len(p) for p in parts], 'gap', round(g, 1))
for part in parts:
    if len(part) != len(sends):
        continue
    d = [a - s[0] for a, s in zip(part, sends)]
    off = min(d)
    for k in ('plan', 'map', 'reduce'):
        x = [dd - off for dd, s in zip(d, sends) if s[1] == k]
        y = [s[2] for s in sends if s[1] == k]
        print(k, 'ingress above min: mean %.3f median %.3f p90 %.3f' % (st.mean(x), st.median(x), sorted(x)[int(.9 * len(x))]), 'ttft mean %.3f' % st.mean(y))
