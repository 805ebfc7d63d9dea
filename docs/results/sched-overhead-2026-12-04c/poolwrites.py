# ruff: noqa  (a throw-away measurement script, kept as run)
"""Count SamplePool writes/acquires/releases and size binnings per step in the benchmark stream (plas, 64/256, 100k pre-filled programs)."""
import argparse, json, os, sys, collections
sys.path.insert(0, os.path.join(os.environ["TREE"], "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
args = argparse.Namespace(running=64, waiting=256, programs=100000, policy="plas", prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), 256)
vt=[1000.0]; d.sched.clock=lambda: vt[0]; so.prefill_programs(d.sched, 100000, 0)
from vllm_nexus.programs import sizes
cnt = collections.Counter()
for name in ("write", "acquire", "release"):
    f = getattr(sizes.SamplePool, name)
    def w(*a, _f=f, _n=name, **k):
        cnt[_n] += 1; return _f(*a, **k)
    setattr(sizes.SamplePool, name, w)
f0 = sizes.ProgramSizes._bins
def b(*a, **k):
    cnt["bins"] += 1; return f0(*a, **k)
sizes.ProgramSizes._bins = b
for i in range(260):
    vt[0] += 0.003; d.step(False)
print(cnt, "per step", {k: v / 260 for k, v in cnt.items()})
