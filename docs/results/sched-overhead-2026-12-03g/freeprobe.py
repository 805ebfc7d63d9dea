# ruff: noqa  (a throw-away measurement script, kept as run)
import argparse, sys, time, collections
sys.path.insert(0, "examples")
import sched_overhead as so
from vllm.v1.core.sched.scheduler import Scheduler as V
import vllm_nexus.programs.scheduler as NS
args = argparse.Namespace(running=64, waiting=256, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={})
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), 256)
so.prefill_programs(d.sched, 100000, 0)
s = d.sched; mlq = s.mlq
cpu = collections.defaultdict(float); n = collections.Counter()
def wrapcls(cls, name, label):
    f = getattr(cls, name)
    def g(*aa, **kw):
        t0 = time.perf_counter(); r = f(*aa, **kw); cpu[label] += time.perf_counter() - t0; n[label] += 1
        return r
    setattr(cls, name, g)
wrapcls(V, "_free_request", "vllm _free_request")
wrapcls(NS.Scheduler, "_free_request", "ours _free_request (incl vllm)")
wrapcls(type(mlq), "finish", "mlq.finish")
wrapcls(NS.Scheduler, "_stop_decoding", "_stop_decoding")
wrapcls(type(s.assigner), "finished", "assigner.finished")
for _ in range(60): d.step(False)
T = 3000
tot = sum(d.step(True) for _ in range(T))
print(f"ours {1e3*tot/T:.3f} ms/step")
for k in cpu: print(f"{k:32s} {n[k]:6d} calls {1e6*cpu[k]/n[k]:7.1f} us/call  {1e6*cpu[k]/T:6.1f} us/step")
