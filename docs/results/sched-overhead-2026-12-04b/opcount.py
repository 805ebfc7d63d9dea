# ruff: noqa  (a throw-away measurement script, kept as run)
"""Bytecodes executed per step in each vllm_nexus function during ours' timed schedule() +
update_from_output() (sys.settrace with opcode events, only vllm_nexus frames traced):
a deterministic guide to where ours' own Python work is."""
import argparse, collections, json, os, sys
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--policy", default="plas"); ap.add_argument("--programs", type=int, default=100000); ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=a.programs, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
model = so.model_dir()
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
# a virtual clock, 3 ms per step (as irprobe.py): tracing slows a step ~20x, and ours'
# time-based rules must see the native pace
vt = [1000.0]
d.sched.clock = lambda: vt[0]
so.prefill_programs(d.sched, a.programs, 0)
_step = d.step
def vstep(timed, _step=_step):
    vt[0] += 0.003
    return _step(timed)
d.step = vstep
for _ in range(60): d.step(False)
ops = collections.Counter(); calls = collections.Counter(); lines = collections.Counter()
def local(frame, event, arg):
    if event == "opcode":
        ops[frame.f_code] += 1; lines[(frame.f_code.co_filename, frame.f_lineno)] += 1
    return local
def glob(frame, event, arg):
    co = frame.f_code
    if "vllm_nexus" in co.co_filename:
        calls[co] += 1
        frame.f_trace_opcodes = True
        return local
    return None
s = d.sched
per = []
for i in range(a.steps):
    vt[0] += 0.003
    before = sum(ops.values()); snap = collections.Counter(ops)
    d.top_up()
    sys.settrace(glob); out = s.schedule(); sys.settrace(None)
    mro = so.fake_output(s, out)
    sys.settrace(glob); s.update_from_output(out, mro); sys.settrace(None)
    if sum(ops.values()) - before > int(os.environ.get("HEAVY", "4000")) and (i < 100 or sum(ops.values()) - before < 4000):
        diff = collections.Counter(ops); diff.subtract(snap)
        print(f"heavy step {i}: {sum(ops.values()) - before} ops; new {len(out.scheduled_new_reqs)} resumed {len(out.scheduled_cached_reqs.resumed_req_ids)} finished {len(out.finished_req_ids)} preempted {len(out.preempted_req_ids)}:", ", ".join(f"{co.co_name}:{co.co_firstlineno} {n}" for co, n in diff.most_common(int(os.environ.get("TOPN", "8")))))
    per.append((sum(ops.values()) - before, len(out.scheduled_new_reqs) + len(out.scheduled_cached_reqs.resumed_req_ids), len(out.finished_req_ids), len(out.preempted_req_ids)))
tot = sum(ops.values())
print(f"total vllm_nexus bytecodes per step {tot/a.steps:.1f}; calls per step {sum(calls.values())/a.steps:.2f}")
for co, n in ops.most_common(60):
    print(f"{n/a.steps:8.1f} ops {calls[co]/a.steps:7.3f} calls  {co.co_filename.split('vllm_nexus/')[-1]}:{co.co_firstlineno}:{co.co_name}")
import statistics
quiet = [p[0] for p in per if not p[1] and not p[2] and not p[3]]
print(f"steps {len(per)}; quiet (no admission/finish/preemption) {len(quiet)}: ops median {statistics.median(quiet)} mean {statistics.mean(quiet):.0f} min {min(quiet)}; share of all ops {sum(quiet)/sum(p[0] for p in per):.3f}")
print("per-step ops sorted:", sorted(p[0] for p in per))
print("-- by line")
for (f, ln), n in lines.most_common(120):
    print(f"{n/a.steps:8.1f} ops  {f.split('vllm_nexus/')[-1]}:{ln}")
