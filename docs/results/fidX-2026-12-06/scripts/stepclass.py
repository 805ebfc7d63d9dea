# ruff: noqa
"""Post hoc on window V: the real steps of the 12/s server by class (decode with 8 requests, fewer,
one prefill, more), count x mean time from start to the next start, and the under-full decode
steps per second of the run. usage: python3 stepclass.py STEPS.jsonl.gz..."""
import gzip, json, sys
for f in sys.argv[1:]:
    ev = [json.loads(l) for l in gzip.open(f)]
    adds = [i for i, e in enumerate(ev) if 'add' in e]
    g, k = max((ev[adds[j + 1]]['t'] - ev[adds[j]]['t'], adds[j + 1]) for j in range(len(adds) - 1))
    rows, rows2, cur, prev = [], [], None, None
    for d in ev[k:]:
        if 'step' in d:
            if cur is not None and prev is not None:
                rows.append((cur['step'], d['t'] - cur['t']))  # start to next start
                rows2.append((cur['step'], d['t'] - cur['t'], cur['t']))
            cur = d
        elif 'end' in d:
            prev = d['end']
    first_add = [e['t'] for e in ev[k:] if 'add' in e][0]
    hist = [0] * 15
    tot = {}
    for c, t, ts in rows2:
        if c[0] == 0 and c[4] < 8: hist[min(14, int(ts - first_add))] += 1
    print('decode<8 per second: ' + ' '.join(map(str, hist)))
    for c, t in rows:
        key = 'decode%d' % c[4] if c[0] == 0 else ('1 prefill' if c[0] == 1 else '2+ prefills')
        if c[0] == 0 and c[4] < 8: key = 'decode<8'
        a = tot.setdefault(key, [0, 0.0, 0.0]); a[0] += 1; a[1] += t; a[2] += c[1]
    print(f.split('/')[-1], '; '.join(f'{k} {v[0]} x {1e3 * v[1] / v[0]:.2f} ms = {v[1]:.1f}s' + (f' ({v[2] / v[0]:.0f} pf tok)' if 'prefill' in k else '') for k, v in sorted(tot.items())))
