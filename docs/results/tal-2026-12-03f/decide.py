"""Condition B of this directory's rule: `sz` vs `default` on real-engine `mixed`.
TaL ratios per repetition from examples/interleaved_replay.py's own ``tal_summary``
(SLO = 3 x default's mean at the lowest rate), and the geometric mean over the
(repetition, rate) cells of default ms/token / sz ms/token.
Usage: python decide.py mixed-bb-100/rows.jsonl"""

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))
from interleaved_replay import tal_summary  # noqa: E402

rows = [r for r in map(json.loads, open(sys.argv[1])) if r["rep"] is not None]  # (no warm-ups)
t = tal_summary(rows, ["default", "sz"])
ratios = [t["reps"][rep]["ratio"]["sz"]["value"] for rep in sorted(t["reps"])]
bounds = [t["reps"][rep]["ratio"]["sz"]["bound"] for rep in sorted(t["reps"])]
mean = {(r["rep"], r["rate"], r["sched"]): r["mean"] for r in rows}
cells = [
    mean[(rep, rate, "default")] / mean[(rep, rate, "sz")]
    for (rep, rate, s) in sorted(mean)
    if s == "sz" and (rep, rate, "default") in mean
]


def geo(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


print(
    f"repetitions {len(ratios)}; TaL ratio sz / default per repetition:",
    ", ".join(f"{b if b != '=' else ''}{x:.3f}" for x, b in zip(ratios, bounds, strict=True)),
    f"| geo-mean {geo(ratios):.3f} (>= 0.95 needed)",
)
print(f"cells {len(cells)}; geo-mean default / sz ms/token {geo(cells):.3f} (>= 0.95 needed)")
ok = len(ratios) >= 3 and geo(ratios) >= 0.95 and len(cells) >= 12 and geo(cells) >= 0.95
print("condition B:", "met" if ok else "not met")
