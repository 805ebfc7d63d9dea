# ruff: noqa  (a throw-away measurement script, kept as run)
"""Where the gcpause layout's per-step cost goes: examples/sched_overhead.py's stream (ABBA
with stock, as gcprobe.py), ours' ProgramTable calls counted and timed (thread CPU; the timer
wrappers cost the same on every tree), packs/unpacks counted (trees that pack), and the
collector's collections by generation inside each side's timed steps.
  PYTHONPATH=<tree> python tableprobe.py --running 64 --waiting 256 --steps 2000
"""
import argparse, collections, gc, statistics, sys, time
sys.path.insert(0, "examples")
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
from vllm_nexus.programs import table as T
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=2000)
ap.add_argument("--no-wrap", action="store_true", help="count gc only, no timers")
ap.add_argument("--nexus", type=__import__("json").loads, default={})
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=a.nexus, stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
for d in (st, ou):
    for _ in range(60): d.step(False)
N = collections.Counter(); S = collections.Counter(); on = [False]
def wrap(cls, name):
    f = getattr(cls, name, None)
    if f is None: return
    def w(*x, **k):
        if not on[0]: return f(*x, **k)
        t = time.thread_time()
        try: return f(*x, **k)
        finally: S[name] += time.thread_time() - t; N[name] += 1
    setattr(cls, name, w)
def count(mod, name):
    f = getattr(mod, name, None)
    if f is None: return
    def w(*x, **k):
        if on[0]: N[name] += 1
        return f(*x, **k)
    setattr(mod, name, w)
if not a.no_wrap:
    for m in ("call_started", "call_finished", "get", "evict", "_pack_some"):
        wrap(T.ProgramTable, m)
    count(T, "_unpacked"); count(T, "_packed")
G = {"stock": collections.Counter(), "ours": collections.Counter()}; cur = [None]; t0 = [0.0]
def cb(phase, info):
    if cur[0] is None: return
    if phase == "start": t0[0] = time.thread_time()
    else:
        G[cur[0]]["gen%d" % info["generation"]] += 1; G[cur[0]]["ms"] += 1e3 * (time.thread_time() - t0[0])
gc.callbacks.append(cb)
def step(d):
    d.top_up(); s = d.sched
    on[0] = d.name == "ours"
    cur[0] = d.name; t = time.thread_time(); out = s.schedule(); t1 = time.thread_time(); cur[0] = None
    on[0] = False
    mro = so.fake_output(s, out)
    on[0] = d.name == "ours"
    cur[0] = d.name; t2 = time.thread_time(); s.update_from_output(out, mro); t3 = time.thread_time(); cur[0] = None
    on[0] = False
    return (t1 - t) + (t3 - t2)
cpu = collections.Counter(); ratios = []
for i in range(a.steps):
    dt = {d.name: step(d) for d in ((st, ou) if i % 2 == 0 else (ou, st))}
    cpu.update(dt); ratios.append(dt["ours"] / dt["stock"])
gc.callbacks.remove(cb)
tab = ou.sched.mlq.programs
print(f"{a.running}/{a.waiting} {a.steps} steps: stock {1e3*cpu['stock']/a.steps:.3f} ours {1e3*cpu['ours']/a.steps:.3f} ms/step, ratio of sums {cpu['ours']/cpu['stock']:.3f}, median {statistics.median(ratios):.3f}")
print(f"  table: {len(tab)} programs, {getattr(tab, 'packed_programs', 0)} packed, {len(getattr(tab, '_to_pack', ()))} queued to pack")
stock_us = 1e6 * cpu['stock'] / a.steps
for k in sorted(set(N) | set(S)):
    extra = f", {1e6*S[k]/N[k]:.2f} us each, {1e6*S[k]/a.steps:.2f} us/step = {100*S[k]/cpu['stock']:.2f}% of stock" if S[k] else ""
    print(f"  {k}: {N[k]/a.steps:.3f} per step{extra}")
for name, g in G.items():
    print(f"  gc {name}: gen0 {g['gen0']} gen1 {g['gen1']} gen2 {g['gen2']} inside timed steps, {g['ms']:.1f} ms = {100*g['ms']/1e3/cpu['stock']:.2f}% of stock")
print(f"  gc.get_count {gc.get_count()} stats {[s['collections'] for s in gc.get_stats()]}")
