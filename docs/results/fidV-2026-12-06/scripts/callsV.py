# ruff: noqa
"""Post hoc (after window V): where V's one miss (the default's map-reduce P95 at 6/s, simulated
1.43x) comes from. Per call kind of map-reduce programs (plan = first call, reduce = last,
map = the rest): time to first token from the call's send (mean, P90) and time between tokens.
usage: cd docs/results/fidV-2026-12-06 && python3 scripts/callsV.py [RATE [EXTRA_SIM_DIR]]
(EXTRA_SIM_DIR: another simulation's directory holding {sched}/result.json, e.g. posthocV.sh's
/tmp/simz/ph-queued-V/mr, shown as "extra sim")"""
import gzip, json, statistics, sys

RATE = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
EXTRA = sys.argv[2] if len(sys.argv) > 2 else None


def load(p):
    return json.load(gzip.open(p)) if p.endswith('.gz') else json.load(open(p))


def calls(p):
    for r in load(p)['runs']:
        if float(r['rate']) == RATE:
            for pr in r['programs']:
                n = len(pr['calls'])
                for i, c in enumerate(pr['calls']):
                    kind = 'plan' if i == 0 else ('reduce' if i == n - 1 else 'map')
                    yield kind, c['first_token_s'] - c['send_s'], (c['end_s'] - c['first_token_s']) / max(1, c['output_tokens'] - 1), c['output_tokens']


print(f'map-reduce at {RATE:g}/s: TTFT mean / P90 (s), time between tokens (ms), per call kind')
print()
print('| run | plan | map | reduce |')
print('|---|---|---|---|')
for sched in ('vllm_nexus', 'stock-fcfs'):
    extra = [('extra sim', f'{EXTRA}/{sched}/result.json')] if EXTRA else []
    runs = [('sim', f'V/mr/sim-alone/{sched}/result.json.gz')] + extra + [(f'real rep{k}', f'V/mr/real/{sched}/rep{k}/result.json.gz') for k in range(6)]
    for name, p in runs:
        rows = list(calls(p))
        cells = []
        for k in ('plan', 'map', 'reduce'):
            t = sorted(x[1] for x in rows if x[0] == k)
            d = [x[2] for x in rows if x[0] == k and x[3] > 1]
            cells.append(f'{statistics.mean(t):.3f} / {t[int(.9 * len(t))]:.3f}, {1e3 * statistics.mean(d):.1f}')
        print(f'| {sched} {name} | ' + ' | '.join(cells) + ' |')
