"""The machine-speed probe (`vllm-nexus simulate probe`): fixed work, parsed /proc/stat, the
speed factor between two probes."""

from __future__ import annotations

import json

import pytest

from vllm_nexus.sim import probe


def test_python_work_is_fixed_work():
    # same result every time and it depends on n: the loop really runs
    assert probe.python_work(1000) == probe.python_work(1000)
    assert probe.python_work(1000) != probe.python_work(2000)


def test_cpu_stat_reads_steal_and_total(tmp_path):
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 10 50 800 5 0 5 30 7 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n")
    steal, total = probe.cpu_stat(str(stat))
    assert steal == 30
    assert total == 100 + 10 + 50 + 800 + 5 + 0 + 5 + 30  # guest time is inside user already


def test_cpu_stat_missing_file_is_zero(tmp_path):
    assert probe.cpu_stat(str(tmp_path / "nope")) == (0, 0)


def test_measure_quick_fields():
    rec = probe.measure(reps=3, dual=False, matmul=False)
    assert rec["python_ms"] > 0
    assert rec["python_min_ms"] <= rec["python_ms"]
    assert 0.0 <= rec["steal_share"] <= 1.0
    assert "dual_ratio" not in rec and "matmul_ms" not in rec


def test_machine_factor():
    assert probe.machine_factor({"python_ms": 3.0}, {"python_ms": 2.0}) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="python_ms"):
        probe.machine_factor({}, {"python_ms": 2.0})


def test_cli_appends_json_lines(tmp_path, capsys):
    import argparse

    p = argparse.ArgumentParser()
    probe.add_arguments(p)
    out = tmp_path / "p.jsonl"
    for label in ("a", "b"):
        assert probe.run(p.parse_args(["--quick", "--reps", "2", "--out", str(out),
                                       "--label", label])) == 0  # fmt: skip
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["label"] for r in recs] == ["a", "b"]


def test_mean_probe_and_rescale():
    from vllm_nexus.perf.hardware import get_hardware

    m = probe.mean_probe([{"python_ms": 2.0, "x": "a"}, {"python_ms": 4.0, "x": "b"}])
    assert m == {"python_ms": 3.0}
    with pytest.raises(ValueError):
        probe.mean_probe([])
    hw = get_hardware("cpu-here")
    slow = probe.rescale(hw, 1.5, 1.2)
    for f in probe.PYTHON_FIELDS:
        assert getattr(slow, f) == pytest.approx(getattr(hw, f) * 1.5)
    assert slow.peak_flops == pytest.approx(hw.peak_flops / 1.2)
    assert slow.mem_bw == pytest.approx(hw.mem_bw / 1.2)
    assert slow.frontend_engine_stretch == hw.frontend_engine_stretch
    assert slow.frontend_busy_speed == hw.frontend_busy_speed
    assert probe.rescale(hw, 1.0).step_overhead_s == hw.step_overhead_s
    with pytest.raises(ValueError):
        probe.rescale(hw, 0.0)


def test_window_speed_and_samples(tmp_path):
    rows = [
        {"t": 1.0, "python_ms": 3.0},
        {"t": 2.0, "python_ms": 5.0},
        {"t": 9.0, "python_ms": 100.0},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert probe.read_samples(path) == rows
    assert probe.window_speed(rows, 0.0, 5.0) == 4.0
    assert probe.window_speed(rows, 20.0, 30.0) is None


def _calibration_log(tmp_path, frontend_phase: str):
    """A calibration step log whose designed-load window is [10, 20] s."""
    log = tmp_path / "steps.jsonl"
    log.write_text(
        json.dumps({"step": [0, 0, 0, 0, 1, 64.0], "t": 10.0}) + "\n"
        + json.dumps({"end": 10.01}) + "\n"
        + json.dumps({"phase": frontend_phase, "t": 20.0}) + "\n"
    )  # fmt: skip
    return log


def test_calibration_machine_speed_is_the_designed_load_window(tmp_path):
    from vllm_nexus.sim.calibrate import FRONTEND_PHASE, machine_speed

    log = _calibration_log(tmp_path, FRONTEND_PHASE)
    samples = tmp_path / "m.jsonl"
    assert machine_speed(log, samples) is None  # no samples
    rows = [(5.0, 99.0), (11.0, 2.0), (15.0, 4.0), (19.0, 3.0), (25.0, 99.0)]
    samples.write_text("".join(json.dumps({"t": t, "python_ms": v}) + "\n" for t, v in rows))
    m = machine_speed(log, samples)
    assert m is not None
    assert m["python_ms"] == 3.0 and m["samples"] == 3 and m["window"] == [10.0, 20.0]


def test_calibration_machine_speed_of_a_gzipped_log_finds_its_samples(tmp_path):
    # committed calibrations keep X.jsonl.gz beside X.jsonl.machine.jsonl (plain or gzipped)
    import gzip

    from vllm_nexus.sim.calibrate import FRONTEND_PHASE, _samples_path, machine_speed

    log = _calibration_log(tmp_path, FRONTEND_PHASE)
    gz_log = log.with_name(log.name + ".gz")
    gz_log.write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    samples = _samples_path(gz_log)
    assert samples.name == log.name + ".machine.jsonl"
    rows = [(11.0, 2.0), (15.0, 4.0), (19.0, 3.0)]
    text = "".join(json.dumps({"t": t, "python_ms": v}) + "\n" for t, v in rows)
    samples.with_name(samples.name + ".gz").write_bytes(gzip.compress(text.encode()))
    m = machine_speed(gz_log, samples)
    assert m is not None and m["python_ms"] == 3.0 and m["samples"] == 3


def test_calibration_machine_speed_from_samples_around_the_load(tmp_path):
    from vllm_nexus.sim.calibrate import FRONTEND_PHASE, machine_speed

    log = _calibration_log(tmp_path, FRONTEND_PHASE)
    samples = tmp_path / "m.jsonl"
    # an older calibration's bracket (appended to the same file), then this one's
    rows = [("before", 1.0, 1.0, 99.0), ("after", 2.0, 2.0, 99.0),
            ("before", 8.0, 8.0, 2.0), ("before", 8.0, 8.1, 3.0),
            ("after", 30.0, 30.0, 5.0), ("after", 30.0, 30.1, 6.0)]  # fmt: skip
    samples.write_text(
        "".join(
            json.dumps({"t": t, "python_ms": v, "phase": p, "burst": b}) + "\n"
            for p, b, t, v in rows
        )
    )
    m = machine_speed(log, samples)
    assert m is not None
    assert m["python_ms"] == 4.0 and m["samples"] == 4 and m["sampled"] == "around"


def test_bracket_samples_before_and_after_the_block_in_this_process(tmp_path):
    import time

    path = tmp_path / "s.jsonl"
    with probe.Bracket(path, n=3, every_s=0.01):
        t_in = time.time()
        assert [r["phase"] for r in probe.read_samples(path)] == ["before"] * 3
        t_out = time.time()
    got = probe.read_samples(path)
    assert [r["phase"] for r in got] == ["before"] * 3 + ["after"] * 3
    assert all(r["python_ms"] > 0 for r in got)
    assert len({r["burst"] for r in got}) == 2
    assert all(r["t"] <= t_in for r in got[:3]) and all(r["t"] >= t_out for r in got[3:])
    assert probe.run_speed(got, t_in, t_out) == probe.bracket_speed(got, t_in, t_out)
    assert probe.bracket_speed(got, t_in, t_out) is not None
    # a run not enclosed by the bursts has no bracket
    assert probe.bracket_speed(got, t_in - 100, t_out) is None


def test_bracket_skips_the_after_samples_of_a_failed_run(tmp_path):
    path = tmp_path / "s.jsonl"
    with pytest.raises(RuntimeError), probe.Bracket(path, n=2, every_s=0.0):
        raise RuntimeError("server failed")
    assert [r["phase"] for r in probe.read_samples(path)] == ["before"] * 2


def test_run_speed_reads_samples_taken_beside_a_run_as_before():
    rows = [
        {"t": 1.0, "python_ms": 3.0},
        {"t": 2.0, "python_ms": 5.0},
        {"t": 9.0, "python_ms": 9.0},
    ]
    assert probe.run_speed(rows, 0.0, 5.0) == 4.0
