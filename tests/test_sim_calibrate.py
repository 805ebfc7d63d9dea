"""Calibration: step-log parsing and the fit through the simulator's own latency model."""

from __future__ import annotations

import json
import random

import pytest

from vllm_nexus.perf.hardware import HARDWARE
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import MODELS
from vllm_nexus.sim.calibrate import FIT_FIELDS, contention, fit_preset, read_log


def _compositions(rng: random.Random, n: int) -> list[list[float]]:
    out = []
    for _ in range(n):
        pre = [
            (rng.randrange(64, 3000), rng.randrange(0, 2000)) for _ in range(rng.randrange(0, 2))
        ]
        dec = [rng.randrange(10, 3000) for _ in range(rng.randrange(0 if pre else 1, 48))]
        out.append([*StepLatencyModel.aggregate(pre), len(dec), float(sum(dec))])
    return out


def test_fit_recovers_a_known_preset() -> None:
    rng = random.Random(0)
    truth = HARDWARE["cpu-here"].with_updates(
        step_overhead_s=2e-3, per_seq_overhead_s=2e-4, per_token_overhead_s=2e-5,
        per_prefill_overhead_s=6e-3, peak_flops=1.2e11, mem_bw=3e9,
    )  # fmt: skip
    model = MODELS["tiny"]
    true_lat = StepLatencyModel(truth, model)
    comps = _compositions(rng, 300)
    steps = [(c, true_lat.step_time(*c) * rng.uniform(0.97, 1.03)) for c in comps]
    # a shared machine stretches some steps (another process ran): the fit must not follow
    for i in range(0, 300, 10):
        steps[i] = (steps[i][0], steps[i][1] * rng.uniform(3.0, 8.0))
    fitted, quality = fit_preset(steps, HARDWARE["cpu-here"], model)
    assert quality["steps"] == 300 and quality["outliers"] == 30
    assert quality["median_abs_rel_error"] < 0.05
    assert fitted.per_prefill_overhead_s == pytest.approx(6e-3, rel=0.15)
    assert fitted.step_overhead_s == pytest.approx(2e-3, rel=0.15)
    fit_lat = StepLatencyModel(fitted, model)
    for c in _compositions(rng, 50):  # held-out batches
        assert fit_lat.step_time(*c) == pytest.approx(true_lat.step_time(*c), rel=0.15)
    assert set(FIT_FIELDS) <= set(fitted.to_dict())
    with pytest.raises(ValueError, match="too few"):
        fit_preset(steps[:3], HARDWARE["cpu-here"], model)


def test_read_log_periods_and_request_times(tmp_path) -> None:
    lines = [
        {"add": "r1", "t": 100.0},
        {"step": [1, 64, 2080.0, 64, 0, 0.0], "t": 100.010},
        {"end": 100.030},
        {"step": [0, 0, 0, 0, 1, 64.0], "t": 100.032},  # busy: period to the next schedule
        {"end": 100.040},
        {"fin": "r1", "t": 100.040},
        {"step": [0, 0, 0, 0, 1, 65.0], "t": 105.0},  # after an idle gap
        {"end": 105.007},
    ]
    p = tmp_path / "log.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    steps, e2e = read_log(p)
    assert [c for c, _ in steps] == [x["step"] for x in lines if "step" in x]
    periods = [t for _, t in steps]
    assert periods[0] == pytest.approx(0.022)
    # no busy successor: own duration + the median busy gap (2 ms)
    assert periods[1] == pytest.approx(0.008 + 0.002)
    assert periods[2] == pytest.approx(0.007 + 0.002)
    assert e2e == [pytest.approx(0.040)]
    with pytest.raises(ValueError, match="no engine-clock times"):
        read_log(p, "engine")


def test_read_log_request_times_within_the_window(tmp_path) -> None:
    # a window keeps the requests added within it (the speed probe's calls before the
    # designed load are not its singles)
    lines = [
        {"add": "probe", "t": 99.0},
        {"fin": "probe", "t": 99.5},
        {"add": "r1", "t": 100.0},
        {"step": [0, 0, 0, 0, 1, 64.0], "t": 100.010},
        {"end": 100.020},
        {"fin": "r1", "t": 100.040},
    ]
    p = tmp_path / "log.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert read_log(p)[1] == [pytest.approx(0.5), pytest.approx(0.040)]
    assert read_log(p, "wall", (99.9, 101.0))[1] == [pytest.approx(0.040)]


def test_engine_clock_subtracts_waits_for_a_cpu(tmp_path, monkeypatch) -> None:
    import subprocess
    import sys
    import time

    from vllm_nexus.sim import calibrate

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        clock = calibrate.EngineClock()
        assert f"/proc/{child.pid}/schedstat" in clock.workers
    finally:
        child.kill()
        child.wait()
    # schedstat: ns on a CPU, ns runnable but waiting for one, timeslices
    worker, core = tmp_path / "worker", tmp_path / "core"
    worker.write_text("5000000 1000000000 7\n")
    core.write_text("100 2000000000 3\n")
    clock.workers, clock.core = [str(worker)], str(core)
    monkeypatch.setattr(time, "time", lambda: 100.0)
    assert clock() == pytest.approx(100.0 - 1.0)
    clock.enter()
    core.write_text("100 2500000000 4\n")  # the engine core waited 0.5 s inside a call
    worker.write_text("5000000 1250000000 8\n")  # the worker 0.25 s more
    clock.leave()
    assert clock() == pytest.approx(100.0 - 1.25 - 0.5)


def test_engine_clock_periods_and_contention(tmp_path) -> None:
    # the engine waited for a CPU half the time: 20 ms of wall time per 10 ms on its clock
    lines = [
        {"step": [0, 0, 0, 0, 1, 64.0], "t": 100.000, "c": 5.000},
        {"end": 100.018, "c": 5.009},
        {"step": [0, 0, 0, 0, 1, 65.0], "t": 100.020, "c": 5.010},
        {"end": 100.038, "c": 5.019},
        {"step": [0, 0, 0, 0, 1, 66.0], "t": 100.040, "c": 5.020},
        {"end": 100.058, "c": 5.029},
    ]
    p = tmp_path / "log.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    cpu = [t for _, t in read_log(p, "engine")[0]]
    wall = [t for _, t in read_log(p, "wall")[0]]
    assert cpu == [pytest.approx(0.010)] * 3
    assert wall == [pytest.approx(0.020)] * 3
    assert contention(p) == pytest.approx(2.0)


def test_request_overhead_has_a_fixed_part_and_a_part_per_prompt_token() -> None:
    from vllm_nexus.sim.calibrate import fit_request_overhead

    # outside the engine: 10 ms + 5 us per prompt token; one noisy repetition per length
    singles, engine = [], []
    for n in (64, 3000):
        for extra in (0.0, 0.0, 0.05):
            singles.append((n, 0.2 + 0.010 + 5e-6 * n + extra))
            engine.append(0.2)
    fixed, per_token = fit_request_overhead(singles, engine)
    assert fixed == pytest.approx(0.010) and per_token == pytest.approx(5e-6)
    assert fit_request_overhead([(64, 0.3)], [0.25]) == (pytest.approx(0.05), 0.0)


def test_step_classes_ratio_of_measured_to_predicted_per_class() -> None:
    from vllm_nexus.sim.fit import STEP_CLASSES, step_class, step_classes

    decode2 = [0, 0, 0, 0, 2, 100.0]
    decode5 = [0, 0, 0, 0, 5, 100.0]
    decode9 = [0, 0, 0, 0, 9, 100.0]
    one = [1, 64, 2080.0, 64, 3, 100.0]  # a chunk beside decodes: still a prefill step
    two = [2, 600, 9000.0, 600, 0, 0.0]
    assert [step_class(c) for c in (decode2, decode5, decode9, one, two)] == list(STEP_CLASSES)
    steps = [(decode2, 0.010), (decode2, 0.012), (two, 0.030)]
    by = step_classes(steps, lambda *c: 0.020 if c[0] >= 2 else 0.010)
    assert by == {
        "decode 1-2": (2, pytest.approx(0.022), pytest.approx(0.020)),
        "2+ prefill chunks": (1, pytest.approx(0.030), pytest.approx(0.020)),
    }
    assert list(by) == ["decode 1-2", "2+ prefill chunks"]  # in STEP_CLASSES order


def test_designed_load_has_concurrent_prefills(monkeypatch) -> None:
    """The multi-chunk phase: bursts of 2, 4 and 6 concurrent prefills, after a cached prefix
    (each prompt extends it) and from scratch, and beside a decode burst."""
    from vllm_nexus.sim import calibrate

    bursts: list[list[tuple[int, int]]] = []
    singles: list[int] = []
    monkeypatch.setattr(
        calibrate, "_burst", lambda b, m, reqs: bursts.append([(len(p), n) for p, n in reqs])
    )
    monkeypatch.setattr(calibrate, "complete", lambda b, m, p, n: singles.append(len(p)) or 0.1)
    monkeypatch.setattr(calibrate.time, "sleep", lambda s: None)
    rng = random.Random(0)
    calibrate.concurrent_prefills("http://x", "m", rng, lambda n: [1] * n)
    assert singles == [512, 1024] * calibrate.FAN_PASSES  # the cached prefixes
    sizes = [len(b) for b in bursts]
    per_pass = [2, 4, 6, 2, 4, 6, 2, 4, 6, 4, 2, 4, 6]  # 2 prefixes, scratch, decodes, beside
    assert sorted(sizes) == sorted(per_pass * calibrate.FAN_PASSES)
    fan_512 = bursts[:3]
    assert all(612 <= n < 1112 for b in fan_512 for n, _ in b)  # prefix + 100-600 new
    assert [(64, 160)] * 4 in bursts  # the decode burst beside the fan-outs


def test_phase_markers_and_engine_stretch(tmp_path) -> None:
    from vllm_nexus.sim.fit import engine_stretch, phase_times

    lines = [
        {"step": [0, 0, 0, 0, 1, 64.0], "t": 100.000, "c": 5.000},
        {"end": 100.005, "c": 5.005},
        {"phase": "burst", "t": 100.006},
        {"step": [0, 0, 0, 0, 2, 64.0], "t": 100.010, "c": 5.010},
        {"end": 100.020, "c": 5.020},
        {"step": [0, 0, 0, 0, 2, 64.0], "t": 100.030, "c": 5.025},
        {"end": 100.040, "c": 5.035},
        {"phase": "burst-end", "t": 100.050},
    ]
    p = tmp_path / "steps.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines))
    phases = phase_times(p)
    assert phases == {"burst": 100.006, "burst-end": 100.050}
    burst, _ = read_log(p, "wall", (phases["burst"], phases["burst-end"]))
    # busy: to the next schedule(); the last: its span + the median busy gap (5 and 10 ms)
    assert [t for _, t in burst] == [pytest.approx(0.020), pytest.approx(0.010 + 0.0075)]
    # measured 37.5 ms where the model predicts 2 x 10 ms: 1.875x slower
    assert engine_stretch(burst, lambda *c: 0.010) == pytest.approx(1.875)
    assert engine_stretch(burst, lambda *c: 1.0) == 1.0  # never below 1
    with pytest.raises(ValueError):
        engine_stretch([], lambda *c: 0.010)


def test_engine_step_delay_is_the_wait_per_step_beside_a_busy_frontend() -> None:
    from vllm_nexus.sim.fit import engine_step_delay

    # a short and a long step, each 2 ms over the model: 2 ms a step, not a common ratio
    steps = [([0, 0, 0, 0, 1, 64.0], 0.006), ([1, 2000, 2e6, 2000, 0, 0.0], 0.042)]
    predict = lambda *c: 0.040 if c[0] else 0.004  # noqa: E731
    assert engine_step_delay(steps, predict) == pytest.approx(0.002)
    assert engine_step_delay(steps, lambda *c: 1.0) == 0.0  # never below 0
    with pytest.raises(ValueError):
        engine_step_delay([], predict)


def test_call_latencies_are_the_time_outside_beyond_the_frontend_fifo() -> None:
    from vllm_nexus.sim.fit import call_latencies

    # the FIFO charges 3 ms + 1 us per prompt token in, 1 ms out; measured 20 ms in, 6 ms out
    legs = [(0.018, 0.005, 100), (0.022, 0.007, 300)]
    send, ret = call_latencies(legs, 0.003, 1e-6, 0.001)
    assert ret == pytest.approx(0.005)
    assert send == pytest.approx(0.020 - 0.003 - 200e-6)
    # the modelled and the measured time outside add up
    assert send + ret + 0.003 + 200e-6 + 0.001 == pytest.approx(0.020 + 0.006)
    # a FIFO that charges more than was measured: no negative latency
    assert call_latencies(legs, 0.050, 0.0, 0.010) == (0.0, 0.0)
    # the bare client's FIFO charge covers some egress: the send latency makes up the total
    send, ret = call_latencies([(0.004, 0.010, 0)], 0.006, 0.0, 0.0)
    assert (send, ret) == (pytest.approx(0.0), pytest.approx(0.010))
    with pytest.raises(ValueError):
        call_latencies([], 0.0, 0.0, 0.0)


def test_call_legs_match_the_clients_calls_to_the_engines_requests(tmp_path) -> None:
    from vllm_nexus.bench.metrics import CallRecord, ProgramRecord
    from vllm_nexus.bench.runner import call_request_id
    from vllm_nexus.bench.trace import CallSpec, ProgramSpec
    from vllm_nexus.sim.calibrate import call_legs

    t0 = 1000.0
    progs = [ProgramSpec(f"s-{i}", 0.25 * i, (CallSpec("c0", 128, 2),)) for i in range(3)]
    lines, records = [], []
    for i, p in enumerate(progs):
        eid = f"cmpl-{call_request_id(p.program_id, 'c0')}-0-ab12cd{i}"
        add = t0 + p.arrival_s + 0.010 + 0.001 * i
        lines += [{"add": eid, "t": add}, {"fin": eid, "t": add + 0.050}]
        rec = CallRecord("c0", [], 128, 2, send_s=p.arrival_s + 0.002)
        rec.end_s, rec.prompt_tokens = p.arrival_s + 0.010 + 0.001 * i + 0.050 + 0.004, 128
        records.append(ProgramRecord(p.program_id, "single", p.arrival_s, [rec]))
    log = tmp_path / "steps.jsonl"
    log.write_text("".join(json.dumps(d) + "\n" for d in lines))
    legs = call_legs(log, progs, records[::-1], t0)  # records in any order
    assert [leg[0] for leg in legs] == [pytest.approx(0.010 + 0.001 * i) for i in range(3)]
    assert [leg[1] for leg in legs] == [pytest.approx(0.004)] * 3
    assert [leg[2] for leg in legs] == [128] * 3
    log.write_text(json.dumps(lines[0]) + "\n")  # a call the engine never logged
    with pytest.raises(RuntimeError):
        call_legs(log, progs, records, t0)


def test_burst_window_leaves_out_the_ramp(tmp_path) -> None:
    """The burst's frontend speed is measured from the first step after the ramp share
    (the frontend's FIFO still filling) to the last step's end within the window."""
    from vllm_nexus.sim.calibrate import BURST_RAMP, _step_window

    p = tmp_path / "log.jsonl"
    lines = [{"step": [0, 0, 0, 0, 1, 1.0], "t": 99.0}, {"end": 99.5}]  # before the window
    for k in range(8):
        lines += [{"step": [0, 0, 0, 0, 1, 1.0], "t": 100.0 + k}, {"end": 100.5 + k}]
    lines += [{"step": [0, 0, 0, 0, 1, 1.0], "t": 109.0}, {"end": 120.0}]  # ends after it
    p.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert _step_window(p, (99.9, 110.0)) == (100.0, 107.5)
    assert _step_window(p, (99.9, 110.0), BURST_RAMP) == (102.0, 107.5)  # 9 steps: skip 2
    with pytest.raises(RuntimeError, match="no engine step"):
        _step_window(p, (130.0, 140.0))


def test_frontend_delay_is_a_fixed_part_a_part_per_stream_and_per_call() -> None:
    from vllm_nexus.sim.fit import frontend_delay, streams_of

    predict = lambda *c: 0.004  # noqa: E731
    # (n_prefill, tokens, pairs, kv, n_decode, ctx): streams = prefills + decodes
    assert streams_of([1, 128, 0, 0, 7, 0]) == 8
    # steps at 2-3 and 32 streams, some receiving a call: 0.7 ms + 0.05 per stream + 1.5 per call
    shape = [(2, 0), (2, 1), (3, 0), (3, 1), (2, 2), (32, 0), (32, 0), (32, 1)]
    steps = [([0, 0, 0, 0, n, 0], 0.004 + 0.0007 + 0.00005 * n + 0.0015 * a) for n, a in shape]
    adds = [a for _, a in shape]
    fixed, per_stream, per_call = frontend_delay(steps, adds, predict)
    assert (fixed, per_stream, per_call) == pytest.approx((0.0007, 0.00005, 0.0015))
    # steps that stream nothing are left out
    more = frontend_delay([*steps, ([0, 0, 0, 0, 0, 0], 1.0)], [*adds, 0], predict)
    assert more == pytest.approx((fixed, per_stream, per_call))
    # no calls received: that part is 0, the rest as before
    no_calls = [(c, t - 0.0015 * a) for (c, t), a in zip(steps, adds, strict=True)]
    assert frontend_delay(no_calls, [0] * len(adds), predict) == pytest.approx(
        (fixed, per_stream, 0.0)
    )
    # a part that would fit below 0 is 0 and the others refitted: a falling delay keeps the
    # mean as the fixed part; a rising one through the origin is all per stream
    falling = [([0, 0, 0, 0, 1, 0], 0.006), ([0, 0, 0, 0, 10, 0], 0.005)]
    assert frontend_delay(falling, [0, 0], predict) == pytest.approx((0.0015, 0.0, 0.0))
    rising = [([0, 0, 0, 0, 1, 0], 0.004), ([0, 0, 0, 0, 10, 0], 0.005)]
    f0, p0, c0 = frontend_delay(rising, [0, 0], predict)
    assert f0 == 0.0 and c0 == 0.0 and 0 < p0 < 0.0001
    with pytest.raises(ValueError, match="two or more stream counts"):
        frontend_delay(steps[:2], adds[:2], predict)
    with pytest.raises(ValueError, match="one count"):
        frontend_delay(steps, adds[:3], predict)


def test_frontend_delay_knee_finds_where_the_per_stream_part_stops_growing() -> None:
    from vllm_nexus.sim.fit import frontend_delay, frontend_delay_knee

    predict = lambda *c: 0.004  # noqa: E731
    # 0.4 ms + 0.12 per stream up to 8 streams + 1.5 per call: the rounds (1-3 streams), the
    # groups (2-8) and the burst (32), which pays for 8 streams only
    shape = [(1, 0), (1, 1), (2, 0), (3, 0), (3, 1), (2, 0), (4, 0), (6, 0), (8, 0), (8, 1)]
    shape += [(32, 0)] * 4

    def excess(n: int, a: int, knee: float = 8) -> float:
        return 0.0004 + 0.00012 * min(n, knee) + 0.0015 * a

    steps = [([0, 0, 0, 0, n, 0], 0.004 + excess(n, a)) for n, a in shape]
    adds = [a for _, a in shape]
    assert frontend_delay_knee(steps, adds, predict) == pytest.approx(
        (0.0004, 0.00012, 0.0015, 8.0, 1.0)
    )
    # the same with cap=8 given; a straight line through 32 misses the slope
    assert frontend_delay(steps, adds, predict, cap=8) == pytest.approx((0.0004, 0.00012, 0.0015))
    assert frontend_delay(steps, adds, predict)[1] < 0.00005
    # no knee in the data: 0 (no cap)
    linear = [([0, 0, 0, 0, n, 0], 0.004 + excess(n, a, 99)) for n, a in shape]
    assert frontend_delay_knee(linear, adds, predict) == pytest.approx(
        (0.0004, 0.00012, 0.0015, 0.0, 1.0)
    )
    # prefill steps running 1.3x their modelled time: the stretch, the other parts unchanged
    mixed = [*steps, *[([1, 256, 0, 0, k, 0], 1.3 * 0.004 + excess(k + 1, 0)) for k in (0, 3, 7)]]
    assert frontend_delay_knee(mixed, [*adds, 0, 0, 0], predict) == pytest.approx(
        (0.0004, 0.00012, 0.0015, 8.0, 1.3)
    )
    with pytest.raises(ValueError, match="three or more stream counts"):
        frontend_delay_knee(steps[:3], adds[:3], predict)
    with pytest.raises(ValueError, match="one count"):
        frontend_delay_knee(steps, adds[:3], predict)


def test_adds_per_step_counts_the_calls_received_while_each_step_ran(tmp_path) -> None:
    from vllm_nexus.sim.fit import adds_per_step

    lines = [
        {"add": "a", "t": 0.5},  # before any step: nobody's
        {"step": [0, 0, 0, 0, 1, 0], "t": 1.0},
        {"add": "b", "t": 1.001},
        {"end": 1.004},
        {"add": "c", "t": 1.005},  # after the end, before the next schedule: still step 1's
        {"step": [0, 0, 0, 0, 2, 0], "t": 1.006},
        {"end": 1.010},
        {"step": [0, 0, 0, 0, 2, 0], "t": 1.011},
        {"add": "d", "t": 1.012},
        {"end": 1.015},
    ]
    p = tmp_path / "log.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert adds_per_step(p) == [2, 0, 1]
    assert adds_per_step(p, (1.005, 2.0)) == [0, 1]
    assert len(adds_per_step(p)) == len(read_log(p, "wall")[0])


def test_fit_keeps_most_steps_of_a_noisy_server() -> None:
    """A real designed load (2026-12-05 (f), one of three calibration servers: its steps ran
    0.8-1.3x the fit from one tenth of the load to the next): the rounds' fits are compared
    on every step, so the fit cannot drop most steps and model the rest (before, it kept
    222 of 1,795 steps and modelled a 0.16 ms decode step, against ~2.4 on the other two
    servers)."""
    import gzip
    from pathlib import Path

    from vllm_nexus.perf.hardware import HARDWARE
    from vllm_nexus.perf.models import get_model
    from vllm_nexus.sim.calibrate import small_step_s
    from vllm_nexus.sim.fit import fit_preset

    data = Path(__file__).parent / "data" / "fit-runaway-steps.json.gz"
    steps = [(c, t) for c, t in json.loads(gzip.open(data, "rt").read())]
    hw, quality = fit_preset(steps, HARDWARE["cpu-here"], get_model("tiny"))
    assert quality["outliers"] < 0.25 * len(steps)
    assert 1e-3 < small_step_s(hw) < 4e-3


def test_new_shape_flags_mark_the_first_step_of_each_batch_size(tmp_path) -> None:
    from vllm_nexus.sim.fit import batch_tokens, new_shape_cost, new_shape_flags, read_log

    # batch size = prefill tokens + decodes: 100+0, 0+4, 100+0 again, 96+4 (= 100: seen)
    comps = [[1, 100.0, 0, 0, 0, 0], [0, 0, 0, 0, 4, 40], [1, 100.0, 0, 0, 0, 0],
             [1, 96.0, 0, 0, 4, 40]]  # fmt: skip
    assert [batch_tokens(c) for c in comps] == [100, 4, 100, 100]
    lines, t = [], 10.0
    for c in comps:
        lines += [{"step": c, "t": t}, {"end": t + 0.004}]
        t += 0.005
    p = tmp_path / "log.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert new_shape_flags(p) == [True, True, False, False]
    # a window sees the flags of the whole log: the third step is not new inside (11, 12)
    assert new_shape_flags(p, (10.009, 10.011)) == [False]
    steps, _ = read_log(p)
    assert len(steps) == 4
    # the first-of-their-size steps 5 ms over the model, the others 1 ms: 4 ms
    flags = [True, True, False, False]
    timed = [(c, 0.010 + (0.005 if f else 0.001)) for (c, _), f in zip(steps, flags, strict=True)]
    assert new_shape_cost(timed, [True, True, False, False], lambda *c: 0.010) == (
        pytest.approx(0.004)
    )
    assert new_shape_cost(timed, [False] * 4, lambda *c: 0.010) == 0.0
    with pytest.raises(ValueError, match="one flag"):
        new_shape_cost(timed, [True], lambda *c: 0.010)
