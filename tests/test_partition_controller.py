"""Cost model, partition grid and the two-mode greedy controller (Nexus §4.2-4.3). Pure."""

from __future__ import annotations

import json

import pytest

from vllm_nexus.config import ConfigError, NexusConfig, PartitionConfig
from vllm_nexus.split.controller import SplitController, partition_grid
from vllm_nexus.split.cost_model import (
    CostModel,
    PartitionError,
    PhaseWork,
    Profile,
    ProfileSample,
    builtin_profiles,
    find_builtin_profile,
    load_profile,
)

N = 128  # SMs of the synthetic device


def synthetic_profile(prefill_sat: float = 0.8, decode_sat: float = 0.4) -> Profile:
    """Prefill ~ 1/r up to its saturation share, decode saturates early (Nexus §3 shape)."""
    samples = []
    shares = [8, 16, 32, 48, 64, 80, 96, 112, 120, 128]
    for tokens, base in ((512, 0.02), (2048, 0.08), (8192, 0.32)):
        for sms in shares:
            r = sms / N
            samples.append(
                ProfileSample(
                    "prefill", tokens, tokens * tokens, 1, sms, base / min(r / prefill_sat, 1)
                )
            )
    for batch, base in ((8, 0.006), (64, 0.008), (256, 0.014)):
        for sms in shares:
            r = sms / N
            samples.append(
                ProfileSample(
                    "decode", batch, batch * 1024, batch, sms, base / min(r / decode_sat, 1)
                )
            )
    return Profile("synthetic", "toy", N, 8, 8, tuple(samples))


@pytest.fixture
def cost() -> CostModel:
    return CostModel(synthetic_profile())


def test_latency_monotone_in_sms_and_work(cost: CostModel) -> None:
    w = PhaseWork(2048, 2048 * 2048, 1)
    lat = [cost.latency("prefill", w, s) for s in range(8, 129, 8)]
    assert all(a >= b for a, b in zip(lat, lat[1:], strict=False))
    assert cost.latency("prefill", PhaseWork(4096, 4096 * 4096, 1), 64) > cost.latency(
        "prefill", w, 64
    )
    d = [cost.latency("decode", PhaseWork(64, 64 * 1024, 64), s) for s in range(8, 129, 8)]
    assert all(a >= b for a, b in zip(d, d[1:], strict=False))


def test_saturation_shapes(cost: CostModel) -> None:
    """Decode saturates at 40% SMs: above it, more SMs buy nothing; prefill still gains."""
    dec = PhaseWork(64, 64 * 1024, 64)
    assert cost.latency("decode", dec, 64) == pytest.approx(cost.latency("decode", dec, 128))
    assert cost.latency("decode", dec, 16) > 2 * cost.latency("decode", dec, 128)
    pre = PhaseWork(2048, 2048 * 2048, 1)
    assert cost.latency("prefill", pre, 64) > 1.5 * cost.latency("prefill", pre, 128)


def test_full_gpu_fit_reproduces_samples(cost: CostModel) -> None:
    assert cost.latency("prefill", PhaseWork(2048, 2048 * 2048, 1), 128) == pytest.approx(
        0.08, rel=0.05
    )
    assert cost.latency("decode", PhaseWork(8, 8 * 1024, 8), 128) == pytest.approx(0.006, rel=0.1)


def test_contention_grows_with_prefill_context(cost: CostModel) -> None:
    short = PhaseWork(2048, 2048 * 2048, 1)
    long = PhaseWork(2048, 2048 * 10240, 1)
    assert cost.contention_factor(None) == 1.0
    assert 1.0 < cost.contention_factor(short) < cost.contention_factor(long)
    dec = PhaseWork(64, 64 * 1024, 64)
    _, t_short = cost.concurrent(short, dec, 64)
    _, t_long = cost.concurrent(long, dec, 64)
    assert t_long > t_short > cost.latency("decode", dec, 64)


@pytest.mark.parametrize(
    ("n", "g", "m", "expect"),
    [
        (132, 8, 8, [8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120]),
        (108, 2, 4, list(range(4, 105, 2))),
        (32, 8, 12, [16, 24][:1]),
    ],
)
def test_partition_grid(n: int, g: int, m: int, expect: list[int]) -> None:
    grid = partition_grid(n, g, m)
    assert grid == expect
    assert all(p % g == 0 and p >= m and n - p >= m for p in grid)


def test_partition_grid_impossible() -> None:
    with pytest.raises(PartitionError, match="min_sms_per_side"):
        partition_grid(16, 8, 9)
    with pytest.raises(PartitionError):
        partition_grid(1, 8, 8)


def ctl(**kw: object) -> SplitController:
    return SplitController(PartitionConfig(**kw), CostModel(synthetic_profile()))


PRE = PhaseWork(4096, 4096 * 4096, 2)
DEC = PhaseWork(64, 64 * 1024, 64)


def test_prefill_priority_gives_decode_just_enough() -> None:
    c = ctl(hysteresis=0.0)
    d = c.decide(PRE, DEC, kv_usage=0.2)
    assert d.mode == "prefill_priority"
    assert d.prefill_sms + d.decode_sms == N and d.prefill_sms in c.grid
    target = 1.1 * c.cost.latency("decode", DEC, N)
    assert c.cost.latency("decode", DEC, d.decode_sms) <= target
    # The next smaller decode partition on the grid would violate the slack.
    assert c.cost.latency("decode", DEC, d.decode_sms - 8) > target
    assert 1 <= d.evaluations <= c.cfg.max_search_steps


def test_decode_priority_gives_prefill_just_enough() -> None:
    c = ctl(hysteresis=0.0)
    d = c.decide(PRE, DEC, kv_usage=0.9)
    assert d.mode == "decode_priority"
    target = 1.3 * c.cost.latency("prefill", PRE, N)
    assert c.cost.latency("prefill", PRE, d.prefill_sms) <= target
    assert c.cost.latency("prefill", PRE, d.prefill_sms - 8) > target
    # More prefill slack -> prefill gets fewer SMs, decode more.
    loose = ctl(hysteresis=0.0, prefill_slack=2.0).decide(PRE, DEC, 0.9)
    assert loose.decode_sms > d.decode_sms


def test_threshold_is_inclusive() -> None:
    assert ctl().decide(PRE, DEC, 0.70).mode == "decode_priority"
    assert ctl().decide(PRE, DEC, 0.6999).mode == "prefill_priority"
    assert ctl(kv_decode_priority_threshold=0.5).decide(PRE, DEC, 0.6).mode == "decode_priority"


def test_single_phase_and_idle() -> None:
    c = ctl()
    assert (c.decide(PRE, None, 0.1).prefill_sms, c.decide(PRE, None, 0.1).mode) == (
        N,
        "prefill_only",
    )
    assert c.decide(None, DEC, 0.1).decode_sms == N
    assert c.decide(PhaseWork(0), PhaseWork(0), 0.1).mode == "idle"


def test_hysteresis_holds_small_moves_and_applies_large() -> None:
    c = ctl(hysteresis=0.1)
    first = c.decide(PRE, DEC, 0.2)
    assert not first.held
    # Small change of work: the ideal split moves by <= 10% of SMs -> held.
    again = c.decide(PhaseWork(4000, 4000 * 4000, 2), DEC, 0.2)
    assert again.held and again.prefill_sms == first.prefill_sms
    # Mode switch moves the split a lot -> applied.
    c2 = ctl(hysteresis=0.0)
    a, b = c2.decide(PRE, DEC, 0.2), c2.decide(PRE, DEC, 0.95)
    if abs(a.prefill_sms - b.prefill_sms) > 0.1 * N:
        c3 = ctl(hysteresis=0.1)
        c3.decide(PRE, DEC, 0.2)
        moved = c3.decide(PRE, DEC, 0.95)
        assert not moved.held and moved.prefill_sms == b.prefill_sms


def test_search_is_bounded() -> None:
    c = ctl(max_search_steps=2)
    c.cost.calls = 0
    d = c.decide(PRE, DEC, 0.2)
    assert d.evaluations <= 2
    assert c.cost.calls <= 2 + 2  # + the two predictions reported with the decision


def test_builtin_profiles_load_and_match() -> None:
    profiles = builtin_profiles()
    assert "partition-h100-llama-3.1-8b" in profiles
    for path in profiles.values():
        prof = load_profile(path)
        assert "DERIVED" in prof.source
        SplitController(
            PartitionConfig(sm_granularity=prof.sm_granularity, min_sms_per_side=prof.min_sms),
            CostModel(prof),
        )
    p = find_builtin_profile("NVIDIA H100 80GB HBM3", "meta-llama/Llama-3.1-8B-Instruct")
    assert p is not None and p.stem == "partition-h100-llama-3.1-8b"
    q = find_builtin_profile("NVIDIA H100 80GB HBM3", "Qwen/Qwen2.5-14B")
    assert q is not None and q.stem == "partition-h100-qwen2.5-14b"
    assert find_builtin_profile("AMD Instinct MI300X", "x") is None
    assert find_builtin_profile(None) is None


def test_derived_profile_shows_paper_shape() -> None:
    """Nexus §3 on the shipped H100/Llama-8B profile: decode gains < 3% per 10% of the SMs
    beyond half of them; prefill slows ~1/r."""
    cm = CostModel(load_profile(builtin_profiles()["partition-h100-llama-3.1-8b"]))
    dec = PhaseWork(64, 64 * 2048, 64)
    assert cm.latency("decode", dec, 66) / cm.latency("decode", dec, 132) <= 1.03**5
    pre = PhaseWork(2048, 2048 * 2048, 1)
    assert cm.latency("prefill", pre, 64) / cm.latency("prefill", pre, 132) > 1.5


def test_bad_profiles(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(PartitionError, match="not valid JSON"):
        load_profile(bad)
    with pytest.raises(PartitionError, match="does not exist"):
        load_profile(tmp_path / "missing.json")
    doc = synthetic_profile().to_dict()
    doc["decode"] = [s for s in doc["decode"] if s["sms"] != N]
    bad.write_text(json.dumps(doc))
    with pytest.raises(PartitionError, match="no decode sample at the full"):
        load_profile(bad)
    doc = synthetic_profile().to_dict()
    del doc["schema"]
    bad.write_text(json.dumps(doc))
    with pytest.raises(PartitionError, match="not a vllm-nexus/partition-profile"):
        load_profile(bad)


def test_profile_roundtrip() -> None:
    p = synthetic_profile()
    assert Profile.from_dict(p.to_dict()) == p


def test_config_section_validation() -> None:
    cfg = NexusConfig.from_dict({"partition": {"split": "sequential", "sm_granularity": 2}})
    assert cfg.partition.split == "sequential" and cfg.partition.sm_granularity == 2
    with pytest.raises(ConfigError, match="partition.split"):
        NexusConfig.from_dict({"partition": {"split": "sometimes"}})
    with pytest.raises(ConfigError, match="decode_slack"):
        NexusConfig.from_dict({"partition": {"decode_slack": 0.5}})
