"""Diagnostic profile for a drifting host: the midpoint of a window's start and end calibrations.

Registered for window R before its results existed (../../fidR-2026-12-06/README.md), applied post hoc
to P and Q, a registered diagnostic of S, T and U; the registered predictor of window W (../README.md).
Every time-like field of the two profiles' ``hardware`` is averaged arithmetically and every
rate-like field (FLOP rate, bandwidths, speeds) harmonically (a stream cap of 0, no cap, stays 0), so a step's modelled time is about
the mean of the two profiles' times (exactly so where the model is linear in them): the host at
the middle of the window rather than at one end. Fields equal in both are kept.
usage: python3 midprofile.py START.json END.json OUT.json
"""

import json
import sys

RATES = {"peak_flops", "mem_bw", "frontend_busy_speed", "host_kv_bw", "interconnect_bw"}
CAPS = {"frontend_stream_delay_cap", "frontend_delay_calls_cap"}  # 0 means no cap

a, b = (json.load(open(p)) for p in sys.argv[1:3])
ha, hb = a["hardware"], b["hardware"]
mid = dict(ha)
for k, va in ha.items():
    vb = hb.get(k)
    if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va != vb:
        if k in CAPS:
            mid[k] = 0.0 if 0 in (va, vb) else (va + vb) / 2
        elif k in RATES and va and vb:
            mid[k] = 2 / (1 / va + 1 / vb)
        else:
            mid[k] = (va + vb) / 2
mid["source"] = f"midpoint of {sys.argv[1]} and {sys.argv[2]} (midprofile.py)"
doc = {"hardware": mid, "host": a.get("host")}
json.dump(doc, open(sys.argv[3], "w"), indent=1)
print(json.dumps({k: mid[k] for k in mid if ha.get(k) != hb.get(k)}, indent=0))
