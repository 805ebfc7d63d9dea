# ruff: noqa: E402  (a throw-away diagnostic script, kept as run)
"""What each scheduler leaves to the collector per step (twenty-first pass, issue 16 item 5).

Issue 16's benchmark stream (examples/sched_overhead.py: both schedulers, same stream, 100k
programs, 60 warm-up steps). Then, per side, N steps with the collector frozen out of the way
(gc.collect(); gc.freeze(); gc.disable()): the gc-tracked objects that exist after the steps
and did not before (gc.get_objects() outside the permanent generation), by type, per step;
the net tracked allocations per step (gc.get_count()[0]) are what drives gen-0 collections
(threshold 700). Nothing in the product code changes.

    PYTHONPATH=TREE python gcwho.py --running 512 --waiting 4096 --steps 30
"""

from __future__ import annotations

import argparse
import collections
import gc
import sys
from pathlib import Path

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096)
ap.add_argument("--steps", type=int, default=30)
ap.add_argument("--policy", default="plas")
a = ap.parse_args()
sys.path.insert(0, str(Path.cwd() / "examples"))
import logging

import sched_overhead as so

logging.getLogger("vllm").setLevel(logging.WARNING)
args = argparse.Namespace(
    running=a.running, waiting=a.waiting, programs=100000, policy=a.policy, prompt_len=64,
    max_tokens=256, max_num_batched_tokens=8192, nexus={}, seed=0,
)  # fmt: skip
model = so.model_dir()
stock = so.Driver("stock", so.build(None, args, model, "fcfs"), so.Stream(args, 0), a.waiting)
ours = so.Driver(
    "ours", so.build("vllm_nexus.Scheduler", args, model, "fcfs"), so.Stream(args, 0), a.waiting
)
so.prefill_programs(ours.sched, 100000, 0)
for d in (stock, ours):
    for _ in range(60):
        d.step(timed=False)
print(f"{a.running}/{a.waiting} policy {a.policy}: {a.steps} steps per side after 60 warm-up")
for d in (stock, ours, stock, ours):
    gc.collect()
    gc.freeze()
    gc.disable()
    c0 = gc.get_count()[0]
    for _ in range(a.steps):
        d.top_up()  # (the stream's new requests: the same for both sides)
        d.step(timed=False)
    net = (gc.get_count()[0] - c0) / a.steps
    objs = gc.get_objects()
    hist = collections.Counter(type(o).__qualname__ for o in objs)
    print(f"== {d.name}: {net:.1f} net tracked allocations per step; {len(objs) / a.steps:.1f} "
          "new tracked objects alive per step (incl. garbage not yet collected); top types:")
    for t, n in hist.most_common(14):
        print(f"   {t:<32} {n / a.steps:8.1f}")
    gc.unfreeze()
    gc.enable()
