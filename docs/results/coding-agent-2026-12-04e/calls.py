"""Per-call decode speed and queueing from bench result.json files (real or simulated).

usage: calls.py NAME=path/result.json ...
A call counts as 'stalled' when its largest gap between streamed tokens exceeds 0.2 s
(a preemption or a long wait between tokens). Prints per run: calls, stalled calls,
decode ms per output token of non-stalled calls (first token -> end), mean time to first
token of first calls (prompt not cached) vs later calls (context cached).
"""
import json
import statistics as st
import sys

for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    run = json.load(open(path))["runs"][0]
    calls = [c for p in run["programs"] for c in p["calls"] if not c.get("error")]
    ok = [c for c in calls if (c.get("max_gap_s") or 0) <= 0.2 and c["output_tokens"] > 1]
    stalled = len(calls) - len(ok)
    dec = sum(c["end_s"] - c["first_token_s"] for c in ok) / sum(c["output_tokens"] - 1 for c in ok)
    first = [c["first_token_s"] - c["send_s"] for c in calls if not c["after"]]
    later = [c["first_token_s"] - c["send_s"] for c in calls if c["after"]]
    gaps = sorted((c.get("max_gap_s") or 0) for c in calls)
    print(f"{name}: calls {len(calls)}, max-gap>0.2s {stalled}, decode ms/token (others) {dec * 1e3:.2f}, "
          f"TTFT first calls {st.mean(first) * 1e3:.0f} ms, later calls {st.mean(later) * 1e3:.0f} ms, "
          f"max-gap P50/P90/P99 {gaps[len(gaps) // 2] * 1e3:.0f}/{gaps[int(len(gaps) * .9)] * 1e3:.0f}/{gaps[int(len(gaps) * .99)] * 1e3:.0f} ms")
