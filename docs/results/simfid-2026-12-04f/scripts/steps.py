# ruff: noqa
"""Real engine steps vs simulated steps for one (family, scheduler, rep, rate) of window F.

usage: PYTHONPATH=CODE python steps.py F PROFILE FAM SCHED REP RATE
Prints, for the real run (its step log within the run's wall window) and the simulation
(the same trace/rate/profile): steps, busy seconds, mean running batch, decode and prefill
tokens, prefill chunks, mean step time, the profile's prediction for the real compositions,
prefix-cached tokens, preemptions; and the real calls' time outside the engine.
"""
import argparse, json, statistics as st, sys
from pathlib import Path
from vllm_nexus.sim import cli as simcli
from vllm_nexus.sim.engine import Simulator
from vllm_nexus.sim.fit import read_log
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model

F, HW, fam, sched, rep, rate = sys.argv[1:7]
rate = float(rate)
D = Path(F) / fam
W = {'ca': ['--trace', '/tmp/tal/traces/coding-agent35.jsonl', '--programs', '200', '--seed', '35'],
     'mr': ['--trace', str(D / 'trace.jsonl'), '--programs', '40', '--seed', '6700', '--arrival-cv', '1.0']}[fam]
real = json.load(open(D / 'real' / sched / f'rep{rep}' / 'result.json'))
run = next(r for r in real['runs'] if float(r['rate']) == rate)
t0, t1 = run['wall_clock']
steps, _ = read_log(D / 'steps' / f'{sched}-rep{rep}.jsonl', 'wall', (t0, t1))
esteps, _ = read_log(D / 'steps' / f'{sched}-rep{rep}.jsonl', 'engine', (t0, t1))
ap = argparse.ArgumentParser(); simcli.add_arguments(ap)
a = ap.parse_args([*W, '--sweep-rates', f'{rate:g}', '--think-scale', '0.3', '--hardware', HW,
                   '--model', 'tiny', '--scheduler', sched, '--max-num-seqs', '8', '--max-model-len', '4096'])
hw, model, scheds, add = simcli._engine_inputs(a)
(r_, programs), = simcli.load_runs(a, [rate])
spec = simcli._engine_spec(a, hw, model, sched, add)
sim = Simulator(spec, seed=a.seed)
comps = []
orig = sim.latency.step_time
def rec(*c):
    t = orig(*c); comps.append((c, t)); return t
sim.latency.step_time = rec
res = sim.run(programs, think_scale=0.3)
lat = StepLatencyModel(hw, get_model('tiny'))

def desc(name, st_, times=None):
    n = len(st_)
    busy = sum(t for _, t in st_)
    run_ = [c[0] + c[4] for c, _ in st_]
    pre_tok = sum(c[1] for c, _ in st_)
    dec = sum(c[4] for c, _ in st_)
    chunks = sum(c[0] for c, _ in st_)
    model_t = sum(lat.step_time(*c) for c, _ in st_)
    full = sum(1 for r in run_ if r >= 8) / max(n, 1)
    print(f"| {name} | {n} | {busy:.2f} | {model_t:.2f} | {1e3*busy/max(n,1):.2f} | {st.mean(run_):.2f} | {full:.2f} | {dec} | {pre_tok:.0f} | {chunks} |")

print(f"### {fam} {sched} rep{rep} {rate:g}/s, profile {HW}\n")
print("| run | steps | busy s | profile's model of these steps s | ms/step | mean running | share of steps with 8 running | decode tokens | prefill tokens | prefill chunks |")
print("|---|---|---|---|---|---|---|---|---|---|")
desc('real (wall)', steps)
desc('real (engine clock)', esteps)
desc('sim', comps)
s = run['summary']
print(f"\nreal: duration {t1-t0:.1f} s, mean token lat {1e3*s['program_token_latency_s']['mean']:.1f} ms, P95 {1e3*s['program_token_latency_s']['p95']:.1f}")
ss = simcli.sim_summary(res) if hasattr(simcli, 'sim_summary') else {}
print(f"sim: virtual {res.virtual_s:.1f} s, busy {res.busy_s:.1f}, steps {res.steps}, preemptions {res.preemptions}, computed {res.computed_tokens}, recomputed {res.recomputed_tokens}")
print(f"sim summary: {json.dumps(ss)[:600]}")
