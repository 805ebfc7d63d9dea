"""Self-tuning queue levels (programs/levels.py) and their use by the multi-level queue."""

import pytest

from vllm_nexus.config import ConfigError, SchedulerConfig
from vllm_nexus.programs.levels import LevelScale
from vllm_nexus.programs.queues import MultiLevelQueue


def test_boundaries_follow_the_median_call_service():
    s = LevelScale(4, 2.0, initial=256, lo=1, hi=1e6, scale_fraction=0.5, refresh_every=8)
    assert s.boundaries == [256, 512, 1024]
    for _ in range(64):
        s.observe(40.0)
    assert s.first == 20.0
    assert s.boundaries == [20, 40, 80] and s.quanta == [20, 40, 80, 160]
    assert [s.level_of(v) for v in (0, 19.9, 20, 79, 80, 1e9)] == [0, 0, 1, 2, 3, 3]
    v = s.version
    for _ in range(512):
        s.observe(4000.0)  # calls 100x longer: the levels follow
    assert s.first == 2000.0 and s.version > v


def test_bounds_clamp_and_small_moves_are_ignored():
    s = LevelScale(3, 2.0, initial=100, lo=50, hi=200, refresh_every=4, min_samples=4)
    for _ in range(8):
        s.observe(10.0)
    assert s.first == 50  # lower bound
    for _ in range(600):
        s.observe(1e6)
    assert s.first == 200  # upper bound
    v = s.version
    for _ in range(600):
        s.observe(420.0)  # 0.5 x 420 = 210 -> clamped to 200: no change
    assert s.version == v


def test_fixed_levels_never_move():
    s = LevelScale(3, 2.0, initial=64, lo=1, hi=1e6, adaptive=False)
    for _ in range(1000):
        assert not s.observe(1.0)
    assert s.boundaries == [64, 128]


def test_quantum_ratio_is_kept():
    s = LevelScale(3, 2.0, initial=10, lo=1, hi=1e6, quantum_ratio=3.0, refresh_every=1)
    assert s.quanta == [30, 60, 120]
    for _ in range(32):
        s.observe(100)
    assert s.boundaries == [50, 100] and s.quanta == [150, 300, 600]


def test_queue_levels_adapt_to_short_calls():
    """The CPU benchmark's calls are ~4x shorter than a full-size agent call; with fixed
    boundaries of 256 every short program would stay in level 0 (order ~ FCFS)."""
    q = MultiLevelQueue(SchedulerConfig(policy="plas", first_boundary=256, first_quantum=256))
    for i in range(64):
        c = q.add(f"c{i}", f"p{i}", 0.0)
        q.charge(c, 60.0)
        q.finish(f"c{i}", 1.0)
    assert q.boundaries[0] == pytest.approx(60.0)  # level_scale_fraction (1.0) x the median
    q2 = MultiLevelQueue(
        SchedulerConfig(policy="plas", first_boundary=256, first_quantum=256, adaptive_levels=False)
    )
    for i in range(64):
        c = q2.add(f"c{i}", f"p{i}", 0.0)
        q2.charge(c, 60.0)
        q2.finish(f"c{i}", 1.0)
    assert q2.boundaries[0] == 256


def test_bound_order_is_checked_at_startup():
    with pytest.raises(ConfigError, match="min_first_boundary"):
        SchedulerConfig(min_first_boundary=10, max_first_boundary=5)
