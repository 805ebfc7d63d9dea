"""Pooled noise-floor reading of every fidelity window with >= 3 real repetitions per cell.

Question: over all such windows, is each window's REGISTERED predictor as good as the real
engine's run-to-run noise allows, or is a model error left?

Per window (as `docs/results/fidY-2026-12-06/scripts/floorY.py` does it): 16 cells (family x
scheduler x rate x {mean, p95} program token latency); a cell's real value is the MEDIAN over
its repetitions (every window L-Z registered the median), a family with more repetitions keeps
its first n; the simulated value is the registered predictor's (`fidelity.cell_values`: the
mean over its simulated runs). `vllm_nexus.sim.noise_floor.reading` (tolerance 0.25, 10,000
draws, seed 0, one resample of repetition indices shared by the window's 16 cells) gives
each cell's P(a perfect predictor lands in), P(all in) and P(at most k in | perfect).

Pooled: the module exposes only the per-cell chances, so `draw_counts` below repeats its
bootstrap draw for draw (same seed, same calls to the generator, same `within`) and keeps each
draw's number of cells in; it asserts that its per-cell chances and P(all in) equal the
module's exactly. A window's distribution of cells-in for a perfect predictor is the histogram
of those counts (it keeps the correlation between a window's cells, which the module's
Poisson-binomial tail ignores); windows are taken as independent, so the distribution of the
total is the convolution of the windows' distributions.

usage (from the repository root): .venv/bin/python docs/results/pooled-floor-2026-12-06/pooled.py
"""

from __future__ import annotations

import math
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from vllm_nexus.bench import report  # noqa: E402
from vllm_nexus.sim import fidelity, noise_floor  # noqa: E402

RESULTS = ROOT / "docs" / "results"
TOL = 0.25
DRAWS = noise_floor.DRAWS
SEED = 0
SCHEDULERS = ["stock-fcfs", "vllm_nexus"]
FAMILIES = ("ca", "mr")


@dataclass(frozen=True)
class Window:
    letter: str
    folder: str  # under docs/results; the data sit in <folder>/<letter>/{ca,mr}
    simsub: str  # the registered predictor's simulated results, <family>/<simsub>/<scheduler>/
    predictor: str
    registered_in: int  # cells in, as the window's README / tables registered it
    committed: tuple[float, float, float | None]
    """The committed floor reading: (expected in, P(all in), P(at most k in) or None)."""
    committed_src: str = ""


# Windows with >= 3 repetitions per cell (L-Z; the earlier ones have 2: see README.md).
# The committed readings of L-U are noise-2026-12-06/noise.md (20,000 draws, one generator
# shared by the windows in turn, so other draws); V, W, X used noise.py's bootstrap (20,000
# draws, seed 0); Y and Z the product's module (10,000 draws, seed 0), as here.
# fmt: off
WINDOWS = [
    Window("L", "fidL-2026-12-05e", "sim-alone", "step-0 calibration", 5, (15.0, 0.70, None), "noise.md"),
    Window("M", "fidM-2026-12-05f", "sim-alone", "step-0 calibration", 14, (16.0, 0.98, None), "noise.md"),
    Window("N", "fidN-2026-12-05g", "sim-alone", "step-0 calibration", 16, (15.9, 0.96, None), "noise.md"),
    Window("O", "fidO-2026-12-05g", "sim-alone", "step-0 calibration", 12, (15.9, 0.96, None), "noise.md"),
    Window("P", "fidP-2026-12-05h", "sim-alone", "bracket (median fit of 6 servers)", 16, (15.9, 0.95, None), "noise.md"),
    Window("Q", "fidQ-2026-12-06", "sim-alone", "bracket (median fit of 6 servers)", 13, (15.5, 0.77, None), "noise.md"),
    Window("R", "fidR-2026-12-06", "sim-alone", "bracket (median fit of 6 servers)", 12, (15.5, 0.69, None), "noise.md"),
    Window("S", "fidS-2026-12-06", "sim-probe-rescaled", "bracket, python-loop probe-rescaled", 12, (14.5, 0.42, None), "noise.md"),
    Window("T", "fidT-2026-12-06", "sim-speed", "bracket, per-server speed probe", 11, (16.0, 0.99, None), "noise.md"),
    Window("U", "fidU-2026-12-06", "sim-probe-rescaled", "bracket, python-loop probe-rescaled", 15, (15.0, 0.38, None), "noise.md"),
    Window("V", "fidV-2026-12-06", "sim-alone", "midpoint of start/end calibrations", 15, (15.9, 0.94, 0.066), "V-floor.md"),
    Window("W", "fidW-2026-12-06", "sim-C", "midpoint + queued ingress share (C)", 14, (14.3, 0.57, 0.520), "W-floor-C.md"),
    Window("X", "fidX-2026-12-06", "sim-D", "midpoint + ingress share + resume cost (D)", 10, (14.3, 0.48, 0.002), "X-floor-D.md"),
    Window("Y", "fidY-2026-12-06", "sim-alone", "midpoint, shipped calibrate (D's fields)", 16, (15.1, 0.58, 1.000), "Y-readings.md"),
    Window("Z", "fidZ-2026-12-06", "sim-alone", "midpoint, shipped calibrate (D's fields)", 14, (14.1, 0.34, 0.635), "Z-readings.md"),
]
# fmt: on


@dataclass(frozen=True)
class Cell:
    family: str
    scheduler: str
    rate: float
    stat: str
    reps: tuple[float, ...]
    sim: float

    @property
    def kind(self) -> tuple[str, str, float, str]:
        return (self.family, self.scheduler, self.rate, self.stat)

    @property
    def real(self) -> float:
        return statistics.median(self.reps)

    @property
    def ratio(self) -> float:
        return self.sim / self.real

    @property
    def inside(self) -> bool:
        return noise_floor.within(self.sim, self.real, TOL)


def load_cells(w: Window) -> list[Cell]:
    """The window's 16 cells, as floorY.py builds them."""
    root = RESULTS / w.folder / w.letter
    raw = []
    for fam in FAMILIES:
        real = fidelity._real_results(root / fam, SCHEDULERS)
        pred = {s: report.plain_or_gz(root / fam / w.simsub / s / "result.json") for s in real}
        missing = [s for s, p in pred.items() if p is None]
        if missing:
            raise SystemExit(f"window {w.letter}: no {w.simsub} result for {missing}")
        for s, rate, stat, vals, sim in fidelity.cell_values(real, pred, "program_token_latency_s"):
            raw.append((fam, s, rate, stat, vals, sim))
    n = min(len(c[4]) for c in raw)  # a family with more repetitions keeps its first n
    return [Cell(f, s, r, st, tuple(v[:n]), sim) for f, s, r, st, v, sim in raw]


def draw_counts(reps: list[tuple[float, ...]]) -> tuple[list[float], float, list[float]]:
    """`noise_floor.cell_chances` draw for draw, also keeping each draw's count of cells in:
    (per-cell chances, P(all in), distribution of cells in over 0..len(reps))."""
    n = len(reps[0])
    rng = random.Random(SEED)
    full = [statistics.median(v) for v in reps]
    hits = [0] * len(reps)
    hist = [0] * (len(reps) + 1)
    for _ in range(DRAWS):
        idx = [rng.randrange(n) for _ in range(n)]
        k = 0
        for i, v in enumerate(reps):
            if noise_floor.within(full[i], statistics.median([v[j] for j in idx]), TOL):
                hits[i] += 1
                k += 1
        hist[k] += 1
    return [h / DRAWS for h in hits], hist[-1] / DRAWS, [h / DRAWS for h in hist]


def convolve(dists: list[list[float]]) -> list[float]:
    out = [1.0]
    for d in dists:
        nxt = [0.0] * (len(out) + len(d) - 1)
        for i, p in enumerate(out):
            for j, q in enumerate(d):
                nxt[i + j] += p * q
        out = nxt
    return out


def sign_test(a: int, b: int) -> float:
    """Two-sided exact binomial test of a vs b successes at p = 1/2."""
    n = a + b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(a, b) + 1)) / 2**n
    return min(1.0, 2 * tail)


def fmt_p(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def geomean(xs: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(x) for x in xs))


@dataclass
class Reading:
    window: Window
    cells: list[Cell]
    floor: noise_floor.FloorReading
    dist: list[float]  # P(a perfect predictor gets k cells in), k = 0..16, from the bootstrap

    @property
    def p_at_most_joint(self) -> float:
        return sum(self.dist[: self.floor.cells_in + 1])


def read_window(w: Window) -> Reading:
    cells = load_cells(w)
    reps = [c.reps for c in cells]
    floor = noise_floor.reading(reps, [c.sim for c in cells], TOL, draws=DRAWS, seed=SEED)
    chances, p_all, dist = draw_counts(reps)
    assert tuple(chances) == floor.chances and p_all == floor.p_all_in, w.letter
    assert floor.cells_in == sum(c.inside for c in cells)
    return Reading(w, cells, floor, dist)


def window_table(readings: list[Reading]) -> list[str]:
    out = [
        "| window | reps | registered predictor (sim dir) | cells in | README | perfect: expected in"
        " | P(all 16 in) | P(<= k in), cells indep. (module) | P(<= k in), bootstrap joint"
        " | committed reading: expected / P(all) / P(<= k) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in readings:
        w, f = r.window, r.floor
        exp, pall, pk = w.committed
        committed = (
            f"{exp:.1f} / {pall:.2f} / {'-' if pk is None else f'{pk:.3f}'} ({w.committed_src})"
        )
        out.append(
            f"| {w.letter} | {len(r.cells[0].reps)} | {w.predictor} (`{w.simsub}`) | {f.cells_in}"
            f"{'' if f.cells_in == w.registered_in else ' (!)'} | {w.registered_in} | {f.expected_in:.1f}"
            f" | {f.p_all_in:.2f} | {fmt_p(f.p_at_most)} | {fmt_p(r.p_at_most_joint)} | {committed} |"
        )
    return out


def pooled_lines(label: str, readings: list[Reading]) -> str:
    total = sum(r.floor.cells_in for r in readings)
    cells = sum(r.floor.cells for r in readings)
    dist = convolve([r.dist for r in readings])
    expected = sum(k * p for k, p in enumerate(dist))
    sd = math.sqrt(sum((k - expected) ** 2 * p for k, p in enumerate(dist)))
    p_joint = sum(dist[: total + 1])
    p_indep = noise_floor.at_most([p for r in readings for p in r.floor.chances], total)
    met = sum(r.floor.cells_in == r.floor.cells for r in readings)
    p_alls = [r.floor.p_all_in for r in readings]
    p_met = noise_floor.at_most(p_alls, met)
    return (
        f"| {label} | {len(readings)} | {total} of {cells} | {expected:.1f} (sd {sd:.1f}) | "
        f"{fmt_p(p_joint)} | {fmt_p(p_indep)} | {met} | {sum(p_alls):.1f} | {fmt_p(p_met)} |"
    )


def floor_rule_line(readings: list[Reading]) -> str:
    """How many windows fail the floor rule (P(<= k | perfect) < 0.05, the module's tail), and
    how many a perfect predictor would fail (per window: P(its count K has at_most(K) < 0.05),
    K drawn from the window's bootstrap distribution)."""
    failed = [r.window.letter for r in readings if not r.floor.consistent]
    p_fail = []
    for r in readings:
        p_fail.append(
            sum(
                p
                for k, p in enumerate(r.dist)
                if noise_floor.at_most(r.floor.chances, k) < noise_floor.CONSISTENT_P
            )
        )
    # P(at least len(failed) windows fail | perfect) = 1 - P(at most len(failed) - 1)
    p_tail = 1.0 - noise_floor.at_most(p_fail, len(failed) - 1) if failed else 1.0
    return (
        f"- Windows failing the registered floor rule (P(<= k | perfect) < {noise_floor.CONSISTENT_P}, "
        f"module tail): **{len(failed)}** ({', '.join(failed) or 'none'}); a perfect predictor would "
        f"fail {sum(p_fail):.2f} on average; P(at least {len(failed)} | perfect) = {fmt_p(p_tail)}."
    )


def direction_lines(readings: list[Reading]) -> list[str]:
    cells = [c for r in readings for c in r.cells]
    up = sum(c.ratio > 1 for c in cells)
    down = sum(c.ratio < 1 for c in cells)
    misses = [c for c in cells if not c.inside]
    m_up = sum(c.ratio > 1 for c in misses)
    m_down = len(misses) - m_up
    stable = [
        (c, p) for r in readings for c, p in zip(r.cells, r.floor.chances, strict=True) if p >= 0.95
    ]
    stable_miss = [c for c, _ in stable if not c.inside]
    win_gm = [(r.window.letter, geomean([c.ratio for c in r.cells])) for r in readings]
    w_up = sum(g > 1 for _, g in win_gm)
    out = [
        f"- All {len(cells)} cells: **{up} simulated above** the real median (too slow), **{down} below** "
        f"(too fast), {len(cells) - up - down} equal; sign test p = {fmt_p(sign_test(up, down))}. "
        f"Geometric mean sim / real {geomean([c.ratio for c in cells]):.3f}; "
        f"mean |ln(sim / real)| {statistics.fmean(abs(math.log(c.ratio)) for c in cells):.3f}.",
        f"- The {len(misses)} misses: **{m_up} too slow, {m_down} too fast**; sign test p = "
        f"{fmt_p(sign_test(m_up, m_down))}.",
        f"- {len(stable)} cells are stable under resampling (P(perfect in) >= 0.95); the registered "
        f"predictors miss **{len(stable_miss)}** of them, where a perfect predictor would miss "
        f"{sum(1 - p for _, p in stable):.1f} on average.",
        "- Cells of one window share a calibration, so they are not independent draws of the "
        "direction. Per window, the geometric mean of sim / real over its 16 cells: "
        + ", ".join(f"{k} {g:.2f}" for k, g in win_gm)
        + f" -> {w_up} windows on the slow side, {len(win_gm) - w_up} on the fast side; "
        f"sign test p = {fmt_p(sign_test(w_up, len(win_gm) - w_up))}.",
    ]
    return out


def bias_table(readings: list[Reading], recent: set[str]) -> list[str]:
    kinds: dict[tuple, list[tuple[str, Cell]]] = {}
    for r in readings:
        for c in r.cells:
            kinds.setdefault(c.kind, []).append((r.window.letter, c))
    label = "".join(sorted(recent))
    out = [
        f"| family | scheduler | rate | stat | windows | geo-mean sim / real | sd of ln ratio | range | "
        f"above / below | sign p | misses: slow / fast (windows) | geo-mean, {label} only |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in sorted(kinds, key=lambda k: (k[0], k[1], k[2], k[3])):
        rows = kinds[kind]
        ratios = [c.ratio for _, c in rows]
        up = sum(x > 1 for x in ratios)
        down = sum(x < 1 for x in ratios)
        slow = [k for k, c in rows if not c.inside and c.ratio > 1]
        fast = [k for k, c in rows if not c.inside and c.ratio < 1]
        rec = [c.ratio for k, c in rows if k in recent]
        fam, s, rate, stat = kind
        out.append(
            f"| {fam} | {s} | {rate:g} | {stat} | {len(rows)} | **{geomean(ratios):.2f}** | "
            f"{statistics.stdev(math.log(x) for x in ratios):.2f} | "
            f"{min(ratios):.2f}-{max(ratios):.2f} | {up} / {down} | {fmt_p(sign_test(up, down))} | "
            f"{len(slow)} ({''.join(slow) or '-'}) / {len(fast)} ({''.join(fast) or '-'}) | "
            f"{geomean(rec):.2f} |"
        )
    return out


def family_table(readings: list[Reading], subsets: list[tuple[str, list[str]]]) -> list[str]:
    """Direction per family and group of windows, counted over cells and over windows (a
    window's cells share its calibration, so the window count is the honest sign test)."""
    out = [
        "| windows | family | cells above / below | sign p (cells) | windows above / below "
        "(geo-mean of the family's 8 cells) | sign p (windows) | geo-mean sim / real | misses: slow / fast |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by = {r.window.letter: r for r in readings}
    for label, letters in subsets:
        for fam in FAMILIES:
            cells = [c for k in letters for c in by[k].cells if c.family == fam]
            up = sum(c.ratio > 1 for c in cells)
            down = sum(c.ratio < 1 for c in cells)
            wg = [geomean([c.ratio for c in by[k].cells if c.family == fam]) for k in letters]
            w_up = sum(g > 1 for g in wg)
            w_down = sum(g < 1 for g in wg)
            slow = sum(not c.inside and c.ratio > 1 for c in cells)
            fast = sum(not c.inside and c.ratio < 1 for c in cells)
            out.append(
                f"| {label} | {fam} | {up} / {down} | {fmt_p(sign_test(up, down))} | {w_up} / {w_down} | "
                f"{fmt_p(sign_test(w_up, w_down))} | {geomean([c.ratio for c in cells]):.2f} | {slow} / {fast} |"
            )
    return out


def gain_table(readings: list[Reading]) -> list[str]:
    """The default's error relative to stock's in the same window and cell: (sim / real of the
    default) / (sim / real of stock). A window's speed error cancels; what is left is whether the
    simulator gets the default's gain over stock right (> 1: the simulated default gains less)."""
    out = [
        "| family | rate | stat | geo-mean (default's sim / real) / (stock's) | sd of ln | range | "
        "above / below | sign p | per window |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(c.family, c.rate, c.stat) for r in readings for c in r.cells})
    for fam, rate, stat in keys:
        rel = []
        for r in readings:
            x = {
                c.scheduler: c.ratio
                for c in r.cells
                if (c.family, c.rate, c.stat) == (fam, rate, stat)
            }
            rel.append((r.window.letter, x["vllm_nexus"] / x["stock-fcfs"]))
        vals = [v for _, v in rel]
        up = sum(v > 1 for v in vals)
        down = sum(v < 1 for v in vals)
        out.append(
            f"| {fam} | {rate:g} | {stat} | **{geomean(vals):.2f}** | "
            f"{statistics.stdev(math.log(v) for v in vals):.2f} | {min(vals):.2f}-{max(vals):.2f} | "
            f"{up} / {down} | {fmt_p(sign_test(up, down))} | {' '.join(f'{k} {v:.2f}' for k, v in rel)} |"
        )
    return out


def shift_lines(readings: list[Reading]) -> list[str]:
    """Post hoc: how many cells a predictor would get in if its only error were one speed factor
    per window (or per window and family), fitted on the real medians (an oracle, not a
    prediction): what is left is the error in the pattern of cells, not in the level."""
    per_window = per_family = 0
    for r in readings:
        g = geomean([c.ratio for c in r.cells])
        per_window += sum(noise_floor.within(c.sim / g, c.real, TOL) for c in r.cells)
        for fam in FAMILIES:
            cells = [c for c in r.cells if c.family == fam]
            gf = geomean([c.ratio for c in cells])
            per_family += sum(noise_floor.within(c.sim / gf, c.real, TOL) for c in cells)
    total = sum(r.floor.cells for r in readings)
    return [
        f"- Post hoc, an oracle: dividing each window's predictions by that window's own geometric-mean "
        f"sim / real (one speed factor per window, fitted on the real medians) puts **{per_window} of "
        f"{total}** cells in; one factor per window and family, **{per_family} of {total}** "
        f"(registered: {sum(r.floor.cells_in for r in readings)}). The factors are fitted on the "
        f"answers (flattering), so read these as roughly what a right speed level alone would "
        f"recover, not as predictions; what stays short of a perfect predictor is error in the "
        f"pattern of cells.",
    ]


def misses_table(readings: list[Reading]) -> list[str]:
    out = [
        "| window | cell | real reps (ms/token, in order) | median | sim | sim / median | P(perfect in) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in readings:
        for c, p in zip(r.cells, r.floor.chances, strict=True):
            if not c.inside:
                reps = " / ".join(f"{x * 1e3:.1f}" for x in c.reps)
                out.append(
                    f"| {r.window.letter} | {c.family} {c.scheduler} {c.rate:g} {c.stat} | {reps} | "
                    f"{c.real * 1e3:.1f} | {c.sim * 1e3:.1f} | {c.ratio:.2f} | {p:.2f} |"
                )
    return out


def main() -> None:
    readings = [read_window(w) for w in WINDOWS]
    by = {r.window.letter: r for r in readings}
    subsets = [
        ("L-Z, all", list("LMNOPQRSTUVWXYZ")),
        ("P-Z, bracketing calibrations onward", list("PQRSTUVWXYZ")),
        ("V-Z, midpoint predictors", list("VWXYZ")),
        ("Y-Z, the shipped product", list("YZ")),
    ]
    print("# Pooled noise-floor reading of the fidelity windows with >= 3 repetitions (L-Z)")
    print()
    print(
        f"`.venv/bin/python docs/results/pooled-floor-2026-12-06/pooled.py` (tolerance {TOL}, "
        f"real value = median over repetitions, `noise_floor.reading`, {DRAWS:,} draws, seed {SEED}, "
        "one resample shared by a window's 16 cells)."
    )
    print()
    print("## Per window (each window's registered predictor)")
    print()
    for line in window_table(readings):
        print(line)
    print()
    print(
        "- cells in: this script (`noise_floor.within`, |sim / median - 1| <= 0.25); README: the "
        "count the window registered ((!) marks a difference)."
    )
    print(
        "- P(<= k in), cells indep.: the module's `FloorReading.p_at_most` (Poisson-binomial of "
        "the per-cell chances), the windows' registered rule; bootstrap joint: the share of the "
        "same 10,000 draws in which a perfect predictor got at most k cells in (keeps the "
        "correlation between a window's cells)."
    )
    print(
        "- committed reading: L-U from `noise-2026-12-06/noise.md` (20,000 draws, one generator "
        "run through the windows in turn; it gave no P(<= k) for the registered predictors); "
        "V, W, X from their `floor*.py` on noise.py's bootstrap (20,000 draws, seed 0); Y, Z from "
        "the product module as here, so they match to the digit."
    )
    print()
    print("## Pooled over windows (windows independent)")
    print()
    print(
        "| windows | n | cells in (observed) | perfect: expected in | P(total <= observed), "
        "convolution of bootstrap distributions | P(total <= observed), all cells indep. | "
        "windows 16/16 (observed) | perfect: expected windows 16/16 | P(windows met <= observed) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, letters in subsets:
        print(pooled_lines(label, [by[k] for k in letters]))
    print()
    print(floor_rule_line(readings))
    print()
    print("## Direction of the errors (all 15 windows)")
    print()
    for line in direction_lines(readings):
        print(line)
    print()
    print("Per family and group of windows:")
    print()
    for line in family_table(
        readings,
        [("L-U", list("LMNOPQRSTU")), ("V-Z", list("VWXYZ")), ("L-Z", list("LMNOPQRSTUVWXYZ"))],
    ):
        print(line)
    print()
    for line in shift_lines(readings):
        print(line)
    print()
    print("## Bias per cell type: sim / real median across windows")
    print()
    print(
        "Rates: `coding-agent` (ca) 2 and 12 programs/s, `map-reduce` (mr) 6 and 12 in every "
        "window. Sign p: two-sided exact sign test of above vs below over the windows (the "
        "registered predictors differ between windows, so this pools predictors)."
    )
    print()
    for line in bias_table(readings, set("VWXYZ")):
        print(line)
    print()
    print("### The default's gain over stock, window by window")
    print()
    print(
        "(default's sim / real) / (stock's sim / real) in the same window and cell: the window's "
        "speed error cancels. Above 1: the simulated default gains less over stock than the real "
        "one; below 1: more."
    )
    print()
    for line in gain_table(readings):
        print(line)
    print()
    print("## Every miss of a registered predictor")
    print()
    for line in misses_table(readings):
        print(line)


if __name__ == "__main__":
    main()
