"""The fidelity comparison table (real repetitions vs one simulated run)."""

from __future__ import annotations

import json

from vllm_nexus.bench.report import make_result
from vllm_nexus.sim import fidelity
from vllm_nexus.sim.fidelity import sweep_table


def _run(rate: float, mean: float, p95: float, rep: int = 0) -> dict:
    return {
        "rate": rate,
        "repetition": rep,
        "salt": "",
        "duration_s": 1.0,
        "summary": {"program_e2e_s": {"mean": mean, "p95": p95}},
        "server": None,
        "programs": [],
    }


def test_sweep_table_averages_repetitions_and_reports_errors(tmp_path):
    real = make_result("stock", {}, [_run(1, 2.0, 4.0), _run(1, 4.0, 8.0, 1), _run(2, 5.0, 10.0)])
    sim = make_result("stock-fcfs", {}, [_run(1, 3.3, 6.0), _run(2, 5.0, 13.0)], simulated=True)
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(sim))
    table, errors = sweep_table({"stock-fcfs": real}, {"stock-fcfs": path})
    # rate 1: real mean (2+4)/2 = 3.0 -> sim 3.3 = +10%; P95 6.0 -> 6.0 = 0%
    assert (
        "| stock-fcfs | 1 | 2 | 3.00 [2.00-4.00] | 3.30 | +10% | 6.00 [4.00-8.00] | 6.00 | +0% |"
        in table
    )
    # rate 2: mean exact, P95 +30% (outside the 20% target)
    assert "| +30% |" in table
    assert [round(e, 2) for e in errors] == [0.1, 0.0, 0.0, 0.3]
    assert "3/4 within 20%" in table


def test_sweep_table_averages_simulated_repetitions(tmp_path):
    # the speed-probed prediction simulates each real repetition with its own server's
    # factor: the simulated value is their mean, as the real one
    real = make_result("stock", {}, [_run(1, 2.0, 4.0), _run(1, 4.0, 8.0, 1)])
    sim = make_result("stock-fcfs", {}, [_run(1, 3.0, 5.0), _run(1, 3.6, 7.0, 1)], simulated=True)
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(sim))
    table, errors = sweep_table({"stock-fcfs": real}, {"stock-fcfs": path})
    assert (
        "| stock-fcfs | 1 | 2 | 3.00 [2.00-4.00] | 3.30 | +10% | 6.00 [4.00-8.00] | 6.00 | +0% |"
        in table
    )
    assert [round(e, 2) for e in errors] == [0.1, 0.0]


def test_logged_reps_yields_only_repetitions_with_a_step_log(tmp_path):
    for rep in ("rep0", "rep1"):
        d = tmp_path / "real" / "vllm_nexus-plas" / rep
        d.mkdir(parents=True)
        (d / "result.json").write_text(json.dumps({"runs": [{"rate": 1.0, "rep": rep}]}))
    (tmp_path / "steps").mkdir()
    log = tmp_path / "steps" / "vllm_nexus-plas-rep1.jsonl"
    log.write_text("")
    got = list(fidelity._logged_reps(tmp_path, "vllm_nexus:plas"))
    assert got == [("rep1", log, {"runs": [{"rate": 1.0, "rep": "rep1"}]})]
    assert list(fidelity._logged_reps(tmp_path, "stock-fcfs")) == []


def test_metric_tables_one_labelled_section_per_metric(tmp_path):
    def run(rate: float, tok: float, e2e: float) -> dict:
        r = _run(rate, e2e, 2 * e2e)
        r["summary"]["program_token_latency_s"] = {"mean": tok, "p95": 2 * tok}
        return r

    real = make_result("stock", {}, [run(1, 0.020, 2.0)])
    sim = make_result("stock-fcfs", {}, [run(1, 0.030, 2.0)], simulated=True)
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(sim))
    sections = fidelity._metric_tables({"stock-fcfs": real}, {"stock-fcfs": path}, "Label")
    assert [s.splitlines()[0] for s in sections] == [
        "#### Label: `program_token_latency_s`",
        "#### Label: `program_e2e_s`",
    ]
    assert "| 20.00 [20.00-20.00] | 30.00 | +50% |" in sections[0]  # shown in ms/tok
    assert "| +0% |" in sections[1]


def test_client_loop_lines_one_row_per_run_and_a_count_of_stalled_runs(tmp_path):
    quiet = {"stalls": 0, "stall_s": 0.0, "max_stall_s": 0.0, "run_queue_s": 0.0}
    late = {"stalls": 3, "stall_s": 1.234, "max_stall_s": 0.9, "run_queue_s": 1.2}
    for name, runs in (
        ("stock-fcfs/rep0", [{"rate": 1.0, "client_loop": quiet}, {"rate": 3.0, "client_loop": late}]),
        ("vllm_nexus-plas/rep0", [{"rate": 1.0}]),  # a run made before the client watched its loop
    ):  # fmt: skip
        d = tmp_path / "real" / name
        d.mkdir(parents=True)
        (d / "result.json").write_text(json.dumps({"runs": runs}))
    (tmp_path / "real" / "stock-fcfs" / "rep1").mkdir()  # an unfinished repetition: no row
    lines = fidelity.client_loop_lines(tmp_path, ["stock-fcfs", "vllm_nexus:plas"])
    assert lines[2:5] == [
        "| stock-fcfs | rep0 | 1 | 0 | 0.00 | 0.00 | 0.00 |",
        "| stock-fcfs | rep0 | 3 | 3 | 1.23 | 0.90 | 1.20 |",
        "| vllm_nexus:plas | rep0 | 1 | not recorded | - | - | - |",
    ]
    assert lines[-1] == "1 of 3 runs had client stalls."


def test_probe_factors_from_samples_taken_around_each_run(tmp_path):
    def rows(phase: str, burst: float, ms: float) -> list[dict]:
        return [{"t": burst + i, "python_ms": ms, "phase": phase, "burst": burst} for i in range(3)]

    hw = tmp_path / "calibration.json"
    hw.write_text(json.dumps({"machine": {"python_ms": 2.0}}))
    d = tmp_path / "real" / "stock-fcfs" / "rep0"
    d.mkdir(parents=True)
    runs = [
        {"rate": 1.0, "wall_clock": [100.0, 130.0]},
        {"rate": 3.0, "wall_clock": [131.0, 160.0]},
    ]
    (d / "result.json").write_text(json.dumps({"runs": runs}))
    (tmp_path / "machine").mkdir()
    samples = rows("before", 50.0, 2.0) + rows("after", 170.0, 4.0)
    (tmp_path / "machine" / "stock-fcfs-rep0.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in samples)
    )
    # no sample falls inside either run: both rates take the median around the server, 3.0
    assert fidelity.probe_factors(tmp_path, "stock-fcfs", str(hw)) == {1.0: 1.5, 3.0: 1.5}
