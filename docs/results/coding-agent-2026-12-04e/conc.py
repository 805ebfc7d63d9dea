"""Time-weighted concurrency from bench result.json files (real or simulated): calls in the
engine (send -> end), calls decoding (first token -> end), the share of the replay's span with
>= 8 calls in the engine, and output tokens per second while >= 1 call decodes.

usage: conc.py NAME=path/result.json ...
"""
import json
import sys


def weighted(intervals, t0, t1):
    ev = sorted([(a, 1) for a, b in intervals] + [(b, -1) for a, b in intervals])
    n, last, area, full, busy = 0, t0, 0.0, 0.0, 0.0
    for t, d in ev:
        area += n * (t - last)
        full += (t - last) if n >= 8 else 0.0
        busy += (t - last) if n >= 1 else 0.0
        n, last = n + d, t
    return area / (t1 - t0), full / (t1 - t0), busy


for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    run = json.load(open(path))["runs"][0]
    calls = [c for p in run["programs"] for c in p["calls"] if not c.get("error")]
    t0 = min(c["send_s"] for c in calls)
    t1 = max(c["end_s"] for c in calls)
    inflight, full, _ = weighted([(c["send_s"], c["end_s"]) for c in calls], t0, t1)
    dec, _, busy = weighted([(c["first_token_s"], c["end_s"]) for c in calls], t0, t1)
    out = sum(c["output_tokens"] for c in calls)
    print(f"{name}: span {t1 - t0:5.1f} s, mean calls in engine {inflight:4.2f}, decoding {dec:4.2f}, "
          f">=8 in engine {100 * full:4.1f}% of span, some call decoding {busy:5.1f} s, "
          f"output tok/s while decoding {out / busy:5.0f}")
