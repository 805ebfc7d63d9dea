# ruff: noqa  (a throw-away measurement script, kept as run)
import random, time, numpy as np, array
from vllm_nexus.programs import lineage as L
rng = random.Random(0)
outs = [[rng.randrange(3,4000) for _ in range(rng.randint(64,256))] for _ in range(32)]
prompts = [[rng.randrange(3,4000) for _ in range(64)] for _ in range(32)]
def t(f, n=300):
    f(); t0=time.perf_counter()
    for _ in range(n): f()
    return 1e6*(time.perf_counter()-t0)/n
aouts = [array.array('q', o) for o in outs]
r1 = L.sketches_of(outs); r2 = L.sketches_of(aouts)
assert all(x[0]==y[0] and (x[1]==y[1]).all() for x,y in zip(r1,r2))
print("sketches_of lists: %.1f us, arrays: %.1f us" % (t(lambda: L.sketches_of(outs)), t(lambda: L.sketches_of(aouts))))
idx = L.LineageIndex()
def full():
    for i in range(32): idx.defer(None, 64, outs[i], "p", 0.0, "", prompts[i])
print("defer x32 + flush: %.1f us" % t(full, 100))
