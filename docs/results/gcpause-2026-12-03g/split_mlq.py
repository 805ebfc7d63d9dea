# ruff: noqa  (a measurement script, kept as run)
"""The multi-level queue alone (no vLLM) with 100k idle programs and 4608 queued calls: full
collection time, then without the table's containers one at a time (each line removes one
more: the local `obj` keeps the previous one alive until the next line)."""
import gc, time, random, statistics, collections
from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.queues import MultiLevelQueue
gc.collect(); gc.freeze()
q = MultiLevelQueue(SchedulerConfig())
rng = random.Random(0)
for i in range(100_000):
    c = q.add(f"f{i}", f"p{i}", i * 1e-4); q.set_running(c, i*1e-4); q.charge(c, rng.expovariate(1/300)); q.finish(f"f{i}", i*1e-4, output_tokens=8)
now = 10.0
for i in range(4608):
    c = q.add(f"r{i}", f"p{rng.randrange(100_000)}", now)
    if i < 512: q.set_running(c, now)
def timed(label):
    gc.collect(); ms = []
    for _ in range(5):
        t = time.thread_time(); gc.collect(); ms.append(1e3 * (time.thread_time() - t))
    c = collections.Counter(type(o).__name__ for o in gc.get_objects())
    print(f"{label}: {statistics.median(ms):.1f} ms, tracked {sum(c.values())}", c.most_common(6))
timed("MLQ alone, 100k programs, 4608 calls")
big = sorted(((len(x), type(x).__name__) for x in gc.get_objects() if hasattr(x, "__len__") and not isinstance(x, type) and len(x) > 500), reverse=True)[:12]
print(big)
p = q.programs
print(len(p._programs), len(p._idle), len(p._to_pack), len(q._deadlines), len(q._fresh))
import sys
for name in ("_programs", "_idle", "_to_pack"):
    obj = getattr(p, name); setattr(p, name, type(obj)()); timed("without table." + name); 
