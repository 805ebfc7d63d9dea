# ruff: noqa  (a throw-away measurement script, kept as run)
"""From a cProfile dump of ours (prof.py): time of vllm_nexus functions called directly by
vLLM's code (what split.py counts as "vLLM's code"), cumulative, per callee."""

import pstats
import sys

s = pstats.Stats(sys.argv[1]).stats
tot = sum(v[2] for v in s.values())
print("total tottime %.3f s" % tot)
agg = {}
for k, (cc, nc, tt, ct, callers) in s.items():
    if "vllm_nexus" not in k[0]:
        continue
    for ck, cv in callers.items():
        if "vllm_nexus" in ck[0]:
            continue
        name = k[0].split("/")[-1] + ":" + k[2]
        a = agg.setdefault(name, [0, 0.0, set()])
        a[0] += cv[1]
        a[1] += cv[3]
        a[2].add(ck[2])
for n, (c, ct, who) in sorted(agg.items(), key=lambda x: -x[1][1]):
    print(f"{ct:.4f}s {100 * ct / tot:5.2f}% {c:7d} calls  {n}  <- {sorted(who)[:4]}")
