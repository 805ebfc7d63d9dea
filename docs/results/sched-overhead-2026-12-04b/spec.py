# ruff: noqa  (a throw-away measurement script, kept as run; this header added after the run)
import sys, argparse, dis, collections, io
sys.path.insert(0, "examples")
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
mode = sys.argv[1]
args = argparse.Namespace(running=64, waiting=256, programs=100000, policy="plas", prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), 256)
ds = [st]
if mode != "alone":
    ou = so.Driver("ours", so.build(None if mode == "stockstock" else "vllm_nexus.Scheduler", args, model), so.Stream(args, 0), 256)
    if mode == "pair": so.prefill_programs(ou.sched, 1000, 0)
    ds.append(ou)
for i in range(120):
    for d in (ds if i % 2 == 0 else ds[::-1]):
        d.step(False)
from vllm.v1.core.sched.scheduler import Scheduler as V
tot = collections.Counter()
for name in ("schedule", "update_from_output", "_update_request_with_output", "_make_cached_request_data", "_update_after_schedule", "_free_request", "make_stats"):
    f = V.__dict__[name]
    buf = io.StringIO()
    for ins in dis.get_instructions(f, adaptive=True):
        op = ins.opname
        if op.startswith(("LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR", "CALL", "PRECALL", "BINARY_SUBSCR", "LOAD_GLOBAL", "COMPARE_OP", "FOR_ITER", "BINARY_OP", "UNPACK")):
            tot["adaptive" if op.endswith("_ADAPTIVE") else ("generic" if "_" not in op.replace("LOAD_ATTR", "X").replace("LOAD_METHOD", "X").replace("STORE_ATTR","X").replace("BINARY_SUBSCR","X").replace("LOAD_GLOBAL","X").replace("COMPARE_OP","X").replace("FOR_ITER","X").replace("BINARY_OP","X") else "specialized")] += 1
            tot[op] += 1
print(mode, {k: v for k, v in tot.items() if k in ("adaptive", "generic", "specialized")})
print(sorted(((k, v) for k, v in tot.items() if k.startswith("LOAD_ATTR") or k.startswith("LOAD_METHOD")), key=lambda kv: -kv[1]))
