"""Prefill/decode split cost model: per-phase latency vs SM share, from a profile (Nexus §4.2).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

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
    coef = [
        float(c)
        for c in np.linalg.lstsq(np.array(rows), np.array([t for _, t in full]), rcond=None)[0]
    ]
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
