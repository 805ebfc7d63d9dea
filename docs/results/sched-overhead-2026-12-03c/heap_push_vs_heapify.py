# ruff: noqa  (a throw-away measurement script, kept as run)
import heapq, random, time
rng = random.Random(0)
def mk(n): return [((0, rng.randrange(8), rng.random(), i), i, None, 5) for i in range(n)]
for n, k in ((8000, 900), (4000, 900), (8000, 200), (2000, 900)):
    base = mk(n); heapq.heapify(base); new = mk(k)
    def push():
        h = list(base)
        for e in new: heapq.heappush(h, e)
    def hfy():
        h = list(base); h.extend(new); heapq.heapify(h)
    def cp(): h = list(base)
    def t(f, r=50):
        t0 = time.perf_counter()
        for _ in range(r): f()
        return 1e6*(time.perf_counter()-t0)/r
    c = t(cp)
    print(n, k, "push %.0f us  heapify %.0f us" % (t(push)-c, t(hfy)-c))
