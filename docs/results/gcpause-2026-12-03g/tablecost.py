# ruff: noqa  (a measurement script, kept as run)
"""Table operations per call of a returning idle program at 100k programs (start + finish):
the cost of packing/reviving (run under the shared lock: indicative only)."""
import random, time
from vllm_nexus.programs.table import ProgramTable, plas_update
t = ProgramTable(plas_update)
rng = random.Random(0)
for i in range(100_000):
    t.call_started(f"p{i}", 0.0); t.call_finished(f"p{i}", 0.0, 0.0, 1.0, 1.0, 1.0)
pids = [f"p{rng.randrange(100_000)}" for _ in range(200_000)]
t0 = time.thread_time()
for j, pid in enumerate(pids):
    t.call_started(pid, 1.0); t.call_finished(pid, 1.0, 0.0, 1.0, 1.0, 1.0)
dt = time.thread_time() - t0
print(f"{1e6*dt/len(pids):.2f} us per call (start+finish, returning idle program, 100k table)")
