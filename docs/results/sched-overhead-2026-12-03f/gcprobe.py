# ruff: noqa  (a throw-away measurement script, kept as run)
"""The collector beside the benchmark (examples/sched_overhead.py's stream, ABBA): per side,
collections by generation that start inside its timed schedule()/update_from_output(), and
their CPU time; the ratio of summed step CPU with the collector as is, then (--freeze) after
gc.freeze() of everything built during setup and warm-up (the 100k-program table, vLLM's
objects), (--engine) after gc.freeze() right after the two schedulers are built, as vLLM's
EngineCore does after its startup (vllm.utils.gc_utils.freeze_gc_heap; the program table and
requests come later, as in serving), or with the collector off (--off) during the timed steps."""
import argparse, collections, gc, json, sys, time
sys.path.insert(0, "examples")
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096); ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--policy", default="plas"); ap.add_argument("--mode", choices=("as-is", "freeze", "engine", "off"), default="as-is")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
if a.mode == "engine":
    from vllm.utils.gc_utils import freeze_gc_heap
    freeze_gc_heap()
so.prefill_programs(ou.sched, 100000, 0)
for d in (st, ou):
    for _ in range(60): d.step(False)
if a.mode == "freeze":
    gc.collect(); gc.freeze()
G = {"stock": collections.Counter(), "ours": collections.Counter()}; cur = [None]; t0 = [0.0]
def cb(phase, info):
    if cur[0] is None: return
    if phase == "start": t0[0] = time.thread_time()
    else:
        G[cur[0]]["gen%d" % info["generation"]] += 1; G[cur[0]]["ms"] += 1e3 * (time.thread_time() - t0[0])
gc.callbacks.append(cb)
class Side(so.Driver): pass
def step(d):
    d.top_up(); s = d.sched
    cur[0] = d.name; t = time.thread_time(); out = s.schedule(); t1 = time.thread_time(); cur[0] = None
    mro = so.fake_output(s, out)
    cur[0] = d.name; t2 = time.thread_time(); s.update_from_output(out, mro); t3 = time.thread_time(); cur[0] = None
    return (t1 - t) + (t3 - t2)
if a.mode == "off": gc.disable()
cpu = collections.Counter(); ratios = []
for i in range(a.steps):
    dt = {d.name: step(d) for d in ((st, ou) if i % 2 == 0 else (ou, st))}
    cpu.update(dt); ratios.append(dt["ours"] / dt["stock"])
gc.enable(); gc.callbacks.remove(cb)
import statistics
print(f"{a.running}/{a.waiting} policy {a.policy} gc {a.mode}: stock {1e3*cpu['stock']/a.steps:.3f} ours {1e3*cpu['ours']/a.steps:.3f} ms/step, ratio of sums {cpu['ours']/cpu['stock']:.3f}, median {statistics.median(ratios):.3f}")
for name, g in G.items():
    print(f"  {name}: gen0 {g['gen0']} gen1 {g['gen1']} gen2 {g['gen2']} collections inside timed steps, {g['ms']:.1f} ms = {100*g['ms']/1e3/cpu['stock']:.2f}% of stock's summed step CPU")
print(f"  gc.get_count {gc.get_count()} thresholds {gc.get_threshold()} frozen {gc.get_freeze_count()}")
