# ruff: noqa  (diagnostic script of simfid-2026-12-04f, kept as run)
import argparse, json, sys, statistics as st
from vllm_nexus.sim import cli as simcli
from vllm_nexus.sim.engine import Simulator
F, HW, sched, rate = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ap = argparse.ArgumentParser(); simcli.add_arguments(ap)
a = ap.parse_args(['--trace', f'{F}/mr/trace.jsonl', '--programs', '40', '--seed', '6700', '--arrival-cv', '1.0',
                   '--sweep-rates', f'{rate:g}', '--think-scale', '0.3', '--hardware', HW, '--model', 'tiny',
                   '--scheduler', sched, '--max-num-seqs', '8', '--max-model-len', '4096'])
hw, model, scheds, add = simcli._engine_inputs(a)
(r_, programs), = simcli.load_runs(a, [rate])
spec = simcli._engine_spec(a, hw, model, sched, add)
sim = Simulator(spec, seed=a.seed)
# frontend backlog over time
from vllm_nexus.sim import replay as rp
backlog = []
orig = rp.Replay.step
def step(self, *x, **k):
    backlog.append(max(0.0, self.front_t - self.clock.t))
    return orig(self, *x, **k)
rp.Replay.step = step
res = sim.run(programs, think_scale=0.3)
ing = [c.arrival_s - c.send_s for c in res.calls]
print('sim mean ingress ms', 1e3 * st.mean(ing), 'P90', 1e3 * sorted(ing)[int(0.9 * len(ing))], 'max', 1e3 * max(ing))
print('frontend backlog ms at steps: mean', 1e3 * st.mean(backlog), 'P90', 1e3 * sorted(backlog)[int(0.9 * len(backlog))], 'max', 1e3 * max(backlog))
for pid in sys.argv[5:]:
    for c in res.calls:
        if c.program_id == pid:
            print(pid, c.call_id, f"send {c.send_s:.3f} ingress {1e3*(c.arrival_s-c.send_s):.0f} ms ttft {1e3*(c.first_token_s-c.send_s):.0f} ms, preempt {c.preemptions}, cached {c.cached_tokens}, prompt {c.prompt_tokens}")
