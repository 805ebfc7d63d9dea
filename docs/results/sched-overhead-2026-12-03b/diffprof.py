# ruff: noqa
import pstats, sys
a = pstats.Stats(sys.argv[1]).stats  # stock
b = pstats.Stats(sys.argv[2]).stats  # ours
def norm(k): 
    f = k[0].split("site-packages/")[-1].replace("/tmp/ovh8/base/", "").replace("/work/wt/overhead8/", "")
    return (f, k[1], k[2])
A = {norm(k): v for k, v in a.items()}; B = {norm(k): v for k, v in b.items()}
keys = set(A) | set(B)
rows = []
for k in keys:
    va, vb = A.get(k, (0,0,0,0,{})), B.get(k, (0,0,0,0,{}))
    rows.append((vb[2]-va[2], k, va[1], vb[1], va[2], vb[2]))
rows.sort(reverse=True)
ta = sum(v[2] for v in A.values()); tb = sum(v[2] for v in B.values())
print(f"total tottime stock {ta:.3f} ours {tb:.3f} diff {tb-ta:.3f}")
print("diff_tottime  calls_stock calls_ours  tt_stock tt_ours  function")
for d, k, ca, cb, ta_, tb_ in rows[:int(sys.argv[3]) if len(sys.argv)>3 else 40]:
    print(f"{d:+.4f}  {ca:7d} {cb:7d}  {ta_:.4f} {tb_:.4f}  {k[0]}:{k[1]}({k[2]})")
print("...most negative")
for d, k, ca, cb, ta_, tb_ in rows[-10:]:
    print(f"{d:+.4f}  {ca:7d} {cb:7d}  {ta_:.4f} {tb_:.4f}  {k[0]}:{k[1]}({k[2]})")
