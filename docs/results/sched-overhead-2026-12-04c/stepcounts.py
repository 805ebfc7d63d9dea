# ruff: noqa  (a throw-away measurement script, kept as run)
"""Which path DecodeCharges.step_counts takes per step (O(1) live counts or a count over the batch): python stepcounts.py fcfs|plas (TREE=tree)."""
import argparse, json, os, sys, collections
sys.path.insert(0, os.path.join(os.environ["TREE"], "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
pol = sys.argv[1]
args = argparse.Namespace(running=64, waiting=256, programs=100000, policy=pol, prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), 256)
vt=[1000.0]; d.sched.clock=lambda: vt[0]; so.prefill_programs(d.sched, 100000, 0)
from vllm_nexus.programs import decode_charge as dc
cnt = collections.Counter()
orig = dc.DecodeCharges.tenant_counts
def tc(self, among=None):
    cnt["among" if among is not None else "live"] += 1
    return orig(self, among)
dc.DecodeCharges.tenant_counts = tc
origsc = dc.DecodeCharges.step_counts
def sc(self, scheduled, explicit=0):
    cnt[("diff", len(scheduled) - explicit - len(self._marks))] += 1
    return origsc(self, scheduled, explicit)
dc.DecodeCharges.step_counts = sc
for i in range(260):
    vt[0] += 0.003; d.step(False)
print(pol, cnt)
