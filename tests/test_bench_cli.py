"""``vllm-nexus bench`` argument handling without a server (dump, errors, compare)."""

import json

import pytest

from vllm_nexus import cli
from vllm_nexus.bench import report
from vllm_nexus.bench.metrics import CallRecord, ProgramRecord
from vllm_nexus.bench.trace import load_trace


def test_dump_trace_without_server(tmp_path, capsys):
    f = tmp_path / "w.jsonl"
    argv = ["bench", "--workload", "mixed", "--programs", "9", "--rate", "3", "--seed", "2",
            "--calls-scale", "0.2", "--tokens-scale", "0.2", "--dump-trace", str(f)]  # fmt: skip
    assert cli.main(argv) == 0
    progs = load_trace(f)
    assert len(progs) == 9 and {p.kind for p in progs} == {"chat", "react", "lats"}
    # context cap follows --tokens-scale (4096 x 0.2)
    assert max(v for p in progs for v in p.full_prompt_tokens().values()) <= 819
    assert "wrote 9 programs" in capsys.readouterr().out


def test_bad_trace_is_a_clear_error(tmp_path, capsys):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"program_id": "p", "arrival_s": 0, "calls": [{"id": "a", "prompt_tokens": 1, '
                 '"output_tokens": 1, "after": ["b"]}]}\n')  # fmt: skip
    assert cli.main(["bench", "--base-url", "http://127.0.0.1:1", "--trace", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}:1:" in err and "unknown call 'b'" in err


def test_usage_errors(capsys):
    assert cli.main(["bench", "--workload", "chat"]) == 2
    assert "--base-url is required" in capsys.readouterr().err
    assert (
        cli.main(["bench", "--base-url", "http://x", "--workload", "chat", "--sweep-rates", "1,a"])
        == 2
    )
    assert "expected numbers" in capsys.readouterr().err
    assert cli.main(["bench", "--base-url", "http://x"]) == 2
    assert "give --workload or --trace" in capsys.readouterr().err


def test_compare_and_merge(tmp_path, capsys):
    def result(label, lat_end, rate):
        rec = ProgramRecord(
            "p", "chat", 0.0, [CallRecord("c0", [], 5, 10, 0, 0, 0.1, lat_end, 5, 10)]
        )
        return report.make_result(label, {}, [report.run_entry(rate, [rec], 1.0)], env={})

    merged = report.merge_results([result("a", 1.0, 1), result("a", 3.0, 1), result("a", 2.0, 2)])
    assert [r["repetition"] for r in merged["runs"]] == [0, 1, 0]
    assert report.curve(merged) == [(1.0, 0.2), (2.0, 0.2)]  # mean of 0.1 and 0.3 s/token
    pa = report.save_result(merged, tmp_path / "a.json")
    pb = report.save_result(result("b", 0.5, 1), tmp_path / "b.json")
    assert cli.main(["bench", "compare", str(pa), str(pb), "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    assert "4.00x" in out  # 0.2 / 0.05
    assert report.BREAKDOWN_HEADING in out
    assert (tmp_path / "cmp" / "compare.md").exists()
    (tmp_path / "x.json").write_text(json.dumps({"kind": "nope"}))
    assert cli.main(["bench", "compare", str(tmp_path / "x.json")]) == 2


def test_time_breakdown_table_hand_computed():
    rec = ProgramRecord("p", "chat", 0.0, [CallRecord("c0", [], 5, 10, 0, 0, 0.1, 1.0, 5, 10)])

    def server(queue_s, preempt, dropped=None, recomputed=None):
        srv = {"requests": 1.0, "mean_queue_s": queue_s, "mean_prefill_s": 0.02,
               "mean_decode_s": 0.2, "preemptions": preempt, "engine_steps": 100.0,
               "tokens_per_step": 20.0}  # fmt: skip
        if dropped is not None:
            srv["vllm_nexus_preempted_tokens_total"] = dropped
        if recomputed is not None:
            srv["vllm_nexus_recomputed_tokens_total"] = recomputed
        return srv

    nexus = report.make_result(
        "nexus",
        {},
        [
            report.run_entry(4, [rec], 1.0, server=server(0.1, 3, 300, 40)),
            report.run_entry(4, [rec], 1.0, server=server(0.3, 5, 500, 60)),
            # counter exported, nothing recomputed (delta 0 -> key omitted)
            report.run_entry(8, [rec], 1.0, server=server(0.2, 2, 100)),
        ],
        env={},
    )
    stock = report.make_result(
        "stock", {}, [report.run_entry(4, [rec], 1.0, server=server(0.5, 0))], env={}
    )
    old = report.make_result(
        "old", {}, [report.run_entry(4, [rec], 1.0, server=server(0.5, 7))], env={}
    )
    rows = report.time_breakdown_table([stock, nexus, old]).splitlines()[2:]
    # 2000 first-time tokens per run (vLLM's iteration tokens leave recompute out) plus the
    # recomputed ones: 2040 and 2060, mean 2050; (40 + 60) / 2 = 50 recomputed -> 2.44 %
    assert rows[0] == "| stock | 4 | 0 / 10 / 90 | 500.0 / 20.0 / 200.0 | 0 | 0 / 0 | 0.0 | 100 |"
    assert (
        rows[1] == "| nexus | 4 | 0 / 10 / 90 | 200.0 / 20.0 / 200.0 | 4 | 400 / 50 | 2.4 | 100 |"
    )
    assert rows[2] == "| nexus | 8 | 0 / 10 / 90 | 200.0 / 20.0 / 200.0 | 2 | 100 / 0 | 0.0 | 100 |"
    # preemptions but no vllm_nexus counters (older server): unknown, not zero
    assert rows[3] == "| old | 4 | 0 / 10 / 90 | 500.0 / 20.0 / 200.0 | 7 | — / — | — | 100 |"


def test_bench_and_simulate_load_the_same_programs():
    from vllm_nexus.bench import cli_common
    from vllm_nexus.sim.cli import load_runs

    argv = ["--workload", "mixed", "--programs", "9", "--seed", "2", "--calls-scale", "0.2",
            "--tokens-scale", "0.2", "--sweep-rates", "3,1"]  # fmt: skip
    parser = cli.build_parser()
    bench_args = parser.parse_args(["bench", *argv])
    sim_args = parser.parse_args(["simulate", *argv])
    rates = cli_common.rates(bench_args)
    assert rates == [1.0, 3.0] == cli_common.rates(sim_args)
    programs = cli_common.load_programs(bench_args)
    sim_runs = load_runs(sim_args, rates)
    for rate, (sim_rate, sim_programs) in zip(rates, sim_runs, strict=True):
        assert sim_rate == rate
        assert cli_common.at_rate(programs, rate, bench_args) == sim_programs
    # the context cap follows --tokens-scale in both (4096 x 0.2)
    assert cli_common.max_context(sim_args) == 819


def test_rate_zero_sends_every_program_at_once(tmp_path):
    f = tmp_path / "burst.jsonl"
    argv = ["bench", "--workload", "chat", "--programs", "5", "--rate", "0", "--dump-trace", str(f)]
    assert cli.main(argv) == 0
    assert {p.arrival_s for p in load_trace(f)} == {0.0}


def test_recompute_share_adds_recompute_to_vllms_first_time_tokens():
    srv = {"engine_steps": 100.0, "tokens_per_step": 9.0, "preemptions": 4.0,
           "vllm_nexus_preempted_tokens_total": 300.0,
           "vllm_nexus_recomputed_tokens_total": 100.0}  # fmt: skip
    # real engine: 900 first-time tokens + 100 recomputed
    assert report.recompute_share(srv) == pytest.approx(100 / 1000)
    # simulator: its steps already carry the recompute
    assert report.recompute_share(srv, simulated=True) == pytest.approx(100 / 900)
    # stock vLLM: no counter; unknown once it preempted, 0 if it did not
    assert report.recompute_share({"engine_steps": 100.0, "tokens_per_step": 9.0,
                                   "preemptions": 4.0}) is None  # fmt: skip
    assert report.recompute_share({"engine_steps": 100.0, "tokens_per_step": 9.0,
                                   "preemptions": 0.0}) == 0.0  # fmt: skip
    assert report.recompute_share(None) is None
    assert report.recompute_share({"preemptions": 0.0}) is None  # no step counts


def test_size_hint_sigma_reaches_the_bench_client_and_the_simulator(capsys):
    from vllm_nexus.bench import cli_common
    from vllm_nexus.perf.hardware import HARDWARE
    from vllm_nexus.perf.models import MODELS
    from vllm_nexus.sim.cli import _engine_spec

    parser = cli.build_parser()
    argv = ["--workload", "coding-agent", "--programs", "3", "--size-hint-sigma", "0.5"]
    sim_args = parser.parse_args(["simulate", *argv])
    spec = _engine_spec(sim_args, HARDWARE["a100"], MODELS["llama-3.1-8b"], "vllm_nexus", None)
    assert spec.size_hint_sigma == 0.5
    plain = parser.parse_args(["simulate", "--workload", "coding-agent"])
    assert _engine_spec(plain, HARDWARE["a100"], MODELS["llama-3.1-8b"], "vllm_nexus", None)
    assert plain.size_hint_sigma is None
    bad = parser.parse_args(["bench", "--workload", "chat", "--size-hint-sigma", "-1"])
    with pytest.raises(ValueError, match="--size-hint-sigma"):
        cli_common.check_scales(bad)
    assert cli.main(["bench", "--base-url", "http://x", "--workload", "chat",
                     "--size-hint-sigma", "nan"]) == 2  # fmt: skip
    assert "--size-hint-sigma" in capsys.readouterr().err
