# ruff: noqa  (a throw-away measurement script, kept as run)
"""Split ours' per-step CPU into vLLM's code and each hook of ours (timer stack), ABBA with
stock, as examples/sched_overhead.py. --policy fcfs: the bookkeeping floor."""
import argparse, collections, functools, json, statistics, sys, time, gc
sys.path.insert(0, "examples")
import sched_overhead as so

ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256)
ap.add_argument("--steps", type=int, default=800)
ap.add_argument("--policy", default="plas")
ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
from vllm.v1.core.sched.scheduler import Scheduler as V
import vllm_nexus.programs.scheduler as NS
from vllm_nexus.programs.charging import StepCharging as SC
from vllm_nexus.programs import queues as Q, assignment as A, decode_charge as D, tenants as T, lineage as L
N = NS.Scheduler
tt = time.perf_counter
stack = []
acc = collections.defaultdict(float)
active = [False]

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
            lab, st = stack.pop()
            acc[lab] += t2 - st
            if stack:
                stack[-1][1] = t2
    setattr(cls, name, w)

for n in ("schedule", "update_from_output", "_free_request", "_preempt_request"):
    wrap(V, n, "vllm")
wrap(N, "schedule", "ours:schedule-glue")
wrap(N, "update_from_output", "ours:uo-glue")
wrap(N, "_free_request", "ours:free-glue")
wrap(N, "_preempt_request", "ours:preempt_hook")
wrap(N, "_prepare_step", "ours:prepare")
wrap(N, "_insert_running", "ours:insert")
wrap(SC, "_record_step", "ours:record")
wrap(SC, "_charge", "ours:charge")
wrap(SC, "_move_demoted", "ours:move_demoted")
wrap(SC, "_stop_decoding", "ours:free-stopdecode")
wrap(Q.MultiLevelQueue, "finish", "ours:free-mlqfinish")
wrap(A.ProgramAssigner, "finished", "ours:free-assigner")
wrap(T.TenantLedger, "charge", "ours:charge-tenant")
wrap(Q.MultiLevelQueue, "charge_all", "ours:charge-all")
wrap(D.DecodeCharges, "due", "ours:uo-decode-due")

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
        dt = d.step(True)
        active[0] = False
        r[d.name] = dt
        if d is ou:
            r["parts"] = dict(acc)
    rows.append(r)
def med(f):
    return statistics.median(f(r) for r in rows)
print(f"{a.running}/{a.waiting} policy {a.policy}: stock {1e3*st.cpu/st.steps:.3f} ours {1e3*ou.cpu/ou.steps:.3f} ms/step (with timers); tokens {st.tokens/st.steps:.0f}/{ou.tokens/ou.steps:.0f}")
print(f"median ratio {med(lambda r: r['ours']/r['stock']):.3f}; vllm/stock median {med(lambda r: r['parts'].get('vllm',0)/r['stock']):.3f}")
ourt = lambda r: sum(v for k, v in r["parts"].items() if k.startswith("ours"))
print(f"ours/stock median {med(lambda r: ourt(r)/r['stock']):.4f} mean-based {sum(ourt(r) for r in rows)/sum(r['stock'] for r in rows):.4f}")
for k in sorted({k for r in rows for k in r["parts"]}):
    n = sum(1 for r in rows if k in r["parts"])
    print(f"  {k:24s} median/stock {med(lambda r: r['parts'].get(k,0)/r['stock']):.4f}  mean us/step {1e6*sum(r['parts'].get(k,0) for r in rows)/len(rows):6.1f}  steps {n}")
