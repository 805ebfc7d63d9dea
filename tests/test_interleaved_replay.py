"""The pure parts of examples/interleaved_replay.py: replay order and the summary."""

from __future__ import annotations

import math

import pytest
from example_loader import load_example


@pytest.fixture(scope="module")
def il():
    return load_example("interleaved_replay.py")


def test_each_repetition_starts_with_the_next_scheduler(il) -> None:
    s = ["stock", "plas", "atlas"]
    assert [il.rotation(s, r) for r in range(4)] == [
        ["stock", "plas", "atlas"], ["plas", "atlas", "stock"],
        ["atlas", "stock", "plas"], ["stock", "plas", "atlas"],
    ]  # fmt: skip


def test_token_latency_is_each_programs_e2e_over_its_tokens(il) -> None:
    run = {"programs": [
        {"arrival_s": 1.0, "calls": [{"end_s": 2.0, "output_tokens": 10},
                                     {"end_s": 3.0, "output_tokens": 10}]},  # 2 s / 20 tokens
        {"arrival_s": 0.0, "calls": [{"end_s": 0.5, "output_tokens": 0}]},  # 0 tokens: / 1
    ]}  # fmt: skip
    assert il.token_latency_ms(run) == pytest.approx((100.0 + 500.0) / 2)


def test_summary_pairs_ratios_within_a_repetition(il) -> None:
    rows = [
        {"sched": "stock", "rep": 0, "mean": 20.0, "cpu_s": 5.0},
        {"sched": "plas", "rep": 0, "mean": 10.0, "cpu_s": 4.0},
        {"sched": "stock", "rep": 1, "mean": 10.0, "cpu_s": 5.0},
        {"sched": "plas", "rep": 1, "mean": 20.0, "cpu_s": 4.0},
    ]
    out = il.summarize(rows, "stock")
    assert out["stock"]["ratios"] == [1.0, 1.0]
    assert out["plas"]["ratios"] == [2.0, 0.5]
    assert out["plas"]["geo"] == pytest.approx(1.0)  # 2x and 0.5x cancel
    assert out["plas"]["pooled"] == pytest.approx(1.0)
    rows[3]["mean"] = 5.0
    out = il.summarize(rows, "stock")
    assert out["plas"]["geo"] == pytest.approx(math.sqrt(2.0 * 2.0))
    assert out["plas"]["pooled"] == pytest.approx(15.0 / 7.5)
