"""Latency model: monotonicity, roofline regimes, SM-fraction saturation (pure, no vLLM)."""

from __future__ import annotations

import json

import pytest

from vllm_nexus.perf.hardware import HARDWARE, get_hardware, load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import MODELS, get_model


@pytest.fixture
def h100_8b() -> StepLatencyModel:
    return StepLatencyModel(HARDWARE["h100"], MODELS["llama-3.1-8b"])


def test_model_shapes_match_public_sizes() -> None:
    # Llama-3.1-8B has ~8.03B parameters, 70B ~70.6B; KV: 128 KiB/token (bf16, GQA 8).
    assert get_model("llama-3.1-8b").num_params == pytest.approx(8.03e9, rel=0.01)
    assert get_model("llama-3.1-70b").num_params == pytest.approx(70.6e9, rel=0.01)
    assert get_model("qwen2.5-3b").num_params == pytest.approx(3.09e9, rel=0.03)
    assert get_model("llama-3.1-8b").kv_bytes_per_token == 32 * 2 * 8 * 128 * 2
    with pytest.raises(ValueError, match="unknown model"):
        get_model("gpt-5")
    with pytest.raises(ValueError, match="unknown hardware"):
        get_hardware("tpu")


def test_monotone_in_batch_tokens_and_context(h100_8b: StepLatencyModel) -> None:
    m = h100_8b
    for a, b in [(1, 2), (8, 64), (64, 512)]:
        assert m.decode_time(a, 1000) < m.decode_time(b, 1000)
    assert m.decode_time(32, 500) < m.decode_time(32, 4000)
    assert m.prefill_time(256) < m.prefill_time(1024) < m.prefill_time(4096)
    assert m.prefill_time(512, ctx=0) < m.prefill_time(512, ctx=4096)
    assert m.mixed_step_time([(512, 0)], [1000] * 16) > m.decode_time(16, 1000)
    assert m.mixed_step_time([(512, 0)], [1000] * 16) > m.prefill_time(512)


def test_roofline_regimes(h100_8b: StepLatencyModel) -> None:
    m = h100_8b
    # Small decode batch: weight streaming dominates -> memory bound, ~ weights / bandwidth.
    dec = m.breakdown(decode_ctx=[100])
    assert dec.op("mlp").memory_bound and dec.op("attn_proj").memory_bound
    weights_s = m.model.weight_bytes / (m.hw.mem_bw * m.hw.mem_eff)
    assert dec.time_s == pytest.approx(weights_s, rel=0.25)
    # Decode time barely grows with batch while memory bound (8 -> 16 is << 2x).
    assert m.decode_time(16, 100) < 1.2 * m.decode_time(8, 100)
    # Long prefill: GEMMs compute bound, time ~ linear in tokens.
    pre = m.breakdown(prefills=[(4096, 0)])
    assert not pre.op("mlp").memory_bound
    assert m.prefill_time(8192) / m.prefill_time(4096) == pytest.approx(2.0, rel=0.15)
    # Decode attention with long contexts is memory bound.
    assert m.breakdown(decode_ctx=[8000] * 64).op("attn_decode").memory_bound


def test_sm_fraction_saturation(h100_8b: StepLatencyModel) -> None:
    m = h100_8b
    assert m.compute_share(1.0) == pytest.approx(1.0)
    assert m.memory_share(1.0) == pytest.approx(1.0)
    shares = [m.compute_share(r / 10) for r in range(1, 11)]
    assert shares == sorted(shares)
    gains = [b - a for a, b in zip(shares, shares[1:], strict=False)]
    # Linear (~1/r time) up to the saturation share, diminishing returns after it.
    assert gains[0] == pytest.approx(gains[4], rel=1e-6)
    assert gains[-1] < 0.6 * gains[0]
    # Prefill (compute bound) slows ~1/r at small shares; decode (memory bound) much less.
    pre_full, pre_half = m.prefill_time(2048), m.prefill_time(2048, sm_fraction=0.5)
    dec_full, dec_half = m.decode_time(64, 2000), m.decode_time(64, 2000, sm_fraction=0.5)
    assert pre_half / pre_full > 1.5
    assert dec_half / dec_full < 1.1
    # Nexus §3: decode 30% -> 40% SMs gains < 15%; beyond 50%, < 3% per extra 10%.
    d = {r: m.decode_time(64, 2000, sm_fraction=r / 10) for r in (3, 4, 5, 6)}
    assert 0 < (d[3] - d[4]) / d[3] < 0.15
    assert (d[5] - d[6]) / d[5] < 0.03
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="sm_fraction"):
            m.prefill_time(128, sm_fraction=bad)


def test_breakdown_matches_fast_path(h100_8b: StepLatencyModel) -> None:
    m = h100_8b
    pre, dec = [(300, 1200), (64, 0)], [10, 900, 4000]
    for r in (0.3, 1.0):
        assert m.breakdown(pre, dec, sm_fraction=r).time_s == pytest.approx(
            m.mixed_step_time(pre, dec, sm_fraction=r)
        )
    # bw_share < 1 (contention) only slows memory-bound operators.
    base, slow = (
        m.breakdown(decode_ctx=[4000] * 32),
        m.breakdown(decode_ctx=[4000] * 32, bw_share=0.5),
    )
    assert slow.op("attn_decode").time_s == pytest.approx(2 * base.op("attn_decode").time_s)
    assert 0.0 <= base.memory_bound_fraction <= 1.0
    assert m.decode_time(0, 0) == 0.0


def test_tensor_parallel_and_capacity() -> None:
    m70 = MODELS["llama-3.1-70b"]
    with pytest.raises(ValueError, match="does not fit"):
        StepLatencyModel(HARDWARE["h100"], m70).kv_capacity_tokens()
    tp4 = StepLatencyModel(HARDWARE["h100"], m70, tp=4)
    tp8 = StepLatencyModel(HARDWARE["h100"], m70, tp=8)
    assert tp8.kv_capacity_tokens() > tp4.kv_capacity_tokens() > 0
    assert tp8.decode_time(32, 1000) < tp4.decode_time(32, 1000)
    h100 = StepLatencyModel(HARDWARE["h100"], MODELS["llama-3.1-8b"])
    h200 = StepLatencyModel(HARDWARE["h200"], MODELS["llama-3.1-8b"])
    a100 = StepLatencyModel(HARDWARE["a100"], MODELS["llama-3.1-8b"])
    assert h200.decode_time(32, 1000) < h100.decode_time(32, 1000) < a100.decode_time(32, 1000)
    assert h200.kv_capacity_tokens() > h100.kv_capacity_tokens()
    cpu = StepLatencyModel(HARDWARE["cpu-here"], MODELS["tiny"])
    assert cpu.kv_cache_bytes() == HARDWARE["cpu-here"].kv_cache_bytes


def test_profile_roundtrip(tmp_path) -> None:
    hw = HARDWARE["cpu-here"].with_updates(step_overhead_s=0.123)
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"hardware": hw.to_dict()}))
    assert load_profile(p) == hw
    assert get_hardware(str(p)).step_overhead_s == 0.123
    p.write_text(json.dumps({"hardware": {**hw.to_dict(), "bogus": 1}}))
    with pytest.raises(ValueError, match="bogus"):
        load_profile(p)
    with pytest.raises(ValueError, match="does not exist"):
        load_profile(tmp_path / "missing.json")
