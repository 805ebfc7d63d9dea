# ruff: noqa  (a throw-away measurement script, kept as run)
"""Net tracked-container allocations (what drives CPython's generational GC: gen 0 runs every
700 of them) per step, stock vs ours, with the collector off; and for ours per hook. Counts,
not times: no lock needed for the figures to be exact. Run from the tree measured."""
import argparse, collections, gc, json, sys, time
sys.path.insert(0, "examples")
import sched_overhead as so
from vllm_nexus.programs import scheduler, charging, queues, request_queue, lineage
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096); ap.add_argument("--steps", type=int, default=200)
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={})
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
C = collections.Counter(); depth = [0]
def wrap(cls, name):
    f = getattr(cls, name)
    def g(*x, **k):
        if depth[0]: return f(*x, **k)
        depth[0] += 1; c0 = gc.get_count()[0]
        try: return f(*x, **k)
        finally:
            C[name] += gc.get_count()[0] - c0; depth[0] -= 1
    setattr(cls, name, g)
for name in ("_prepare_step", "_record_step", "_charge", "_insert_running", "_move_demoted"):
    wrap(scheduler.Scheduler, name)
wrap(lineage.LineageIndex, "flush")
for d in (st, ou):
    for _ in range(60): d.step(False)
gc.collect(); gc.disable()
tot = {}
for d in (st, ou):
    c0 = gc.get_count()[0]
    if d is ou: C.clear()
    for _ in range(a.steps):
        d.top_up(); out = d.sched.schedule(); d.sched.update_from_output(out, so.fake_output(d.sched, out))
    tot[d.name] = (gc.get_count()[0] - c0) / a.steps
    gc.collect()
gc.enable()
# then the collector on: collections per generation and collector CPU time (thread time,
# indicative: shared lock) over the next steps, stock and ours alternating steps (ABBA)
G = {"stock": collections.Counter(), "ours": collections.Counter()}; cur = ["stock"]; t0 = [0.0]
def cb(phase, info):
    if phase == "start": t0[0] = time.thread_time()
    else:
        G[cur[0]]["gen%d" % info["generation"]] += 1; G[cur[0]]["ms"] += 1e3 * (time.thread_time() - t0[0])
gc.callbacks.append(cb)
for i in range(a.steps):
    for d in ((st, ou) if i % 2 == 0 else (ou, st)):
        cur[0] = d.name; d.step(False)
gc.callbacks.remove(cb)
print(f"{a.running}/{a.waiting}: net tracked allocations per step (incl. top-up): stock {tot['stock']:.0f}, ours {tot['ours']:.0f}")
print("ours by hook, per step:", {k: round(v / a.steps, 1) for k, v in C.most_common()})
for name, g in G.items():
    print(f"collector over {a.steps} more steps, {name}: gen0 {g['gen0']} gen1 {g['gen1']} gen2 {g['gen2']} collections, {g['ms']:.1f} ms")
