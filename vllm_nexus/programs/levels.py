"""Self-tuning queue levels: boundaries and quanta that follow the observed service scale.

Autellix's multi-level queue (§4.3, Alg. 1) needs level boundaries and quanta but the paper
gives no constants, and any fixed constant is tied to the size of the calls it was chosen
for: with calls 4x shorter than assumed, every program sits in the first levels and the order
degrades toward FCFS (measured: docs/benchmarks.md). So the scale is learned online:

    b = clamp(scale_fraction * median(service of the last ``window`` completed calls), lo, hi)
    hi_i = b * growth**i  (i < K-1; the last level is unbounded)
    quantum_i = quantum_ratio * b * growth**i   (quantum_ratio = first_quantum / first_boundary)

Before ``min_samples`` calls have completed, ``b`` is the configured initial value. The
median is recomputed every ``refresh_every`` completed calls from a bounded ring of samples
(O(window log window) per refresh, i.e. O(log window) amortised per call, never per step);
the configuration only gives the bounds ``[lo, hi]`` and the growth. Pure Python, no vLLM.
"""

from __future__ import annotations

import bisect
from collections import deque


class LevelScale:
    """Geometric level boundaries and quanta, scaled by the median service of recent calls."""

    def __init__(
        self,
        num_levels: int,
        growth: float,
        initial: float,
        lo: float,
        hi: float,
        adaptive: bool = True,
        scale_fraction: float = 0.5,
        window: int = 512,
        refresh_every: int = 32,
        min_samples: int = 16,
        quantum_ratio: float = 1.0,
    ) -> None:
        if not (0 < lo <= hi):
            raise ValueError(f"level scale bounds must satisfy 0 < lo <= hi, got [{lo}, {hi}]")
        self.num_levels = num_levels
        self.growth = growth
        self.lo, self.hi = lo, hi
        self.adaptive = adaptive
        self.scale_fraction = scale_fraction
        self.quantum_ratio = quantum_ratio
        self.refresh_every = max(1, refresh_every)
        self.min_samples = max(1, min_samples)
        self._samples: deque[float] = deque(maxlen=max(1, window))
        self._since_refresh = 0
        self.version = 0
        """Incremented whenever the boundaries change (callers may re-level queued calls)."""
        self.first = initial if not adaptive else min(max(initial, lo), hi)
        self.typical = self.first / max(scale_fraction, 1e-9)
        """Median service of recently completed calls (before samples: implied by the
        initial first boundary)."""
        self.boundaries: list[float] = []
        self.quanta: list[float] = []
        self._rebuild()

    def _rebuild(self) -> None:
        g, b = self.growth, self.first
        self.boundaries = [b * g**i for i in range(self.num_levels - 1)]
        self.quanta = [self.quantum_ratio * b * g**i for i in range(self.num_levels)]

    def level_of(self, value: float) -> int:
        """Index of the level whose ``[lo, hi)`` contains ``value``."""
        return bisect.bisect_right(self.boundaries, value)

    def observe(self, call_service: float) -> bool:
        """Record a completed call's service; returns True when the boundaries changed."""
        if not self.adaptive or call_service <= 0:
            return False
        self._samples.append(call_service)
        self._since_refresh += 1
        if self._since_refresh < self.refresh_every or len(self._samples) < self.min_samples:
            return False
        self._since_refresh = 0
        ordered = sorted(self._samples)
        median = ordered[len(ordered) // 2]
        self.typical = median
        first = min(max(self.scale_fraction * median, self.lo), self.hi)
        # Hysteresis: ignore moves under 10% (a stable workload keeps stable levels).
        if abs(first - self.first) <= 0.1 * self.first:
            return False
        self.first = first
        self._rebuild()
        self.version += 1
        return True
