# ruff: noqa  (a throw-away measurement script, kept as run)
"""One scheduler alone on the sched_overhead stream, N steps, no profiler (for a sampling
profiler such as py-spy attached from outside)."""
import argparse, sys, json, time
sys.path.insert(0, "examples")
import sched_overhead as so
ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=3000)
ap.add_argument("--stock", action="store_true")
ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus))
model = so.model_dir()
d = so.Driver("x", so.build(None if a.stock else "vllm_nexus.Scheduler", args, model),
              so.Stream(args, 0), a.waiting)
if not a.stock:
    so.prefill_programs(d.sched, 100000, 0)
for _ in range(60):
    d.step(False)
for _ in range(a.steps):
    d.step(True)
print(f"{'stock' if a.stock else 'ours'} {a.running}/{a.waiting}: {1e3*d.cpu/d.steps:.3f} ms/step over {d.steps} steps")
