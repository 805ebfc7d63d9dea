"""``examples/lineage_eval.py retention``: the share of the with-ids gain kept without ids, per
repetition of a bench_sweep directory (no engine: fake results)."""

from __future__ import annotations

from pathlib import Path

import pytest
from example_loader import load_example

from vllm_nexus.bench import report
from vllm_nexus.bench.metrics import CallRecord, ProgramRecord


@pytest.fixture(scope="module")
def lineage_eval():
    return load_example("lineage_eval.py")


def put(out: Path, sched: str, rep: int, rate: float, latency_s: float) -> None:
    """One run whose single program has ``latency_s`` per output token (10 tokens)."""
    rec = ProgramRecord(
        "p", "chat", 0.0, [CallRecord("c0", [], 5, 10, 0, 0, 0.0, latency_s * 10, 5, 10)]
    )
    res = report.make_result(sched, {}, [report.run_entry(rate, [rec], 1.0)], env={})
    report.save_result(
        res, out / "raw" / "mixed" / sched / f"rate{rate:g}-rep{rep}" / "result.json"
    )


def test_retention_per_repetition_uses_each_repetitions_own_slo(lineage_eval, tmp_path, capsys):
    # rep 0: SLO 3 x 0.010 = 0.030; stock crosses at 8 + 8 * (30-20)/(40-20) = 12,
    # plas at 16 + 16 * (30-20)/(40-20) = 24, noids at 16 + 16 * (30-25)/(35-25) = 24 -> 100%;
    # rep 1: stock twice as slow at its lowest rate -> SLO 0.060; plas 0.050 at 32 (censored).
    for rep, scale in ((0, 1.0), (1, 2.0)):
        for rate, lat in ((4, 0.010), (8, 0.020), (16, 0.040)):
            put(tmp_path, "stock", rep, rate, lat * scale)
    for rate, lat in ((16, 0.020), (32, 0.040)):
        put(tmp_path, "plas", 0, rate, lat)
    for rate, lat in ((16, 0.025), (32, 0.035)):
        put(tmp_path, "plas-noids", 0, rate, lat)
    for rate, lat in ((16, 0.020), (32, 0.050)):
        put(tmp_path, "plas", 1, rate, lat)
    for rate, lat in ((16, 0.050), (32, 0.070)):
        put(tmp_path, "plas-noids", 1, rate, lat)
    out = lineage_eval.retention(tmp_path, 3.0, ("stock", "plas", "plas-noids"))
    r0, r1 = out["repetitions"][0], out["repetitions"][1]
    assert r0["slo_ms"] == 30.0 and r1["slo_ms"] == 60.0
    assert r0["tal"] == pytest.approx({"stock": 12.0, "plas": 24.0, "plas-noids": 24.0})
    assert r0["kept"] == pytest.approx(1.0)
    # rep 1: stock 12 again (its curve doubled with its SLO); plas >= 32 (a lower bound);
    # noids 16 + 16 * (60-50)/(70-50) = 24 -> (24-12)/(32-12) = 60%
    assert r1["censored"] == ["plas"]
    assert r1["kept"] == pytest.approx(0.6)
    assert out["mean"]["mean_of_kept"] == pytest.approx(0.8)
    assert out["mean"]["kept_of_mean_tal"] == pytest.approx((24 - 12) / (28 - 12))
    assert "rep 1: SLO 60.0" in capsys.readouterr().out


def test_no_gain_with_ids_gives_no_retention(lineage_eval):
    assert lineage_eval._kept(10.0, 9.0, 12.0) is None
    assert lineage_eval._kept(10.0, 20.0, 15.0) == pytest.approx(0.5)
