# ruff: noqa  (a measurement script, kept as run)
"""Sum a zone run's per-step callgrind dumps (irsteps.py with ZONES=...) by step kind and print,
per Python function, its self cost (inclusive minus its wrapped callees') and inclusive cost per
step, ranked by last-level (L2) misses: python zsum.py /tmp/ovh20/cg/LABEL.PID ZONES.json [TOP]"""
import collections, glob, json, re, sys
pref, zj = sys.argv[1], sys.argv[2]; top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
zmap = {int(k): v for k, v in json.load(open(zj)).items()}
events = None
incl = {}  # kind -> zone -> costs
cfn_self = {}  # kind -> C fn -> self costs
nk = collections.Counter()
name_re = re.compile(r"^\((\d+)\)(?: (.*))?$")
for f in glob.glob(pref + ".*"):
    kind = None; names = {}; fn = None; cfn = None; after_calls = False
    lines = open(f).read().split("\n")
    for line in lines:
        if line.startswith("desc: Trigger: Client Request: "):
            kind = line.split()[-1]
    if kind is None:
        continue
    nk[kind] += 1
    I = incl.setdefault(kind, collections.defaultdict(lambda: [0] * 12))
    C = cfn_self.setdefault(kind, collections.defaultdict(lambda: [0] * 12))
    def nm(s):
        m = name_re.match(s)
        if not m: return s
        if m.group(2) is not None: names[m.group(1)] = m.group(2)
        return names.get(m.group(1), s)
    for line in lines:
        if not line: continue
        c = line[0]
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("fn="):
            fn = nm(line[3:]); after_calls = False
        elif line.startswith("cfn="):
            cfn = nm(line[4:])
        elif line.startswith("calls="):
            after_calls = True
        elif c.isdigit() or c in "+-*":
            v = [int(x) for x in line.split()[1:]]
            if after_calls:
                if cfn.startswith("zone_"):
                    z = int(cfn[5:]); t = I[z]
                    for i, x in enumerate(v): t[i] += x
                after_calls = False
            else:
                t = C[fn]
                for i, x in enumerate(v): t[i] += x
        elif "=" in line and line[:3] in ("fl=", "fi=", "fe=", "ob=", "cfl", "cfi", "cob"):
            if line.startswith(("fl=", "fi=", "fe=", "cfl=", "cfi=")):
                pass
E = events
def L2(v): return sum(v[E.index(e)] for e in ("ILmr", "DLmr", "DLmw") if e in E)
def col(v, e): return v[E.index(e)]
children = collections.defaultdict(list)
for z, (p, n) in zmap.items(): children[p].append(z)
kinds = sorted(nk) + ["all"]
for kind in kinds:
    if kind == "all":
        n = sum(nk.values()); I = collections.defaultdict(lambda: [0] * 12); C = collections.defaultdict(lambda: [0] * 12)
        for k in nk:
            for z, v in incl[k].items(): I[z] = [a + b for a, b in zip(I[z], v)]
            for z, v in cfn_self[k].items(): C[z] = [a + b for a, b in zip(C[z], v)]
    else:
        n = nk[kind]; I = incl[kind]; C = cfn_self[kind]
    selfc = {}
    for z in zmap:
        v = list(I.get(z, [0] * 12))
        for ch in children[z]:
            v = [a - b for a, b in zip(v, I.get(ch, [0] * 12))]
        selfc[z] = v
    byname = collections.defaultdict(lambda: [0] * 12); inclname = collections.defaultdict(lambda: [0] * 12)
    def anc(z):
        s = set(); p = zmap[z][0]
        while p: s.add(zmap[p][1]); p = zmap[p][0]
        return s
    for z, (p, nme) in zmap.items():
        byname[nme] = [a + b for a, b in zip(byname[nme], selfc[z])]
        if nme not in anc(z):
            inclname[nme] = [a + b for a, b in zip(inclname[nme], I.get(z, [0] * 12))]
    roots = [0] * 12
    for z in children[0]: roots = [a + b for a, b in zip(roots, I.get(z, [0] * 12))]
    tot = [0] * 12
    for v in C.values(): tot = [a + b for a, b in zip(tot, v)]
    print(f"== {kind}: {n} steps; per step: total Ir {col(tot,'Ir')/n:,.0f} L2 {L2(tot)/n:,.0f}; in wrapped roots: Ir {col(roots,'Ir')/n:,.0f} L2 {L2(roots)/n:,.0f} (DLmr {col(roots,'DLmr')/n:,.0f} DLmw {col(roots,'DLmw')/n:,.0f})")
    print(f"   {'function':60} {'selfL2':>7} {'selfDLmr':>8} {'selfDLmw':>8} {'selfIr':>9} | {'inclL2':>7} {'inclIr':>9}")
    for nme, v in sorted(byname.items(), key=lambda kv: -L2(kv[1]))[:top]:
        w = inclname[nme]
        print(f"   {nme[:60]:60} {L2(v)/n:7.1f} {col(v,'DLmr')/n:8.1f} {col(v,'DLmw')/n:8.1f} {col(v,'Ir')/n:9,.0f} | {L2(w)/n:7.1f} {col(w,'Ir')/n:9,.0f}")
    print(f"   C functions by self L2 misses (whole timed region):")
    for fnm, v in sorted(C.items(), key=lambda kv: -L2(kv[1]))[:25]:
        print(f"     {fnm[:70]:70} L2 {L2(v)/n:7.1f} DLmr {col(v,'DLmr')/n:7.1f} DLmw {col(v,'DLmw')/n:7.1f} Ir {col(v,'Ir')/n:9,.0f}")
