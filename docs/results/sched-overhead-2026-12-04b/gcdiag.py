# ruff: noqa  (a throw-away measurement script, kept as run)
"""Where the non-instruction overhead goes (issue 16 item 5): examples/sched_overhead.py's
alternating loop, plus per side inside the timed calls: garbage collections (count and CPU
time per generation, through gc.callbacks), net tracked-container allocations (gc.get_count
with the collector off in a counting pass), allocated blocks. --gc off: the collector
disabled (gc.freeze() after warm-up) for the timed steps. Run from a tree:
  TREE=/path PYTHONPATH=/path python gcdiag.py --programs 100000 --steps 400 [--gc off]"""
import argparse, gc, json, os, resource, statistics, sys, time
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64); ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--programs", type=int, default=100000); ap.add_argument("--steps", type=int, default=400)
ap.add_argument("--count-steps", type=int, default=200); ap.add_argument("--policy", default="plas")
ap.add_argument("--gc", choices=("on", "off"), default="on"); ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=a.programs, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
model = so.model_dir()
ds = [so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting),
      so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)]
so.prefill_programs(ds[1].sched, a.programs, 0)
for d in ds:
    for _ in range(60):
        d.step(False)
# counting pass: collector off, net tracked allocations and blocks per timed call pair
gc.collect(); gc.disable()
for d in ds:
    s = d.sched; c0 = b0 = 0; cmax = 0
    for _ in range(a.count_steps):
        d.top_up()
        g0 = gc.get_count()[0]; b = sys.getallocatedblocks()
        out = s.schedule(); g1 = gc.get_count()[0]
        mro = so.fake_output(s, out)
        g2 = gc.get_count()[0]
        s.update_from_output(out, mro)
        g3 = gc.get_count()[0]
        n = (g1 - g0) + (g3 - g2); c0 += n; cmax = max(cmax, n)
    print(f"{d.name:6} net tracked allocations per step (sched+uo) {c0 / a.count_steps:7.1f} (max {cmax})")
gc.enable(); gc.collect()
print("tracked objects", len(gc.get_objects()), "gen counts", gc.get_count())
if a.gc == "off":
    gc.freeze(); gc.disable()
cur = [None]; ev = {"stock": [[0, 0.0] for _ in range(3)], "ours": [[0, 0.0] for _ in range(3)]}
t_start = [0.0]
def cb(phase, info):
    if cur[0] is None:
        return
    if phase == "start":
        t_start[0] = time.thread_time()
    else:
        e = ev[cur[0]][info["generation"]]; e[0] += 1; e[1] += time.thread_time() - t_start[0]
gc.callbacks.append(cb)
flt = {"stock": [0, 0, 0], "ours": [0, 0, 0]}
RT = resource.RUSAGE_THREAD
def ru(d, r0, r1):
    f = flt[d.name]; f[0] += r1.ru_minflt - r0.ru_minflt; f[1] += r1.ru_nvcsw - r0.ru_nvcsw; f[2] += r1.ru_nivcsw - r0.ru_nivcsw
def step(d):
    d.top_up(); s = d.sched
    r0 = resource.getrusage(RT)
    cur[0] = d.name; t0 = time.thread_time(); out = s.schedule(); t1 = time.thread_time(); cur[0] = None
    r1 = resource.getrusage(RT); ru(d, r0, r1)
    mro = so.fake_output(s, out)
    r0 = resource.getrusage(RT)
    cur[0] = d.name; t2 = time.thread_time(); s.update_from_output(out, mro); t3 = time.thread_time(); cur[0] = None
    r1 = resource.getrusage(RT); ru(d, r0, r1)
    return (t1 - t0) + (t3 - t2)
tot = {"stock": 0.0, "ours": 0.0}; ratios = []
for i in range(a.steps):
    pair = ds if i % 2 == 0 else ds[::-1]
    dt = {d.name: step(d) for d in pair}
    for k in dt: tot[k] += dt[k]
    ratios.append(dt["ours"] / max(dt["stock"], 1e-9))
gc.callbacks.remove(cb)
print(f"programs {a.programs} gc {a.gc} steps {a.steps}: stock {1e3*tot['stock']/a.steps:.3f} ours {1e3*tot['ours']/a.steps:.3f} ms/step "
      f"ratio {tot['ours']/tot['stock']:.4f} median {statistics.median(ratios):.4f} load {open('/proc/loadavg').read().split()[0]}")
for k in flt:
    print(f"  {k:6} in timed calls: minor page faults {flt[k][0]} ({flt[k][0]/a.steps:.2f}/step), voluntary ctx switches {flt[k][1]}, involuntary {flt[k][2]}")
for k in ev:
    print(f"  {k:6} gc in timed calls: " + ", ".join(f"gen{g} {n} x, {1e3*t:.2f} ms ({1e6*t/a.steps:.1f} us/step)" for g, (n, t) in enumerate(ev[k])))
