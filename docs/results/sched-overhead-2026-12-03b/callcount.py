# ruff: noqa  (a throw-away measurement script, kept as run)
"""Calls per step in prof.py's pstats dumps (400 steps): all, vLLM's Python functions, ours,
builtins, builtins called from ours."""
import pstats, sys
for f in sys.argv[1:]:
    s = pstats.Stats(f)
    tot = sum(v[1] for v in s.stats.values())
    nex = sum(v[1] for k, v in s.stats.items() if "vllm_nexus" in k[0])
    vl = sum(v[1] for k, v in s.stats.items() if "/vllm/" in k[0])
    bi = sum(v[1] for k, v in s.stats.items() if k[0] == "~")
    bo = sum(cv[1] for k, v in s.stats.items() if k[0] == "~" for ck, cv in v[4].items() if "vllm_nexus" in ck[0])
    print(f"{f}: calls/step all {tot/400:.0f}, vLLM Python {vl/400:.0f}, vllm_nexus Python {nex/400:.1f}, builtins {bi/400:.0f} (from vllm_nexus {bo/400:.1f})")
