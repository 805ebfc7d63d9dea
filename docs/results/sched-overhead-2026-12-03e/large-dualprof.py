# ruff: noqa  (a throw-away measurement script, kept as run)
"""Stock and ours ABBA in one process (the benchmark's stream and order), each side with its
own cProfile profiler enabled only around its own schedule() + update_from_output(): per
function tottime of ours' side minus stock's side, at the same load. Proportions only
(cProfile inflates small functions)."""
import argparse, cProfile, pstats, sys, json

sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096)
ap.add_argument("--steps", type=int, default=200)
ap.add_argument("--n", type=int, default=45)
ap.add_argument("--nexus", default="{}")
ap.add_argument("--out", default="")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus),
    stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
for d in (st, ou):
    for _ in range(60):
        d.step(False)
prof = {"stock": cProfile.Profile(), "ours": cProfile.Profile()}
for i in range(a.steps):
    pair = (st, ou) if i % 2 == 0 else (ou, st)
    for d in pair:
        d.top_up()
        s, p = d.sched, prof[d.name]
        p.enable()
        out = s.schedule()
        p.disable()
        mro = so.fake_output(s, out)
        p.enable()
        s.update_from_output(out, mro)
        p.disable()
S = pstats.Stats(prof["stock"]).stats
O = pstats.Stats(prof["ours"]).stats
if a.out:
    prof["stock"].dump_stats(a.out + "-stock.pstats"); prof["ours"].dump_stats(a.out + "-ours.pstats")
def norm(k):
    f = k[0].split("site-packages/")[-1]
    for pre in ("/tmp/ovhL/base/", "/tmp/ovhL/branch/", "/work/wt/ovhlarge/"):
        f = f.replace(pre, "")
    return (f, k[1], k[2])
A = {}; B = {}
for src, dst in ((S, A), (O, B)):
    for k, v in src.items():
        dst[norm(k)] = v
ta = sum(v[2] for v in A.values()); tb = sum(v[2] for v in B.values())
n = a.steps
print(f"{a.running}/{a.waiting} {n} steps each: profiled tottime stock {1e3*ta/n:.3f} ours {1e3*tb/n:.3f} ms/step, ratio {tb/ta:.3f}")
ours_code = sum(v[2] for k, v in B.items() if "vllm_nexus" in k[0])
print(f"  vllm_nexus tottime {1e3*ours_code/n:.3f} ms/step = {100*ours_code/ta:.1f}% of stock's total")
vl_a = sum(v[2] for k, v in A.items() if "vllm_nexus" not in k[0])
vl_b = sum(v[2] for k, v in B.items() if "vllm_nexus" not in k[0])
print(f"  everything else (vLLM, builtins) stock {1e3*vl_a/n:.3f} ours {1e3*vl_b/n:.3f} ms/step (+{100*(vl_b-vl_a)/ta:.1f}% of stock)")
rows = []
for k in set(A) | set(B):
    va, vb = A.get(k, (0, 0, 0, 0, {})), B.get(k, (0, 0, 0, 0, {}))
    rows.append((vb[2] - va[2], k, va[1], vb[1], va[2], vb[2], va[3], vb[3]))
rows.sort(key=lambda r: -r[0])
print("diff_tottime_us/step  calls/step stock ours  tt_us/step stock ours  cum_us/step stock ours  function")
for d, k, ca, cb, t1, t2, c1, c2 in rows[: a.n]:
    print(f"{1e6*d/n:+9.1f}  {ca/n:8.1f} {cb/n:8.1f}  {1e6*t1/n:8.1f} {1e6*t2/n:8.1f}  {1e6*c1/n:8.1f} {1e6*c2/n:8.1f}  {k[0]}:{k[1]}({k[2]})")
print("...most negative")
for d, k, ca, cb, t1, t2, c1, c2 in rows[-12:]:
    print(f"{1e6*d/n:+9.1f}  {ca/n:8.1f} {cb/n:8.1f}  {1e6*t1/n:8.1f} {1e6*t2/n:8.1f}  {1e6*c1/n:8.1f} {1e6*c2/n:8.1f}  {k[0]}:{k[1]}({k[2]})")
