# ruff: noqa  (a throw-away measurement script, kept as run)
"""Sum irsteps.py's per-step callgrind dumps by step kind: python stepsum.py /tmp/ovh17/cg/LABEL.PID"""
import glob, sys, collections
tot = collections.defaultdict(lambda: None); n = collections.Counter(); events = None
for f in glob.glob(sys.argv[1] + ".*"):
    kind = None; summ = None
    for line in open(f):
        if line.startswith("desc: Trigger: Client Request: "):
            kind = line.split()[-1]
        elif line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("summary:"):
            summ = [int(x) for x in line.split()[1:]]
    if kind is None or summ is None:
        continue
    summ = summ + [0] * (len(events) - len(summ))  # (2026-12-04f) trailing zero columns are omitted
    n[kind] += 1
    tot[kind] = summ if tot[kind] is None else [a + b for a, b in zip(tot[kind], summ)]
for k in sorted(n):
    print(f"{k:6} steps {n[k]:4d} per step: " + "  ".join(f"{e} {v / n[k]:,.0f}" for e, v in zip(events, tot[k])))
# (2026-12-04e) all steps together, and the L2 misses summed (instruction + data read + data write)
if n:
    allt = [sum(tot[k][j] for k in n) for j in range(len(events))]
    N = sum(n.values())
    print(f"all    steps {N:4d} per step: " + "  ".join(f"{e} {v / N:,.0f}" for e, v in zip(events, allt)))
    L = [events.index(e) for e in ("ILmr", "DLmr", "DLmw") if e in events]
    if L:
        print("L2 misses per step (ILmr+DLmr+DLmw): " + "  ".join(f"{k} {sum(tot[k][j] for j in L) / n[k]:,.0f}" for k in sorted(n)) + f"  all {sum(allt[j] for j in L) / N:,.0f}")
