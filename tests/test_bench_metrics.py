"""Program-level metrics, hand-computed (vllm_nexus.bench.metrics, report)."""

import math

import pytest

from vllm_nexus.bench import plots, report
from vllm_nexus.bench.metrics import (
    CallRecord,
    ProgramRecord,
    percentile,
    stats,
    summarize,
    throughput_at_latency,
)


def call(cid, after, ready, send, first, end, out, prompt=10, err=None):
    return CallRecord(cid, after, prompt, out, ready, send, first, end, prompt, out, None, 0, err)


def sequential():
    # arrival 1.0; c0 sent at 1.0, first token 1.5, end 2.0 (10 tok);
    # c1 ready 2.0, think 0.5 -> sent 2.5, first 3.0, end 4.0 (30 tok)
    return ProgramRecord(
        "seq",
        "chat",
        1.0,
        [call("c0", [], 1.0, 1.0, 1.5, 2.0, 10), call("c1", ["c0"], 2.0, 2.5, 3.0, 4.0, 30)],
    )


def parallel():
    # root r (0..1, 10 tok), fan-out a (1..5, 20 tok) and b (1..2, 50 tok), fan-in f after both
    # (ready 5, sent 5, first 5.5, end 6, 10 tok). Critical path r -> a -> f.
    return ProgramRecord(
        "par",
        "lats",
        0.0,
        [
            call("r", [], 0.0, 0.0, 0.5, 1.0, 10),
            call("a", ["r"], 1.0, 1.0, 2.0, 5.0, 20),
            call("b", ["r"], 1.0, 1.0, 1.2, 2.0, 50),
            call("f", ["a", "b"], 5.0, 5.0, 5.5, 6.0, 10),
        ],
    )


def test_sequential_program():
    p = sequential()
    assert p.e2e_s == 3.0
    assert p.token_latency_s == pytest.approx(3.0 / 40)
    assert p.token_latency_cp_s == pytest.approx(3.0 / 40)
    assert p.breakdown() == pytest.approx({"think_s": 0.5, "ttft_s": 1.0, "decode_s": 1.5})
    assert p.calls[1].ttft_s == 0.5 and p.calls[1].tbt_s == pytest.approx(1.0 / 29)


def test_parallel_program_critical_path():
    p = parallel()
    assert [c.call_id for c in p.critical_path()] == ["r", "a", "f"]
    assert p.e2e_s == 6.0
    assert p.token_latency_s == pytest.approx(6.0 / 90)  # all tokens
    assert p.token_latency_cp_s == pytest.approx(6.0 / 40)  # critical-path tokens
    bd = p.breakdown()
    assert bd == pytest.approx({"think_s": 0.0, "ttft_s": 0.5 + 1.0 + 0.5, "decode_s": 4.0})
    assert sum(bd.values()) == pytest.approx(p.e2e_s)


def test_failed_program_has_no_latency_and_is_counted():
    p = sequential()
    p.calls[1] = call("c1", ["c0"], 2.0, 2.5, None, None, 0, err="HTTP 500: boom")
    q = ProgramRecord("q", "chat", 0, [CallRecord("x", ["c1"], 1, 1, error="not sent")])
    assert p.e2e_s is None and p.token_latency_s is None and p.critical_path() == []
    s = summarize([p, parallel(), q])
    assert s["programs_failed"] == 2 and s["programs_ok"] == 1
    assert s["calls_failed"] == 2 and s["errors"] == {"HTTP 500: boom": 1, "not sent": 1}


def test_percentiles_and_stats():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 99) == 10
    assert percentile(list(range(101)), 95) == 95
    assert math.isnan(percentile([], 50))
    s = stats([1.0, None, 3.0])
    assert s["count"] == 2 and s["mean"] == 2.0 and s["max"] == 3.0


def test_summary_values():
    s = summarize([sequential(), parallel()])
    assert s["duration_s"] == 6.0  # first arrival (0) -> last call end (6)
    assert s["output_tokens"] == 130


def test_summary_values_duration():
    s = summarize([sequential(), parallel()], duration_s=10.0)
    assert s["throughput"]["output_tokens_per_s"] == 13.0
    assert s["program_e2e_s"]["mean"] == pytest.approx(4.5)
    assert s["program_token_latency_s"]["mean"] == pytest.approx((3 / 40 + 6 / 90) / 2)
    # breakdown over all programs: think 0.5, ttft 1.0+2.0, decode 1.5+4.0 of 9 s e2e
    assert s["breakdown_fraction"] == pytest.approx(
        {"think": 0.5 / 9, "ttft": 3.0 / 9, "decode": 5.5 / 9}
    )
    assert set(s["per_kind"]) == {"chat", "lats"}
    assert s["per_kind"]["lats"]["token_latency_s"]["mean"] == pytest.approx(6 / 90)


def test_throughput_at_latency():
    pts = [(1, 0.01), (2, 0.012), (4, 0.02), (8, 0.1)]
    t = throughput_at_latency(pts, 0.03)
    assert t["max_rate"] == 4 and not t["censored"]
    assert t["interp_rate"] == pytest.approx(4 + 4 * (0.03 - 0.02) / (0.1 - 0.02))
    assert throughput_at_latency(pts, 1.0)["censored"] is True
    assert throughput_at_latency(pts, 0.001)["max_rate"] is None
    # a rate that fails the SLO ends the search even if a higher one passes again
    assert throughput_at_latency([(1, 0.01), (2, 0.5), (4, 0.01)], 0.1)["max_rate"] == 1


def test_result_roundtrip_and_compare(tmp_path):
    runs_a = [report.run_entry(r, [sequential(), parallel()], 10.0, repetition=0) for r in (1, 2)]
    a = report.make_result("stock", {}, runs_a, slo=0.2, env={})
    fast = ProgramRecord("s", "chat", 1.0, [call("c0", [], 1.0, 1.0, 1.1, 1.5, 10)])
    b = report.make_result("nexus", {}, [report.run_entry(1, [fast], 5.0)], env={})
    pa = report.save_result(a, tmp_path / "a" / "result.json")
    pb = report.save_result(b, tmp_path / "b.json")
    la, lb = report.load_result(pa), report.load_result(pb)
    assert report.curve(la)[0][1] == pytest.approx((3 / 40 + 6 / 90) / 2)
    table = report.compare_table([la, lb])
    ratio = ((3 / 40 + 6 / 90) / 2) / (0.5 / 10)
    assert f"{ratio:.2f}x" in table
    assert "stock" in report.markdown_summary(la)
    plots.plot_latency_vs_rate([la, lb], tmp_path / "l.png", 0.2)
    plots.plot_cdf([la, lb], tmp_path / "c.png", rate=1)
    assert (tmp_path / "l.png").stat().st_size > 1000 and (tmp_path / "c.png").exists()


def test_load_result_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(report.ResultError, match="not JSON"):
        report.load_result(bad)
    bad.write_text('{"kind": "other"}')
    with pytest.raises(report.ResultError, match="not a vllm-nexus bench result"):
        report.load_result(bad)


def test_compare_shows_end_to_end_beside_token_latency_and_which_moved():
    def result(label, programs):
        return report.make_result(label, {}, [report.run_entry(4, programs, 10.0)], env={})

    def prog(pid, e2e, tokens):
        return ProgramRecord(pid, "chat", 0.0, [call("c0", [], 0, 0, 0.1, e2e, tokens)])

    # a short and a long program; the other scheduler serves the short one 4x sooner and
    # the long one a little later: the token-latency mean moves, the e2e mean does not
    stock = result("stock", [prog("s", 2.0, 10), prog("l", 10.0, 1000)])
    other = result("plas", [prog("s", 0.5, 10), prog("l", 11.0, 1000)])
    table = report.compare_table([stock, other])
    assert "| rate | stock mean e2e (s) | plas mean e2e (s) | ratio plas |" in table
    assert "| 4 | 6.00 | 5.75 | 1.04x |" in table  # (2 + 10) / 2 vs (0.5 + 11) / 2
    tok = ((2.0 / 10 + 10.0 / 1000) / 2) / ((0.5 / 10 + 11.0 / 1000) / 2)
    assert (
        f"plas at 4 prog/s: token latency {tok:.2f}x, end-to-end 1.04x "
        "(only token latency moved)" in table
    )
    assert report._which_moved(1.5, 0.8) == "both moved, in opposite directions"
    assert report._which_moved(1.05, 0.95) == "neither moved"
    assert report._which_moved(1.0, 1.3) == "only end-to-end latency moved"
