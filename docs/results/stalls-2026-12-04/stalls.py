# ruff: noqa  (analysis script of docs/results/stalls-2026-12-04, kept as run)
"""Client event-loop stalls (result.json's client_loop) and the calls whose stream had a gap
> 0.3 s, per run: python stalls.py data/*.result.json.gz"""
import gzip, json, sys
for f in sys.argv[1:]:
    r = json.load(gzip.open(f) if f.endswith(".gz") else open(f))
    for run in r["runs"]:
        cl = run["client_loop"]
        calls = [c for p in run["programs"] for c in p["calls"]]
        gaps = [c for c in calls if (c.get("max_gap_s") or 0) > 0.3]
        inside = sum(any(at <= c["max_gap_end_s"] <= at + late + 0.02 for at, late in cl["worst"]) for c in gaps)
        print(f"{f.split('/')[-1][:44]:44} dur {run['duration_s']:5.1f} s | client stalls > 50 ms {cl['stalls']:3d}, "
              f"{cl['stall_s']:5.2f} s, max {cl['max_stall_s']:.2f} s | calls with a gap > 0.3 s {len(gaps):3d}, "
              f"ending inside one of the 10 largest client stalls {inside}")
