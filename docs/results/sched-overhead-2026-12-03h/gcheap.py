# ruff: noqa  (a measurement script, kept as run)
"""The collector at 100k programs: what vllm_nexus leaves in the collector's heap, and what a
full collection costs, on a heap built the way serving builds it.

One vllm_nexus.Scheduler is built as EngineCore builds it (examples/sched_overhead.py's
build()), then, as EngineCore does after its startup, vllm.utils.gc_utils.freeze_gc_heap()
freezes everything that exists (vLLM's and torch's objects: the collector never walks them
again). What comes after lives in the collector's heap:

1. ``--programs`` programs (100k) arrive through the real path: one add_request per program
   (explicit program id, 64-token prompt, 4 output tokens), scheduled and completed with
   synthetic model outputs, so the program table, the tenant ledger, the lineage index
   (program_inference: lineage, the default, remembers completed calls) and the size model
   (preemption_size_check, on by default) hold what they hold in serving;
2. then the steady stream of examples/sched_overhead.py (--running / --waiting calls of those
   programs) runs --warmup steps.

``--stock``: vLLM's own scheduler on the same calls (the floor: what vLLM itself leaves).
(h) additions: ``--nexus`` (vllm_nexus config JSON); ``--age S``: after step 1, the
scheduler's clock runs S seconds ahead (as if the fill had ended S seconds earlier) and
``ProgramTable.pack_cold(now)`` packs every program then idle for ``program_pack_after_s``
at once (the state a table reaches once a burst's programs have gone cold: in serving, a few
per release), timed; the per-program count is then taken again.
Printed: tracked objects left in the collector's (unfrozen) heap by type; per program
(objects after step 1 minus before it, over --programs; counted, not timed); the CPU time of
--collects full collections (gc.collect()); and over --steps more steps of the stream, the
collections the collector started by itself inside timed schedule()/update_from_output()
(by generation, their summed and largest CPU time).
"""
import argparse, collections, gc, statistics, sys, time

sys.path.insert(0, "examples")
import sched_overhead as so
import logging

logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser()
ap.add_argument("--programs", type=int, default=100_000)
ap.add_argument("--running", type=int, default=512)
ap.add_argument("--waiting", type=int, default=4096)
ap.add_argument("--warmup", type=int, default=60)
ap.add_argument("--steps", type=int, default=600)
ap.add_argument("--collects", type=int, default=5)
ap.add_argument("--policy", default="plas")
ap.add_argument("--stock", action="store_true", help="vLLM's own scheduler instead (the floor)")
ap.add_argument("--nexus", type=__import__("json").loads, default={})
ap.add_argument("--age", type=float, default=0.0)
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=a.programs,
    policy=a.policy, prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=a.nexus,
    stock_policy="fcfs")
t_start = time.time()
s = so.build(None if a.stock else "vllm_nexus.Scheduler", args, so.model_dir())
from vllm.utils.gc_utils import freeze_gc_heap
from vllm.v1.request import Request

freeze_gc_heap()
stream = so.Stream(args, 0)


def types():
    return collections.Counter(type(o).__name__ for o in gc.get_objects())


# 1. the programs arrive, one call each, through add_request
gc.collect()
before = types()
n = 0
while n < a.programs or s.requests:
    while n < a.programs and len(s.waiting) < a.running:
        p = stream.SamplingParams(max_tokens=4, ignore_eos=True, extra_args={"program_id": f"p{n}"})
        prompt = [stream.rng.randrange(3, 4000) for _ in range(64)]
        s.add_request(Request(request_id=f"fill{n}", prompt_token_ids=prompt, sampling_params=p,
                              pooling_params=None, block_hasher=stream.hasher))
        n += 1
    out = s.schedule()
    s.update_from_output(out, so.fake_output(s, out))
gc.collect()
after = types()
d = after - before
if a.stock:
    print(f"stock vLLM scheduler: {a.programs} calls through add_request ({time.time() - t_start:.0f} s)")
else:
    print(f"{a.programs} programs through add_request ({time.time() - t_start:.0f} s): "
          f"{len(s.mlq.programs)} in the table, {s.assigner.remembered_calls} calls remembered by lineage")
print(f"  tracked objects per program: {sum(d.values()) / a.programs:.3f}  "
      + ", ".join(f"{k} {v / a.programs:.3f}" for k, v in d.most_common(6)))

if a.age and not a.stock:
    base_clock = s.clock
    s.clock = lambda: base_clock() + a.age
    t = time.thread_time()
    k = s.mlq.programs.pack_cold(s.clock())
    print(f"  clock +{a.age:.0f} s: pack_cold packed {k} programs in {1e3 * (time.thread_time() - t):.0f} ms CPU "
          f"({s.mlq.programs.packed_programs} packed of {len(s.mlq.programs)})")
    gc.collect()
    d = types() - before
    print(f"  tracked objects per program after it: {sum(d.values()) / a.programs:.3f}  "
          + ", ".join(f"{k} {v / a.programs:.3f}" for k, v in d.most_common(6)))

# 2. the steady stream over those programs
drv = so.Driver("ours", s, so.Stream(args, 1), a.waiting)
for _ in range(a.warmup):
    drv.step(False)
gc.collect()
heap = types()
print(f"  unfrozen heap in steady state ({a.running}/{a.waiting}): {sum(heap.values())} tracked "
      f"objects ({gc.get_freeze_count()} frozen): " + ", ".join(f"{k} {v}" for k, v in heap.most_common(8)))
ms = []
for _ in range(a.collects):
    t = time.thread_time()
    gc.collect()
    ms.append(1e3 * (time.thread_time() - t))
print(f"  full collection (gc.collect()): median {statistics.median(ms):.1f} ms CPU "
      f"(all: {', '.join(f'{x:.1f}' for x in ms)})")

G = collections.Counter()
pauses = collections.defaultdict(list)
cur = [False]
t0 = [0.0]


def cb(phase, info):
    if not cur[0]:
        return
    if phase == "start":
        t0[0] = time.thread_time()
    else:
        g = info["generation"]
        G[g] += 1
        pauses[g].append(1e3 * (time.thread_time() - t0[0]))


gc.callbacks.append(cb)
cpu = 0.0
for _ in range(a.steps):
    drv.top_up()
    cur[0] = True
    t = time.thread_time()
    out = s.schedule()
    t1 = time.thread_time()
    cur[0] = False
    mro = so.fake_output(s, out)
    cur[0] = True
    t2 = time.thread_time()
    s.update_from_output(out, mro)
    t3 = time.thread_time()
    cur[0] = False
    cpu += (t1 - t) + (t3 - t2)
gc.callbacks.remove(cb)
print(f"  {a.steps} steps, {1e3 * cpu / a.steps:.3f} ms CPU per step; collections inside steps:")
for g in (0, 1, 2):
    p = pauses[g]
    print(f"    gen{g}: {G[g]}, {sum(p):.1f} ms in all, largest {max(p, default=0.0):.1f} ms")
print(f"  gc.get_count {gc.get_count()} thresholds {gc.get_threshold()}")
