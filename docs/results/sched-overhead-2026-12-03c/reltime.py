# ruff: noqa
import argparse, json, sys, time, collections
sys.path.insert(0, "examples")  # run from the tree measured
import sched_overhead as so
from vllm_nexus.programs import queues, decode_charge, request_queue, scheduler, charging
args = argparse.Namespace(running=512, waiting=4096, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={})
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
T = collections.defaultdict(float); C = collections.Counter()
def wrap(cls, name):
    f = getattr(cls, name)
    def g(*a, **k):
        t0 = time.thread_time(); r = f(*a, **k); T[name] += time.thread_time() - t0; C[name] += 1; return r
    setattr(cls, name, g)
wrap(queues.MultiLevelQueue, "relevel"); wrap(decode_charge.DecodeCharges, "refile")
wrap(charging.StepCharging, "_move_demoted"); wrap(scheduler.Scheduler, "_prepare_step")
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), 4096)
so.prefill_programs(d.sched, 100000, 0)
s = d.sched
tot = 0.0; n = 0
for i in range(int(__import__("os").environ.get("STEPS", "260"))):
    d.top_up()
    rel = s.mlq.version != s._levels_version
    if rel: T.clear(); C.clear()
    t0 = time.thread_time()
    out = s.schedule(); mro = so.fake_output(s, out); s.update_from_output(out, mro)
    dt = time.thread_time() - t0
    if rel:
        print(f"step {i}: {1e3*dt:.2f} ms " + " ".join(f"{k}={1e3*v:.2f}({C[k]})" for k, v in T.items()), f"moved-waiting={len(s.waiting)}")
