"""Prefill/decode SM split: cost model, partition grid and greedy controller (Nexus §4).

The cost model predicts one phase's step latency from its work and its share of the GPU's
SMs, from a *profile*: latency samples of prefill and decode sub-batches at several SM counts
(measured by ``vllm-nexus profile`` on a CUDA machine, or derived from the simulator's
roofline presets). The controller picks the split for each step with the paper's two-mode
greedy search, hysteresis and the hardware's partition granularity.

Pure Python: no vLLM or torch import (the simulator and the scheduler call it directly).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vllm_nexus.config import PartitionConfig

PROFILE_SCHEMA = "vllm-nexus/partition-profile/1"
PROFILE_DIR = Path(__file__).resolve().parent / "profiles"

Phase = Literal["prefill", "decode"]
ControllerMode = Literal[
    "prefill_priority", "decode_priority", "prefill_only", "decode_only", "idle"
]


class PartitionError(ValueError):
    """An impossible partition setup (SM counts, profile) — raised at startup."""


@dataclass(frozen=True)
class PhaseWork:
    """The work of one phase's sub-batch in a step.

    ``tokens``: tokens computed (prefill: chunk tokens; decode: one per sequence);
    ``attn_work``: sum over requests of new_tokens * context_length (token pairs the attention
    touches: prefill attention FLOPs, decode KV bytes read both scale with it);
    ``reqs``: requests in the sub-batch.
    """

    tokens: int
    attn_work: int = 0
    reqs: int = 1

    def __post_init__(self) -> None:
        if self.tokens < 0 or self.attn_work < 0 or self.reqs < 0:
            raise ValueError(f"negative work: {self}")

    @property
    def mean_context(self) -> float:
        return self.attn_work / self.tokens if self.tokens else 0.0


@dataclass(frozen=True)
class ProfileSample:
    phase: Phase
    tokens: int
    attn_work: int
    reqs: int
    sms: int
    latency_s: float


@dataclass(frozen=True)
class Profile:
    """Latency samples of both phases at several SM counts on one GPU/model pair."""

    gpu: str
    model: str
    num_sms: int
    sm_granularity: int
    min_sms: int
    samples: tuple[ProfileSample, ...]
    contention_kappa: float = 1.2
    """Decode slowdown when the concurrent prefill's attention is fully memory-bound."""
    contention_context_half: float = 10000.0
    """Prefill mean context at which half of ``contention_kappa`` applies."""
    source: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "profile") -> Profile:
        if not isinstance(data, dict) or data.get("schema") != PROFILE_SCHEMA:
            raise PartitionError(f"{where}: not a {PROFILE_SCHEMA} document")
        try:
            samples = []
            for phase in ("prefill", "decode"):
                for s in data[phase]:
                    samples.append(
                        ProfileSample(
                            phase,
                            int(s["tokens"]),
                            int(s.get("attn_work", 0)),
                            int(s.get("reqs", 1)),
                            int(s["sms"]),
                            float(s["latency_s"]),
                        )
                    )
            cont = data.get("contention", {})
            prof = cls(
                gpu=str(data["gpu"]),
                model=str(data["model"]),
                num_sms=int(data["num_sms"]),
                sm_granularity=int(data.get("sm_granularity", 8)),
                min_sms=int(data.get("min_sms", 8)),
                samples=tuple(samples),
                contention_kappa=float(cont.get("kappa", 1.2)),
                contention_context_half=float(cont.get("context_half", 10000.0)),
                source=str(data.get("source", "")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise PartitionError(f"{where}: malformed profile ({e!r})") from e
        prof.validate(where)
        return prof

    def validate(self, where: str = "profile") -> None:
        if self.num_sms < 1:
            raise PartitionError(f"{where}: num_sms must be >= 1")
        for phase in ("prefill", "decode"):
            full = [s for s in self.samples if s.phase == phase and s.sms == self.num_sms]
            if not full:
                raise PartitionError(f"{where}: no {phase} sample at the full {self.num_sms} SMs")
        for s in self.samples:
            if not (0 < s.sms <= self.num_sms) or s.latency_s <= 0 or s.tokens <= 0:
                raise PartitionError(f"{where}: bad sample {s}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": PROFILE_SCHEMA,
            "source": self.source,
            "gpu": self.gpu,
            "model": self.model,
            "num_sms": self.num_sms,
            "sm_granularity": self.sm_granularity,
            "min_sms": self.min_sms,
            "contention": {
                "kappa": self.contention_kappa,
                "context_half": self.contention_context_half,
            },
        }
        for phase in ("prefill", "decode"):
            out[phase] = [
                {
                    "tokens": s.tokens,
                    "attn_work": s.attn_work,
                    "reqs": s.reqs,
                    "sms": s.sms,
                    "latency_s": s.latency_s,
                }
                for s in self.samples
                if s.phase == phase
            ]
        return out


def load_profile(path: str | Path) -> Profile:
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise PartitionError(f"partition profile {p} does not exist") from None
    except json.JSONDecodeError as e:
        raise PartitionError(f"partition profile {p} is not valid JSON: {e}") from None
    return Profile.from_dict(data, str(p))


def builtin_profiles() -> dict[str, Path]:
    """Name (file stem) -> path of the profiles shipped in ``vllm_nexus/profiles``."""
    return {p.stem: p for p in sorted(PROFILE_DIR.glob("partition-*.json"))}


def find_builtin_profile(gpu_name: str | None, model: str | None = None) -> Path | None:
    """The shipped profile best matching a device name (e.g. 'NVIDIA H100 80GB HBM3') and model.

    Matches the GPU key (``partition-<gpu>-<model>.json``) as a substring of the device name,
    then prefers a model key contained in the model name; None if no GPU key matches.
    """
    if not gpu_name:
        return None
    dev = gpu_name.lower()
    mod = (model or "").lower()
    best: tuple[int, str] | None = None
    for stem, _path in builtin_profiles().items():
        parts = stem.removeprefix("partition-").split("-", 1)
        gpu_key, model_key = parts[0], parts[1] if len(parts) > 1 else ""
        if gpu_key not in dev:
            continue
        score = 2 if model_key and model_key in mod else 1
        if best is None or score > best[0]:
            best = (score, stem)
    return builtin_profiles()[best[1]] if best else None


def _lstsq3(rows: Sequence[tuple[float, float, float]], ys: Sequence[float]) -> list[float]:
    """Least squares y ~ c0*x0 + c1*x1 + c2*x2 by the normal equations (ridge-stabilised)."""
    a = [[0.0] * 3 for _ in range(3)]
    b = [0.0] * 3
    for x, y in zip(rows, ys, strict=True):
        for i in range(3):
            b[i] += x[i] * y
            for j in range(3):
                a[i][j] += x[i] * x[j]
    for i in range(3):
        a[i][i] += 1e-12 * (a[i][i] + 1.0)
    # Gaussian elimination with partial pivoting.
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(3):
        piv = max(range(col, 3), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        if abs(m[col][col]) < 1e-300:
            continue
        for r in range(3):
            if r != col:
                f = m[r][col] / m[col][col]
                for c in range(col, 4):
                    m[r][c] -= f * m[col][c]
    return [m[i][3] / m[i][i] if abs(m[i][i]) > 1e-300 else 0.0 for i in range(3)]


@dataclass
class _PhaseModel:
    """Full-GPU latency fit and share->slowdown curves of one phase."""

    coef: list[float]  # seconds = c0 + c1*tokens*1e-3 + c2*attn_work*1e-6
    curves: list[tuple[float, list[float], list[float]]]  # (log T1, shares, slowdowns)
    min_full_s: float

    def full(self, w: PhaseWork) -> float:
        c0, c1, c2 = self.coef
        return max(self.min_full_s, c0 + c1 * w.tokens * 1e-3 + c2 * w.attn_work * 1e-6)

    def slowdown(self, t_full: float, share: float) -> float:
        logt = math.log(t_full)
        _, shares, slows = min(self.curves, key=lambda c: abs(c[0] - logt))
        if share >= shares[-1]:
            return slows[-1]
        if share <= shares[0]:
            # Below the smallest profiled share: compute-bound work scales ~1/r (Nexus §3).
            return slows[0] * shares[0] / share
        i = bisect.bisect_right(shares, share)
        r0, r1 = shares[i - 1], shares[i]
        f = (share - r0) / (r1 - r0)
        return slows[i - 1] + f * (slows[i] - slows[i - 1])


def _fit_phase(samples: list[ProfileSample], num_sms: int) -> _PhaseModel:
    groups: dict[tuple[int, int, int], dict[int, float]] = {}
    for s in samples:
        groups.setdefault((s.tokens, s.attn_work, s.reqs), {})[s.sms] = s.latency_s
    full = [(k, g[num_sms]) for k, g in groups.items() if num_sms in g]
    rows = [(1.0, k[0] * 1e-3, k[1] * 1e-6) for k, _ in full]
    coef = _lstsq3(rows, [t for _, t in full])
    curves = []
    for k, t1 in full:
        g = groups[k]
        pts = sorted((sms / num_sms, t / t1) for sms, t in g.items())
        curves.append((math.log(t1), [p[0] for p in pts], [p[1] for p in pts]))
    return _PhaseModel(coef, curves, min(t for _, t in full) * 0.5)


class CostModel:
    """Per-phase step latency vs SM share, with decode bandwidth contention (Nexus §4.2).

    T_phase(work, r) = T_phase(work, 100%) * slowdown_phase(r), where the full-GPU latency is
    a least-squares fit over the profile's full-GPU samples (constant + tokens + attention
    token pairs) and the slowdown curve is the profiled one of the nearest work size
    (saturation: small sub-batches stop gaining early). When prefill runs concurrently, decode
    is slowed by ``1 + kappa * c / (c + c_half)`` with c the prefill's mean context length
    (memory-bandwidth contention of prefill attention; Nexus §4.2 reports +36% decode latency
    when the prefill context grows from 2k to 10k).
    """

    def __init__(self, profile: Profile):
        profile.validate()
        self.profile = profile
        self.num_sms = profile.num_sms
        self._models = {
            ph: _fit_phase([s for s in profile.samples if s.phase == ph], profile.num_sms)
            for ph in ("prefill", "decode")
        }
        self.calls = 0

    def latency(self, phase: Phase, work: PhaseWork, sms: int) -> float:
        """Seconds for ``phase``'s sub-batch alone on ``sms`` SMs."""
        self.calls += 1
        if sms <= 0:
            return math.inf
        m = self._models[phase]
        t1 = m.full(work)
        return t1 * m.slowdown(t1, min(1.0, sms / self.num_sms))

    def contention_factor(self, prefill: PhaseWork | None) -> float:
        if prefill is None or prefill.tokens == 0:
            return 1.0
        c = prefill.mean_context
        return 1.0 + self.profile.contention_kappa * c / (c + self.profile.contention_context_half)

    def concurrent(
        self, prefill: PhaseWork, decode: PhaseWork, prefill_sms: int
    ) -> tuple[float, float]:
        """(prefill seconds, decode seconds) when both run at once on a split."""
        d_sms = self.num_sms - prefill_sms
        t_p = self.latency("prefill", prefill, prefill_sms)
        t_d = self.latency("decode", decode, d_sms) * self.contention_factor(prefill)
        return t_p, t_d


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


def work_from_requests(items: Iterable[tuple[int, int]]) -> PhaseWork:
    """PhaseWork from (new_tokens, context_tokens_after_step) per request."""
    tokens = attn = reqs = 0
    for new, ctx in items:
        tokens += new
        attn += new * ctx
        reqs += 1
    return PhaseWork(tokens, attn, reqs)
