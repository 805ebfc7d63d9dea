# ruff: noqa  (a throw-away measurement script, kept as run)
"""The benchmark's loop (examples/sched_overhead.py: same stream, ABBA), untimed, for a
sampling profiler (py-spy) outside the process: no instrumentation inside the steps."""
import argparse, json, sys

sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=4000)
ap.add_argument("--policy", default="plas")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
for i in range(a.steps):
    for d in ((st, ou) if i % 2 == 0 else (ou, st)):
        d.step(True)
print(f"stock {1e3*st.cpu/st.steps:.3f} ours {1e3*ou.cpu/ou.steps:.3f} ms/step (sampled)")
