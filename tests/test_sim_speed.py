"""The speed probe and the speed-probed prediction (vllm_nexus.sim.speed, simulate fidelity):
the ratio of one-request decode steps to the profile's model, the factor against the
profile's reference, the scaled profile, and the probe against a real recording server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vllm_nexus.perf.hardware import get_hardware, load_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim import fidelity, speed

B1 = [0, 0, 0, 0, 1, 100.0]  # one request, a decode over 100 tokens
B2 = [0, 0, 0, 0, 2, 200.0]
PREFILL = [1, 64, 2080.0, 64, 0, 0.0]


def _log(path: Path, rows: list[tuple[list[float], float]], t0: float = 100.0,
         phases: dict[str, int] | None = None) -> Path:  # fmt: skip
    """A step log of back-to-back steps (period = the given seconds on both clocks); a
    phase marker before step index ``phases[name]``."""
    lines, t, c = [], t0, 10.0
    at = {i: name for name, i in (phases or {}).items()}
    for i, (comp, dt) in enumerate(rows):
        if i in at:
            lines.append({"phase": at[i], "t": t - 1e-6})
        lines.append({"step": comp, "t": t, "c": c})
        lines.append({"end": t + 0.8 * dt, "c": c + 0.8 * dt})
        t, c = t + dt, c + dt
    if len(rows) in at:
        lines.append({"phase": at[len(rows)], "t": t})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_decode_ratio_uses_only_one_request_decode_steps():
    steps = [(B1, 0.002)] * 60 + [(B1, 0.004)] * 40 + [(B2, 1.0), (PREFILL, 1.0)]
    r = speed.decode_ratio(steps, lambda *c: 0.001)
    assert r.steps == 100  # the 2-request and prefill steps are not counted
    assert r.ratio == pytest.approx(2.0)  # the median of 60 x 2.0 and 40 x 4.0
    assert r.median_step_ms == pytest.approx(2.0)
    with pytest.raises(ValueError, match="one-request decode steps"):
        speed.decode_ratio(steps[: speed.MIN_STEPS - 1], lambda *c: 0.001)


def test_speed_factor_is_the_ratio_now_over_the_reference_and_refuses_nonsense():
    assert speed.speed_factor(1.5, 1.2) == pytest.approx(1.25)
    assert speed.speed_factor(0.9, 1.2) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="outside"):
        speed.speed_factor(10.0, 1.0)
    with pytest.raises(ValueError, match="positive"):
        speed.speed_factor(0.0, 1.0)


def test_scale_profile_scales_every_step_and_only_the_step_model():
    hw = get_hardware("cpu-here")
    slow = speed.scale_profile(hw, 1.5)
    base, scaled = (
        StepLatencyModel(hw, get_model("tiny")),
        StepLatencyModel(slow, get_model("tiny")),
    )
    for comp in (B1, B2, PREFILL, [2, 900, 300000.0, 1900, 6, 9000.0]):
        assert scaled.step_time(*comp) == pytest.approx(1.5 * base.step_time(*comp))
    for f in ("request_overhead_s", "frontend_token_s", "frontend_step_delay_s",
              "frontend_busy_speed", "call_send_latency_s", "call_return_latency_s"):  # fmt: skip
        assert getattr(slow, f) == getattr(hw, f)  # not measured by the probe: kept
    assert "speed-probed x1.500" in slow.source
    with pytest.raises(ValueError):
        speed.scale_profile(hw, 0.0)


def test_reference_from_the_probe_or_else_the_designed_load(tmp_path):
    hw = get_hardware("cpu-here")
    model = StepLatencyModel(hw, get_model("tiny"))
    t1 = model.step_time(*B1)
    # probe steps at 2x the model, designed load at 3x, then the streaming phase at 9x
    rows = [(B1, 2 * t1)] * 80 + [(B1, 3 * t1)] * 80 + [(B1, 9 * t1)] * 80
    probed = _log(tmp_path / "a.jsonl", rows,
                  phases={"speed-probe": 0, "speed-probe-end": 80, "frontend": 160})  # fmt: skip
    ref = speed.reference_from_log(probed, hw)
    assert ref["source"] == "probe" and ref["steps"] == 80
    assert ref["ratio"] == pytest.approx(2.0, rel=1e-3)
    old = _log(tmp_path / "b.jsonl", rows[80:], phases={"frontend": 80})  # no probe
    ref = speed.reference_from_log(old, hw)
    assert ref["source"] == "designed load" and ref["steps"] == 80
    assert ref["ratio"] == pytest.approx(3.0, rel=1e-3)


def test_fidelity_speed_factors_per_probed_repetition(tmp_path):
    hw = get_hardware("cpu-here")
    t1 = StepLatencyModel(hw, get_model("tiny")).step_time(*B1)
    prof = tmp_path / "profile.json"
    prof.write_text(json.dumps({"hardware": hw.to_dict(), "speed_probe": {"ratio": 1.25}}))
    for rep, k in (("rep0", 1.25), ("rep1", 2.5)):
        d = tmp_path / "real" / "vllm_nexus" / rep
        d.mkdir(parents=True)
        (d / "result.json").write_text(json.dumps({"runs": [{"rate": 6.0}]}))
        # the probe, then the run's own (slower) steps, which must not count
        rows = [(B1, k * t1)] * 60 + [(B1, 10 * t1)] * 200
        (tmp_path / "steps").mkdir(exist_ok=True)
        _log(tmp_path / "steps" / f"vllm_nexus-{rep}.jsonl", rows,
             phases={"speed-probe": 0, "speed-probe-end": 60})  # fmt: skip
    found, why = fidelity.speed_factors(tmp_path, "vllm_nexus", str(prof))
    assert why == ""
    assert found == {
        "rep0": {6.0: pytest.approx(1.0, rel=1e-3)},
        "rep1": {6.0: pytest.approx(2.0, rel=1e-3)},
    }
    # a factor out of range: no prediction, and why
    outlier = tmp_path / "outlier.json"
    outlier.write_text(json.dumps({"hardware": hw.to_dict(), "speed_probe": {"ratio": 0.1}}))
    found, why = fidelity.speed_factors(tmp_path, "vllm_nexus", str(outlier))
    assert found == {} and "rep0 at 6/s: speed factor" in why and "outside" in why
    # a profile without a reference: no factors, and why
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"hardware": hw.to_dict()}))
    found, why = fidelity.speed_factors(tmp_path, "vllm_nexus", str(bare))
    assert found == {} and "no speed-probe reference" in why


def test_a_run_probed_before_and_after_takes_the_geometric_mean(tmp_path):
    """Since 2026-12-06 the probe also runs after the trace; the run's ratio is the geometric
    mean of the two ends (window S: the host sped up steadily over the hour)."""
    hw = get_hardware("cpu-here")
    t1 = StepLatencyModel(hw, get_model("tiny")).step_time(*B1)
    prof = tmp_path / "profile.json"
    prof.write_text(json.dumps({"hardware": hw.to_dict(), "speed_probe": {"ratio": 1.0}}))
    d = tmp_path / "real" / "vllm_nexus" / "rep0"
    d.mkdir(parents=True)
    (d / "result.json").write_text(json.dumps({"runs": [{"rate": 2.0}]}))
    (tmp_path / "steps").mkdir()
    # before: 2x the model; the run's own steps (not counted); after: 0.5x
    rows = [(B1, 2 * t1)] * 60 + [(B1, 10 * t1)] * 100 + [(B1, 0.5 * t1)] * 60
    log = _log(tmp_path / "steps" / "vllm_nexus-rep0.jsonl", rows,
               phases={"speed-probe": 0, "speed-probe-end": 60,
                       "speed-probe-after": 160, "speed-probe-after-end": 220})  # fmt: skip
    assert [w[2] for w in speed.probe_windows(log)] == ["before", "after"]
    assert speed.probe_window(log) == speed.probe_windows(log)[0][:2]
    found, why = fidelity.speed_factors(tmp_path, "vllm_nexus", str(prof))
    assert why == "" and found == {"rep0": {2.0: pytest.approx(1.0, rel=1e-3)}}  # sqrt(2 x 0.5)
    assert speed.bracket_ratio([2.0, 0.5]) == pytest.approx(1.0)
    assert speed.bracket_ratio([1.3]) == pytest.approx(1.3)
    with pytest.raises(ValueError):
        speed.bracket_ratio([])
    # only the after probe (a log cut short before its run's start was recorded): used alone
    after_only = _log(tmp_path / "after.jsonl", rows[100:],
                      phases={"speed-probe-after": 60, "speed-probe-after-end": 120})  # fmt: skip
    assert speed.probe_window(after_only) is None
    assert [w[2] for w in speed.probe_windows(after_only)] == ["after"]


def test_each_rate_takes_the_factor_of_the_server_that_ran_it(tmp_path):
    """A fresh server per rate, all in one step log: each server is probed before and after
    its trace under its own markers (speed.server_tag), and each rate is simulated at its own
    server's factor; a rate whose server left no probe takes the first rate's."""
    hw = get_hardware("cpu-here")
    t1 = StepLatencyModel(hw, get_model("tiny")).step_time(*B1)
    prof = tmp_path / "profile.json"
    prof.write_text(json.dumps({"hardware": hw.to_dict(), "speed_probe": {"ratio": 1.0}}))
    runs = [{"rate": 6.0}, {"rate": 12.0}, {"rate": 12.0}, {"rate": 18.0}]  # 12 twice: one server
    for rep in ("rep0", "rep1"):
        d = tmp_path / "real" / "vllm_nexus" / rep
        d.mkdir(parents=True)
        (d / "result.json").write_text(json.dumps({"runs": runs}))
    (tmp_path / "steps").mkdir()
    # rep0: the 6/s server probed at 1.5x then 1.5x; the 12/s one at 4x then 1x; the 18/s
    # one not probed (it takes the first server's factor)
    tag = speed.server_tag(1)
    assert (speed.server_tag(0), tag) == ("", "@rate1")
    rows = (
        [(B1, 1.5 * t1)] * 60 + [(B1, 9 * t1)] * 50 + [(B1, 1.5 * t1)] * 60
        + [(B1, 4 * t1)] * 60 + [(B1, 9 * t1)] * 50 + [(B1, 1 * t1)] * 60
        + [(B1, 9 * t1)] * 50
    )  # fmt: skip
    _log(tmp_path / "steps" / "vllm_nexus-rep0.jsonl", rows,
         phases={"speed-probe": 0, "speed-probe-end": 60,
                 "speed-probe-after": 110, "speed-probe-after-end": 170,
                 "speed-probe" + tag: 170, "speed-probe-end" + tag: 230,
                 "speed-probe-after" + tag: 280, "speed-probe-after-end" + tag: 340})  # fmt: skip
    _log(tmp_path / "steps" / "vllm_nexus-rep1.jsonl", rows[170:])  # never probed: skipped
    found, why = fidelity.speed_factors(tmp_path, "vllm_nexus", str(prof))
    assert why == ""
    assert found == {
        "rep0": {
            6.0: pytest.approx(1.5, rel=1e-3),
            12.0: pytest.approx(2.0, rel=1e-3),  # sqrt(4 x 1)
            18.0: pytest.approx(1.5, rel=1e-3),
        }
    }
    assert [
        w[2] for w in speed.probe_windows(tmp_path / "steps" / "vllm_nexus-rep0.jsonl", tag)
    ] == [
        "before",
        "after",
    ]
    with pytest.raises(ValueError):
        speed.server_tag(-1)


def test_fidelity_speed_factors_without_a_probed_run(tmp_path):
    hw = get_hardware("cpu-here")
    prof = tmp_path / "profile.json"
    prof.write_text(json.dumps({"hardware": hw.to_dict(), "speed_probe": {"ratio": 1.0}}))
    d = tmp_path / "real" / "stock-fcfs" / "rep0"
    d.mkdir(parents=True)
    (d / "result.json").write_text(json.dumps({"runs": []}))
    (tmp_path / "steps").mkdir()
    _log(tmp_path / "steps" / "stock-fcfs-rep0.jsonl", [(B1, 0.003)] * 100)  # no probe
    found, why = fidelity.speed_factors(tmp_path, "stock-fcfs", str(prof))
    assert found == {} and "no real run of stock-fcfs was speed-probed" in why


def test_packaged_host_profile_records_its_reference():
    from vllm_nexus.perf import hardware

    path = Path(hardware.__file__).parent / "profiles" / "cpu-here-c268a9353dec.json"
    ref = speed.profile_reference(path)
    assert ref is not None and ref["source"] == "designed load" and ref["steps"] >= speed.MIN_STEPS
    assert 0.5 < ref["ratio"] < 2.0
    load_profile(path)  # still a valid profile


@pytest.mark.engine
def test_probe_runs_against_a_recording_server(tiny_model_dir, tmp_path):
    """The probe's calls reach a real server with the recording scheduler, between its
    markers, and give enough one-request decode steps for a ratio."""
    from vllm_nexus.serving.launcher import VllmServer
    from vllm_nexus.sim.calibrate import LOG_ENV

    log = tmp_path / "steps.jsonl"
    log.write_text("")
    server = VllmServer(
        str(tiny_model_dir),
        use_cli=False,
        args=[
            "--max-num-seqs",
            "8",
            "--scheduler-cls",
            "vllm_nexus.sim.calibrate.RecordingScheduler",
        ],  # fmt: skip
        env={LOG_ENV: str(log)},
        log_path=tmp_path / "server.log",
        startup_timeout_s=600,
    )
    with server:
        speed.run_probe(server.base_url, server.model, log)
        speed.run_probe(server.base_url, server.model, log, after=True)
    window = speed.probe_window(log)
    assert window is not None and window[0] < window[1]
    (b0, b1, _), (a0, a1, when) = speed.probe_windows(log)
    assert when == "after" and b1 <= a0 < a1
    assert speed.log_ratio(log, get_hardware("cpu-here"), (a0, a1)).steps >= speed.MIN_STEPS
    r = speed.log_ratio(log, get_hardware("cpu-here"), window)
    assert r.steps >= speed.PROBE_CALLS * (speed.PROBE_OUTPUT_TOKENS - 2)
    assert r.ratio > 0 and r.median_step_ms > 0
