"""How close any predictor could get to a noisy real engine: the run-to-run noise floor.

A fidelity cell compares one simulated value with a statistic (mean or median) of a few real
repetitions. When the repetitions themselves spread (a shared host whose speed changes
between servers), even a *perfect* predictor, one that outputs exactly that statistic of the
population the repetitions come from, misses some cells by chance. This module measures that
chance from the repetitions alone (docs/simulator.md, "The noise floor"):

- per cell, ``P(perfect in)``: the share of bootstrap resamples of the repetitions whose
  statistic lies within the tolerance of the full sample's statistic (the full sample stands
  in for the population; one resample of repetition indices is shared by every cell of a
  draw, since a repetition's servers ran at one time on one host);
- for a window, the expected number of cells a perfect predictor gets in and the chance it
  gets all of them;
- for a real predictor that got ``k`` cells in, ``P(at most k in | perfect predictor)``
  (cells taken as independent: a Poisson-binomial tail). Below :data:`CONSISTENT_P` its
  misses are more than the repetitions' spread explains: a model (or calibration) miss.

Pure Python, no vLLM import; deterministic for a given ``seed``.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DRAWS = 10_000
"""Bootstrap resamples (the chances are then good to about +-0.01)."""
CONSISTENT_P = 0.05
"""A predictor's misses are "consistent with the noise floor" when a perfect predictor would
get at most as many cells in at least this often (the windows' registered rule since U)."""
MIN_REPS = 3
"""Fewer repetitions than this say nothing about their spread: no reading."""


def within(predicted: float, real: float, tolerance: float) -> bool:
    """Whether ``predicted`` is within ``tolerance`` (relative) of ``real``."""
    return real > 0 and abs(predicted - real) <= tolerance * real


def at_most(chances: Sequence[float], k: int) -> float:
    """P(at most ``k`` successes) of independent trials with these success ``chances``."""
    dist = [1.0]
    for p in chances:
        nxt = [0.0] * (len(dist) + 1)
        for i, q in enumerate(dist):
            nxt[i] += q * (1 - p)
            nxt[i + 1] += q * p
        dist = nxt
    return min(1.0, sum(dist[: max(0, k) + 1]))


def cell_chances(
    reps: Sequence[Sequence[float]],
    tolerance: float,
    combine: Callable[[Sequence[float]], float] = statistics.median,
    draws: int = DRAWS,
    seed: int = 0,
) -> tuple[list[float], float]:
    """Per cell, the chance a perfect predictor lands within ``tolerance`` of the cell's
    statistic (``combine`` of its repetitions), and the chance it lands in every cell.

    ``reps[i]`` holds cell i's value per repetition, in repetition order; every cell needs
    the same number of repetitions (at least :data:`MIN_REPS`)."""
    if not reps:
        return [], 1.0
    n = len(reps[0])
    if n < MIN_REPS or any(len(v) != n for v in reps):
        raise ValueError(
            f"every cell needs the same number (>= {MIN_REPS}) of repetitions: "
            f"got {sorted({len(v) for v in reps})}"
        )
    rng = random.Random(seed)
    full = [combine(v) for v in reps]
    hits = [0] * len(reps)
    all_in = 0
    for _ in range(draws):
        idx = [rng.randrange(n) for _ in range(n)]
        every = True
        for i, v in enumerate(reps):
            if within(full[i], combine([v[j] for j in idx]), tolerance):
                hits[i] += 1
            else:
                every = False
        all_in += every
    return [h / draws for h in hits], all_in / draws


@dataclass(frozen=True)
class FloorReading:
    """A predictor's cells against what a perfect one would get from the same repetitions."""

    cells_in: int
    chances: tuple[float, ...]
    """Per cell, P(a perfect predictor lands in)."""
    p_all_in: float
    """P(a perfect predictor lands in every cell)."""

    @property
    def cells(self) -> int:
        """Cells read."""
        return len(self.chances)

    @property
    def expected_in(self) -> float:
        """Cells a perfect predictor gets in, on average."""
        return sum(self.chances)

    @property
    def p_at_most(self) -> float:
        """P(a perfect predictor gets at most :attr:`cells_in` cells in)."""
        return at_most(self.chances, self.cells_in)

    @property
    def consistent(self) -> bool:
        """Whether the misses are within what the repetitions' spread explains."""
        return self.p_at_most >= CONSISTENT_P


def reading(
    reps: Sequence[Sequence[float]],
    predicted: Sequence[float],
    tolerance: float,
    combine: Callable[[Sequence[float]], float] = statistics.median,
    draws: int = DRAWS,
    seed: int = 0,
) -> FloorReading:
    """The noise-floor reading of a predictor whose value for cell i is ``predicted[i]``."""
    if len(predicted) != len(reps):
        raise ValueError(f"{len(predicted)} predictions for {len(reps)} cells")
    chances, p_all = cell_chances(reps, tolerance, combine, draws, seed)
    k = sum(within(p, combine(v), tolerance) for p, v in zip(predicted, reps, strict=True))
    return FloorReading(k, tuple(chances), p_all)
