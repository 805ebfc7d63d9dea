# ruff: noqa  (analysis script of the 2026-12-04b fidelity re-check: simfid-2026-12-04's predict.py with repetitions)
"""Simulate window X's real fidelity runs with one hardware profile and tabulate mean/P95
program token latency, real vs sim: 16 cells (2 families x 2 schedulers x 2 rates x
mean/P95), with the real value of a cell = the mean over the repetitions present of each
repetition's mean (or P95); plus the same cells per repetition.

usage: predict.py LABEL HW_JSON RUNDIR[,RUNDIR...] [--probe] [--reps 0,1]
RUNDIR = results/X/<mr|ag> with trace.jsonl, real/<sched>/rep<k>/result.json and
machine/<sched>-rep<k>.jsonl (probe samples right before and after each real server).

--probe (beside the verdict, not the predictor): per (scheduler, rate) the profile's
interpreter constants (probe.PYTHON_FIELDS) x f, f = the mean over repetitions of (median of
the samples around that repetition's server, probe.run_speed / the profile's
machine.python_ms), FLOP rate and bandwidth kept (fidelity.probe_factors)."""
import argparse, json, os, statistics, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT))
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.sim import probe

ap = argparse.ArgumentParser()
ap.add_argument('label'); ap.add_argument('hw'); ap.add_argument('rundirs')
ap.add_argument('--probe', action='store_true')
ap.add_argument('--reps', default='0,1', help='repetitions combined (those present)')
ap.add_argument('--out', default=str(ROOT / 'results' / 'pred'))
ap.add_argument('--schedulers', default='stock-fcfs,vllm_nexus')
ap.add_argument('--jobs', type=int, default=2)
a = ap.parse_args()
FAM = {'mr': ('30', '6100'), 'ag': ('20', '7100')}
out = Path(a.out) / a.label; out.mkdir(parents=True, exist_ok=True)
base = get_hardware(a.hw)
ref = (json.loads(Path(a.hw).read_text()).get('machine') or {}).get('python_ms') if a.probe else None
if a.probe and not ref:
    raise SystemExit(f'{a.hw} has no machine.python_ms')

jobs, cells = [], []
for rd in a.rundirs.split(','):
    rd = Path(rd); fam = rd.name; win = rd.parent.name; progs, seed = FAM[fam]
    for s in a.schedulers.split(','):
        reps = [k for k in a.reps.split(',') if (rd / 'real' / s / f'rep{k}' / 'result.json').exists()]
        by_rate = {}  # rate -> [(rep, summary, factor)]
        for k in reps:
            real = json.load(open(rd / 'real' / s / f'rep{k}' / 'result.json'))
            rows = probe.read_samples(rd / 'machine' / f'{s}-rep{k}.jsonl') if a.probe else []
            for run in real['runs']:
                f = probe.run_speed(rows, *run['wall_clock']) / ref if a.probe else None
                by_rate.setdefault(f"{run['rate']:g}", []).append((k, run['summary']['program_token_latency_s'], f))
        for rate, got in by_rate.items():
            hwr, f = a.hw, None
            if a.probe:
                f = statistics.fmean(g[2] for g in got)
                h = probe.rescale(base, f, 1.0)
                hwr = str(out / f'hw-{win}-{fam}-{s}-{rate}.json')
                Path(hwr).write_text(json.dumps({'hardware': h.to_dict()}))
            dest = out / f'{win}-{fam}-r{rate}'
            res = dest / s / 'result.json'
            cmd = [sys.executable, '-m', 'vllm_nexus.cli', 'simulate', '--trace', str(rd / 'trace.jsonl'),
                   '--programs', progs, '--sweep-rates', rate, '--seed', seed, '--arrival-cv', '1.0',
                   '--think-scale', '0.3', '--hardware', hwr, '--model', 'tiny', '--scheduler', s,
                   '--max-num-seqs', '8', '--max-model-len', '4096', '--out', str(dest), '--no-progress', '--no-plots']
            if not res.exists():
                jobs.append(cmd)
            cells.append((win, fam, s, rate, got, res, f))

# run the simulations, a.jobs at a time
running = []
env = {**os.environ, 'PYTHONPATH': str(ROOT)}
for cmd in jobs:
    while len(running) >= a.jobs:
        running.pop(0).wait()
    running.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
for p in running:
    if p.wait():
        raise SystemExit(f'a simulation failed: {p.args}')

head = f'# {a.label}: hardware {a.hw}' + (f' probe-rescaled (interpreter constants x mean over reps of median probe sample around the run / profile machine.python_ms {ref:.3f} ms; matmul kept)' if a.probe else ' (profile alone)')
lines = [head, '', '## Verdict cells (real = mean over the repetitions of each repetition\'s mean / P95)', '',
         '| run | scheduler | rate | reps | factor | real mean | sim mean | ratio | real P95 | sim P95 | ratio |',
         '|---|---|---|---|---|---|---|---|---|---|---|']
per_rep = ['', '## Per repetition (not the verdict)', '', '| run | scheduler | rate | rep | real mean | sim mean | ratio | real P95 | sim P95 | ratio |', '|---|---|---|---|---|---|---|---|---|---|']
met = tot = 0; rec = []; rep_met = {}
for win, fam, s, rate, got, res, f in cells:
    S = {r['rate']: r['summary'] for r in json.load(open(res))['runs']}[float(rate)]['program_token_latency_s']
    cs = []
    for k in ('mean', 'p95'):
        R = statistics.fmean(g[1][k] for g in got)
        ratio = S[k] / R; ok = 0.75 <= ratio <= 1.25; met += ok; tot += 1
        cs.append(f'{1e3*R:.2f} | {1e3*S[k]:.2f} | {ratio:.2f}{"" if ok else " ✗"}')
        rec.append(dict(run=f'{win}/{fam}', sched=s, rate=rate, metric=k, reps=[g[0] for g in got],
                        real_per_rep=[g[1][k] for g in got], real=R, sim=S[k], ratio=ratio, factor=f))
    lines.append(f'| {win}/{fam} | {s} | {rate} | {len(got)} | {"-" if f is None else f"{f:.3f}"} | ' + ' | '.join(cs) + ' |')
    for rep, summ, _ in got:
        cs = []
        for k in ('mean', 'p95'):
            ratio = S[k] / summ[k]; ok = 0.75 <= ratio <= 1.25
            m, t = rep_met.get(rep, (0, 0)); rep_met[rep] = (m + ok, t + 1)
            cs.append(f'{1e3*summ[k]:.2f} | {1e3*S[k]:.2f} | {ratio:.2f}{"" if ok else " ✗"}')
        per_rep.append(f'| {win}/{fam} | {s} | {rate} | rep{rep} | ' + ' | '.join(cs) + ' |')
lines.append(f'\n**{met}/{tot} within 25%** (combined)')
per_rep.append('\n' + '; '.join(f'rep{r}: {m}/{t} within 25%' for r, (m, t) in sorted(rep_met.items())))
txt = '\n'.join(lines + per_rep); print(txt)
(out / 'table.md').write_text(txt + '\n'); (out / 'cells.json').write_text(json.dumps(rec, indent=1))
