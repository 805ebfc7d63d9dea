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
             nexus_preemptions={"proactive": 13.0, "kv_cache": 1.0}, e2e_mean_s=1.25,
             policy={"starvation_promotions": 7.0}, engine_steps=400.0, cpu_s=5.0),
        _row("stock", 0, 20.0, preemptions=3.0, recompute_share=None, kv_peak=1.0,
             running_peak=15.0, queued_share=0.5, kv_bound_share=None, duration_s=55.0),
    ]  # fmt: skip
    lines = il.markdown_table(rows, "stock").splitlines()
    assert len(lines[0].split("|")) == len(lines[1].split("|")) == len(lines[2].split("|"))
    assert lines[2] == (
        "| 0 | stock | 20.0 | 1.00 | — | 3 | — | — | 100.0% | 15 | 50.0% | — | 55 | — |"
    )
    assert lines[3] == (
        "| 0 | plas | 10.0 | 2.00 | 1.25 | 14 (13 / 1) | 7 | 0.8% | 97.5% | 13 | 75.0% | "
        "100.0% | 52 | 12.50 |"
    )


def test_policy_counters_and_state_from_a_metrics_page(il) -> None:
    page = (
        'vllm_nexus_starvation_promotions_total{engine="0"} 30.0\n'
        'vllm_nexus_starvation_promotions_total{engine="1"} 5.0\n'
        'vllm_nexus_demotions_total{engine="0"} 2.0\n'
        'vllm_nexus_preemptions_size_declined_total{engine="0"} 9.0\n'
        'vllm_nexus_level_first_boundary{engine="0"} 44.5\n'
        'vllm_nexus_starvation_threshold{engine="0"} 32.0\n'
        'vllm_nexus_size_samples{engine="0"} 120.0\n'
        'vllm_nexus_preemptions_total{engine="0",reason="proactive"} 4.0\n'
        'vllm:num_requests_waiting{engine="0"} 3.0\n'
    )
    counters, gauges = il.policy_state(page)
    assert counters == {
        "starvation_promotions": 35.0, "demotions": 2.0, "preemptions_size_declined": 9.0,
    }  # fmt: skip
    assert gauges == {"level_first_boundary": 44.5, "starvation_threshold": 32.0,
                      "size_samples": 120.0}  # fmt: skip
    assert il.policy_state("") == ({}, {})  # stock vLLM: nothing of ours


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


def _at(sched: str, rep: int, rate: float, mean: float, cmd: str = "c1", **kw) -> dict:
    return _row(sched, rep, mean, rate=rate, cmd=cmd, **kw)


def test_throughput_at_latency_per_repetition_with_its_own_slo_and_bounds(il) -> None:
    rows = [
        # rep 0: SLO = 3 x 10 = 30; stock crosses between 8 (20) and 16 (40): 8 + 8 * 10/20 = 12;
        # default crosses between 16 (25) and 32 (35): 16 + 16 * 5/10 = 24 -> ratio 2.0
        _at("stock", 0, 4, 10.0), _at("stock", 0, 8, 20.0), _at("stock", 0, 16, 40.0),
        _at("stock", 0, 32, 80.0),
        _at("default", 0, 4, 5.0), _at("default", 0, 8, 10.0), _at("default", 0, 16, 25.0),
        _at("default", 0, 32, 35.0),
        # rep 1: SLO = 3 x 20 = 60; stock crosses 8-16 at 8 + 8 * 20/40 = 12; default never:
        # >= 32, ratio >= 32/12
        _at("stock", 1, 4, 20.0), _at("stock", 1, 8, 40.0), _at("stock", 1, 16, 80.0),
        _at("stock", 1, 32, 90.0),
        _at("default", 1, 4, 9.0), _at("default", 1, 8, 9.0), _at("default", 1, 16, 9.0),
        _at("default", 1, 32, 59.0),
    ]  # fmt: skip
    t = il.tal_summary(rows, ["stock", "default"])
    r0, r1 = t["reps"][0], t["reps"][1]
    assert r0["slo_ms"] == 30.0 and r1["slo_ms"] == 60.0
    assert r0["tal"]["stock"] == {"value": pytest.approx(12.0), "bound": "="}
    assert r0["tal"]["default"] == {"value": pytest.approx(24.0), "bound": "="}
    assert r0["ratio"]["default"] == {"value": pytest.approx(2.0), "bound": "="}
    assert r1["tal"]["default"] == {"value": 32, "bound": ">="}
    assert r1["ratio"]["default"] == {"value": pytest.approx(32 / 12), "bound": ">="}
    g = t["geo"]["default"]
    assert g["value"] == pytest.approx(math.sqrt(2.0 * 32 / 12)) and g["bound"] == ">="
    assert t["geo"]["stock"] == {"value": pytest.approx(1.0), "bound": "="}
    lines = il.tal_lines(rows, ["stock", "default"])
    assert "| 1 | 60.0 | default | 9.0 / 9.0 / 9.0 / 59.0 | >=32.00 | >=2.67 |" in lines
    assert lines[-1] == "default: TaL ratio per repetition 2.00, >=2.67 | geo-mean >=2.31x"
    # a scheduler over the SLO at the lowest rate: TaL < lowest rate; when stock is the one
    # never crossing, the ratio is an upper bound; both bounds: unknown
    rows[4]["mean"] = 31.0
    assert il.tal_summary(rows, ["stock", "default"])["reps"][0]["tal"]["default"] == {
        "value": 4, "bound": "<"}  # fmt: skip
    for r in rows:
        if r["sched"] == "stock" and r["rep"] == 1:
            r["mean"] = 20.0
    t = il.tal_summary(rows, ["stock", "default"])
    assert t["reps"][1]["tal"]["stock"]["bound"] == ">="
    assert t["reps"][1]["ratio"]["default"]["bound"] == "?"
    assert t["geo"]["default"]["bound"] == "?"


def test_merge_keeps_each_repetition_once_from_the_command_that_finished_it(il) -> None:
    rows = [
        {**_row("stock", None, 9.0), "tag": "warm"},
        _at("stock", 0, 4, 10.0), _at("default", 0, 4, 5.0),
        _at("stock", 0, 8, 20.0), _at("default", 0, 8, 10.0),
        # command c2: repetition 1 cut short after one rate; command c3 ran it again
        _at("stock", 1, 4, 11.0, "c2"), _at("default", 1, 4, 99.0, "c2"),
        _at("stock", 1, 4, 12.0, "c3"), _at("default", 1, 4, 6.0, "c3"),
        _at("stock", 1, 8, 22.0, "c3"), _at("default", 1, 8, 11.0, "c3"),
        # repetition 2 never finished
        _at("stock", 2, 4, 13.0, "c4"),
    ]  # fmt: skip
    merged = il.merge_rows(rows, ["stock", "default"], [4, 8])
    assert merged == rows[1:5] + rows[7:11]
    assert il.merge_rows(rows, ["stock", "default"]) == merged  # rates from the rows
    assert il.merge_rows(rows, ["stock", "default"], [4]) == rows[1:3] + rows[7:9]


def test_report_merges_commands_and_reports_rates_and_classes(il, tmp_path) -> None:
    import json

    rows = []
    for rep, cmd in ((0, "c1"), (1, "c2")):
        for rate, s, mean in (
            (4, "stock", 10.0),
            (4, "default", 5.0),
            (16, "stock", 40.0),
            (16, "default", 20.0),
        ):
            rows.append(_at(s, rep, rate, mean, cmd, class_means={"chat": mean, "react": 2 * mean}))
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    argv = ["--report", "--out", str(tmp_path), "--schedulers", "stock,default"]
    assert il.main(argv) == 0
    text = (tmp_path / "summary.md").read_text()
    assert "at 16 programs/s: mean program token latency" in text
    # SLO 30: stock crosses between 4 and 16 (4 + 12 * 20/30 = 12), default never (>= 16)
    assert "default: TaL ratio per repetition >=1.33, >=1.33 | geo-mean >=1.33x" in text
    assert "| 16 | react | 80.0 / 80.0 | 2.00 |" in text
    assert "| 1 | 16 | default | 20.0 | 2.00 |" in text


def test_rate_and_rates_are_exclusive(il, capsys) -> None:
    with pytest.raises(SystemExit):
        il.main(["--out", "/tmp/x", "--rate", "4", "--rates", "4,8"])
    assert "not both" in capsys.readouterr().err


def test_program_classes_are_sent_to_all_or_the_named_schedulers(il) -> None:
    s = ["stock", "default", "dcls", "cb"]
    assert il.class_senders("", s) == set()
    assert il.class_senders("*", s) == set(s)
    assert il.class_senders("dcls, cb", s) == {"dcls", "cb"}
    with pytest.raises(ValueError, match="'plas'"):
        il.class_senders("cb,plas", s)


def test_size_hints_are_sent_by_the_named_schedulers_replays_only(il) -> None:
    s = ["stock", "default", "hinted"]
    assert il.class_senders("hinted", s, "--send-size-hint") == {"hinted"}
    with pytest.raises(ValueError, match="--send-size-hint names \\['plas'\\]"):
        il.class_senders("plas", s, "--send-size-hint")
    common = ("http://h:1/v1", "m", "t.jsonl", 40, 2.0, 0.3, "il1-x-rep0", "x", "/o")
    plain = il.bench_argv(*common)
    assert "--size-hint-sigma" not in plain and "--seed" not in plain
    assert plain[plain.index("--run-salt") + 1] == "il1-x-rep0"  # a fresh id namespace
    hinted = il.bench_argv(*common, hint_sigma=0.5, hint_seed=31)
    assert hinted[: len(plain)] == plain
    assert hinted[len(plain) :] == ["--size-hint-sigma", "0.5", "--seed", "31"]
    assert il.bench_argv(*common, send_class=True)[-1] == "--send-program-class"


def test_replay_options_reject_hints_nobody_sends_or_without_a_sigma(il, capsys) -> None:
    base = ["--trace", "t", "--rate", "1", "--programs", "2", "--out", "/tmp/x",
            "--schedulers", "stock,default"]  # fmt: skip
    for extra, msg in (
        (["--send-size-hint", "default"], "needs --size-hint-sigma"),
        (["--size-hint-sigma", "0.5"], "no replay would send hints"),
        (["--size-hint-sigma", "-1", "--send-size-hint"], "finite number >= 0"),
        (["--size-hint-sigma", "0.5", "--send-size-hint", "plas"], "not in --schedulers"),
    ):
        with pytest.raises(SystemExit):
            il.main(base + extra)
        assert msg in capsys.readouterr().err


def test_engine_token_counters_from_a_metrics_page(il) -> None:
    page = (
        'vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1000.0\n'
        'vllm:prefix_cache_hits_total{engine="0",model_name="m"} 640.0\n'
        'vllm:prompt_tokens_total{engine="0",model_name="m"} 1000.0\n'
        'vllm:generation_tokens_total{engine="0",model_name="m"} 300.0\n'
        'vllm:num_preemptions_total{engine="0",model_name="m"} 2.0\n'
    )
    assert il.engine_counters(page) == {
        "prefix_cache_queries": 1000.0, "prefix_cache_hits": 640.0,
        "prompt_tokens": 1000.0, "generation_tokens": 300.0,
    }  # fmt: skip
    assert il.engine_counters("") == {}


def test_hint_counters_from_a_metrics_page_and_e2e_ratios_in_the_summary(il) -> None:
    page = (
        'vllm_nexus_hinted_calls_total{engine="0"} 40.0\n'
        'vllm_nexus_hinted_calls_total{engine="1"} 2.0\n'
        'vllm_nexus_programs_hinted_total{engine="0"} 7.0\n'
        'vllm_nexus_size_hint_overruns_total{engine="0"} 3.0\n'
        'vllm_nexus_preemptions_total{engine="0",reason="proactive"} 4.0\n'
    )
    assert il.hint_counters(page) == {
        "hinted_calls": 42.0, "programs_hinted": 7.0, "size_hint_overruns": 3.0,
    }  # fmt: skip
    assert il.hint_counters("") == {}
    rows = [
        _row("stock", 0, 20.0, e2e_mean_s=4.0, failed_programs=0),
        _row("hinted", 0, 10.0, e2e_mean_s=5.0, failed_programs=0),
        _row("stock", 1, 20.0, e2e_mean_s=6.0, failed_programs=0),
        _row("hinted", 1, 10.0, e2e_mean_s=3.0, failed_programs=1),
    ]
    v = il.summarize(rows, "stock")["hinted"]
    assert v["e2e_ratios"] == [0.8, 2.0]
    assert v["e2e_geo"] == pytest.approx(math.sqrt(1.6))
    assert v["failed_programs"] == [0, 1]
    lines = il.summary_lines(rows, ["stock", "hinted"])
    assert (
        "hinted: program end-to-end mean s 5.00 3.00 | ratios 0.80 2.00 | geo-mean 1.26x"
        " | failed programs 0 1" in lines
    )


def test_identity_problems_catch_a_server_answering_for_another(il) -> None:
    ours = ["--max-num-seqs", "8", "--scheduler-cls", "vllm_nexus.Scheduler"]
    args = {"stock": ["--max-num-seqs", "8"], "default": ours}
    good = {"stock": {"nexus_preemptions": {}},
            "default": {"nexus_preemptions": {"proactive": 0.0, "kv_cache": 0.0}}}  # fmt: skip
    assert il.identity_problems(good, args) == []
    # 2026-12-04 (e), G0: both servers on one port, the stock one answered for both
    swapped = {"stock": {"nexus_preemptions": {}}, "default": {"nexus_preemptions": {}}}
    (msg,) = il.identity_problems(swapped, args)
    assert "'default' runs vllm_nexus" in msg
    (msg,) = il.identity_problems(
        {"stock": {"nexus_preemptions": {"proactive": 0.0}}, "default": good["default"]}, args
    )
    assert "'stock' runs vLLM's scheduler" in msg
    recording = {s: il.recording_args(a) for s, a in args.items()}  # --record-steps
    assert il.identity_problems(good, recording) == []
    assert len(il.identity_problems(swapped, recording)) == 1


def test_record_steps_swaps_each_scheduler_class_for_its_recording_twin(il) -> None:
    engine = ["--max-num-seqs", "8"]
    stock = il.recording_args(engine)
    assert stock == [*engine, "--scheduler-cls", "vllm_nexus.sim.calibrate.RecordingScheduler"]
    nexus = [*engine, "--scheduler-cls", "vllm_nexus.Scheduler", "--additional-config", "{}"]
    assert il.recording_args(nexus) == [
        *engine,
        "--scheduler-cls",
        "vllm_nexus.sim.calibrate.RecordingNexusScheduler",
        "--additional-config",
        "{}",
    ]
    assert nexus[-3] == "vllm_nexus.Scheduler"  # the caller's list is left as it was
    with pytest.raises(ValueError, match="no recording twin of scheduler class 'my.Sched'"):
        il.recording_args(["--scheduler-cls", "my.Sched"])
    # the twins exist where the option says (resolved lazily by vllm_nexus.sim.calibrate)
    from vllm_nexus.sim import calibrate

    for cls in il.RECORDING_CLASSES.values():
        assert hasattr(calibrate, cls.rsplit(".", 1)[1])
