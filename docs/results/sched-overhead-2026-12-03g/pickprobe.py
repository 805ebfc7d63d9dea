# ruff: noqa  (a throw-away measurement script, kept as run)
"""How often ours' proactive pick runs at 64/256 and what it costs: thread CPU of
_prepare_step split by whether the pick ran / preempted; the benchmark's stream, ours only."""
import argparse, sys, time, collections
sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=3000)
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={})
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), a.waiting)
so.prefill_programs(d.sched, 100000, 0)
s = d.sched
mlq = s.mlq
state = {}
orig_pick = mlq.pick_victims
def pick(*aa, **kw):
    state["pick"] = True
    v = orig_pick(*aa, **kw)
    state["victims"] = len(v)
    return v
mlq.pick_victims = pick
orig_prep = s._prepare_step
cpu = collections.defaultdict(float); n = collections.Counter()
def prep(now):
    state.clear()
    t0 = time.thread_time()
    orig_prep(now)
    dt = time.thread_time() - t0
    k = "no pick" if "pick" not in state else ("pick, victims" if state["victims"] else "pick, none")
    cpu[k] += dt; n[k] += 1
s._prepare_step = prep
for _ in range(60):
    d.step(False)
tot = 0.0
for _ in range(a.steps):
    tot += d.step(True)
print(f"{a.running}/{a.waiting} steps {a.steps}: ours {1e3*tot/a.steps:.3f} ms/step")
for k in ("no pick", "pick, none", "pick, victims"):
    if n[k]:
        print(f"  {k:14s} {n[k]:5d} steps ({100*n[k]/a.steps:4.1f}%)  {1e6*cpu[k]/n[k]:7.1f} us per step  {100*cpu[k]/tot:5.2f}% of ours' CPU")
