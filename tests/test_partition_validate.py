"""``vllm-nexus validate-gpu`` / ``examples/gpu_validate.sh`` without a GPU: the dry run's report
schema (what CI runs), the per-step timeout and the global budget, and the pure verdict logic
of the CUDA and engine steps (SM-set disjointness, concurrency, token comparison)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vllm_nexus.validation import cli as validate
from vllm_nexus.validation.device import (
    check_disjoint,
    granularity,
    interval_overlap,
    three_splits,
)
from vllm_nexus.validation.engine import compare, engine_args, first_divergence

ROOT = Path(__file__).resolve().parents[1]
ENTRY_KEYS = {"id", "status", "summary", "figures", "duration_s", "timeout_s", "log", "log_excerpt"}


def check_schema(report: dict) -> None:
    assert report["schema"] == validate.SCHEMA
    assert [e["id"] for e in report["steps"]] == [
        "env", "partitions", "sm_disjoint", "overlap", "equivalence", "graphs", "profile",
        "kv_offload",
    ]  # fmt: skip
    for e in report["steps"]:
        assert set(e) == ENTRY_KEYS, e["id"]
        assert e["status"] in validate.STATUSES
        assert isinstance(e["figures"], dict) and isinstance(e["summary"], str) and e["summary"]


def test_dry_run_report_schema(tmp_path: Path) -> None:
    """What CI runs: the shell wrapper in dry-run mode writes the full report."""
    env = {**os.environ, "PY": sys.executable, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        ["bash", str(ROOT / "examples" / "gpu_validate.sh"), "--out", str(tmp_path), "--dry-run"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    check_schema(report)
    assert report["dry_run"] is True
    steps = {e["id"]: e for e in report["steps"]}
    env_step = steps["env"]
    assert env_step["status"] == "pass" and env_step["duration_s"] > 0
    for key in ("torch", "vllm", "cuda_driver", "cuda_bindings", "triton", "probe"):
        assert key in env_step["figures"]
    assert set(env_step["figures"]["probe"]) >= {"cuda", "driver_green_contexts", "disjoint"}
    assert Path(env_step["log"]).is_file()
    for step in validate.CUDA_STEPS:
        assert steps[step]["status"] == "skipped" and steps[step]["summary"] == "dry run"
    md = (tmp_path / "report.md").read_text()
    for step in validate.STEP_IDS:
        assert f"## {step}: " in md


def test_each_step_has_its_own_timeout(tmp_path: Path) -> None:
    for d in ("logs", "steps", "work"):
        (tmp_path / d).mkdir()
    e = validate.run_step_child("env", tmp_path, timeout_s=0.05)
    assert e["status"] == "timeout" and "killed after" in e["summary"]
    assert e["timeout_s"] == pytest.approx(0.05, abs=0.1)


def test_global_budget_skips_what_does_not_fit(tmp_path: Path) -> None:
    report = validate.validate(tmp_path, dry_run=True, budget_s=validate.RESERVE_S + 1)
    check_schema(report)
    env_step = report["steps"][0]
    assert env_step["status"] == "skipped" and "budget" in env_step["summary"]


def test_unknown_step_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert validate.main(["--out", str(tmp_path), "--steps", "env,nope"]) == 2
    assert "unknown step" in capsys.readouterr().err


def test_disjointness_verdict() -> None:
    ok = check_disjoint(set(range(48)), set(range(48, 132)), 48, 84)
    assert ok["ok"] and ok["used"] == [48, 84] and not ok["shared_sms"]
    shared = check_disjoint(set(range(50)), set(range(48, 132)), 48, 84)
    assert not shared["ok"] and shared["shared_sms"] == [48, 49]
    short = check_disjoint(set(range(40)), set(range(48, 132)), 48, 84)
    assert not short["ok"]  # fewer SMs than requested is a failure too


def test_concurrency_and_split_helpers() -> None:
    assert interval_overlap((0, 10), (5, 20)) == 0.5
    assert interval_overlap((0, 10), (10, 20)) == 0.0
    assert interval_overlap((0, 10), (2, 4)) == 1.0
    assert granularity((9, 0)) == (8, 8) and granularity((8, 0)) == (2, 4)
    grid = list(range(8, 121, 8))
    assert three_splits(grid, 132) == [16, 64, 112]


def _run(tokens: list[list[int]], lp: float = -0.1) -> dict:
    return {
        "outputs": [
            {"tokens": t, "logprobs": [{str(x): lp, str(x + 1): lp - 0.5} for x in t]}
            for t in tokens
        ],
        "start_s": 1.0,
        "nexus_stats": {"split_steps": 7},
    }


def test_first_divergence_and_logprob_gap() -> None:
    a = _run([[1, 2, 3], [5, 6]])["outputs"]
    b = _run([[1, 2, 4], [5, 6]])["outputs"]
    d = first_divergence(a, b)
    assert d["request"] == 0 and d["position"] == 2 and d["tokens"] == [3, 4]
    assert d["logprob_gap_in_first"] == pytest.approx(0.5)
    assert first_divergence(a, a) is None


def test_equivalence_verdict() -> None:
    same = {m: _run([[1, 2, 3]]) for m in ("stock", "sequential", "concurrent")}
    assert compare(same)[0] == "pass"
    differ = dict(same, concurrent=_run([[1, 9, 3]]))
    status, summary, figures = compare(differ)
    assert status == "fail" and "differ" in summary
    assert figures["sequential_vs_concurrent"]["first_divergence"]["position"] == 1
    no_split = dict(same, sequential={**_run([[1, 2, 3]]), "nexus_stats": {"split_steps": 0}})
    assert compare(no_split)[1] == "sequential ran no split step"
    status, summary, _ = compare({"stock": same["stock"]})
    assert status == "fail" and "sequential" in summary


def test_equivalence_engine_arguments_are_identical_across_modes() -> None:
    args = {m: engine_args("/m", m) for m in ("stock", "sequential", "concurrent")}
    common = {k: v for k, v in args["stock"].items() if k != "additional_config"}
    for m in ("sequential", "concurrent"):
        rest = {k: v for k, v in args[m].items() if k not in ("additional_config", "worker_cls")}
        assert rest == common
        assert args[m]["worker_cls"] == "vllm_nexus.Worker"
    assert common["dtype"] == "float32" and common["enforce_eager"] is True
    assert common["async_scheduling"] is False
    graphs = engine_args("/m", "sequential", graphs=True)
    assert graphs["enforce_eager"] is False
    assert graphs["additional_config"]["vllm_nexus"]["partition"]["allow_cuda_graphs"] is True
