# ruff: noqa  (a throw-away measurement script, kept as run)
"""Bytecodes executed per step in each vllm_nexus function during ours' timed schedule() +
update_from_output() (sys.settrace with opcode events, only vllm_nexus frames traced):
a deterministic guide to where ours' own Python work is."""
import argparse, collections, json, os, sys
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--policy", default="plas"); ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
model = so.model_dir()
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(d.sched, 100000, 0)
for _ in range(60): d.step(False)
ops = collections.Counter(); calls = collections.Counter()
def local(frame, event, arg):
    if event == "opcode":
        ops[frame.f_code] += 1
    return local
def glob(frame, event, arg):
    co = frame.f_code
    if "vllm_nexus" in co.co_filename:
        calls[co] += 1
        frame.f_trace_opcodes = True
        return local
    return None
s = d.sched
for i in range(a.steps):
    d.top_up()
    sys.settrace(glob); out = s.schedule(); sys.settrace(None)
    mro = so.fake_output(s, out)
    sys.settrace(glob); s.update_from_output(out, mro); sys.settrace(None)
tot = sum(ops.values())
print(f"total vllm_nexus bytecodes per step {tot/a.steps:.1f}; calls per step {sum(calls.values())/a.steps:.2f}")
for co, n in ops.most_common(60):
    print(f"{n/a.steps:8.1f} ops {calls[co]/a.steps:7.3f} calls  {co.co_filename.split('vllm_nexus/')[-1]}:{co.co_firstlineno}:{co.co_name}")
