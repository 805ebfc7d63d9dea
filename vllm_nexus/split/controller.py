"""Greedy prefill/decode SM-split controller over the partition grid (Nexus §4.3).

Pure Python: no vLLM or torch import (the simulator and the scheduler call it directly).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vllm_nexus.config import PartitionConfig
from vllm_nexus.split.cost_model import ControllerMode, CostModel, PartitionError, PhaseWork


def partition_grid(num_sms: int, granularity: int, min_per_side: int) -> list[int]:
    """Allowed prefill SM counts (ascending): multiples of ``granularity``, each side having at
    least ``min_per_side`` SMs; decode gets the remainder. Raises PartitionError if empty."""
    if num_sms < 2 or granularity < 1 or min_per_side < 1:
        raise PartitionError(
            f"impossible partition: num_sms={num_sms}, granularity={granularity}, "
            f"min_sms_per_side={min_per_side}"
        )
    first = max(granularity, math.ceil(min_per_side / granularity) * granularity)
    grid = [p for p in range(first, num_sms, granularity) if num_sms - p >= min_per_side]
    if not grid:
        raise PartitionError(
            f"no prefill/decode split of {num_sms} SMs gives both sides >= {min_per_side} SMs "
            f"in multiples of {granularity}: lower partition.min_sms_per_side or "
            f"partition.sm_granularity"
        )
    return grid


@dataclass(frozen=True)
class SplitDecision:
    prefill_sms: int
    decode_sms: int
    mode: ControllerMode
    evaluations: int = 0
    held: bool = False
    """True when hysteresis kept the previously applied split."""
    predicted_prefill_s: float | None = None
    predicted_decode_s: float | None = None


def _search_min(
    grid: Sequence[int], ok: Callable[[int], bool], budget: int
) -> tuple[int | None, int]:
    """Smallest g in ascending ``grid`` with ok(g) (ok monotone: False..False True..True) by
    bisection within ``budget`` evaluations; returns (value or None, evaluations)."""
    lo, hi, best, evals = 0, len(grid) - 1, None, 0
    while lo <= hi and evals < budget:
        mid = (lo + hi) // 2
        evals += 1
        if ok(grid[mid]):
            best, hi = grid[mid], mid - 1
        else:
            lo = mid + 1
    return best, evals


@dataclass
class SplitController:
    """Two-mode greedy SM split with hysteresis (Nexus §4.3).

    Prefill-priority (KV usage below the threshold): decode gets the fewest SMs with
    T_dec <= decode_slack * T_dec(100%), prefill the rest. Decode-priority (KV usage at or above
    it): prefill gets the fewest SMs with T_pre <= prefill_slack * T_pre(100%), decode the
    rest, so sequences finish and free KV. The search bisects the granularity grid (latency is
    monotone in SMs), at most ``max_search_steps`` cost-model calls. A new split replaces the
    applied one only if the prefill share moves by more than ``hysteresis``.
    """

    cfg: PartitionConfig
    cost: CostModel
    num_sms: int = 0
    grid: list[int] = field(default_factory=list)
    applied: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not self.num_sms:
            self.num_sms = self.cost.num_sms
        self.grid = partition_grid(self.num_sms, self.cfg.sm_granularity, self.cfg.min_sms_per_side)

    def decide(
        self, prefill: PhaseWork | None, decode: PhaseWork | None, kv_usage: float
    ) -> SplitDecision:
        has_p = prefill is not None and prefill.tokens > 0
        has_d = decode is not None and decode.tokens > 0
        n = self.num_sms
        if not has_p and not has_d:
            return SplitDecision(0, 0, "idle")
        if not has_d:
            return SplitDecision(n, 0, "prefill_only")
        if not has_p:
            return SplitDecision(0, n, "decode_only")
        assert prefill is not None and decode is not None
        budget = self.cfg.max_search_steps
        if kv_usage >= self.cfg.kv_decode_priority_threshold:
            mode: ControllerMode = "decode_priority"
            target = self.cfg.prefill_slack * self.cost.latency("prefill", prefill, n)
            p, evals = _search_min(
                self.grid, lambda g: self.cost.latency("prefill", prefill, g) <= target, budget - 1
            )
            p = self.grid[-1] if p is None else p
        else:
            mode = "prefill_priority"
            target = self.cfg.decode_slack * self.cost.latency("decode", decode, n)
            d_grid = [n - g for g in reversed(self.grid)]  # ascending decode SMs
            d, evals = _search_min(
                d_grid, lambda g: self.cost.latency("decode", decode, g) <= target, budget - 1
            )
            p = self.grid[0] if d is None else n - d
        evals += 1
        held = False
        if self.applied is not None and abs(p - self.applied[0]) <= self.cfg.hysteresis * n:
            p, held = self.applied[0], True
        self.applied = (p, n - p)
        t_p, t_d = self.cost.concurrent(prefill, decode, p)
        return SplitDecision(p, n - p, mode, evals, held, t_p, t_d)
