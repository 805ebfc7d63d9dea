# ruff: noqa  (one-off analysis script of the 2026-12-03 fidelity re-check, kept as run)
"""Simulate real fidelity runs with a hardware profile (optionally probe-rescaled) and
tabulate mean/P95 program token latency, real vs sim.
usage: predict.py LABEL HW_JSON RUNDIR[,RUNDIR...] [--python F --matmul G | --index-from CALIB_LOG]
RUNDIR = results/A/ca etc. (has trace.jsonl and real/<sched>/rep0/result.json)."""
import argparse, json, subprocess, sys, os
from pathlib import Path
sys.path.insert(0, '/work/wt/simfid3')
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.sim import probe

ap = argparse.ArgumentParser()
ap.add_argument('label'); ap.add_argument('hw'); ap.add_argument('rundirs')
ap.add_argument('--python', type=float); ap.add_argument('--matmul', type=float)
ap.add_argument('--out', default='/work/wt/simfid3/results/pred')
ap.add_argument('--schedulers', default='stock-fcfs,vllm_nexus')
ap.add_argument('--factors', help='JSON: key window/fam/sched/rate -> {field: factor}')
ap.add_argument('--pyfield', default='sched'); ap.add_argument('--mmfield')
a = ap.parse_args()
FAM = {'ca': ('30', '1000'), 'mr': ('40', '2000')}
out = Path(a.out) / a.label; out.mkdir(parents=True, exist_ok=True)
hw = a.hw
if a.python:
    h = probe.rescale(get_hardware(a.hw), a.python, a.matmul)
    hw = str(out / 'hardware.json'); Path(hw).write_text(json.dumps({'hardware': h.to_dict()}, indent=1))
lines = [f'# {a.label}: hardware {a.hw}' + (f' rescaled python x{a.python:.3f} matmul x{a.matmul or a.python:.3f}' if a.python else '') + (f' rescaled per run by {a.factors} python={a.pyfield} matmul={a.mmfield or a.pyfield}' if a.factors else ''),
         '| family | scheduler | rate | real mean | sim mean | ratio | real P95 | sim P95 | ratio |', '|---|---|---|---|---|---|---|---|---|']
met = tot = 0
for rd in a.rundirs.split(','):
    rd = Path(rd); fam = rd.name; progs, seed = FAM[fam]
    for s in a.schedulers.split(','):
        real = json.load(open(rd / 'real' / s / 'rep0' / 'result.json'))
        sim = {}
        F = json.load(open(a.factors)) if a.factors else None
        for rate in ('1', '3'):
            hwr = hw
            if F:
                f = F[f'{rd.parent.name}/{fam}/{s}/{rate}']
                h = probe.rescale(get_hardware(a.hw), f[a.pyfield], f[a.mmfield or a.pyfield])
                hwr = str(out / f'hw-{rd.parent.name}-{fam}-{s}-{rate}.json'); Path(hwr).write_text(json.dumps({'hardware': h.to_dict()}))
            dest = out / f'{rd.parent.name}-{fam}-r{rate}'
            res = dest / s / 'result.json'
            if not res.exists():
                subprocess.run([sys.executable, '-m', 'vllm_nexus.cli', 'simulate', '--trace', str(rd / 'trace.jsonl'),
                    '--programs', progs, '--sweep-rates', rate, '--seed', seed, '--arrival-cv', '1.0',
                    '--think-scale', '0.3', '--hardware', hwr, '--model', 'tiny', '--scheduler', s,
                    '--max-num-seqs', '8', '--max-model-len', '4096', '--out', str(dest), '--no-progress', '--no-plots'],
                    check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            sim.update({r['rate']: r['summary'] for r in json.load(open(res))['runs']})
        for r in real['runs']:
            R = r['summary']['program_token_latency_s']; S = sim[r['rate']]['program_token_latency_s']
            cells = []
            for k in ('mean', 'p95'):
                ratio = S[k] / R[k]; ok = 0.75 <= ratio <= 1.25; met += ok; tot += 1
                cells.append(f'{1e3*R[k]:.2f} | {1e3*S[k]:.2f} | {ratio:.2f}{"" if ok else " ✗"}')
            lines.append(f'| {rd.parent.name}/{fam} | {s} | {r["rate"]:g} | ' + ' | '.join(cells) + ' |')
lines.append(f'\n{met}/{tot} within 25%')
txt = '\n'.join(lines); print(txt); (out / 'table.md').write_text(txt + '\n')
