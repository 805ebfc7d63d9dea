"""Latency of prefill and decode on a share of the GPU's SMs, from published measurements.

This replaces the simulator's own roofline SM model (``perf.latency``'s ``compute_share`` /
``memory_share``) wherever a phase runs on a partition: the simulated Nexus engine
(:mod:`vllm_nexus.sim.split`) and the derived cost profiles (``vllm-nexus profile --derive``)
take full-GPU step latencies from the roofline and multiply them by the slowdown below. No
number here comes from this project's own model; every constant is tied to a statement in a
published source:

- **Nexus §3** (arXiv 2507.06608; digest in ``shared/papers/nexus.md``): prefill latency
  scales ~1/r in the SM share r until saturation; decode gains ~10% (latency) going from 30%
  to 40% of the SMs and less than 3% per further 10% beyond 50%; raising the concurrent
  prefill's KV length from 2k to 10k slowed the same decode batch by 36%.
- **Bullet** (arXiv 2504.19516; author's comment in github.com/zejia-lin/BulletServe issue 1,
  H100 PCIe): memory-bound kernels gain quickly up to ~40 SMs (~35% of the device), the
  remaining ~10% comes from all further SMs — a flatter decode tail than Nexus's bound.

The sources fix some points of each curve and leave others open (decode between 40% and 50%,
the exact tail slope, prefill's saturation share, the absolute size of contention — only a
ratio is published). So there are three calibrations spanning what the sources allow, named
by what they mean for the split: ``pessimistic`` (decode needs many SMs, prefill never
saturates, strong contention), ``central`` and ``optimistic``. Simulated figures say which one
produced them; a conclusion should hold across all three before it is stated.

Decode curve: slowdown ``s(r) = T(r) / T(100%)``, log-linear between anchor shares
(0.3, 0.4, 0.5, 1.0); below 0.3 ``∝ 1/r`` (bandwidth not yet saturated, Bullet). Prefill:
``max(1, r_sat / r)``. Contention (decode while a prefill runs):
``1 + kappa * c / (c + c_half)`` with c the prefill's mean context; for each ``c_half``,
``kappa`` is solved so that c = 2k -> 10k gives the published 36%.

Pure Python, no vLLM or torch import.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

NEXUS = "Nexus §3 (arXiv 2507.06608)"
BULLET = "Bullet (arXiv 2504.19516; BulletServe issue 1, H100 PCIe)"

CONTENTION_RATIO = 1.36
"""Nexus §3: decode latency with a 10k-context prefill / with a 2k-context prefill."""
CONTENTION_CONTEXTS = (2000.0, 10000.0)


def kappa_for(context_half: float, ratio: float = CONTENTION_RATIO) -> float:
    """``kappa`` such that ``1 + kappa c/(c + c_half)`` grows by ``ratio`` from 2k to 10k."""
    c1, c2 = CONTENTION_CONTEXTS
    a1, a2 = c1 / (c1 + context_half), c2 / (c2 + context_half)
    denom = a2 - ratio * a1
    if denom <= 0:
        raise ValueError(f"no contention curve with c_half={context_half} reaches {ratio}")
    return (ratio - 1.0) / denom


def decode_anchors(
    gain_40_50: float, gain_per_10_beyond_50: float, gain_30_40: float = 0.10
) -> tuple[tuple[float, float], ...]:
    """(share, slowdown) anchors of the decode curve from latency gains per 10% of SMs.

    ``gain_30_40``: latency reduction from 30% to 40% (Nexus: ~10%); ``gain_40_50``: not
    published, between the neighbouring gains; ``gain_per_10_beyond_50``: Nexus: < 3%.
    """
    s50 = (1.0 + gain_per_10_beyond_50) ** 5
    s40 = s50 / (1.0 - gain_40_50)
    s30 = s40 / (1.0 - gain_30_40)
    return ((0.3, s30), (0.4, s40), (0.5, s50), (1.0, 1.0))


@dataclass(frozen=True)
class ScalingModel:
    """Slowdown of a phase on an SM share, and decode's contention with a running prefill."""

    name: str
    decode_points: tuple[tuple[float, float], ...]
    prefill_saturation: float
    contention_context_half: float
    source: str

    @property
    def contention_kappa(self) -> float:
        return kappa_for(self.contention_context_half)

    def slowdown(self, phase: str, share: float) -> float:
        """T(share) / T(100%) for ``phase`` ('prefill' or 'decode'), share in (0, 1]."""
        if not 0.0 < share <= 1.0:
            raise ValueError(f"SM share must be in (0, 1], got {share}")
        if phase == "prefill":
            return max(1.0, self.prefill_saturation / share)
        if phase != "decode":
            raise ValueError(f"unknown phase {phase!r}")
        shares = [p[0] for p in self.decode_points]
        if share <= shares[0]:
            return self.decode_points[0][1] * shares[0] / share
        i = bisect.bisect_left(shares, share)
        (r0, s0), (r1, s1) = self.decode_points[i - 1], self.decode_points[i]
        f = (share - r0) / (r1 - r0)
        return math.exp(math.log(s0) + f * (math.log(s1) - math.log(s0)))

    def contention(self, prefill_mean_context: float) -> float:
        """Decode slowdown factor while a prefill with this mean context runs beside it."""
        c = max(0.0, prefill_mean_context)
        return 1.0 + self.contention_kappa * c / (c + self.contention_context_half)

    def label(self) -> str:
        return f"sm-scaling '{self.name}' ({self.source})"


MODELS: dict[str, ScalingModel] = {
    "pessimistic": ScalingModel(
        "pessimistic",
        decode_anchors(gain_40_50=0.10, gain_per_10_beyond_50=0.03),
        prefill_saturation=1.0,
        contention_context_half=5000.0,
        source=f"{NEXUS}: decode 30->40% -10%, 40->50% -10% (convexity bound), 3%/10% beyond "
        f"50% (the stated bound); prefill 1/r, no saturation; contention 2k->10k +36%",
    ),
    "central": ScalingModel(
        "central",
        decode_anchors(gain_40_50=0.06, gain_per_10_beyond_50=0.02),
        prefill_saturation=1.0,
        contention_context_half=10000.0,
        source=f"{NEXUS}: decode 30->40% -10%, 40->50% -6% (between its neighbours), 2%/10% "
        f"beyond 50%; prefill 1/r; contention 2k->10k +36%",
    ),
    "optimistic": ScalingModel(
        "optimistic",
        decode_anchors(gain_40_50=0.03, gain_per_10_beyond_50=0.01),
        prefill_saturation=0.8,
        contention_context_half=20000.0,
        source=f"{NEXUS} with the flatter decode tail of {BULLET}: decode 30->40% -10%, "
        f"40->50% -3%, 1%/10% beyond 50%; prefill saturates at 80% of the SMs; contention "
        f"2k->10k +36%",
    ),
}
DEFAULT = "central"


def get_model(name: str) -> ScalingModel:
    if name not in MODELS:
        raise ValueError(f"unknown SM-scaling calibration {name!r}: choose one of {sorted(MODELS)}")
    return MODELS[name]
