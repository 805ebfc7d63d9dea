"""Host fingerprints of measured profiles, host-local profiles and the host check (no engine)."""

from __future__ import annotations

import argparse
import json
import random
import warnings
from pathlib import Path

import pytest

from vllm_nexus.perf import hardware
from vllm_nexus.perf.hardware import HARDWARE, HostMismatchWarning, resolve_hardware
from vllm_nexus.perf.host import HostFingerprint, cache_dir, current_host, host_profile_path

INTEL = HostFingerprint("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", 2, "x86_64",
                        ("avx2", "avx512f"), hostname="ci-1")  # fmt: skip
AMD = HostFingerprint("AMD EPYC", 2, "x86_64", ("avx2", "avx512f"), hostname="vm")

X86_CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni
processor\t: 1
model name\t: AMD EPYC 9R14
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni
"""
ARM_CPUINFO = """processor\t: 0
Features\t: fp asimd evtstrm aes sve
CPU part\t: 0xd40
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory and an empty packaged-profile directory."""
    monkeypatch.setenv("VLLM_NEXUS_CACHE", str(tmp_path / "cache"))
    packaged = tmp_path / "packaged"
    packaged.mkdir()
    monkeypatch.setattr(hardware, "PROFILE_DIR", packaged)
    return tmp_path


def _write(path: Path, host: HostFingerprint | None, step_overhead_s: float) -> Path:
    hw = HARDWARE["cpu-here"].with_updates(step_overhead_s=step_overhead_s)
    doc: dict = {"hardware": hw.to_dict(), "fit": {}}
    if host is not None:
        doc["host"] = host.to_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def test_fingerprint_reads_cpuinfo_and_keys_on_what_sets_the_speed() -> None:
    h = current_host(X86_CPUINFO)
    assert h.cpu_model == "AMD EPYC 9R14"
    assert h.isa == ("avx2", "avx512_bf16", "avx512_vnni", "avx512f")
    assert h.cpus >= 1 and h.machine
    arm = current_host(ARM_CPUINFO)
    assert arm.isa == ("asimd", "sve")
    assert arm.cpu_model  # the platform's processor string, or "unknown CPU"
    # the hostname is recorded but not matched (a container renames its host on restart)
    renamed = HostFingerprint(AMD.cpu_model, AMD.cpus, AMD.machine, AMD.isa, hostname="other")
    assert renamed.matches(AMD) and renamed.key() == AMD.key()
    for other in (
        INTEL,
        HostFingerprint(AMD.cpu_model, 4, AMD.machine, AMD.isa),
        HostFingerprint(AMD.cpu_model, AMD.cpus, AMD.machine, ("avx2",)),
    ):
        assert not other.matches(AMD) and other.key() != AMD.key()
    assert HostFingerprint.from_dict(json.loads(json.dumps(INTEL.to_dict()))) == INTEL
    assert "Xeon" in INTEL.describe() and "2 CPUs" in INTEL.describe()
    with pytest.raises(ValueError, match="invalid host record"):
        HostFingerprint.from_dict({"cpu_model": "x"})


def test_cache_dir_env_then_xdg_then_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VLLM_NEXUS_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "a"
    monkeypatch.delenv("VLLM_NEXUS_CACHE")
    assert cache_dir() == tmp_path / "x" / "vllm_nexus"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "vllm_nexus"
    assert host_profile_path("cpu-here", AMD).name == f"cpu-here-{AMD.key()}.json"


def test_host_local_profile_is_preferred_on_its_host(cache: Path) -> None:
    _write(hardware.profile_path("cpu-here"), INTEL, 0.007)
    _write(host_profile_path("cpu-here", AMD), AMD, 0.0025)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning on the host the profile was fitted on
        res = resolve_hardware("cpu-here", host=AMD)
    assert res.origin == "host-local" and res.warning is None
    assert res.preset.step_overhead_s == 0.0025
    assert res.to_dict()["host_match"] is True


def test_packaged_profile_of_another_host_warns_naming_both_and_the_command(cache: Path):
    _write(hardware.profile_path("cpu-here"), INTEL, 0.007)
    _write(host_profile_path("cpu-here", INTEL), INTEL, 0.003)  # another host's, not ours
    with pytest.warns(HostMismatchWarning) as caught:
        res = resolve_hardware("cpu-here", host=AMD)
    assert res.origin == "packaged" and res.preset.step_overhead_s == 0.007
    msg = str(caught[0].message)
    assert res.warning == msg
    assert "Xeon" in msg and "AMD EPYC" in msg and "vllm-nexus simulate calibrate" in msg
    assert str(host_profile_path("cpu-here", AMD)) in msg
    assert res.to_dict()["host_match"] is False
    # on the host it records, the packaged profile is used without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_hardware("cpu-here", host=INTEL).origin == "host-local"
        (cache / "cache" / "profiles" / f"cpu-here-{INTEL.key()}.json").unlink()
        res = resolve_hardware("cpu-here", host=INTEL)
    assert res.origin == "packaged" and res.warning is None


def test_packaged_profile_of_this_host_is_used_before_the_generic_one(cache: Path) -> None:
    _write(hardware.profile_path("cpu-here"), INTEL, 0.007)
    ours = _write(hardware.profile_path("cpu-here", AMD), AMD, 0.0021)
    assert ours.name == f"cpu-here-{AMD.key()}.json"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # shipped for this host: no warning
        res = resolve_hardware("cpu-here", host=AMD)
    assert (res.origin, res.path, res.preset.step_overhead_s) == ("packaged", ours, 0.0021)
    assert res.to_dict()["host_match"] is True
    # a host-local calibration (this host, today) still comes first
    _write(host_profile_path("cpu-here", AMD), AMD, 0.0025)
    assert resolve_hardware("cpu-here", host=AMD).preset.step_overhead_s == 0.0025
    # another host gets the generic packaged profile (with the warning), not ours
    other = HostFingerprint("AMD EPYC", 4, "x86_64", ("avx2", "avx512f"))
    res = resolve_hardware("cpu-here", host=other, warn=False)
    assert res.origin == "packaged" and res.preset.step_overhead_s == 0.007 and res.warning


def test_packaged_host_profile_recording_another_host_is_not_used(cache: Path) -> None:
    # a file named for our key that records another host (renamed by hand) is skipped
    _write(hardware.profile_path("cpu-here", AMD), INTEL, 0.003)
    res = resolve_hardware("cpu-here", host=AMD, warn=False)
    assert res.origin == "built-in" and res.warning and "uncalibrated" in res.warning


def test_packaged_profile_without_a_host_record_warns(cache: Path) -> None:
    _write(hardware.profile_path("cpu-here"), None, 0.007)
    res = resolve_hardware("cpu-here", host=AMD, warn=False)
    assert res.origin == "packaged" and res.fitted_on is None
    assert res.warning and "does not record" in res.warning
    assert res.to_dict()["host_match"] is None


def test_a_copied_host_local_file_of_another_host_is_not_used(cache: Path) -> None:
    # a file at our key's path that records another host (copied between machines)
    _write(host_profile_path("cpu-here", AMD), INTEL, 0.003)
    res = resolve_hardware("cpu-here", host=AMD, warn=False)
    assert res.origin == "built-in" and res.preset == HARDWARE["cpu-here"]
    assert res.warning and "uncalibrated" in res.warning


def test_gpu_presets_and_explicit_files(cache: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = resolve_hardware("h100", host=AMD)
        assert res.origin == "built-in" and res.warning is None
        plain = _write(cache / "mine.json", None, 0.004)  # an explicit file: the user's choice
        assert resolve_hardware(str(plain), host=AMD).preset.step_overhead_s == 0.004
        assert hardware.get_hardware(str(plain)).step_overhead_s == 0.004
    other = _write(cache / "theirs.json", INTEL, 0.004)
    res = resolve_hardware(str(other), host=AMD, warn=False)
    assert res.origin == "file" and res.warning and "Xeon" in res.warning
    assert hardware.profile_host(other) == INTEL
    with pytest.raises(ValueError, match="unknown hardware"):
        resolve_hardware("tpu", host=AMD)


def test_calibrate_writes_this_hosts_profile_with_its_host_record(cache: Path) -> None:
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import MODELS
    from vllm_nexus.sim import calibrate

    truth = StepLatencyModel(HARDWARE["cpu-here"].with_updates(step_overhead_s=3e-3),
                             MODELS["tiny"])  # fmt: skip
    rng, t, lines = random.Random(1), 100.0, []
    for _ in range(200):
        pre = [(rng.randrange(64, 2000), rng.randrange(0, 1000))] if rng.random() < 0.3 else []
        dec = [rng.randrange(10, 2000) for _ in range(rng.randrange(0 if pre else 1, 16))]
        comp = [*StepLatencyModel.aggregate(pre), len(dec), float(sum(dec))]
        d = truth.step_time(*comp)
        lines += [{"step": comp, "t": t}, {"end": t + d}]
        t += d
    log = cache / "steps.jsonl"
    log.write_text("".join(json.dumps(x) + "\n" for x in lines))
    p = argparse.ArgumentParser()
    calibrate.add_arguments(p)
    assert calibrate.run(p.parse_args(["--from-log", str(log), "--clock", "wall"])) == 0
    out = host_profile_path("cpu-here")
    doc = json.loads(out.read_text())
    assert HostFingerprint.from_dict(doc["host"]) == current_host()
    res = resolve_hardware("cpu-here", warn=False)
    assert res.origin == "host-local" and res.warning is None
    assert res.preset.step_overhead_s == pytest.approx(3e-3, rel=0.2)
    assert not hardware.profile_path("cpu-here").exists()  # the packaged one is not touched


@pytest.mark.parametrize(
    ("groups", "per_stream", "knee"),
    [(False, 5e-5, 0.0), (True, 1.2e-4, 8.0)],
    ids=["rounds-and-burst", "with-stream-groups"],
)
def test_calibrate_measures_the_frontend_delay_per_stream_and_call_from_the_log(
    cache: Path, groups: bool, per_stream: float, knee: float
) -> None:
    """The streaming rounds (1-3 streams) and the burst (32 streams, its first quarter left
    out) of a calibration log give the fixed, the per-stream and the per-call part of the
    delay; with the stream groups (2-8 streams, since 2026-12-05 (f)) also the knee past
    which the per-stream part stops growing (here 8: the burst pays for 8 streams), the
    stretch of prefill steps beside the streaming frontend (here 1.4) and the cost of a
    batch size's first step (here 5 ms)."""
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import MODELS
    from vllm_nexus.sim import calibrate

    truth = StepLatencyModel(HARDWARE["cpu-here"].with_updates(step_overhead_s=3e-3),
                             MODELS["tiny"])  # fmt: skip
    rng, t, lines = random.Random(2), 100.0, []
    paid = (lambda k: min(k, knee)) if knee else (lambda k: k)
    seen: set[int] = set()
    shape_s = 5e-3 if groups else 0.0  # a batch size's first step: kernels built

    def first(comp: list[float]) -> float:
        m = round(comp[1] + comp[4])
        new = m not in seen
        seen.add(m)
        return shape_s if new else 0.0

    def steps(n: int, streams: tuple[int, ...], extra: float) -> None:
        nonlocal t
        for _ in range(n):
            k = rng.choice(streams)
            dec = [rng.randrange(10, 600) for _ in range(k)]
            comp = [0, 0.0, 0.0, 0.0, k, float(sum(dec))]
            call = extra > 0 and rng.random() < 0.2  # a call received while it runs
            d = truth.step_time(*comp) + (extra and extra + per_stream * paid(k) + 1.5e-3 * call)
            d += first(comp)
            lines.append({"step": comp, "t": t})
            if call:
                lines.append({"add": f"r{len(lines)}", "t": t + d / 2})
            lines.append({"end": t + d})
            t += d

    for _ in range(400):  # the designed load (unstreamed): the step model's fit
        pre = [(rng.randrange(64, 2000), rng.randrange(0, 1000))] if rng.random() < 0.3 else []
        dec = [rng.randrange(10, 2000) for _ in range(rng.randrange(0 if pre else 1, 16))]
        comp = [*StepLatencyModel.aggregate(pre), len(dec), float(sum(dec))]
        d = truth.step_time(*comp) + first(comp)
        lines.extend([{"step": comp, "t": t}, {"end": t + d}])
        t += d
    lines.append({"phase": "frontend", "t": t})
    steps(300, (1, 2, 3), 7e-4)  # streaming rounds: 0.7 ms + per_stream per stream
    if groups:
        lines.append({"phase": "stream-groups", "t": t})
        steps(300, (2, 4, 6, 8), 7e-4)
        for _ in range(60):  # prefills beside the streaming frontend: 1.4x the model
            pre = [(rng.randrange(64, 800), rng.randrange(0, 500))]
            dec = [rng.randrange(10, 600) for _ in range(rng.randrange(0, 8))]
            comp = [*StepLatencyModel.aggregate(pre), len(dec), float(sum(dec))]
            k = 1 + len(dec)
            d = 1.4 * truth.step_time(*comp) + 7e-4 + per_stream * paid(k) + first(comp)
            lines.extend([{"step": comp, "t": t}, {"end": t + d}])
            t += d
    lines.append({"phase": "burst", "t": t})
    steps(50, (32,), 0.0)  # the burst's ramp: the FIFO filling, the engine alone (left out)
    steps(150, (32,), 7e-4)
    lines.append({"phase": "burst-end", "t": t + 1e-6})
    log = cache / "steps.jsonl"
    log.write_text("".join(json.dumps(x) + "\n" for x in lines))
    p = argparse.ArgumentParser()
    calibrate.add_arguments(p)
    assert calibrate.run(p.parse_args(["--from-log", str(log), "--clock", "wall"])) == 0
    hw = resolve_hardware("cpu-here", warn=False).preset
    assert hw.frontend_step_delay_s == pytest.approx(7e-4, abs=1e-4)
    assert hw.frontend_stream_delay_s == pytest.approx(per_stream, rel=0.1)
    assert hw.frontend_call_delay_s == pytest.approx(1.5e-3, rel=0.1)
    assert hw.frontend_stream_delay_cap == knee
    assert hw.frontend_prefill_stretch == pytest.approx(1.4 if groups else 1.0, rel=0.02)
    assert hw.new_shape_s == pytest.approx(shape_s, abs=2e-4)
    assert hw.frontend_engine_stretch == 1.0


def _designed_log(path: Path, overhead_s: float, seed: int) -> Path:
    """A synthetic designed-load step log of an engine whose fixed step cost is ``overhead_s``."""
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import MODELS

    truth = StepLatencyModel(HARDWARE["cpu-here"].with_updates(step_overhead_s=overhead_s),
                             MODELS["tiny"])  # fmt: skip
    rng, t, lines = random.Random(seed), 100.0, []
    for _ in range(200):
        pre = [(rng.randrange(64, 2000), rng.randrange(0, 1000))] if rng.random() < 0.3 else []
        dec = [rng.randrange(10, 2000) for _ in range(rng.randrange(0 if pre else 1, 16))]
        comp = [*StepLatencyModel.aggregate(pre), len(dec), float(sum(dec))]
        d = truth.step_time(*comp)
        lines += [{"step": comp, "t": t}, {"end": t + d}]
        t += d
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_calibrate_sets_the_queued_share_of_ingress_and_the_resume_cost_from_its_log(
    cache: Path,
) -> None:
    """`frontend_ingress_queued_s` (since 2026-12-06 (g); recorded as the fit quality's
    `ingress_spacing_s` since (f)): the median spacing of the engine's adds within fan-out
    bursts of >= 8 calls; groups of fewer calls and bursts that start in the agentic load are
    left out. With it, `resumed_call_delay_s` = the fitted `frontend_call_delay_s`. A log
    without bursts leaves both 0 (the model before)."""
    from vllm_nexus.sim import calibrate
    from vllm_nexus.sim.fit import ingress_spacing

    p = argparse.ArgumentParser()
    calibrate.add_arguments(p)
    plain = _designed_log(cache / "plain.jsonl", 2.5e-3, 0)
    out = cache / "p.json"
    assert calibrate.run(p.parse_args(["--from-log", str(plain), "--clock", "wall",
                                       "--out", str(out)])) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    assert doc["hardware"]["frontend_ingress_queued_s"] == 0.0
    assert doc["hardware"]["resumed_call_delay_s"] == 0.0
    assert doc["fit"]["ingress_bursts"] == 0 and "ingress_spacing_s" not in doc["fit"]

    def burst(t0: float, n: int, gap: float) -> list[dict]:
        return [{"add": f"r{t0}-{i}", "t": t0 + i * gap} for i in range(n)]

    extra = (burst(200.0, 12, 1.2e-3) + burst(201.0, 8, 1.0e-3) + burst(202.0, 4, 1e-4)
             + burst(203.0, 9, 1.4e-3) + [{"phase": "agent-load", "t": 204.0}]
             + burst(205.0, 10, 5e-3) + [{"phase": "burst", "t": 206.0}])  # fmt: skip
    log = cache / "bursts.jsonl"
    log.write_text(plain.read_text() + "".join(json.dumps(x) + "\n" for x in extra))
    assert calibrate.run(p.parse_args(["--from-log", str(log), "--clock", "wall",
                                       "--out", str(out)])) == 0  # fmt: skip
    doc = json.loads(out.read_text())
    assert doc["fit"]["ingress_spacing_s"] == pytest.approx(1.2e-3)
    assert doc["fit"]["ingress_bursts"] == 3
    hw = doc["hardware"]
    assert hw["frontend_ingress_queued_s"] == pytest.approx(1.2e-3)
    assert hw["resumed_call_delay_s"] == hw["frontend_call_delay_s"]
    # the splitting itself: a gap over 50 ms starts a new burst
    spaced = [0.0, 0.001, 0.002] + [0.1 + 0.002 * i for i in range(8)]
    assert ingress_spacing(spaced) == [pytest.approx(0.002)]
    assert ingress_spacing(spaced, skip=[(0.05, 0.2)]) == []


def test_midpoint_keeps_an_ingress_share_that_either_profile_has_off_off() -> None:
    from vllm_nexus.perf.hardware import midpoint

    hw = HARDWARE["cpu-here"]
    a = hw.with_updates(frontend_ingress_queued_s=1e-3)
    b = hw.with_updates(frontend_ingress_queued_s=2e-3)
    assert midpoint(a, b).frontend_ingress_queued_s == pytest.approx(1.5e-3)
    assert (
        midpoint(a, hw.with_updates(frontend_ingress_queued_s=0.0)).frontend_ingress_queued_s == 0
    )
    # the per-resume delay is opt-in the same way
    c = hw.with_updates(resumed_call_delay_s=2e-3)
    assert midpoint(c, c.with_updates(resumed_call_delay_s=1e-3)).resumed_call_delay_s == 1.5e-3
    assert midpoint(c, hw).resumed_call_delay_s == 0


def test_calibrate_keeps_the_median_servers_fit(cache: Path) -> None:
    """Three servers' logs, one of them 2 ms slower per step for its whole life (as a
    calibration server of 2026-12-05's window H was): the profile is the median server's fit,
    whatever the order, and records every server's small step."""
    from vllm_nexus.sim import calibrate

    p = argparse.ArgumentParser()
    calibrate.add_arguments(p)
    for order in ((2e-3, 4.5e-3, 2.5e-3), (4.5e-3, 2.5e-3, 2e-3), (2e-3, 2.5e-3, 4.5e-3)):
        logs = [_designed_log(cache / f"s{k}.jsonl", o, k) for k, o in enumerate(order)]
        out = cache / "p.json"
        args = ["--from-log", *map(str, logs), "--clock", "wall", "--out", str(out)]
        assert calibrate.run(p.parse_args(args)) == 0
        doc = json.loads(out.read_text())
        assert doc["hardware"]["step_overhead_s"] == pytest.approx(2.5e-3, rel=0.1)
        assert doc["fit"]["chosen_server"] == order.index(2.5e-3) + 1
        assert doc["fit"]["servers"] == 3 and len(doc["fit"]["small_step_ms"]) == 3
        assert doc["log"] == str(logs[order.index(2.5e-3)]) and doc["logs"] == list(map(str, logs))


def test_live_from_takes_the_live_fields_from_the_given_calibrations(cache: Path) -> None:
    """`--from-log` keeps the fields a step log does not hold (request overhead, frontend,
    call latencies) from the installed profile; `--live-from` takes their medians over the
    given calibration profiles instead (fidelity window R, 2026-12-06). Bad use is an error."""
    from vllm_nexus.perf.hardware import resolve_hardware
    from vllm_nexus.sim import calibrate

    p = argparse.ArgumentParser()
    calibrate.add_arguments(p)
    log = _designed_log(cache / "s.jsonl", 2e-3, 0)
    profiles = []
    for k, (req, busy) in enumerate(((1e-3, 0.3), (3e-3, 0.5))):
        hw = HARDWARE["cpu-here"].with_updates(request_overhead_s=req, frontend_busy_speed=busy)
        profiles.append(cache / f"cal{k}.json")
        profiles[-1].write_text(json.dumps({"hardware": hw.to_dict()}))
    out = cache / "p.json"
    base = ["--from-log", str(log), "--clock", "wall", "--out", str(out)]
    assert calibrate.run(p.parse_args([*base, "--live-from", *map(str, profiles)])) == 0
    hw = json.loads(out.read_text())["hardware"]
    assert hw["request_overhead_s"] == pytest.approx(2e-3)
    assert hw["frontend_busy_speed"] == pytest.approx(0.4)
    assert hw["step_overhead_s"] == pytest.approx(2e-3, rel=0.1)  # the step model: the log's
    assert calibrate.run(p.parse_args(base)) == 0
    installed = resolve_hardware("cpu-here", warn=False).preset
    assert json.loads(out.read_text())["hardware"]["request_overhead_s"] == pytest.approx(
        installed.request_overhead_s
    )
    assert calibrate.run(p.parse_args([*base, "--live-from", str(cache / "missing.json")])) == 2
    assert calibrate.run(p.parse_args(["--live-from", str(profiles[0]), "--quick"])) == 2


def test_median_fit_of_an_even_count_is_the_lower_middle_and_none_is_an_error() -> None:
    from vllm_nexus.sim.calibrate import median_fit, small_step_s

    fits = [(HARDWARE["cpu-here"].with_updates(step_overhead_s=o), {}, Path(f"{o}")) for o in
            (4e-3, 1e-3, 3e-3, 2e-3)]  # fmt: skip
    assert median_fit(fits) == 3  # 2 ms: the lower of 2 and 3 ms
    assert small_step_s(fits[0][0]) - small_step_s(fits[1][0]) == pytest.approx(3e-3)
    with pytest.raises(ValueError):
        median_fit([])


def test_calibrate_refuses_zero_servers(cache: Path) -> None:
    from vllm_nexus.sim import calibrate

    p = argparse.ArgumentParser()
    calibrate.add_arguments(p)
    assert calibrate.run(p.parse_args(["--servers", "0"])) == 2


@pytest.mark.parametrize(
    "path", sorted(hardware.PROFILE_DIR.glob("cpu-here-*.json")), ids=lambda p: p.name
)
def test_every_shipped_host_profile_is_named_for_the_host_it_records(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shipped per-host profile is a valid profile whose recorded host has the key in its
    file name, and that host resolves `cpu-here` to it without a warning."""
    monkeypatch.setenv("VLLM_NEXUS_CACHE", str(tmp_path))  # no host-local profile in the way
    doc = json.loads(path.read_text())
    host = HostFingerprint.from_dict(doc["host"])
    assert path.name == f"cpu-here-{host.key()}.json"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = resolve_hardware("cpu-here", host=host)
    assert (res.path, res.origin) == (path, "packaged")
    assert res.preset.step_overhead_s == doc["hardware"]["step_overhead_s"]


def test_midpoint_averages_times_and_rates_so_a_step_costs_the_mean_of_the_two() -> None:
    """The bracketing protocol's profile (docs/simulator.md): halfway between a calibration
    made before a run and one made after it. Time fields are averaged, rates harmonically
    (so time per unit of work is averaged), a 0 ("no cap") cap stays 0, equal fields stay."""
    from vllm_nexus.perf.hardware import midpoint
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model

    base = HARDWARE["cpu-here"]
    a = base.with_updates(step_overhead_s=2e-3, mem_bw=10e9, peak_flops=100e9,
                          frontend_stream_delay_cap=0.0, source="start")  # fmt: skip
    b = base.with_updates(step_overhead_s=4e-3, mem_bw=30e9, peak_flops=60e9,
                          frontend_stream_delay_cap=8.0, source="end")  # fmt: skip
    m = midpoint(a, b)
    assert m.step_overhead_s == pytest.approx(3e-3)
    assert m.mem_bw == pytest.approx(15e9)  # 1/15 = mean(1/10, 1/30)
    assert m.peak_flops == pytest.approx(75e9)
    assert m.frontend_stream_delay_cap == 0.0
    assert m.per_seq_overhead_s == base.per_seq_overhead_s and m.num_sms == base.num_sms
    assert "start" in m.source and "end" in m.source
    assert midpoint(a, a).to_dict() == {**a.to_dict(), "source": midpoint(a, a).source}
    model = get_model("tiny")
    for batch, ctx in ((1, 1024), (8, 2048)):
        ta, tb, tm = (StepLatencyModel(h, model).decode_time(batch, ctx) for h in (a, b, m))
        assert min(ta, tb) < tm < max(ta, tb)
        assert tm == pytest.approx((ta + tb) / 2, rel=0.1)


def test_centre_of_several_calibrations_generalises_the_midpoint() -> None:
    """Interleaved calibrations (docs/simulator.md): the centre of N profiles averages time
    fields, rates harmonically, keeps a 0 cap or an "off" field if any profile has it, and
    for two profiles is exactly the midpoint; fewer than two is an error."""
    from vllm_nexus.perf.hardware import centre, midpoint

    base = HARDWARE["cpu-here"]
    hws = [base.with_updates(step_overhead_s=t, mem_bw=bw, frontend_stream_delay_cap=cap,
                             source=f"c{i}")  # fmt: skip
           for i, (t, bw, cap) in enumerate([(1e-3, 10e9, 4.0), (2e-3, 20e9, 0.0),
                                              (6e-3, 20e9, 8.0)])]  # fmt: skip
    c = centre(hws)
    assert c.step_overhead_s == pytest.approx(3e-3)
    assert c.mem_bw == pytest.approx(15e9)  # 1/15 = mean(1/10, 1/20, 1/20)
    assert c.frontend_stream_delay_cap == 0.0
    assert c.frontend_delay_calls_cap == base.frontend_delay_calls_cap
    assert all(f"c{i}" in c.source for i in range(3))
    assert centre(hws[::2]).to_dict() == {**midpoint(hws[0], hws[2]).to_dict(),
                                          "source": centre(hws[::2]).source}  # fmt: skip
    assert centre([hws[0], hws[0], hws[2]]).step_overhead_s == pytest.approx(8e-3 / 3)
    with pytest.raises(ValueError, match="at least two"):
        centre(hws[:1])
    with pytest.raises(ValueError, match="'num_sms'"):
        centre([*hws, base.with_updates(num_sms=64)])


def test_midpoint_of_two_devices_is_an_error_naming_the_field() -> None:
    from vllm_nexus.perf.hardware import midpoint

    with pytest.raises(ValueError, match="'num_sms'"):
        midpoint(HARDWARE["cpu-here"], HARDWARE["cpu-here"].with_updates(num_sms=64))
    with pytest.raises(ValueError, match="'platform'"):
        midpoint(HARDWARE["cpu-here"], HARDWARE["cpu-here"].with_updates(platform="cuda"))
    hw = HARDWARE["cpu-here"]
    with pytest.raises(ValueError, match="'kv_cache_bytes'"):
        midpoint(hw, hw.with_updates(kv_cache_bytes=2 * (hw.kv_cache_bytes or 1e9)))


def test_calibrate_midpoint_writes_the_profile_and_refuses_two_hosts(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`simulate calibrate --midpoint START END --out P`: no server, a profile file that
    `--hardware P` loads; two hosts, a missing file or combining it with --from-log is a
    clear error (exit 2)."""
    from vllm_nexus.perf.hardware import load_profile, profile_host
    from vllm_nexus.sim import calibrate

    p = argparse.ArgumentParser()
    calibrate.add_arguments(p)
    start = _write(cache / "start.json", INTEL, 2e-3)
    end = _write(cache / "end.json", INTEL, 4e-3)
    out = cache / "mid.json"
    assert calibrate.run(p.parse_args(["--midpoint", str(start), str(end), "--out", str(out)])) == 0
    assert load_profile(out).step_overhead_s == pytest.approx(3e-3)
    assert profile_host(out) == INTEL
    assert json.loads(out.read_text())["midpoint_of"] == [str(start), str(end)]
    other = _write(cache / "amd.json", AMD, 4e-3)
    assert (
        calibrate.run(p.parse_args(["--midpoint", str(start), str(other), "--out", str(out)])) == 2
    )
    assert "a midpoint needs one host" in capsys.readouterr().err
    missing = cache / "missing.json"
    assert (
        calibrate.run(p.parse_args(["--midpoint", str(start), str(missing), "--out", str(out)]))
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    three = [*(str(_write(cache / f"r{i}.json", INTEL, t)) for i, t in enumerate((2e-3, 3e-3)))]
    argv = ["--midpoint", str(start), *three, str(end), "--out", str(cache / "centre.json")]
    assert calibrate.run(p.parse_args(argv)) == 0
    assert load_profile(cache / "centre.json").step_overhead_s == pytest.approx(2.75e-3)
    assert json.loads((cache / "centre.json").read_text())["midpoint_of"] == argv[1:5]
    assert calibrate.run(p.parse_args(["--midpoint", str(start), "--out", str(out)])) == 2
    assert "two or more" in capsys.readouterr().err
    argv = ["--midpoint", str(start), three[0], str(other), "--out", str(out)]
    assert calibrate.run(p.parse_args(argv)) == 2
    assert "a midpoint needs one host" in capsys.readouterr().err
    both = ["--midpoint", str(start), str(end), "--from-log", str(start), "--out", str(out)]
    assert calibrate.run(p.parse_args(both)) == 2
    assert "cannot be combined" in capsys.readouterr().err
    assert load_profile(out).step_overhead_s == pytest.approx(3e-3)  # not overwritten on error
