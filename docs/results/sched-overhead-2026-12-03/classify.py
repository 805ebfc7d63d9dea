# ruff: noqa
"""Per-step ratio ours/stock by step class (no timers inside): quiet steps vs steps with completions/preemptions/admissions."""
import argparse, statistics, sys, json
sys.path.insert(0, "examples")
import sched_overhead as so
ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64); ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=600); ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas", prompt_len=64,
    max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
for d in (st, ou):
    for _ in range(60): d.step(False)
rows = []
m = ou.sched.nexus_metrics
for i in range(a.steps):
    pair = (st, ou) if i % 2 == 0 else (ou, st)
    r = {}
    for d in pair:
        if d is ou:
            c0, p0, t0 = m.calls_completed, m.preemptions_proactive, ou.tokens
        r[d.name] = d.step(True)
        if d is ou:
            r["fin"], r["pre"] = m.calls_completed - c0, m.preemptions_proactive - p0
            r["adm"] = ou.tokens - t0 > a.running + 1  # prompt tokens in the step
    rows.append(r)
med = lambda rs: statistics.median(r["ours"] / r["stock"] for r in rs) if rs else float("nan")
print(f"{a.running}/{a.waiting} nexus={a.nexus}: stock {1e3*st.cpu/st.steps:.3f} ours {1e3*ou.cpu/ou.steps:.3f} ms/step; ratio of sums {ou.cpu/st.cpu:.3f}; median {med(rows):.3f}; tokens {st.tokens/st.steps:.0f}/{ou.tokens/ou.steps:.0f}; proactive {m.preemptions_proactive}")
for name, sel in (("quiet (no completion, preemption, prompt tokens)", lambda r: not r["fin"] and not r["pre"] and not r["adm"]),
                  ("prompt tokens, no completion/preemption", lambda r: r["adm"] and not r["fin"] and not r["pre"]),
                  ("completion", lambda r: r["fin"] > 0), ("preemption", lambda r: r["pre"] > 0)):
    rs = [r for r in rows if sel(r)]
    print(f"  {name:50s} {len(rs):4d} steps, median ratio {med(rs):.3f}")
