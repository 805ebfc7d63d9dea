# ruff: noqa
"""(relevel = the step that re-levelled; gc1+ = a gen-1/2 collection in the step) Which steps of ours cost most beyond stock (ABBA as sched_overhead), tagged by event."""
import argparse, gc, json, sys, time, statistics, collections
sys.path.insert(0, "examples")  # run from the tree measured
import sched_overhead as so
from vllm_nexus.programs import lineage

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096)
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--nexus", default="{}")
ap.add_argument("--policy", default="plas")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus))
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
ou = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(ou.sched, 100000, 0)
ev = collections.Counter()
orig_flush = lineage.LineageIndex.flush
def flush(self):
    n = orig_flush(self)
    if n: ev["flush"] += 1
    return n
lineage.LineageIndex.flush = flush
gcinfo = {"t0": 0.0, "gc": 0.0, "gen": -1}
def cb(phase, info):
    if phase == "start": gcinfo["t0"] = time.thread_time()
    else:
        gcinfo["gc"] += time.thread_time() - gcinfo["t0"]; gcinfo["gen"] = max(gcinfo["gen"], info["generation"])
gc.callbacks.append(cb)
for d in (st, ou):
    for _ in range(60): d.step(False)
rows = []
for i in range(a.steps):
    pair = (st, ou) if i % 2 == 0 else (ou, st)
    dt, g = {}, {}
    for d in pair:
        ev.clear(); gcinfo["gc"] = 0.0; gcinfo["gen"] = -1
        m = getattr(d.sched, "nexus_metrics", None)
        before = (m.demotions, m.preemptions_proactive, m.calls_completed, d.sched._levels_version) if m else None
        fin0 = len(d.sched.finished_req_ids) if False else 0
        dt[d.name] = d.step(True)
        g[d.name] = (gcinfo["gc"], gcinfo["gen"])
        if m:
            tags = dict(dem=m.demotions-before[0], pre=m.preemptions_proactive-before[1], done=m.calls_completed-before[2],
                        relevel=int(d.sched._levels_version != before[3]), flush=ev["flush"])
    rows.append((dt["ours"], dt["stock"], g["ours"], g["stock"], tags))
so_sum = sum(r[1] for r in rows); ou_sum = sum(r[0] for r in rows)
print(f"stock {1e3*so_sum/len(rows):.3f} ours {1e3*ou_sum/len(rows):.3f} ms/step ratio of sums {ou_sum/so_sum:.3f} median {statistics.median(r[0]/r[1] for r in rows):.3f}")
excess = [(r[0]-r[1], r) for r in rows]
tot_ex = ou_sum - so_sum
print(f"total excess {1e3*tot_ex:.1f} ms; gc ours {1e3*sum(r[2][0] for r in rows):.1f} ms, gc stock {1e3*sum(r[3][0] for r in rows):.1f} ms")
med_stock = statistics.median(r[1] for r in rows)
# excess above median ratio: tail contribution
mr = statistics.median(r[0]/r[1] for r in rows)
tail = sorted(((r[0]-mr*r[1]), r) for r in rows)[::-1]
print("top 12 steps by ours - median_ratio*stock (ms): ours stock gc_ours gc_stock tags")
for x, r in tail[:12]:
    print(f"  {1e3*x:7.3f}  {1e3*r[0]:7.3f} {1e3*r[1]:7.3f} gc {1e3*r[2][0]:6.2f}/g{r[2][1]} {1e3*r[3][0]:6.2f}/g{r[3][1]} {r[4]}")
by = collections.defaultdict(float); cnt = collections.Counter()
for x, r in tail:
    t = r[4]
    k = "relevel" if t["relevel"] else "gc1+_ours" if r[2][1] >= 1 else "gc1+_stock" if r[3][1] >= 1 else "flush" if t["flush"] else "completion" if t["done"] else "pre" if t["pre"] else "other"
    by[k] += x; cnt[k] += 1
print("excess over median ratio by class (ms, steps):", {k: (round(1e3*v,1), cnt[k]) for k, v in by.items()})
print("sum of ours excess over median-ratio:", round(1e3*sum(x for x,_ in tail),1), "ms; ratio of sums with GC removed:",
      round((ou_sum - sum(r[2][0] for r in rows))/(so_sum - sum(r[3][0] for r in rows)),3))
