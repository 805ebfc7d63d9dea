"""Markdown rows of the section's table from merged run directories.

python docs/results/tal-2026-12-03c/table.py docs/results/tal-2026-12-03c/mixed-bb-100 ...
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))
import interleaved_replay as il  # noqa: E402

print(
    "| run | scheduler | reps | SLO ms/token per rep | TaL stock per rep | TaL scheduler per rep "
    "| TaL ratio per rep | geo-mean | mean-latency ratio per rate (geo-mean over reps) |"
)
print("|---|---|---|---|---|---|---|---|---|")
for d in map(Path, sys.argv[1:]):
    rows = json.loads((d / "rows.json").read_text())
    scheds = list(dict.fromkeys(r["sched"] for r in rows))
    scheds.remove("stock")
    scheds.insert(0, "stock")
    t = il.tal_summary(rows, scheds)
    reps = list(t["reps"].values())
    rates = sorted({r["rate"] for r in rows})
    for s in scheds[1:]:
        per_rate = []
        for rate in rates:
            at = [r for r in rows if r["rate"] == rate]
            x = il.summarize(at, "stock")[s]["geo"]
            per_rate.append(f"{rate:g}: {x:.2f}")
        g = t["geo"][s]
        print(
            f"| {d.name} | {s} | {len(reps)} | "
            + ", ".join(f"{r['slo_ms']:.1f}" for r in reps)
            + " | "
            + ", ".join(
                il.fmt_bound(r["tal"]["stock"]["value"], r["tal"]["stock"]["bound"]) for r in reps
            )
            + " | "
            + ", ".join(il.fmt_bound(r["tal"][s]["value"], r["tal"][s]["bound"]) for r in reps)
            + " | "
            + ", ".join(il.fmt_bound(r["ratio"][s]["value"], r["ratio"][s]["bound"]) for r in reps)
            + f" | **{il.fmt_bound(g['value'], g['bound'])}x** | {'; '.join(per_rate)} |"
        )
