"""`vllm-nexus profile --derive`, the published-measurement SM scaling and the simulated split
evaluation (no engine, no GPU)."""

from __future__ import annotations

import json

import pytest

from vllm_nexus import cli
from vllm_nexus.sim import split
from vllm_nexus.split import sm_scaling
from vllm_nexus.split.cost_model import CostModel, PhaseWork, load_profile
from vllm_nexus.split.profiler import derive_profile


@pytest.mark.parametrize("name", sorted(sm_scaling.MODELS))
def test_scaling_models_reproduce_the_published_points(name: str) -> None:
    m = sm_scaling.get_model(name)
    s = lambda r: m.slowdown("decode", r)  # noqa: E731
    # Nexus §3: ~10% lower decode latency from 30% to 40% of the SMs ...
    assert s(0.4) / s(0.3) == pytest.approx(0.90)
    # ... and < 3% per further 10% beyond 50% (at most the bound).
    for r in (0.5, 0.6, 0.7, 0.8, 0.9):
        assert 1.0 <= s(r) / s(round(r + 0.1, 1)) <= 1.03 + 1e-9
    assert s(1.0) == 1.0
    shares = [i / 100 for i in range(5, 101)]
    assert all(s(a) > s(b) for a, b in zip(shares, shares[1:], strict=False))  # monotone
    # Nexus §3: prefill ~1/r (until its saturation share).
    assert m.slowdown("prefill", 0.5) == pytest.approx(max(1.0, m.prefill_saturation / 0.5))
    # Nexus §3: prefill KV 2k -> 10k slows the same decode batch by 36%.
    assert m.contention(10000) / m.contention(2000) == pytest.approx(1.36)
    assert m.contention(0) == 1.0
    assert "Nexus" in m.source and name in m.label()


def test_scaling_calibrations_are_ordered_and_errors() -> None:
    pes, cen, opt = (sm_scaling.get_model(n) for n in ("pessimistic", "central", "optimistic"))
    for r in (0.2, 0.45, 0.7):
        assert pes.slowdown("decode", r) > cen.slowdown("decode", r) > opt.slowdown("decode", r)
    assert pes.contention(4000) > cen.contention(4000) > opt.contention(4000)
    with pytest.raises(ValueError, match="unknown SM-scaling calibration"):
        sm_scaling.get_model("roofline")
    with pytest.raises(ValueError, match="SM share"):
        cen.slowdown("decode", 0.0)
    with pytest.raises(ValueError, match="no contention curve"):
        sm_scaling.kappa_for(100.0)  # saturates below 2k: 36% unreachable


def test_derived_profiles_use_the_published_scaling_not_the_roofline_sm_model() -> None:
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model

    for name in ("central", "pessimistic"):
        prof = derive_profile("h100", "llama-3.1-8b", name)
        m = sm_scaling.get_model(name)
        assert m.label() in prof.source and "DERIVED" in prof.source
        assert prof.contention_kappa == pytest.approx(m.contention_kappa)
        lat = StepLatencyModel(get_hardware("h100"), get_model("llama-3.1-8b"))
        full = {(s.phase, s.tokens, s.attn_work): s.latency_s for s in prof.samples if s.sms == 132}
        for s in prof.samples:
            t1 = full[(s.phase, s.tokens, s.attn_work)]
            assert s.latency_s / t1 == pytest.approx(m.slowdown(s.phase, s.sms / 132))
        # Only the full-GPU latency comes from the roofline.
        assert full[("decode", 64, 64 * 2049)] == pytest.approx(lat.decode_time(64, 2048))


def test_shipped_profiles_are_the_central_derivation() -> None:
    from vllm_nexus.split.profiler import BUILTIN

    for hw, model in BUILTIN:
        shipped = load_profile(
            sm_scaling.__file__.replace("sm_scaling.py", f"profiles/partition-{hw}-{model}.json")
        )
        assert shipped.to_dict() == derive_profile(hw, model, "central").to_dict()


def test_derive_writes_a_loadable_labelled_profile(tmp_path) -> None:
    out = tmp_path / "p.json"
    assert cli.main(["profile", "--derive", "a100:qwen2.5-3b", "-o", str(out)]) == 0
    prof = load_profile(out)
    assert prof.num_sms == 108 and prof.sm_granularity == 2 and "DERIVED" in prof.source
    out2 = tmp_path / "p2.json"
    assert (
        cli.main(
            ["profile", "--derive", "a100:qwen2.5-3b", "--scaling", "optimistic", "-o", str(out2)]
        )
        == 0
    )
    assert "optimistic" in load_profile(out2).source
    cm = CostModel(prof)
    w = PhaseWork(1024, 1024 * 1024, 1)
    assert cm.latency("prefill", w, 54) > cm.latency("prefill", w, 108)


@pytest.mark.parametrize("arg", ["h100", "nope:llama-3.1-8b", "h100:nope"])
def test_derive_bad_arguments(arg: str, capsys) -> None:
    assert cli.main(["profile", "--derive", arg]) == 2
    assert capsys.readouterr().err.strip()


def test_measure_without_cuda_exits_clearly(capsys) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    assert cli.main(["profile", "--model", "/nonexistent"]) == 2
    assert "cannot measure here: no CUDA device" in capsys.readouterr().err


def test_split_sim_deterministic_and_sane() -> None:
    a = split.simulate("nexus", "mixed", 6.0, 120, 3, "h100", "llama-3.1-8b")
    b = split.simulate("nexus", "mixed", 6.0, 120, 3, "h100", "llama-3.1-8b")
    assert a == b
    s = split.simulate("stock", "mixed", 6.0, 120, 3, "h100", "llama-3.1-8b")
    for r in (a, s):
        assert r["finished"] == 120 and r["mean_ttft_s"] > 0 and r["mean_tbt_s"] > 0
    # Same requests, same output tokens: throughput over the same span is comparable.
    assert a["launches"] > 0 and a["prefill_priority"] + a["decode_priority"] > 0


def test_split_sim_physics_is_separate_from_the_controller_and_labelled(tmp_path) -> None:
    args = ("mixed", 10.0, 150, 2, "h100", "llama-3.1-8b")
    runs = {ph: split.simulate("nexus", *args, physics=ph) for ph in sm_scaling.MODELS}
    assert {ph: r["physics"] for ph, r in runs.items()} == {ph: ph for ph in sm_scaling.MODELS}
    # The same controller decisions meet slower or faster GPUs: decode TBT follows the physics.
    assert runs["pessimistic"]["mean_tbt_s"] > runs["central"]["mean_tbt_s"]
    assert runs["central"]["mean_tbt_s"] > runs["optimistic"]["mean_tbt_s"]
    # The stock engine runs on the whole GPU: no SM scaling involved.
    assert split.simulate("stock", *args) == split.simulate("stock", *args)
    cal = split.calibration("h100", "llama-3.1-8b", "pessimistic")
    assert cal["simulated"] and "pessimistic" in cal["physics_source"]
    assert "DERIVED" in cal["controller_profile_source"]
    out = tmp_path / "r.json"
    argv = ["--requests", "40", "--rates", "mixed=4", "--workloads", "mixed",
            "--physics", "optimistic", "-o", str(out)]  # fmt: skip
    assert split.main(argv) == 0
    data = json.loads(out.read_text())
    assert data["simulated"] and data["calibration"]["physics"] == "optimistic"
    assert all(r.get("physics", "optimistic") == "optimistic" for r in data["results"])


def test_split_sim_decode_isolated_from_long_prefills() -> None:
    """The mechanism the split buys: decode steps do not wait for long prefill chunks."""
    s = split.simulate("stock", "longdoc", 4.0, 200, 1, "h100", "llama-3.1-8b")
    n = split.simulate("nexus", "longdoc", 4.0, 200, 1, "h100", "llama-3.1-8b")
    assert n["p95_tbt_s"] < s["p95_tbt_s"]


def test_max_rate_at_slo() -> None:
    rs = [
        {"rate": 1, "mean_ttft_s": 0.1, "mean_tbt_s": 0.01},
        {"rate": 2, "mean_ttft_s": 0.5, "mean_tbt_s": 0.02},
        {"rate": 3, "mean_ttft_s": 5.0, "mean_tbt_s": 0.02},
    ]
    assert split.max_rate_at_slo(rs, 1.0, 0.05) == 2
    assert split.max_rate_at_slo(rs, 1.0, 0.015) == 1
    assert split.max_rate_at_slo(rs, 0.01, 0.05) is None
    with pytest.raises(ValueError, match="unknown workload"):
        split.make_requests("nope", 1, 1, 0)
    json.dumps(split.WORKLOADS)
