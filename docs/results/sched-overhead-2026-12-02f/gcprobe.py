# ruff: noqa  (a throw-away measurement script, kept as run)
# ABBA stock vs ours in one process: GC collections and their time during each side's timed steps
import argparse, gc, sys, time, statistics

sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=400)
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
    stock_policy="fcfs",
)
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
for d in (st, ou):
    for _ in range(60):
        d.step(False)
cur = [None]
t0 = [0.0]
acc = {n: {g: [0, 0.0] for g in range(3)} for n in ("stock", "ours", None)}


def cb(phase, info):
    if phase == "start":
        t0[0] = time.thread_time()
    else:
        r = acc[cur[0]][info["generation"]]
        r[0] += 1
        r[1] += time.thread_time() - t0[0]


gc.callbacks.append(cb)
ratios = []
ex = []
for i in range(a.steps):
    pair = (st, ou) if i % 2 == 0 else (ou, st)
    dt = {}
    g = {}
    for d in pair:
        cur[0] = d.name
        before = sum(v[1] for v in acc[d.name].values())
        dt[d.name] = d.step(True)
        g[d.name] = sum(v[1] for v in acc[d.name].values()) - before
        cur[0] = None
    ratios.append(dt["ours"] / dt["stock"])
    ex.append((dt["ours"] - g["ours"]) / (dt["stock"] - g["stock"]))
print(
    f"{a.running}/{a.waiting}: stock {1e3 * st.cpu / st.steps:.3f} ours {1e3 * ou.cpu / ou.steps:.3f} ms/step; median ratio {statistics.median(ratios):.3f}; median ratio excluding GC time {statistics.median(ex):.3f}"
)
for n in ("stock", "ours"):
    print(
        n,
        " ".join(
            f"gen{g}: {c} collections {1e3 * t:.1f} ms ({1e3 * t / a.steps:.3f} ms/step)"
            for g, (c, t) in acc[n].items()
        ),
    )
print("gc thresholds", gc.get_threshold())
