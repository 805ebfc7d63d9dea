"""Throw-away diagnosis (tuning seeds only): where does the sigma-1 loss come from? One run
per (setting, workload, seed, rate) without hints and with hints of each sigma; per program:
kind, calls, its hint, token latency in each run (JSON lines), then a table by class and by
hint error z = log(hint / calls). Usage: python diag2.py SETTING WORKLOAD SEED RATE OUT.jsonl"""

import json
import math
import os
import sys

sys.path.insert(0, "examples")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_sim

from vllm_nexus.bench import metrics

setting, workload, seed, rate, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
EXP = os.environ.get("EXP")
if EXP:  # a levelling variant of variants.py (imported for its patches only)
    sys.argv = sys.argv[:1]
    import variants  # noqa: F401  (its patches; main() only as a script)
st = policy_sim.SETTINGS[setting]
programs = policy_sim.programs_for(st, workload, seed, rate)
captured = {}
orig = metrics.summarize


def grab(records, *a, **k):
    captured["records"] = records
    return orig(records, *a, **k)


metrics.summarize = grab
lat = {}
for sigma in (None, 0.5, 1.0):
    r = policy_sim.run_one(st, "vllm_nexus", programs, seed, None, None, False, sigma)
    lat[sigma] = {p.program_id: p.token_latency_s for p in captured["records"]}
    print(f"sigma {sigma}: mean {r['mean'] * 1e3:.1f} per kind "
          + " ".join(f"{k}={v * 1e3:.1f}" for k, v in sorted(r["per_kind"].items())), flush=True)
rows = []
with open(out, "w") as f:
    for p in programs:
        row = {"pid": p.program_id, "kind": p.kind, "calls": len(p.calls),
               "hint05": p.size_hint(0.5, seed), "hint1": p.size_hint(1.0, seed),
               "lat": {str(s): lat[s][p.program_id] for s in lat}}
        rows.append(row)
        f.write(json.dumps(row) + "\n")
n = len(rows)
for sig, key in ((0.5, "hint05"), (1.0, "hint1")):
    print(f"== sigma {sig}: contribution to (mean hinted - mean unhinted) ms/token, by class and z")
    bins = [(-9, -1), (-1, -0.5), (-0.5, 0), (0, 0.5), (0.5, 1), (1, 9)]
    for kind in sorted({r["kind"] for r in rows}):
        cells = []
        for lo, hi in bins:
            sel = [r for r in rows if r["kind"] == kind and lo <= math.log(r[key] / r["calls"]) < hi]
            d = sum(r["lat"][str(sig)] - r["lat"]["None"] for r in sel) / n * 1e3
            cells.append(f"[{lo},{hi}) n={len(sel)} {d:+.2f}")
        tot = sum(r["lat"][str(sig)] - r["lat"]["None"] for r in rows if r["kind"] == kind) / n * 1e3
        print(f"  {kind:12s} total {tot:+.2f} | " + " | ".join(cells))
