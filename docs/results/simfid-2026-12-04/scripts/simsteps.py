# ruff: noqa  (verification script of the 2026-12-04 fidelity re-check, run from a dir holding window H unpacked as H/<mr|ag>/...; kept as run)
import json, statistics as st, sys, argparse
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from vllm_nexus.sim import cli as simcli
from vllm_nexus.sim.engine import Simulator
from vllm_nexus.sim.fit import read_log
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
HW = sys.argv[2]
FAM = {'mr': ('30', '4000'), 'ag': ('20', '5000')}
print('| run | sched | rate | real steps / sim steps | real busy wall s / model of real steps s / sim busy s | real ms/step wall / sim ms/step | real mean prompt-tokens computed / sim |')
print('|---|---|---|---|---|---|---|')
for fam in ('mr','ag'):
  progs, seed = FAM[fam]
  for s in ('stock-fcfs','vllm_nexus'):
    real=json.load(open(f'H/{fam}/real/{s}/rep0/result.json'))
    for run in real['runs']:
        t0,t1=run['wall_clock']; rate=run['rate']
        ap = argparse.ArgumentParser(); simcli.add_arguments(ap)
        a = ap.parse_args(['--trace', f'H/{fam}/trace.jsonl','--programs',progs,'--sweep-rates',f'{rate:g}','--seed',seed,'--arrival-cv','1.0','--think-scale','0.3','--hardware',HW,'--model','tiny','--scheduler',s,'--max-num-seqs','8','--max-model-len','4096'])
        hw, model, scheds, add = simcli._engine_inputs(a)
        (r_, programs), = simcli.load_runs(a, [rate])
        spec = simcli._engine_spec(a, hw, model, s, add)
        res = Simulator(spec, seed=a.seed).run(programs, think_scale=0.3)
        steps,_ = read_log(Path(f'H/{fam}/steps/{s}-rep0.jsonl'), 'wall', (t0,t1))
        lat = StepLatencyModel(hw, get_model('tiny'))
        rb = sum(p for _,p in steps); mb = sum(lat.step_time(*c) for c,_ in steps)
        rtok = sum(c[0] if False else 0 for c,_ in steps)
        print(f"| {fam} | {s} | {rate:g} | {len(steps)} / {res.steps} | {rb:.2f} / {mb:.2f} / {res.busy_s:.2f} | {1e3*rb/len(steps):.2f} / {1e3*res.busy_s/res.steps:.2f} | {res.computed_tokens} computed, {res.recomputed_tokens} recomputed |", flush=True)
