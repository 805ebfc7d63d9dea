# ruff: noqa  (a throw-away measurement script, kept as run)
"""One side of examples/sched_overhead.py ALONE in its process (stock, or ours with the 100k
program table): CPU time (time.thread_time) of schedule() + update_from_output() per step,
same stream, same warm-up, no second scheduler in the process. Comparing the two sides' runs
(alternating processes) shows whether the in-process ratio carries an interaction of the two
schedulers (shared interpreter caches, CPU caches) that production never has.
  PYTHONPATH=TREE python alone.py --side stock|ours [--steps 400]"""
import argparse, json, os, statistics, sys, time
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=400)
ap.add_argument("--side", choices=("stock", "ours"), required=True); ap.add_argument("--programs", type=int, default=100000)
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=a.programs, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
d = so.Driver(a.side, so.build(None if a.side == "stock" else "vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), a.waiting)
if a.side == "ours":
    so.prefill_programs(d.sched, a.programs, 0)
for _ in range(60):
    d.step(False)
per = [d.step(True) for _ in range(a.steps)]
print(f"alone side {a.side} {a.running}/{a.waiting}: {1e3 * d.cpu / d.steps:.4f} ms CPU per step (median {1e3 * statistics.median(per):.4f}), tokens/step {d.tokens / d.steps:.1f}, preempted {d.preempted}")
