# ruff: noqa  (a throw-away measurement script, kept as run)
"""cProfile of stock's and ours' timed schedule()/update_from_output() (examples/sched_overhead.py's
stream, 100k programs, ABBA), each side in its own profile: --out-prefix P writes P.stock.prof and
P.ours.prof. Call counts are exact; times carry the profiler's per-call overhead."""
import argparse, cProfile, sys, os
sys.path.insert(0, os.path.join(os.environ.get("TREE", "."), "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=1000)
ap.add_argument("--policy", default="plas")
ap.add_argument("--out-prefix", required=True)
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
for d in (st, ou):
    for _ in range(60): d.step(False)
prs = {st: cProfile.Profile(), ou: cProfile.Profile()}
def step(d):
    d.top_up(); s = d.sched; pr = prs[d]
    pr.enable(); out = s.schedule(); pr.disable()
    mro = so.fake_output(s, out)
    pr.enable(); s.update_from_output(out, mro); pr.disable()
for i in range(a.steps):
    for d in ((st, ou) if i % 2 == 0 else (ou, st)): step(d)
prs[st].dump_stats(a.out_prefix + ".stock.prof"); prs[ou].dump_stats(a.out_prefix + ".ours.prof")
