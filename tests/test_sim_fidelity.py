"""The fidelity comparison table (real repetitions vs one simulated run)."""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from pathlib import Path

import pytest

from vllm_nexus.bench import report
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


def _window(root: Path) -> None:
    """A fake fidelity window (plain files): two repetitions of stock-fcfs, each with a result,
    a step log (speed-probe markers, steps with engine-clock times, adds and finishes) and
    machine-probe samples around it."""
    for rep in (0, 1):
        t0 = 100.0 + 50 * rep
        run = _run(1, 2.0 + rep, 4.0 + rep, rep)
        run["summary"]["program_token_latency_s"] = {"mean": 0.02 + rep / 100, "p95": 0.05}
        run["wall_clock"] = [t0, t0 + 10]
        run["client_loop"] = {"stalls": rep, "stall_s": 0.1, "max_stall_s": 0.1, "run_queue_s": 0}
        run["programs"] = [{"calls": [{"send_s": 0.0, "end_s": 0.5 + rep}, {"end_s": None}]}]
        d = root / "real" / "stock-fcfs" / f"rep{rep}"
        d.mkdir(parents=True)
        (d / "result.json").write_text(json.dumps(make_result("stock-fcfs", {}, [run])))
        rows: list[dict] = [
            {"phase": "speed-probe", "t": t0 - 3},
            {"phase": "speed-probe-end", "t": t0 - 1},
        ]
        rows += [{"add": "a", "t": t0 + 0.1}, {"add": "b", "t": t0 + 0.2}]
        for k in range(20):
            t = t0 + 0.5 + 0.1 * k
            rows += [
                {"step": [0, 0.0, 0.0, 0.0, 2, 100.0 + k], "t": t, "c": t - t0},
                {"end": t + 0.03, "c": t - t0 + 0.02},
            ]
        rows += [{"fin": "a", "t": t0 + 0.4 + rep}, {"fin": "b", "t": t0 + 3.0}]
        (root / "steps").mkdir(exist_ok=True)
        (root / "steps" / f"stock-fcfs-rep{rep}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows)
        )
        (root / "machine").mkdir(exist_ok=True)
        samples = [{"t": t0 - 2, "python_ms": 2.0 + rep, "phase": "before", "burst": t0 - 2},
                   {"t": t0 + 12, "python_ms": 3.0, "phase": "after", "burst": t0 + 12}]  # fmt: skip
        (root / "machine" / f"stock-fcfs-rep{rep}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in samples)
        )
    (root / "calibration.json").write_text(json.dumps({"machine": {"python_ms": 2.0}}))


def _gzip_window(src: Path, dest: Path) -> None:
    """``src`` as committed under docs/results/: results and step logs gzipped."""
    shutil.copytree(src, dest)
    for path in [*dest.glob("real/*/rep*/result.json"), *dest.glob("steps/*.jsonl")]:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()


def _window_view(root: Path) -> dict:
    """Everything the report reads from a window's real runs and step logs."""
    from vllm_nexus.sim.speed import probe_window

    real = fidelity._real_results(root, ["stock-fcfs"])
    logged = list(fidelity._logged_reps(root, "stock-fcfs"))
    hw = str(root / "calibration.json")
    return {
        "real": (real["stock-fcfs"]["label"], real["stock-fcfs"]["runs"]),
        "reps": [(rep, result) for rep, _, result in logged],
        "client loop": fidelity.client_loop_lines(root, ["stock-fcfs"]),
        "call split": [fidelity.call_time_split(log, result) for _, log, result in logged],
        "probe windows": [probe_window(log) for _, log, _ in logged],
        "machine": fidelity._machine(root, "stock-fcfs", "a100", real),
        "step classes": fidelity._class_lines(root, real, "a100"),
        "probe factors": fidelity.probe_factors(root, "stock-fcfs", hw),
    }


def test_a_committed_gzipped_window_reads_as_the_plain_one(tmp_path):
    _window(tmp_path / "plain")
    _gzip_window(tmp_path / "plain", tmp_path / "gz")
    assert not list((tmp_path / "gz").rglob("result.json"))
    assert not list((tmp_path / "gz" / "steps").glob("*.jsonl"))
    plain, gz = _window_view(tmp_path / "plain"), _window_view(tmp_path / "gz")
    assert gz == plain
    # the view is not empty: two repetitions, each with its step log, calls, probe and steps
    assert [rep for rep, _ in plain["reps"]] == ["rep0", "rep1"]
    assert len(plain["real"][1]) == 2
    # rep1: one finished call, 1.5 s at the client; engine: a 1.3 s, b 2.8 s
    assert plain["call split"][1][1.0] == pytest.approx((1.5, 2.05, 1))
    assert plain["probe windows"] == [(97.0, 99.0), (147.0, 149.0)]
    assert set(plain["machine"]) == {1.0}
    assert [row.split(" |")[0] for row in plain["step classes"][2:]] == [
        "| stock-fcfs (rep0)",
        "| stock-fcfs (rep1)",
    ]
    assert plain["probe factors"] == {1.0: (2.5 / 2 + 3.0 / 2) / 2}  # medians around each
    logs = [log.name for _, log, _ in fidelity._logged_reps(tmp_path / "gz", "stock-fcfs")]
    assert logs == ["stock-fcfs-rep0.jsonl.gz", "stock-fcfs-rep1.jsonl.gz"]


def test_the_plain_file_wins_over_its_gzipped_twin(tmp_path):
    path = tmp_path / "result.json"
    with pytest.raises(FileNotFoundError):
        report.read_text(path)
    assert report.plain_or_gz(path) is None
    (tmp_path / "result.json.gz").write_bytes(gzip.compress(b"gz"))
    assert report.plain_or_gz(path) == tmp_path / "result.json.gz"
    assert report.read_text(path) == "gz"
    assert report.read_text(tmp_path / "result.json.gz") == "gz"  # named directly
    path.write_text("plain")
    assert report.plain_or_gz(path) == path
    assert report.read_text(path) == "plain"


def test_load_result_reads_a_gzipped_result(tmp_path):
    result = make_result("stock", {}, [_run(1, 2.0, 4.0)])
    (tmp_path / "result.json.gz").write_bytes(gzip.compress(json.dumps(result).encode()))
    got = report.load_result(tmp_path / "result.json")
    assert got["runs"] == result["runs"]
    assert got["_path"] == str(tmp_path / "result.json.gz")
    (tmp_path / "bad" / "result.json.gz").parent.mkdir()
    (tmp_path / "bad" / "result.json.gz").write_bytes(gzip.compress(b"{}")[:-6])  # truncated
    with pytest.raises(report.ResultError, match="cannot read"):
        report.load_result(tmp_path / "bad" / "result.json")


def test_a_gzipped_repetition_is_done(tmp_path):
    rep = tmp_path / "real" / "stock-fcfs" / "rep0"
    rep.mkdir(parents=True)
    (rep / "summary.md").write_text("")
    assert not fidelity.rep_done(rep)  # started, no result: run it again
    (rep / "result.json.gz").write_bytes(gzip.compress(b"{}"))
    assert fidelity.rep_done(rep)
    assert not fidelity.rep_done(tmp_path / "real" / "stock-fcfs" / "rep1")  # never started
    (tmp_path / "real" / "stock-fcfs" / "rep1").mkdir()
    (tmp_path / "real" / "stock-fcfs" / "rep1" / "result.json").write_text("{}")
    assert fidelity.rep_done(tmp_path / "real" / "stock-fcfs" / "rep1")


def _three_reps(tmp_path: Path) -> tuple[dict, dict]:
    # per repetition at rate 1: mean 2, 3, 7 and P95 4, 6, 20; one simulated run 3.6 / 7.5
    real = make_result(
        "stock", {}, [_run(1, 2.0, 4.0), _run(1, 7.0, 20.0, 1), _run(1, 3.0, 6.0, 2)]
    )
    sim = make_result("stock-fcfs", {}, [_run(1, 3.6, 7.5)], simulated=True)
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(sim))
    return {"stock-fcfs": real}, {"stock-fcfs": path}


def test_sweep_table_mean_rule_on_three_repetitions(tmp_path):
    table, errors = sweep_table(*_three_reps(tmp_path), real_stat="mean")
    # mean (2+7+3)/3 = 4 -> 3.6 is -10%; P95 (4+20+6)/3 = 10 -> 7.5 is -25%
    assert (
        "| stock-fcfs | 1 | 3 | 4.00 [2.00-7.00] | 3.60 | -10% | 10.00 [4.00-20.00] | 7.50 | -25% |"
        in table
    )
    assert [round(e, 2) for e in errors] == [0.1, 0.25]
    assert "real mean e2e (s), mean of reps [min-max]" in table.splitlines()[0]
    assert "real P95 e2e (s), mean of reps [min-max]" in table.splitlines()[0]
    assert sweep_table(*_three_reps(tmp_path))[0] == table  # the default


def test_sweep_table_median_rule_on_three_repetitions(tmp_path):
    table, errors = sweep_table(*_three_reps(tmp_path), real_stat="median")
    # median 3 -> 3.6 is +20%; P95 median 6 -> 7.5 is +25%; the range is still min-max
    assert (
        "| stock-fcfs | 1 | 3 | 3.00 [2.00-7.00] | 3.60 | +20% | 6.00 [4.00-20.00] | 7.50 | +25% |"
        in table
    )
    assert [round(e, 2) for e in errors] == [0.2, 0.25]
    assert "real mean e2e (s), median of reps [min-max]" in table.splitlines()[0]
    assert "real P95 e2e (s), median of reps [min-max]" in table.splitlines()[0]
    assert "mean of reps" not in table


def test_real_stat_option(capsys):
    p = argparse.ArgumentParser()
    fidelity.add_arguments(p)
    assert p.parse_args(["--out", "x"]).real_stat == "mean"
    assert p.parse_args(["--out", "x", "--real-stat", "median"]).real_stat == "median"
    with pytest.raises(SystemExit) as e:
        p.parse_args(["--out", "x", "--real-stat", "mode"])
    assert e.value.code == 2
    assert "invalid choice: 'mode'" in capsys.readouterr().err


def test_finished_reps_come_in_repetition_order_past_nine(tmp_path: Path) -> None:
    for k in (0, 1, 2, 10, 11):
        (tmp_path / f"rep{k}").mkdir()
        (tmp_path / f"rep{k}" / "result.json").write_text("{}")
    (tmp_path / "rep3").mkdir()  # not finished: no result
    names = [d.name for d, _ in fidelity.finished_reps(tmp_path)]
    assert names == ["rep0", "rep1", "rep2", "rep10", "rep11"]


def _fake_servers(monkeypatch: pytest.MonkeyPatch, fail_at: str | None = None) -> list[tuple]:
    """Replace the real server + bench with a fake that appends a step line to the log and
    writes a result with one run per rate; records each call."""
    calls: list[tuple] = []

    def serve(args, out, trace, sched, rates, salt, dest, log, tag, probe_tag):
        calls.append((rates, salt, dest.name, tag, probe_tag))
        if rates == fail_at:
            raise RuntimeError("server died")
        with open(log, "a") as f:
            f.write(json.dumps({"rates": rates}) + "\n")
        runs = [_run(float(r), 1.0, 2.0) for r in rates.split(",")]
        report.save_result(make_result(sched, {}, runs), dest / "result.json")

    monkeypatch.setattr(fidelity, "_serve_and_replay", serve)
    return calls


def _fidelity_args(*extra: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    fidelity.add_arguments(p)
    return p.parse_args(["--out", "x", "--sweep-rates", "6,12", *extra])


def test_each_rate_of_a_repetition_gets_a_fresh_server(tmp_path, monkeypatch):
    calls = _fake_servers(monkeypatch)
    fidelity._real_run(_fidelity_args(), tmp_path, tmp_path / "t.jsonl", "vllm_nexus", 2)
    # one server per rate, each with the salt a one-server sweep gives that rate
    assert calls == [
        ("6", "fidelity-vllm_nexus-2-0", "rate0", "vllm_nexus-rep2-rate0", None),
        ("12", "fidelity-vllm_nexus-2-1", "rate1", "vllm_nexus-rep2-rate1", None),
    ]
    rep = tmp_path / "real" / "vllm_nexus" / "rep2"
    assert fidelity.rep_done(rep)
    merged = report.load_result(rep / "result.json")
    assert [(r["rate"], r["repetition"]) for r in merged["runs"]] == [(6.0, 0), (12.0, 0)]
    assert merged["label"] == "vllm_nexus"
    # both servers' steps in the repetition's one step log
    log = tmp_path / "steps" / "vllm_nexus-rep2.jsonl"
    assert [json.loads(line)["rates"] for line in log.read_text().splitlines()] == ["6", "12"]
    fidelity._real_run(_fidelity_args(), tmp_path, tmp_path / "t.jsonl", "vllm_nexus", 2)
    assert len(calls) == 2  # done: not run again


def test_a_repetition_resumes_at_its_first_unfinished_rate(tmp_path, monkeypatch):
    calls = _fake_servers(monkeypatch, fail_at="12")
    args = _fidelity_args("--speed-probe")
    with pytest.raises(RuntimeError, match="server died"):
        fidelity._real_run(args, tmp_path, tmp_path / "t.jsonl", "stock-fcfs", 0)
    assert not fidelity.rep_done(tmp_path / "real" / "stock-fcfs" / "rep0")
    calls = _fake_servers(monkeypatch)
    fidelity._real_run(args, tmp_path, tmp_path / "t.jsonl", "stock-fcfs", 0)
    # only the unfinished rate runs again; each rate's server is probed, under its own markers
    assert calls == [("12", "fidelity-stock-fcfs-0-1", "rate1", "stock-fcfs-rep0-rate1", "@rate1")]
    log = tmp_path / "steps" / "stock-fcfs-rep0.jsonl"
    assert [json.loads(line)["rates"] for line in log.read_text().splitlines()] == ["6", "12"]
    runs = report.load_result(tmp_path / "real" / "stock-fcfs" / "rep0" / "result.json")["runs"]
    assert [r["rate"] for r in runs] == [6.0, 12.0]


def test_one_server_replays_every_rate_in_turn(tmp_path, monkeypatch):
    calls = _fake_servers(monkeypatch)
    args = _fidelity_args("--one-server", "--speed-probe")
    fidelity._real_run(args, tmp_path, tmp_path / "t.jsonl", "stock-fcfs", 1)
    assert calls == [("6,12", "fidelity-stock-fcfs-1", "rep1", "stock-fcfs-rep1", "")]
    runs = report.load_result(tmp_path / "real" / "stock-fcfs" / "rep1" / "result.json")["runs"]
    assert [r["rate"] for r in runs] == [6.0, 12.0]


def _fake_calibrations(monkeypatch, overheads: dict[str, float]) -> list[str]:
    """Fake `simulate calibrate` (a profile whose step overhead is ``overheads[tag]`` for
    ``calibration-<tag>.json``) and real runs; returns the events in order:
    ``<profile>:<--servers or default>`` and ``<scheduler><repetition>``."""
    from vllm_nexus.perf.hardware import HARDWARE

    events: list[str] = []

    def cli(*argv: str) -> None:
        assert argv[:2] == ("simulate", "calibrate")
        dest = Path(argv[argv.index("--out") + 1])
        servers = argv[argv.index("--servers") + 1] if "--servers" in argv else "default"
        events.append(f"{dest.name}:{servers}")
        overhead = overheads[dest.stem.removeprefix("calibration-")]
        hw = HARDWARE["cpu-here"].with_updates(step_overhead_s=overhead)
        dest.write_text(json.dumps({"hardware": hw.to_dict()}))

    monkeypatch.setattr(fidelity, "_cli", cli)
    monkeypatch.setattr(fidelity, "_real_run", lambda a, o, t, s, rep: events.append(f"{s}{rep}"))
    monkeypatch.setattr(fidelity, "client_loop_lines", lambda out, scheds: [])
    return events


def test_bracket_calibrates_before_and_after_the_real_runs_and_predicts_with_the_midpoint(
    tmp_path, monkeypatch, capsys
):
    """`--hardware bracket` (docs/simulator.md, "The bracketing protocol"): a calibration
    right before the real runs and one right after them, the prediction's profile their
    midpoint; a resumed window keeps its calibrations, and a report without the end one is
    an error rather than a calibration that does not bracket the runs."""
    from vllm_nexus.perf.hardware import load_profile

    events = _fake_calibrations(monkeypatch, {"start": 2e-3, "end": 4e-3})
    out = tmp_path / "w"
    argv = ["--out", str(out), "--trace", str(tmp_path / "t.jsonl"), "--hardware", "bracket"]
    assert fidelity.main([*argv, "--reps", "2", "--real-only"]) == 0
    assert events == ["calibration-start.json:default", "stock-fcfs0", "vllm_nexus0",
                      "vllm_nexus1", "stock-fcfs1", "calibration-end.json:default"]  # fmt: skip
    args = _fidelity_args("--hardware", "bracket")
    mid = load_profile(fidelity._hardware(args, out))
    assert mid.step_overhead_s == pytest.approx(3e-3)
    events.clear()
    assert fidelity.main([*argv, "--real-only"]) == 0  # resumed: calibrations kept
    assert events == ["stock-fcfs0", "vllm_nexus0"]
    (out / "calibration-end.json").unlink()
    events.clear()
    assert fidelity.main([*argv, "--skip-real"]) == 2
    assert "no calibration-end.json" in capsys.readouterr().err and events == []


def test_interleave_calibrates_between_repetitions_and_predicts_with_the_centre(
    tmp_path, monkeypatch, capsys
):
    """`--hardware interleave` (docs/simulator.md, "Interleaved calibrations"): the bracket's
    two calibrations plus a one-server calibration before every later repetition, the
    prediction's profile the centre of all of them (rep10 after rep2); a resumed window keeps
    its calibrations; a report without the end one is an error."""
    from vllm_nexus.perf.hardware import load_profile

    overheads = {"start": 2e-3, "rep1": 3e-3, "rep2": 4e-3, "end": 7e-3}
    events = _fake_calibrations(monkeypatch, overheads)
    out = tmp_path / "w"
    argv = ["--out", str(out), "--trace", str(tmp_path / "t.jsonl"), "--hardware", "interleave"]
    assert fidelity.main([*argv, "--reps", "3", "--real-only"]) == 0
    assert events == ["calibration-start.json:default", "stock-fcfs0", "vllm_nexus0",
                      "calibration-rep1.json:1", "vllm_nexus1", "stock-fcfs1",
                      "calibration-rep2.json:1", "stock-fcfs2", "vllm_nexus2",
                      "calibration-end.json:default"]  # fmt: skip
    args = _fidelity_args("--hardware", "interleave")
    centre = fidelity._hardware(args, out)
    assert Path(centre).name == "calibration-centre.json"
    assert load_profile(centre).step_overhead_s == pytest.approx(4e-3)
    doc = json.loads(Path(centre).read_text())
    assert [Path(p).stem for p in doc["midpoint_of"]] == [
        "calibration-start", "calibration-rep1", "calibration-rep2", "calibration-end"]  # fmt: skip
    shutil.copy(out / "calibration-rep2.json", out / "calibration-rep10.json")
    names = [p.stem for p in fidelity.interleaved_calibrations(out)]
    assert names[2:4] == ["calibration-rep2", "calibration-rep10"]
    events.clear()
    assert fidelity.main([*argv, "--reps", "3", "--real-only"]) == 0  # resumed: kept
    assert not [e for e in events if e.startswith("calibration")]
    (out / "calibration-end.json").unlink()
    events.clear()
    assert fidelity.main([*argv, "--skip-real"]) == 2
    assert "interleave" in capsys.readouterr().err and events == []


def test_call_by_call_replays_each_repetitions_sends_and_compares_the_same_calls(tmp_path):
    """A "real" repetition that is itself a simulation of the trace: replaying its send times
    must give back the same calls (ratios 1.00, no late send) through the whole pipeline
    (`simulate --send-times` in a subprocess, the table of `--call-by-call`)."""
    from vllm_nexus.cli import main

    trace = tmp_path / "t.jsonl"
    assert main(["bench", "--workload", "map-reduce", "--programs", "8", "--seed", "3",
                 "--calls-scale", "0.5", "--tokens-scale", "0.25", "--rate", "1",
                 "--dump-trace", str(trace)]) == 0  # fmt: skip
    args = argparse.Namespace(programs=8, sweep_rates="4,8", seed=3, arrival_cv=1.0,
                              think_scale=0.3, engine_args="--max-num-seqs 8")  # fmt: skip
    real = fidelity._simulate(args, trace, "cpu-here", "vllm_nexus", tmp_path / "closed")
    rep = tmp_path / "out" / "real" / "vllm_nexus" / "rep0"
    rep.mkdir(parents=True)
    shutil.copy(real, rep / "result.json")
    lines = fidelity._call_by_call_lines(args, tmp_path / "out", trace, "cpu-here", ["vllm_nexus"])
    rows = [line.split(" | ") for line in lines[2:]]
    assert {(r[1], r[2]) for r in rows} == {
        (rate, group)
        for rate in ("4", "8")
        for group in ("first calls", "later calls", "all calls")
    }
    assert all(r[5] == "1.00" and r[7] == "1.00" for r in rows)
    assert all(r[8].strip(" |") == "0" for r in rows if r[2] == "all calls")
    assert (tmp_path / "out" / "call-by-call" / "vllm_nexus" / "rep0").is_dir()
