# ruff: noqa  (a measurement script, kept as run)
"""The gate before timing, fixed (and committed) before any count of a candidate was seen:
a candidate tree goes to the exclusive timing only if, per step over irsteps.py's 200 counted
steps (64/256, ours, 100k programs, PYTHONHASHSEED=0, virtual 3 ms clock), under the 1 MB 8-way
last-level model (this host's L2 per core; `--LL=1048576,8,64`):
  - its L2 misses per step (ILmr + DLmr + DLmw) are at least 250 below main's (label `b1m`,
    counted in the same job or an earlier one of this pass),
  - its instructions per step (Ir) are at most 10k above main's,
  - and its decision digests (trace.sh, /tmp/ovh20/dig-LABEL.txt) are main's:
    764f433c34762f84 and 931f46020354c8c3.
Usage: gate.py LABEL... (irsteps labels, counted as LABEL_1m; tree /tmp/ovh20/LABEL).
Writes the first passing tree's path to /tmp/ovh20/GO (or removes it); excl.sh AFTER=gate reads it."""
import glob, os, sys
def per_step(label):
    f0 = sorted(glob.glob(f"/tmp/ovh20/cg/{label}.*.1"))
    if not f0:
        return None
    pref = f0[-1][:-2]
    tot = None; n = 0; events = None
    for f in glob.glob(pref + ".*"):
        kind = summ = None
        for line in open(f):
            if line.startswith("desc: Trigger: Client Request: "): kind = line.split()[-1]
            elif line.startswith("events:"): events = line.split()[1:]
            elif line.startswith("summary:"): summ = [int(x) for x in line.split()[1:]]
        if kind is None or summ is None: continue
        n += 1; tot = summ if tot is None else [a + b for a, b in zip(tot, summ)]
    if not n: return None
    d = dict(zip(events, [v / n for v in tot]))
    return d["Ir"], d["ILmr"] + d["DLmr"] + d["DLmw"], n
base = per_step("b1m")
go = None
for tree in sys.argv[1:]:
    c = per_step(f"{tree}_1m")
    if c is None or base is None:
        print(f"gate {tree}: no counts"); continue
    dIr, dL2 = c[0] - base[0], c[1] - base[1]
    dig = open(f"/tmp/ovh20/dig-{tree}.txt").read().split() if os.path.exists(f"/tmp/ovh20/dig-{tree}.txt") else []
    same = "764f433c34762f84" in dig and "931f46020354c8c3" in dig  # main's decisions (trace.sh)
    ok = dL2 <= -250 and dIr <= 10_000 and same and c[2] == 200 and base[2] == 200
    print(f"gate {tree}: Ir/step {c[0]:,.0f} vs main {base[0]:,.0f} ({dIr:+,.0f}); L2 misses/step (1 MB) {c[1]:,.0f} vs {base[1]:,.0f} ({dL2:+,.0f}); steps {c[2]}/{base[2]}; digests {'same' if same else 'DIFFER'}: {'PASS' if ok else 'fail'}")
    if ok and go is None:
        go = f"/tmp/ovh20/{tree}"
if go:
    open("/tmp/ovh20/GO", "w").write(go + "\n"); print("GO", go)
else:
    if os.path.exists("/tmp/ovh20/GO"): os.remove("/tmp/ovh20/GO")
    print("NO GO")
