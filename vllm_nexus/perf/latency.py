"""Roofline step-latency model with SM-fraction saturation.

The time of one engine step is the sum over operator groups of ``max(compute, memory)``
(roofline per operator, as in Vidur and in the Nexus cost model, Nexus §4.2), plus CPU-side
overheads. FLOPs and bytes come from the model shape and the batch composition:

- ``attn_proj`` / ``mlp``: GEMMs over all scheduled tokens; bytes = weights + activations;
- ``attn_prefill``: causal attention of each prefill chunk over its context (FLOPs
  ``4 n (ctx + (n+1)/2) q_dim`` per layer), reading the chunk's KV context;
- ``attn_decode``: one query per decode over its context; reads the whole KV context;
- ``lm_head``: logits for one position per scheduled request (vLLM samples once per request);
- ``elementwise``: norms, rotary, activation, residuals (memory only);
- ``allreduce``: tensor-parallel all-reduces (2 per layer) when ``tp > 1``.

SM fraction ``r`` (Nexus §3): compute capacity is ``g(r)`` of the full device, with
``g(r) = a r`` up to the saturation share and an exponentially decaying marginal gain beyond,
normalised so ``g(1) = 1``; memory bandwidth is ``h(r) = (1 - e^{-k r}) / (1 - e^{-k})``,
which saturates with few SMs. ``bw_share`` (0..1] further scales the bandwidth available, for
callers modelling contention with a concurrent phase.

Pure Python, no vLLM import. Hot path: :meth:`StepLatencyModel.step_time` (called once per
simulated step) avoids allocating objects; :meth:`breakdown` returns the per-operator detail.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vllm_nexus.perf.hardware import GiB, HardwarePreset
from vllm_nexus.perf.models import ModelShape

Prefill = tuple[int, int]
"""(new tokens in this step, tokens of context already in the KV cache before them)."""
OVERHEAD_FIELDS = (
    "step_overhead_s",
    "per_seq_overhead_s",
    "per_token_overhead_s",
    "per_prefill_overhead_s",
)
"""The preset's CPU-side time constants, multiplied by :meth:`StepLatencyModel.overhead_features`."""
Composition = tuple[int, float, float, float, int, float]
"""(prefill chunks, prefill tokens, prefill query-key pairs, prefill KV tokens read,
decodes, sum of decode contexts): the arguments of :meth:`StepLatencyModel.step_time`."""


def batch_composition(scheduled: Iterable[Prefill], all_prefill: bool = False) -> Composition:
    """The composition of one engine step from ``(new tokens, context before them)`` per
    scheduled request: one new token is a decode over its context, more are a prefill chunk
    (``all_prefill``: every entry is a prefill chunk). The one place this is computed: the
    simulator, the calibration log and the latency model's own helpers use it."""
    n_pre = n_dec = 0
    tok = pairs = kv = dec_ctx = 0.0
    for n, c in scheduled:
        if n == 1 and not all_prefill:
            n_dec += 1
            dec_ctx += c
        else:
            n_pre += 1
            tok += n
            pairs += n * (c + (n + 1) / 2.0)
            kv += c + n
    return n_pre, tok, pairs, kv, n_dec, dec_ctx


@dataclass(frozen=True)
class OpCost:
    name: str
    flops: float
    bytes: float
    compute_s: float
    memory_s: float

    @property
    def time_s(self) -> float:
        return max(self.compute_s, self.memory_s)

    @property
    def memory_bound(self) -> bool:
        return self.memory_s >= self.compute_s


@dataclass(frozen=True)
class StepCost:
    ops: tuple[OpCost, ...]
    overhead_s: float

    @property
    def time_s(self) -> float:
        return sum(op.time_s for op in self.ops) + self.overhead_s

    @property
    def memory_bound_fraction(self) -> float:
        """Share of the operator time spent in memory-bound operators (for contention)."""
        total = sum(op.time_s for op in self.ops)
        return sum(op.time_s for op in self.ops if op.memory_bound) / total if total else 0.0

    def op(self, name: str) -> OpCost:
        for o in self.ops:
            if o.name == name:
                return o
        raise KeyError(name)


class StepLatencyModel:
    """Predicts engine-step latency for a model on a hardware preset (``tp`` devices)."""

    def __init__(self, hw: HardwarePreset, model: ModelShape, tp: int = 1) -> None:
        if tp < 1:
            raise ValueError(f"tp must be >= 1, got {tp}")
        self.hw = hw
        self.model = model
        self.tp = tp
        m, w = model, model.dtype_bytes
        self._proj_w = m.layers * m.attn_proj_params
        self._mlp_w = m.layers * m.mlp_params
        # Activation bytes per token: inputs + outputs of the projections / MLP GEMMs.
        self._proj_act = m.layers * w * (2 * m.hidden + 2 * m.q_dim + 2 * m.kv_dim)
        self._mlp_act = m.layers * w * (2 * m.hidden + 3 * m.intermediate)
        self._elem_bytes = m.layers * w * m.hidden * 12
        self._kv_tok = m.kv_bytes_per_token
        self._attn_f = 4.0 * m.layers * m.q_dim  # FLOPs per (query, key) pair, all layers
        self._q_bytes = m.layers * w * 2 * m.q_dim  # read Q, write O per query token
        self._sat = hw.compute_sat_share
        lam = hw.compute_decay
        tail = (1.0 - math.exp(-lam * (1.0 - self._sat))) / lam if lam > 0 else 1.0 - self._sat
        self._g_a = 1.0 / (self._sat + tail)
        self._mem_norm = 1.0 - math.exp(-hw.mem_sat_k) if hw.mem_sat_k > 0 else 1.0

    # -- SM-fraction scaling (Nexus §3) ---------------------------------------------------
    def compute_share(self, sm_fraction: float) -> float:
        """Fraction of the full device's compute throughput reached with ``sm_fraction``."""
        r = _check_fraction(sm_fraction)
        if r <= self._sat:
            return self._g_a * r
        lam = self.hw.compute_decay
        extra = (1.0 - math.exp(-lam * (r - self._sat))) / lam if lam > 0 else r - self._sat
        return self._g_a * (self._sat + extra)

    def memory_share(self, sm_fraction: float) -> float:
        """Fraction of the full memory bandwidth reachable with ``sm_fraction``."""
        r = _check_fraction(sm_fraction)
        k = self.hw.mem_sat_k
        return (1.0 - math.exp(-k * r)) / self._mem_norm if k > 0 else r

    # -- cost of a step --------------------------------------------------------------------
    def breakdown(
        self,
        prefills: Iterable[Prefill] = (),
        decode_ctx: Sequence[int] = (),
        sm_fraction: float = 1.0,
        bw_share: float = 1.0,
    ) -> StepCost:
        """Per-operator cost of one step with these prefill chunks and decodes."""
        n_pre, pre_tok, pairs, pre_kv = self.aggregate(prefills)
        n_dec, dec_ctx_sum = len(decode_ctx), float(sum(decode_ctx))
        raw = self._raw_ops(n_pre, pre_tok, pairs, pre_kv, n_dec, dec_ctx_sum)
        cs = self.compute_share(sm_fraction) if sm_fraction != 1.0 else 1.0
        ms = (self.memory_share(sm_fraction) if sm_fraction != 1.0 else 1.0) * bw_share
        if ms <= 0:
            raise ValueError(f"bw_share must be > 0, got {bw_share}")
        ops = tuple(
            OpCost(name, f, b, f / (peak * cs) if f else 0.0, b / (bw * ms) if b else 0.0)
            for name, f, b, peak, bw in raw
        )
        return StepCost(ops, self._overhead(n_pre, pre_tok, n_dec))

    def step_time(
        self,
        n_prefill: int,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_kv: float,
        n_decode: int,
        decode_ctx_sum: float,
        sm_fraction: float = 1.0,
    ) -> float:
        """Fast path on pre-aggregated batch statistics (see :meth:`aggregate`)."""
        cs = self.compute_share(sm_fraction) if sm_fraction != 1.0 else 1.0
        ms = self.memory_share(sm_fraction) if sm_fraction != 1.0 else 1.0
        t = self._overhead(n_prefill, prefill_tokens, n_decode)
        for _, f, b, peak, bw in self._raw_ops(
            n_prefill, prefill_tokens, prefill_pairs, prefill_kv, n_decode, decode_ctx_sum
        ):
            t += max(f / (peak * cs), b / (bw * ms))
        return t

    def op_times(self, *composition: float) -> list[tuple[float, float]]:
        """(compute seconds, memory seconds) of each operator group of a step with this
        :data:`Composition` (full device); its time is the sum of their maxima plus
        :meth:`overhead`. With a preset of unit ``peak_flops`` and ``mem_bw`` these are the
        coefficients of 1/FLOP-rate and 1/bandwidth (what the calibration fits)."""
        return [(f / peak, b / bw) for _, f, b, peak, bw in self._raw_ops(*composition)]

    @staticmethod
    def overhead_features(*composition: float) -> tuple[float, ...]:
        """The multipliers of :data:`OVERHEAD_FIELDS` in a step of this
        :data:`Composition`: 1, scheduled requests, scheduled tokens, prefill chunks."""
        n_pre, pre_tok, _, _, n_dec, _ = composition
        if n_pre + n_dec == 0:
            return (0.0, 0.0, 0.0, 0.0)
        return (1.0, float(n_pre + n_dec), float(pre_tok + n_dec), float(n_pre))

    @staticmethod
    def aggregate(prefills: Iterable[Prefill]) -> tuple[int, float, float, float]:
        """(count, tokens, query-key pairs, KV tokens read) of prefill chunks."""
        return batch_composition(prefills, all_prefill=True)[:4]  # type: ignore[return-value]

    def prefill_time(
        self, tokens: int | Sequence[Prefill], ctx: int = 0, sm_fraction: float = 1.0
    ) -> float:
        """A prefill-only step: ``tokens`` new tokens after ``ctx`` cached ones, or a list of
        ``(tokens, ctx)`` chunks."""
        chunks = [(tokens, ctx)] if isinstance(tokens, int) else list(tokens)
        return self.step_time(*self.aggregate(chunks), 0, 0.0, sm_fraction)

    def decode_time(
        self, batch: int, ctx_lens: int | Sequence[int], sm_fraction: float = 1.0
    ) -> float:
        """A decode-only step of ``batch`` requests; ``ctx_lens`` is one context length for
        all or one per request."""
        if isinstance(ctx_lens, int):
            ctx_sum = float(batch * ctx_lens)
        else:
            if len(ctx_lens) != batch:
                raise ValueError(f"{len(ctx_lens)} context lengths for a batch of {batch}")
            ctx_sum = float(sum(ctx_lens))
        return self.step_time(0, 0.0, 0.0, 0.0, batch, ctx_sum, sm_fraction)

    def mixed_step_time(
        self,
        prefills: Sequence[Prefill],
        decode_ctx: Sequence[int],
        sm_fraction: float = 1.0,
    ) -> float:
        """One chunked-prefill step mixing prefill chunks and decodes (stock vLLM)."""
        return self.step_time(
            *self.aggregate(prefills), len(decode_ctx), float(sum(decode_ctx)), sm_fraction
        )

    # -- capacity --------------------------------------------------------------------------
    def kv_cache_bytes(self) -> float:
        """KV bytes per device: fixed on CPU, else memory * utilisation - weights - reserve."""
        hw = self.hw
        if hw.kv_cache_bytes is not None:
            return hw.kv_cache_bytes
        free = hw.mem_bytes * hw.gpu_memory_utilization
        free -= self.model.weight_bytes / self.tp + hw.activation_reserve_bytes
        if free <= 0:
            raise ValueError(
                f"{self.model.name} ({self.model.weight_bytes / GiB:.1f} GiB of weights) does "
                f"not fit on {self.tp} x {hw.name}: use a larger --tp"
            )
        return free

    def kv_capacity_tokens(self) -> int:
        """Tokens of KV cache the deployment holds (all devices)."""
        return int(self.kv_cache_bytes() * self.tp // self.model.kv_bytes_per_token)

    # -- internals ---------------------------------------------------------------------------
    def _overhead(self, n_pre: int, pre_tok: float, n_dec: int) -> float:
        hw = self.hw
        if n_pre + n_dec == 0:
            return 0.0
        return (
            hw.step_overhead_s
            + hw.per_seq_overhead_s * (n_pre + n_dec)
            + hw.per_token_overhead_s * (pre_tok + n_dec)
            + hw.per_prefill_overhead_s * n_pre
        )

    def _raw_ops(
        self,
        n_pre: int,
        pre_tok: float,
        pairs: float,
        pre_kv: float,
        n_dec: int,
        dec_ctx: float,
    ) -> list[tuple[str, float, float, float, float]]:
        """(name, flops, bytes, effective peak FLOP/s, effective bandwidth) per operator,
        for the whole deployment (``tp`` devices)."""
        hw, m, tp = self.hw, self.model, self.tp
        tokens = pre_tok + n_dec
        if tokens <= 0:
            return []
        w = m.dtype_bytes
        gemm = hw.peak_flops * hw.gemm_eff * tp
        attn = hw.peak_flops * hw.attn_eff * tp
        bw = hw.mem_bw * hw.mem_eff * tp
        n_req = n_pre + n_dec
        ops = [
            (
                "attn_proj",
                2.0 * tokens * self._proj_w,
                self._proj_w * w + tokens * self._proj_act,
                gemm,
                bw,
            ),
            ("mlp", 2.0 * tokens * self._mlp_w, self._mlp_w * w + tokens * self._mlp_act, gemm, bw),
            (
                "lm_head",
                2.0 * n_req * m.lm_head_params,
                m.lm_head_params * w + n_req * m.vocab * 4.0,
                gemm,
                bw,
            ),
            ("elementwise", 0.0, tokens * self._elem_bytes, gemm, bw),
        ]
        if n_pre:
            ops.append(
                (
                    "attn_prefill",
                    self._attn_f * pairs,
                    pre_kv * self._kv_tok + pre_tok * self._q_bytes,
                    attn,
                    bw,
                )
            )
        if n_dec:
            dec_keys = dec_ctx + n_dec
            ops.append(
                (
                    "attn_decode",
                    self._attn_f * dec_keys,
                    dec_keys * self._kv_tok + n_dec * self._q_bytes,
                    attn,
                    bw,
                )
            )
        if tp > 1:
            # Ring all-reduce moves 2 (tp-1)/tp of the activations; 2 per layer.
            ar_bytes = 2.0 * m.layers * tokens * m.hidden * w * 2.0 * (tp - 1) / tp
            ar_time_as_bytes = ar_bytes / hw.interconnect_bw * bw
            lat_as_bytes = 2.0 * m.layers * hw.allreduce_latency_s * bw
            ops.append(("allreduce", 0.0, ar_time_as_bytes + lat_as_bytes, gemm, bw))
        return ops


def _check_fraction(r: float) -> float:
    if not 0.0 < r <= 1.0:
        raise ValueError(f"sm_fraction must be in (0, 1], got {r}")
    return r
