# ruff: noqa  (a throw-away measurement script, kept as run)
"""Which vllm_nexus code objects (and modules) one step of ours touches, by step kind: quiet
(no admission, finish or preemption) and event steps (sys.setprofile, python calls only;
the timed schedule() + update_from_output() of examples/sched_overhead.py's stream, 64/256,
100k programs, a virtual clock of 3 ms per step as irprobe.py)."""
import argparse, collections, json, os, sys, statistics
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--policy", default="plas"); ap.add_argument("--programs", type=int, default=100000); ap.add_argument("--nexus", default="{}")
ap.add_argument("--show", type=int, default=3)
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=a.programs, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
model = so.model_dir()
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
vt = [1000.0]
d.sched.clock = lambda: vt[0]
so.prefill_programs(d.sched, a.programs, 0)
_step = d.step
def vstep(timed, _step=_step):
    vt[0] += 0.003
    return _step(timed)
d.step = vstep
for _ in range(60): d.step(False)
cur = collections.Counter()
def prof(frame, event, arg):
    if event == "call":
        co = frame.f_code
        if "vllm_nexus" in co.co_filename:
            cur[(co.co_filename.split("vllm_nexus/")[-1], co.co_name)] += 1
s = d.sched
kinds = collections.defaultdict(list)
for i in range(a.steps):
    vt[0] += 0.003
    d.top_up(); cur.clear()
    sys.setprofile(prof); out = s.schedule(); sys.setprofile(None)
    mro = so.fake_output(s, out)
    sys.setprofile(prof); s.update_from_output(out, mro); sys.setprofile(None)
    adm = len(out.scheduled_new_reqs) + len(out.scheduled_cached_reqs.resumed_req_ids)
    kind = "quiet" if not (adm or out.finished_req_ids or out.preempted_req_ids) else "event"
    m = s.nexus_metrics
    kinds[kind].append(collections.Counter(cur))
for kind, steps in kinds.items():
    nfun = [len(c) for c in steps]; ncall = [sum(c.values()) for c in steps]
    nmod = [len({f for f, _ in c}) for c in steps]
    print(f"{kind}: {len(steps)} steps; distinct functions per step median {statistics.median(nfun)} mean {statistics.mean(nfun):.1f}; calls mean {statistics.mean(ncall):.1f}; modules mean {statistics.mean(nmod):.1f}")
    agg = collections.Counter()
    for c in steps:
        for k in c: agg[k] += 1
    for (f, n), k in agg.most_common(60):
        print(f"   {k/len(steps):5.2f} of steps  {f}:{n}")
