"""The num_queues-10 decision rule of README.md, applied to a merged rows.json.

python docs/results/tal-2026-12-03c/decide.py docs/results/tal-2026-12-03c/mixed-bb-100/rows.json
"""

import json
import math
import statistics
import sys
from pathlib import Path

from vllm_nexus.bench.metrics import throughput_at_latency

rows = json.loads(Path(sys.argv[1]).read_text())
top = max(r["rate"] for r in rows)
mean = {(r["sched"], r["rep"], r["rate"]): r["mean"] for r in rows}
reps = sorted({r["rep"] for r in rows})
tal_ratios = []
for rep in reps:
    # the SLO of the README: 3x stock's mean at the lowest rate in the same repetition
    stock = sorted(
        (r["rate"], r["mean"]) for r in rows if r["sched"] == "stock" and r["rep"] == rep
    )
    slo = 3.0 * stock[0][1]
    tal = {}
    for s in ("default", "nq10"):
        pts = sorted((r["rate"], r["mean"]) for r in rows if r["sched"] == s and r["rep"] == rep)
        tal[s] = throughput_at_latency(pts, slo)
    if tal["default"]["censored"] and tal["nq10"]["censored"]:
        x = mean[("default", rep, top)] / mean[("nq10", rep, top)]
        how = f"both >= {top:g}: mean-latency ratio at {top:g}/s"
    else:
        x = (tal["nq10"]["interp_rate"] or 0.0) / tal["default"]["interp_rate"]
        how = f"TaL nq10 {tal['nq10']['interp_rate']} / default {tal['default']['interp_rate']}"
    tal_ratios.append(x)
    print(f"rep {rep}: SLO {slo:.1f} ms/token; TaL ratio nq10/default {x:.3f} ({how})")
geo = math.exp(statistics.mean(math.log(x) for x in tal_ratios))
cells = [
    mean[("default", rep, rate)] / mean[("nq10", rep, rate)]
    for rep in reps
    for rate in sorted({r["rate"] for r in rows})
]
geo_mean = math.exp(statistics.mean(math.log(x) for x in cells))
worst = [mean[("default", rep, top)] / mean[("nq10", rep, top)] for rep in reps]
c1, c2, c3 = geo >= 0.97, geo_mean >= 0.97, min(worst) >= 0.87
print(f"1. TaL geo-mean nq10/default {geo:.3f} (>= 0.97: {c1})")
print(
    f"2. mean latency geo-mean default/nq10 over {len(cells)} cells {geo_mean:.3f} (>= 0.97: {c2})"
)
print(
    f"3. default/nq10 at {top:g}/s per rep {', '.join(f'{x:.3f}' for x in worst)} "
    f"(each >= 0.87: {c3})"
)
print("verdict:", "FLIP to num_queues 10" if c1 and c2 and c3 else "keep num_queues 7")
