"""The run-to-run noise floor of a fidelity window (pure module and the report section)."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from vllm_nexus.bench.report import make_result
from vllm_nexus.sim import fidelity, noise_floor


def test_at_most_is_the_binomial_tail_for_equal_chances():
    # Poisson-binomial with equal chances is the binomial: P(X <= 1), n 4, p 0.5 = 5/16
    assert noise_floor.at_most([0.5] * 4, 1) == pytest.approx(5 / 16)
    p = [0.9, 0.7, 0.6]
    exact = {k: 0.0 for k in range(4)}
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                exact[a + b + c] += (
                    (p[0] if a else 1 - p[0])
                    * (p[1] if b else 1 - p[1])
                    * (p[2] if c else 1 - p[2])
                )
    for k in range(4):
        assert noise_floor.at_most(p, k) == pytest.approx(sum(exact[j] for j in range(k + 1)))
    # a perfect predictor sure of every cell never gets fewer than all of them
    assert noise_floor.at_most([1.0] * 5, 4) == 0.0
    assert noise_floor.at_most([1.0] * 5, 5) == 1.0


def test_cells_whose_repetitions_agree_are_always_in_and_wide_ones_not():
    tight = [10.0, 10.5, 9.8, 10.2, 10.1, 9.9]
    wide = [5.0, 5.5, 6.0, 14.0, 15.0, 16.0]  # two speed states: the median jumps between them
    chances, p_all = noise_floor.cell_chances([tight, tight], 0.25)
    assert chances == [1.0, 1.0] and p_all == 1.0
    chances, p_all = noise_floor.cell_chances([tight, wide], 0.25)
    assert chances[0] == 1.0
    assert 0.1 < chances[1] < 0.9
    assert p_all == pytest.approx(chances[1])  # the tight cell is always in
    # deterministic for a seed
    assert noise_floor.cell_chances([tight, wide], 0.25) == (chances, p_all)


def test_one_resample_is_shared_by_every_cell_of_a_draw():
    # two cells that move together: in each draw both are in or both out, so P(all in) equals
    # each cell's chance (independent resamples would give about its square)
    wide = [5.0, 5.5, 6.0, 14.0, 15.0, 16.0]
    chances, p_all = noise_floor.cell_chances([wide, [2 * x for x in wide]], 0.25)
    assert chances[0] == chances[1]
    assert p_all == pytest.approx(chances[0])
    assert p_all > chances[0] ** 2 + 0.05


def test_reading_tells_a_prediction_within_the_spread_from_a_model_miss():
    reps = [[10.0, 10.5, 9.8, 10.2, 10.1, 9.9], [20.0, 21.0, 19.0, 20.5, 19.5, 20.2]]
    medians = [statistics.median(v) for v in reps]
    good = noise_floor.reading(reps, [m * 1.1 for m in medians], 0.25)
    assert (good.cells, good.cells_in, good.expected_in) == (2, 2, 2.0)
    assert good.p_at_most == 1.0 and good.consistent
    bad = noise_floor.reading(reps, [m * 1.5 for m in medians], 0.25)
    assert bad.cells_in == 0
    assert bad.p_at_most == 0.0 and not bad.consistent
    # the statistic is the caller's: the mean of these repetitions is 11, the median 2
    skewed = [[1.0, 2.0, 30.0]]
    assert noise_floor.reading(skewed, [11.0], 0.25, statistics.fmean).cells_in == 1
    assert noise_floor.reading(skewed, [11.0], 0.25).cells_in == 0


@pytest.mark.parametrize(
    ("reps", "predicted", "message"),
    [
        ([[1.0, 2.0]], [1.0], "repetitions"),  # too few to say anything about their spread
        ([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]], [1.0, 1.0], "same number"),
        ([[1.0, 2.0, 3.0]], [1.0, 2.0], "2 predictions for 1 cells"),
    ],
)
def test_bad_input_is_a_clear_error(reps, predicted, message):
    with pytest.raises(ValueError, match=message):
        noise_floor.reading(reps, predicted, 0.25)


def _run(rate: float, mean: float, p95: float, rep: int) -> dict:
    return {
        "rate": rate,
        "repetition": rep,
        "salt": "",
        "duration_s": 1.0,
        "summary": {"program_token_latency_s": {"mean": mean, "p95": p95}},
        "server": None,
        "programs": [],
    }


def _window(tmp_path, reps: int, sim_mean: float) -> tuple[dict, dict]:
    # one scheduler, one rate; its repetitions agree within 2%
    real = make_result(
        "stock", {}, [_run(1, 0.010 * (1 + 0.01 * (i % 3)), 0.030, i) for i in range(reps)]
    )
    sim = make_result("stock-fcfs", {}, [_run(1, sim_mean, 0.031, 0)], simulated=True)
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(sim))
    return {"stock-fcfs": real}, {"stock-fcfs": path}


def test_the_report_section_shows_each_cell_and_the_verdict(tmp_path):
    text = fidelity.floor_section(*_window(tmp_path, 4, 0.0105), "median")
    assert "| stock-fcfs | 1 | mean | 10.0 / 10.1 / 10.2 / 10.0 | 10.1 | 1.04 | 1.00 |" in text
    assert "| stock-fcfs | 1 | p95 | 30.0 / 30.0 / 30.0 / 30.0 | 30.0 | 1.03 | 1.00 |" in text
    assert "- prediction: 2 of 2 cells within 25%" in text
    assert "consistent with the noise floor" in text and "**not**" not in text
    # a prediction 1.6x too slow on tight repetitions is the model's miss
    text = fidelity.floor_section(*_window(tmp_path, 4, 0.016), "median")
    assert "| 1.59 **miss** | 1.00 |" in text
    assert "- prediction: 1 of 2 cells within 25%" in text
    assert "= 0.000: **not** consistent with the noise floor" in text


def test_the_report_section_needs_three_repetitions(tmp_path):
    text = fidelity.floor_section(*_window(tmp_path, 2, 0.0105))
    assert "Not computed: it needs the same number (>= 3)" in text
    assert "these have [2]" in text
    assert math.isfinite(noise_floor.CONSISTENT_P)
