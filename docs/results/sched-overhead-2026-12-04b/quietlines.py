# ruff: noqa  (a throw-away measurement script, kept as run)
"""Bytecodes per source line of ours' timed calls in one step of a given kind (opcount.py's
tracer): the first quiet step (no admission, finish or preemption; default) after warm-up,
or with --min-ops N the first step with at least N ops. A guide to the per-step path."""
import argparse, collections, json, os, sys
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--min-ops", type=int, default=0); ap.add_argument("--skip", type=int, default=0); ap.add_argument("--max-ops", type=int, default=10**9)
a = ap.parse_args()
args = argparse.Namespace(running=64, waiting=256, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), 256)
vt = [1000.0]; d.sched.clock = lambda: vt[0]
so.prefill_programs(d.sched, 100000, 0)
for _ in range(60):
    vt[0] += 0.003; d.step(False)
lines = collections.Counter()
def local(frame, event, arg):
    if event == "opcode":
        lines[(frame.f_code.co_filename, frame.f_lineno)] += 1
    return local
def glob(frame, event, arg):
    if "vllm_nexus" in frame.f_code.co_filename:
        frame.f_trace_opcodes = True
        return local
s = d.sched; skip = a.skip
for i in range(400):
    vt[0] += 0.003; d.top_up(); lines.clear()
    sys.settrace(glob); out = s.schedule(); sys.settrace(None)
    mro = so.fake_output(s, out)
    sys.settrace(glob); s.update_from_output(out, mro); sys.settrace(None)
    n = sum(lines.values())
    ev = len(out.scheduled_new_reqs) + len(out.scheduled_cached_reqs.resumed_req_ids) + len(out.finished_req_ids) + len(out.preempted_req_ids)
    if (a.min_ops and a.min_ops <= n <= a.max_ops) or (not a.min_ops and not ev):
        if skip: skip -= 1; continue
        print(f"step {i}: {n} ops (events {ev})")
        src = {}
        for (f, ln), c in sorted(lines.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            text = src.setdefault(f, open(f).read().splitlines())[ln - 1].strip() if ln else "?"
            print(f"{c:5d} {f.split('vllm_nexus/')[-1]}:{ln or 0:<5d} {text[:100]}")
        break
