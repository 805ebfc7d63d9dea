# ruff: noqa  (a throw-away measurement script, kept as run)
# (the tenth pass's relsplit.py, unchanged; copied so the commands here name a file of this directory)
"""Ours alone, 512/4096 (or --running/--waiting), the steps that re-levelled: the step's
thread CPU time and its parts (relevel = the walk, update_many = the waiting-queue re-keys,
refile = the decoding calls' crossings), the calls the re-levelling looked at and moved.
Run from the tree measured: PYTHONPATH=$T python relsplit.py"""
import argparse, collections, os, sys, time
sys.path.insert(0, "examples")
import sched_overhead as so
from vllm_nexus.programs import queues, decode_charge, request_queue, scheduler
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096); ap.add_argument("--steps", type=int, default=260)
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={})
T = collections.defaultdict(float); N = collections.Counter()
def wrap(cls, name, size=False):
    f = getattr(cls, name)
    def g(self, *x, **k):
        if size and x and isinstance(x[0], list): N["looked"] += len(x[0])
        elif size: N["looked"] += len(self.calls)
        t0 = time.thread_time(); r = f(self, *x, **k); T[name] += time.thread_time() - t0
        if size: N["moved"] += len(r)
        return r
    setattr(cls, name, g)
wrap(queues.MultiLevelQueue, "relevel", size=True)
wrap(request_queue.ProgramRequestQueue, "update_many"); wrap(decode_charge.DecodeCharges, "refile")
wrap(scheduler.Scheduler, "_prepare_step")
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), a.waiting)
so.prefill_programs(d.sched, 100000, 0)
s = d.sched; tot = []
for i in range(a.steps):
    d.top_up()
    rel = s.mlq.version != s._levels_version
    T.clear(); N.clear()
    t0 = time.thread_time()
    out = s.schedule(); s.update_from_output(out, so.fake_output(s, out))
    dt = time.thread_time() - t0
    if rel:
        tot.append(1e3 * T["_prepare_step"])
        print(f"step {i}: {1e3*dt:.2f} ms " + " ".join(f"{k}={1e3*v:.2f}" for k, v in T.items()),
              f"looked={N['looked']} moved={N['moved']} calls={len(s.mlq.calls)}")
print(f"re-levelling steps {len(tot)}, _prepare_step sum {sum(tot):.1f} ms")
