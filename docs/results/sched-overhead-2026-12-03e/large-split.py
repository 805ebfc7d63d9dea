# ruff: noqa  (a throw-away measurement script, kept as run)
"""Where ours' extra per-step CPU goes at 512/4096 (ABBA with stock, as sched_overhead.py):
thread-CPU timer stack around vLLM's methods and our hooks; steps tagged `relevel` (the
levels moved: mlq.version changed). Reports the excess (ours - stock) split into the
re-levelling steps, our code in the other steps (by hook), and vLLM's code beside ours in
the other steps."""
import argparse, collections, functools, json, statistics, sys, time

sys.path.insert(0, "examples")
import sched_overhead as so
from vllm.v1.core.sched.scheduler import Scheduler as V
import vllm_nexus.programs.scheduler as NS
from vllm_nexus.programs.charging import StepCharging as SC

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096)
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--nexus", default="{}")
ap.add_argument("--policy", default="plas")
ap.add_argument("--nowrap", action="store_true", help="no timers (just tags): overall figures")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
tt = time.thread_time
stack, acc, active = [], collections.defaultdict(float), [False]

def wrap(cls, name, label):
    f = cls.__dict__[name]
    @functools.wraps(f)
    def w(*x, **k):
        if not active[0]:
            return f(*x, **k)
        t = tt()
        if stack:
            acc[stack[-1][0]] += t - stack[-1][1]
        stack.append([label, t])
        try:
            return f(*x, **k)
        finally:
            t2 = tt()
            lab, st_ = stack.pop()
            acc[lab] += t2 - st_
            if stack:
                stack[-1][1] = t2
    setattr(cls, name, w)

if not a.nowrap:
    for n in ("schedule", "update_from_output", "_free_request", "_preempt_request"):
        wrap(V, n, "vllm")
    N = NS.Scheduler
    wrap(N, "schedule", "ours:schedule-glue")
    wrap(N, "update_from_output", "ours:uo-glue")
    wrap(N, "_free_request", "ours:free")
    wrap(N, "_preempt_request", "ours:preempt_hook")
    wrap(N, "_prepare_step", "ours:prepare")
    wrap(N, "_insert_running", "ours:insert")
    wrap(SC, "_record_step", "ours:record")
    wrap(SC, "_charge", "ours:charge")
    wrap(SC, "_move_demoted", "ours:move_demoted")
    RQ = sys.modules["vllm_nexus.programs.request_queue"].ProgramRequestQueue
    for n in ("add_request", "pop_request", "peek_request", "prepend_request", "remove_request", "remove_requests", "__bool__", "__len__"):
        wrap(RQ, n, "ours:waitq")

import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
for d in (st, ou):
    for _ in range(60):
        d.step(False)
rows = []
for i in range(a.steps):
    pair = (st, ou) if i % 2 == 0 else (ou, st)
    r = {}
    for d in pair:
        if d is ou:
            acc.clear(); active[0] = True
            v0 = ou.sched._levels_version
        dt = d.step(True)
        active[0] = False
        r[d.name] = dt
        if d is ou:
            r["parts"] = dict(acc)
            r["relevel"] = ou.sched._levels_version != v0
    rows.append(r)
S = sum(r["stock"] for r in rows); O = sum(r["ours"] for r in rows); n = len(rows)
rel = [r for r in rows if r["relevel"]]; rest = [r for r in rows if not r["relevel"]]
Sr = sum(r["stock"] for r in rest); Or = sum(r["ours"] for r in rest)
print(f"{a.running}/{a.waiting} {n} steps: stock {1e3*S/n:.3f} ours {1e3*O/n:.3f} ms/step; ratio of sums {O/S:.3f}; "
      f"median {statistics.median(r['ours']/r['stock'] for r in rows):.3f}; tokens {st.tokens/st.steps:.0f}/{ou.tokens/ou.steps:.0f}")
print(f"re-levelling steps {len(rel)}: excess {1e3*sum(r['ours']-r['stock'] for r in rel):.1f} ms = {100*sum(r['ours']-r['stock'] for r in rel)/S:.1f} points of the ratio of sums")
print(f"other steps {len(rest)}: ratio of sums {Or/Sr:.3f}, median {statistics.median(r['ours']/r['stock'] for r in rest):.3f}; excess {1e3*(Or-Sr)/len(rest):.3f} ms/step = {100*(Or-Sr)/S:.1f} points")
if not a.nowrap:
    labels = sorted({k for r in rows for k in r["parts"]})
    for name, group in (("other steps", rest), ("re-levelling steps", rel)):
        if not group: continue
        s = sum(r["stock"] for r in group)
        print(f"  {name}: per part, ms/step and points of stock (sum over these steps / stock sum over these steps)")
        for k in labels:
            v = sum(r["parts"].get(k, 0) for r in group)
            print(f"    {k:22s} {1e3*v/len(group):8.3f} ms/step  {100*v/s:6.2f}%")
        vl = sum(r["parts"].get("vllm", 0) for r in group)
        print(f"    vLLM's code beside ours minus stock: {1e3*(vl-s)/len(group):+.3f} ms/step {100*(vl-s)/s:+.2f}%  (wrapper overhead inflates ours)")
