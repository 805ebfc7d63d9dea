# ruff: noqa  (analysis script of the 2026-12-04 fidelity re-check: 03h's predict_h.py with this window's seeds, kept as run)
"""Simulate the real fidelity runs of one or more windows with one hardware profile and
tabulate mean/P95 program token latency, real vs sim (16 cells for 2 families).

usage: predict_c.py LABEL HW_JSON RUNDIR[,RUNDIR...] [--probe] [--stat median|mean]
RUNDIR = results/<window>/<ca|mr> with trace.jsonl, real/<sched>/rep0/result.json and
machine/<sched>-rep0.jsonl (probe samples beside the real server).

--probe: the pre-registered predictor (the same as `simulate fidelity`'s "probe-rescaled
prediction", fidelity.probe_factors + _simulate_probe_rescaled): per (run, rate) the
profile's interpreter constants (probe.PYTHON_FIELDS) x f, f = median probe sample during
that rate's wall-clock window / the profile's machine.python_ms; FLOP rate and bandwidth kept.
--policy WINDOW=JSON: the vllm_nexus policy the real runs of that window ran (the
simulator's --additional-config for that window's vllm_nexus cells)."""
import argparse, json, os, statistics, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.sim import probe

ap = argparse.ArgumentParser()
ap.add_argument('label'); ap.add_argument('hw'); ap.add_argument('rundirs')
ap.add_argument('--probe', action='store_true')
ap.add_argument('--stat', default='median', choices=['median', 'mean'])
ap.add_argument('--matmul', default='one', help="matmul factor: 'one' (kept) or 'python' (same as python)")
ap.add_argument('--policy', action='append', default=[], help='WINDOW=JSON additional config')
ap.add_argument('--out', default=str(ROOT / 'results' / 'pred'))
ap.add_argument('--schedulers', default='stock-fcfs,vllm_nexus')
ap.add_argument('--jobs', type=int, default=2)
a = ap.parse_args()
FAM = {'mr': ('30', '6000'), 'ag': ('20', '7000')}
POLICY = dict(p.split('=', 1) for p in a.policy)
out = Path(a.out) / a.label; out.mkdir(parents=True, exist_ok=True)
base = get_hardware(a.hw)
ref = (json.loads(Path(a.hw).read_text()).get('machine') or {}).get('python_ms') if a.probe else None
if a.probe and not ref:
    raise SystemExit(f'{a.hw} has no machine.python_ms')


def speed(rows, t0, t1):
    xs = [r['python_ms'] for r in rows if t0 <= r['t'] <= t1]
    if not xs:
        return None
    return statistics.median(xs) if a.stat == 'median' else statistics.fmean(xs)


jobs, cells = [], []
for rd in a.rundirs.split(','):
    rd = Path(rd); fam = rd.name; win = rd.parent.name; progs, seed = FAM[fam]
    for s in a.schedulers.split(','):
        real = json.load(open(rd / 'real' / s / 'rep0' / 'result.json'))
        rows = probe.read_samples(rd / 'machine' / f'{s}-rep0.jsonl') if a.probe else []
        for run in real['runs']:
            rate = f"{run['rate']:g}"
            hwr, f = a.hw, None
            if a.probe:
                f = speed(rows, *run['wall_clock']) / ref
                mm = 1.0 if a.matmul == 'one' else f
                h = probe.rescale(base, f, mm)
                hwr = str(out / f'hw-{win}-{fam}-{s}-{rate}.json')
                Path(hwr).write_text(json.dumps({'hardware': h.to_dict()}))
            dest = out / f'{win}-{fam}-r{rate}'
            res = dest / s / 'result.json'
            cmd = [sys.executable, '-m', 'vllm_nexus.cli', 'simulate', '--trace', str(rd / 'trace.jsonl'),
                   '--programs', progs, '--sweep-rates', rate, '--seed', seed, '--arrival-cv', '1.0',
                   '--think-scale', '0.3', '--hardware', hwr, '--model', 'tiny', '--scheduler', s,
                   '--max-num-seqs', '8', '--max-model-len', '4096', '--out', str(dest), '--no-progress', '--no-plots']
            if s == 'vllm_nexus' and win in POLICY:
                cmd += ['--additional-config', POLICY[win]]
            if not res.exists():
                jobs.append(cmd)
            cells.append((win, fam, s, rate, run['summary']['program_token_latency_s'], res, f))

# run the simulations, a.jobs at a time
running = []
env = {**os.environ, 'PYTHONPATH': str(ROOT)}
for cmd in jobs:
    while len(running) >= a.jobs:
        running.pop(0).wait()
    running.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
for p in running:
    p.wait()

head = f'# {a.label}: hardware {a.hw}' + (f' probe-rescaled (interpreter constants x {a.stat} probe sample during the run / profile machine.python_ms {ref:.3f} ms; matmul {a.matmul})' if a.probe else ' (profile alone)')
if POLICY:
    head += f'; vllm_nexus policy per window {POLICY}'
lines = [head, '| run | scheduler | rate | factor | real mean | sim mean | ratio | real P95 | sim P95 | ratio |', '|---|---|---|---|---|---|---|---|---|---|']
met = tot = 0; rec = []
for win, fam, s, rate, R, res, f in cells:
    S = {r['rate']: r['summary'] for r in json.load(open(res))['runs']}[float(rate)]['program_token_latency_s']
    cs = []
    for k in ('mean', 'p95'):
        ratio = S[k] / R[k]; ok = 0.75 <= ratio <= 1.25; met += ok; tot += 1
        cs.append(f'{1e3*R[k]:.2f} | {1e3*S[k]:.2f} | {ratio:.2f}{"" if ok else " ✗"}')
        rec.append(dict(run=f'{win}/{fam}', sched=s, rate=rate, metric=k, real=R[k], sim=S[k], ratio=ratio, factor=f))
    lines.append(f'| {win}/{fam} | {s} | {rate} | {"-" if f is None else f"{f:.3f}"} | ' + ' | '.join(cs) + ' |')
lines.append(f'\n{met}/{tot} within 25%')
txt = '\n'.join(lines); print(txt)
(out / 'table.md').write_text(txt + '\n'); (out / 'cells.json').write_text(json.dumps(rec, indent=1))
