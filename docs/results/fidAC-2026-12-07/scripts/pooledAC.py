"""Window AC's reading 3 (pre-registered in ../README.md): the shipped predictor (the bracket
midpoint, AC's sim-bracket) pooled over the fresh windows that used it (Y, Z, AA, AB, AC), as
../../pooled-floor-2026-12-06/pooled.py pools windows: each window's bootstrap distribution of
cells in for a perfect predictor (10,000 draws, seed 0), convolved (windows independent);
consistent when P(total <= observed | perfect) >= 0.05. Also AC's two predictors side by side
(reading 4 compares them).
usage (from the repository root, after AC is packed into docs/results/fidAC-2026-12-07/AC):
  .venv/bin/python docs/results/fidAC-2026-12-07/scripts/pooledAC.py"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
spec = importlib.util.spec_from_file_location(
    "pooled", ROOT / "docs/results/pooled-floor-2026-12-06/pooled.py"
)
pooled = importlib.util.module_from_spec(spec)
sys.modules["pooled"] = pooled  # its dataclasses look their module up
spec.loader.exec_module(pooled)


def cells_in(name: str) -> int:
    text = Path(ROOT / "docs/results/fidAC-2026-12-07" / name).read_text()
    return int(text.split('"cells_in": ')[1].split(",")[0])


SHIPPED = "midpoint, shipped calibrate (D's fields)"
CENTRE = "centre of start, one-server interleaved and end calibrations"
windows = [
    pooled.Window("Y", "fidY-2026-12-06", "sim-alone", SHIPPED, 16, (15.1, 0.58, 1.0), "Y-readings.md"),
    pooled.Window("Z", "fidZ-2026-12-06", "sim-alone", SHIPPED, 14, (14.1, 0.34, 0.635), "Z-readings.md"),
    pooled.Window("AA", "fidAA-2026-12-06", "sim-alone", SHIPPED, 12, (14.0, 0.44, 0.099), "AA-readings.md"),
    pooled.Window("AB", "fidAB-2026-12-06", "sim-alone", SHIPPED, 13, (14.6, 0.42, 0.1256), "AB-readings.md"),
    pooled.Window("AC", "fidAC-2026-12-07", "sim-bracket", SHIPPED, cells_in("AC-bracket-readings.md"),
                  (0.0, 0.0, None), "AC-bracket-readings.md"),
]  # fmt: skip
centre = pooled.Window("AC", "fidAC-2026-12-07", "sim-alone", CENTRE, cells_in("AC-readings.md"),
                       (0.0, 0.0, None), "AC-readings.md")  # fmt: skip
readings = [pooled.read_window(w) for w in windows]
print("| window | predictor | cells in | perfect: expected in | P(all 16 in) | P(<= k in), module |")
print("|---|---|---|---|---|---|")
for r in [*readings, pooled.read_window(centre)]:
    f = r.floor
    print(f"| {r.window.letter} | {r.window.predictor} | {f.cells_in} | {f.expected_in:.1f} | "
          f"{f.p_all_in:.2f} | {pooled.fmt_p(f.p_at_most)} |")  # fmt: skip
print()
print("| windows | n | cells in | perfect: expected (sd) | P(total <= observed), convolution | "
      "P(total <= observed), cells indep. | windows 16/16 | perfect: expected | P(<= observed) |")  # fmt: skip
print("|---|---|---|---|---|---|---|---|---|")
print(pooled.pooled_lines("Y, Z, AA, AB, AC (the shipped predictor)", readings))
print(pooled.pooled_lines("V-Z, AA, AB and AC (midpoint predictors)",
      [pooled.read_window(w) for w in pooled.WINDOWS if w.letter in "VWX"] + readings))  # fmt: skip
