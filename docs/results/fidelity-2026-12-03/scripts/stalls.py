# ruff: noqa  (one-off analysis script of the 2026-12-03 fidelity re-check, kept as run)
"""Per real run: calls whose stream stopped > 0.3 s (max gap between tokens), and the share of
the mean program token latency those gaps account for (gap - 0.1 s, summed per program)."""
import json, sys, glob
for f in sys.argv[1:]:
    d = json.load(open(f))
    for r in d['runs']:
        ptl = []; stall = []
        n = 0
        for p in r['programs']:
            toks = sum(c['output_tokens'] for c in p['calls'])
            e2e = max(c['end_s'] for c in p['calls']) - p['arrival_s']
            s = sum(max(0.0, (c.get('max_gap_s') or 0) - 0.1) for c in p['calls'])
            n += sum(1 for c in p['calls'] if (c.get('max_gap_s') or 0) > 0.3)
            ptl.append(e2e / toks); stall.append(s / toks)
        print(f'{f}: rate {r["rate"]:g} calls with a >0.3 s gap {n}; mean token latency {1e3*sum(ptl)/len(ptl):.2f} ms, of which gaps {1e3*sum(stall)/len(stall):.2f}')
