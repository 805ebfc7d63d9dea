# ruff: noqa  (a throw-away measurement script, kept as run)
# profile ours alone: schedule + update_from_output, cProfile
import argparse, cProfile, pstats, sys, json

sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=400)
ap.add_argument("--stock", action="store_true")
ap.add_argument("--sort", default="tottime")
ap.add_argument("--n", type=int, default=45)
ap.add_argument("--callers", default="")
a = ap.parse_args()
args = argparse.Namespace(
    running=a.running,
    waiting=a.waiting,
    programs=100000,
    policy="plas",
    prompt_len=64,
    max_tokens=256,
    max_num_batched_tokens=8192,
    nexus={},
)
model = so.model_dir()
d = so.Driver(
    "x",
    so.build(None if a.stock else "vllm_nexus.Scheduler", args, model),
    so.Stream(args, 0),
    a.waiting,
)
if not a.stock:
    so.prefill_programs(d.sched, 100000, 0)
for _ in range(60):
    d.step(False)
pr = cProfile.Profile()
s = d.sched
for _ in range(a.steps):
    d.top_up()
    pr.enable()
    out = s.schedule()
    pr.disable()
    mro = so.fake_output(s, out)
    pr.enable()
    s.update_from_output(out, mro)
    pr.disable()
pr.dump_stats("/tmp/ovh6/%d_%s.pstats" % (a.running, "stock" if a.stock else "ours"))
st = pstats.Stats(pr)
st.sort_stats(a.sort).print_stats(a.n)
if a.callers:
    st.print_callers(a.callers)
print("==== ours only")
st.sort_stats("tottime").print_stats("vllm_nexus", 60)
