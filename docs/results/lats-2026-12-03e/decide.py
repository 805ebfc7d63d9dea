"""The README's condition 1 on the real-engine rows: TaL ratio NAME / stock per repetition
(SLO = 3 x stock's mean at the lowest rate, vllm_nexus.bench.metrics.throughput_at_latency,
as interleaved_replay's summary), its geo-mean and minimum, and the geo-mean over the
(repetition, rate) cells of stock ms/token / NAME ms/token. latspre-2026-12-03d/decide.py with
the scheduler name as an argument. Usage: python decide.py rows.json [NAME (default sz)]"""

import json
import math
import sys
from collections import defaultdict

from vllm_nexus.bench.metrics import throughput_at_latency

rows = json.load(open(sys.argv[1]))
name = sys.argv[2] if len(sys.argv) > 2 else "sz"
by = defaultdict(dict)
for r in rows:
    by[(r["rep"], r["sched"])][r["rate"]] = r["mean"]
reps = sorted({k[0] for k in by})
tal_ratios, cells = [], []
for rep in reps:
    s, c = by[(rep, "stock")], by[(rep, name)]
    rates = sorted(s)
    slo = 3 * s[rates[0]]
    ts = throughput_at_latency([(x, s[x]) for x in rates], slo)
    tc = throughput_at_latency([(x, c[x]) for x in rates], slo)
    bound = {True: ">=", False: ""}
    ts, tc = (ts["interp_rate"], bound[ts["censored"]]), (tc["interp_rate"], bound[tc["censored"]])
    tal_ratios.append(tc[0] / ts[0])
    cells += [s[x] / c[x] for x in rates]
    print(
        f"rep {rep}: SLO {slo:.1f}, TaL stock {ts[1]}{ts[0]:.2f}, {name} {tc[1]}{tc[0]:.2f},"
        f" ratio {tal_ratios[-1]:.2f}"
    )
geo = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))  # noqa: E731
print(f"TaL ratio geo-mean {geo(tal_ratios):.3f} (>= 1.0), min {min(tal_ratios):.2f} (>= 0.95)")
print(f"cells stock/{name} geo-mean {geo(cells):.3f} (>= 1.0) over {len(cells)} cells")
ok = len(reps) >= 3 and geo(tal_ratios) >= 1.0 and min(tal_ratios) >= 0.95 and geo(cells) >= 1.0
print(f"repetitions {len(reps)} (>= 3)")
print("condition 1:", "met" if ok else "NOT met")
