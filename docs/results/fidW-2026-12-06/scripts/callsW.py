# ruff: noqa
"""Post hoc (windows R, U at 12/s and W at 6/s), adapted from ../../fidV-2026-12-06/scripts/callsV.py
to any committed window X: per call kind of map-reduce programs (plan = first call, reduce =
last, map = the rest), time to first token from the call's send (mean, P90) and time between
tokens; "sim" is X's committed mr/sim-alone, "extra sim" another simulation's directory.
usage: python3 callsW.py X RATE EXTRA_SIM_DIR   (e.g. W 6 W/mr/sim-C from this directory, or
R 12 /tmp/pv/R/mr after candidatePV.sh)"""
import glob, gzip, json, statistics, sys

X = sys.argv[1]; RATE = float(sys.argv[2]); EXTRA = sys.argv[3]; import glob


def load(p):
    if not glob.glob(p):
        p += '.gz'
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
    D = glob.glob(f'/work/main/docs/results/fid{X}-*/{X}')[0]; runs = [('sim', glob.glob(f'{D}/mr/sim-alone/{sched}/result.json*')[0])] + extra + [(f'real rep{k}', f'{D}/mr/real/{sched}/rep{k}/result.json.gz') for k in range(len(glob.glob(f'{D}/mr/real/{sched}/rep*')))]
    for name, p in runs:
        rows = list(calls(p))
        cells = []
        for k in ('plan', 'map', 'reduce'):
            t = sorted(x[1] for x in rows if x[0] == k)
            d = [x[2] for x in rows if x[0] == k and x[3] > 1]
            cells.append(f'{statistics.mean(t):.3f} / {t[int(.9 * len(t))]:.3f}, {1e3 * statistics.mean(d):.1f}')
        print(f'| {sched} {name} | ' + ' | '.join(cells) + ' |')
