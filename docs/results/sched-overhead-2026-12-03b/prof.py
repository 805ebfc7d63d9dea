# ruff: noqa  (a throw-away measurement script, kept as run)
"""cProfile of one scheduler alone on the sched_overhead stream (schedule + update_from_output
only). Proportions only: cProfile inflates small functions. Also prints the cumulative time of
our per-step hooks and the share of all vllm_nexus code (tottime)."""
import argparse, cProfile, pstats, sys, json, io

sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=400)
ap.add_argument("--stock", action="store_true")
ap.add_argument("--n", type=int, default=40)
ap.add_argument("--out", default="")
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
if a.out:
    pr.dump_stats(a.out)
st = pstats.Stats(pr)
total = st.total_tt
print(f"total profiled {total:.3f} s over {a.steps} steps ({1e3*total/a.steps:.3f} ms/step under the profiler)")
st.sort_stats("tottime").print_stats(a.n)
if not a.stock:
    ours = sum(v[2] for k, v in st.stats.items() if "vllm_nexus" in k[0])
    print(f"vllm_nexus tottime {ours:.3f} s = {100*ours/total:.1f}% of profiled")
    for name in ("_prepare_step", "_record_step", "_charge", "_free_request", "_insert_running",
                 "_move_demoted", "_preempt_request", "schedule", "update_from_output"):
        for k, v in st.stats.items():
            if k[2] == name and "vllm_nexus" in k[0]:
                print(f"  {name:20s} {k[0].split('/')[-1]}:{k[1]} calls {v[1]:6d} cum {v[3]:.4f} s = {100*v[3]/total:.2f}%")
    print("==== ours only, by tottime")
    st.sort_stats("tottime").print_stats("vllm_nexus", 50)
