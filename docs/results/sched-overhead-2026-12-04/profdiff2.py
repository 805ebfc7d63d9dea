# ruff: noqa  (a throw-away measurement script, kept as run)
"""profdiff2.py A.prof B.prof [steps]: per function (path after site-packages / the tree + name),
calls per step and tottime per step in A and B, largest |difference| first; then call-count
differences."""
import pstats, re, sys
def load(p):
    st = pstats.Stats(p).stats; out = {}
    for (f, l, n), (cc, nc, tt, ct, _) in st.items():
        f = re.sub(r".*(site-packages|/tmp/[^/]+/[^/]+|/work/wt/[^/]+)/", "", f)
        k = f"{f}:{l}:{n}" if not f.startswith("~") else n
        o = out.setdefault(k, [0, 0.0, 0.0]); o[0] += nc; o[1] += tt; o[2] = max(o[2], ct)
    return out
A, B = load(sys.argv[1]), load(sys.argv[2]); steps = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
ta = sum(v[1] for v in A.values()); tb = sum(v[1] for v in B.values())
print(f"total tottime per step: A {1e6*ta/steps:.1f} us, B {1e6*tb/steps:.1f} us")
rows = []
for k in set(A) | set(B):
    a = A.get(k, [0, 0.0, 0.0]); b = B.get(k, [0, 0.0, 0.0])
    rows.append((b[1] - a[1], k, a, b))
rows.sort(key=lambda r: -abs(r[0]))
print(f"{'d us/step':>9} {'A calls':>8} {'B calls':>8} {'A us':>7} {'B us':>7} {'B cum':>7}  function")
for d, k, a, b in rows[:70]:
    print(f"{1e6*d/steps:9.2f} {a[0]/steps:8.3f} {b[0]/steps:8.3f} {1e6*a[1]/steps:7.2f} {1e6*b[1]/steps:7.2f} {1e6*b[2]/steps:7.2f}  {k}")
rows.sort(key=lambda r: -abs((r[3][0] - r[2][0])))
print("largest call-count differences:")
for d, k, a, b in rows[:50]:
    if a[0] != b[0]: print(f"{(b[0]-a[0])/steps:9.3f} calls/step  {1e6*d/steps:7.2f} us/step  {k}")
