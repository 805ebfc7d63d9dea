"""Throw-away: where each scheduler gains/loses against the oracle, from dump.py output.

python docs/results/policy-2026-12-03b/analyze.py DUMP.json [names...]
Per class x program-size quartile (within class, by output tokens): mean program token
latency (ms/token) and mean summed time to first token per program (s); per class x calls
left in the program: mean time to first token per call (s); and each cell's contribution to
the gap to the oracle (difference of the mean-over-all-programs token latency it explains).
"""

import json
import statistics as st
import sys

d = json.load(open(sys.argv[1]))
names = sys.argv[2:] or list(d["runs"])
progs = d["programs"]
N = len(progs)
per = {}
for name in names:
    r = d["runs"][name]
    pp = {}
    for pid, cid, _send, arr, ft, fin, _prompt, _out, _cached, pre in r["calls"]:
        x = pp.setdefault(pid, dict(end=0.0, ttft=0.0, calls=[]))
        x["end"] = max(x["end"], fin)
        x["ttft"] += ft - arr
        x["calls"].append((int(cid[1:]), ft - arr, pre))
    for pid, x in pp.items():
        p = progs[pid]
        x["tl"] = (x["end"] - p["arrival"]) / p["out"]
    per[name] = pp
    mean = st.mean(x["tl"] for x in pp.values())
    print(
        f"{name}: mean {1e3 * mean:.1f} ms/tok pre {r['preemptions']} steps {r['steps']} busy {r['busy']:.0f}"
    )
kinds = sorted({p["kind"] for p in progs.values()})
ref = "oracle" if "oracle" in names else names[-1]
print(
    "\nclass x size quartile: ms/tok (summed ttft s) ; [contribution to mean gap vs",
    ref,
    "in ms/tok]",
)
for k in kinds:
    pids = sorted((p for p in progs if progs[p]["kind"] == k), key=lambda p: progs[p]["out"])
    q = max(1, len(pids) // 4)
    groups = [pids[i * q : (i + 1) * q] if i < 3 else pids[3 * q :] for i in range(4)]
    for gi, g in enumerate(groups):
        if not g:
            continue
        line = f"{k:12s} Q{gi + 1} n={len(g):3d} calls~{st.mean(progs[p]['n'] for p in g):5.0f} out~{st.mean(progs[p]['out'] for p in g):6.0f}:"
        for n in names:
            tl = st.mean(per[n][p]["tl"] for p in g)
            tt = st.mean(per[n][p]["ttft"] for p in g)
            gap = sum(per[n][p]["tl"] - per[ref][p]["tl"] for p in g) / N
            line += f" {n} {1e3 * tl:6.1f} ({tt:6.1f}) [{1e3 * gap:+5.1f}] |"
        print(line)
print("\nclass x calls left (incl. this one): mean ttft per call s (n)")
bins = [(1, 1), (2, 4), (5, 15), (16, 10**9)]
for k in kinds:
    line = f"{k:12s}"
    for lo, hi in bins:
        line += f" left{lo}-{hi if hi < 10**9 else '+'}:"
        for n in names:
            v = [
                t
                for p, x in per[n].items()
                if progs[p]["kind"] == k
                for i, t, _ in x["calls"]
                if lo <= progs[p]["n"] - i <= hi
            ]
            if v:
                line += f" {n} {st.mean(v):.2f}"
        line += f" (n={len(v)}) |"
    print(line)
print("\nclass x calls done so far (position): mean ttft per call s")
bins2 = [(0, 0), (1, 3), (4, 15), (16, 10**9)]
for k in kinds:
    line = f"{k:12s}"
    for lo, hi in bins2:
        line += f" pos{lo}-{hi if hi < 10**9 else '+'}:"
        for n in names:
            v = [
                t
                for p, x in per[n].items()
                if progs[p]["kind"] == k
                for i, t, _ in x["calls"]
                if lo <= i <= hi
            ]
            if v:
                line += f" {n} {st.mean(v):.2f}"
        line += f" (n={len(v)}) |"
    print(line)
