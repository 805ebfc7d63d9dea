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
    assert il.e2e_mean_s(run) == pytest.approx((2.0 + 0.5) / 2)


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


METRICS = """# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.925
vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.5
vllm:num_requests_running{engine="0",model_name="m"} 12.0
vllm:num_requests_running{engine="1",model_name="m"} 3.0
vllm:num_requests_waiting{engine="0",model_name="m"} 7.0
vllm:num_preemptions_total{engine="0",model_name="m"} 9.0
vllm_nexus_preemptions_total{engine="0",reason="proactive"} 4.0
vllm_nexus_preemptions_total{engine="0",reason="kv_cache"} 2.0
vllm_nexus_preemptions_total{engine="1",reason="kv_cache"} 1.0
"""


def test_gauges_and_preemptions_by_reason_from_a_metrics_page(il) -> None:
    # KV usage of the fullest engine; running / waiting summed over engines
    assert il.engine_gauges(METRICS) == {"kv": 0.925, "running": 15.0, "waiting": 7.0}
    assert il.nexus_preemptions(METRICS) == {"proactive": 4.0, "kv_cache": 3.0}
    assert il.nexus_preemptions("vllm:num_preemptions_total 3\n") == {}  # stock vLLM


def test_binding_tells_kv_bound_from_slot_bound_samples(il) -> None:
    samples = [
        {"kv": 0.2, "running": 3.0, "waiting": 0.0},  # nothing queued: neither
        {"kv": 0.98, "running": 20.0, "waiting": 5.0},  # queued, slots free: KV-bound
        {"kv": 0.97, "running": 31.0, "waiting": 2.0},  # KV-bound
        {"kv": 0.6, "running": 64.0, "waiting": 9.0},  # all 64 slots taken: slot-bound
    ]
    out = il.binding(samples, 64)
    assert out["kv_peak"] == 0.98 and out["running_peak"] == 64.0
    assert out["queued_share"] == pytest.approx(3 / 4)
    assert out["kv_bound_share"] == pytest.approx(2 / 3)
    assert il.binding(samples, 8)["kv_bound_share"] == 0.0  # 20, 31, 64 running: all >= 8
    assert il.binding(samples[:1], 64)["kv_bound_share"] is None  # never queued
    assert il.binding([], 64)["kv_peak"] is None


def test_max_num_seqs_of_engine_arguments(il) -> None:
    assert il.max_num_seqs("--max-num-seqs 64 --num-gpu-blocks-override 40") == 64
    assert il.max_num_seqs("--max-model-len 4096 --max-num-seqs=8") == 8
    assert il.max_num_seqs("--max-model-len 4096") is None


def test_summary_carries_recompute_and_preemptions_per_repetition(il) -> None:
    rows = [
        {"sched": "stock", "rep": 0, "mean": 20.0, "cpu_s": 5.0, "preemptions": 3.0,
         "recompute_share": None},
        {"sched": "plas", "rep": 0, "mean": 10.0, "cpu_s": 4.0, "preemptions": 14.0,
         "recompute_share": 0.008},
    ]  # fmt: skip
    out = il.summarize(rows, "stock")
    assert out["plas"]["recompute_share"] == [0.008] and out["plas"]["preemptions"] == [14.0]
    assert out["stock"]["recompute_share"] == [None]


def _row(sched: str, rep: int, mean: float, **kw) -> dict:
    return {"sched": sched, "rep": rep, "mean": mean, "cpu_s": 1.0, "preemptions": 0.0, **kw}


def test_only_repetitions_every_scheduler_finished_are_reported(il) -> None:
    rows = [_row("stock", 0, 20.0), _row("plas", 0, 10.0), _row("plas", 1, 12.0)]
    assert il.complete_reps(rows, ["stock", "plas"]) == rows[:2]  # rep 1 lacks stock
    lines = il.summary_lines(rows, ["stock", "plas"])
    assert any(line.startswith("plas: means 10.0 | ratios 2.00 |") for line in lines)
    assert il.summary_lines(rows[2:], ["stock", "plas"]) == [
        "no repetition finished for every scheduler"
    ]


def test_markdown_table_lists_each_repetition_baseline_first(il) -> None:
    rows = [
        _row("plas", 0, 10.0, preemptions=14.0, recompute_share=0.008, kv_peak=0.975,
             running_peak=13.0, queued_share=0.75, kv_bound_share=1.0, duration_s=52.4,
             nexus_preemptions={"proactive": 13.0, "kv_cache": 1.0}, e2e_mean_s=1.25),
        _row("stock", 0, 20.0, preemptions=3.0, recompute_share=None, kv_peak=1.0,
             running_peak=15.0, queued_share=0.5, kv_bound_share=None, duration_s=55.0),
    ]  # fmt: skip
    lines = il.markdown_table(rows, "stock").splitlines()
    assert lines[2] == "| 0 | stock | 20.0 | 1.00 | — | 3 | — | 100.0% | 15 | 50.0% | — | 55 |"
    assert lines[3] == (
        "| 0 | plas | 10.0 | 2.00 | 1.25 | 14 (13 / 1) | 0.8% | 97.5% | 13 | 75.0% | 100.0% | 52 |"
    )


def test_report_rebuilds_the_summary_from_rows_jsonl(il, tmp_path) -> None:
    import json

    rows = [{**_row("stock", None, 9.0), "tag": "warm"}, _row("stock", 0, 20.0),
            _row("plas", 0, 10.0)]  # fmt: skip
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert il.main(["--report", "--out", str(tmp_path), "--schedulers", "stock,plas"]) == 0
    text = (tmp_path / "summary.md").read_text()
    assert "plas: means 10.0 | ratios 2.00 | geo-mean 2.00x" in text  # warm-up left out
    assert "| 0 | plas | 10.0 | 2.00 |" in text
    assert json.loads((tmp_path / "rows.json").read_text()) == rows[1:]


def test_a_replay_needs_trace_rate_and_programs(il, capsys) -> None:
    with pytest.raises(SystemExit):
        il.main(["--out", "/tmp/x", "--rate", "4"])
    assert "--trace, --programs" in capsys.readouterr().err
