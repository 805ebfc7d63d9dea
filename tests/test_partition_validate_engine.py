"""The ``equivalence`` step of ``vllm-nexus validate-gpu`` end to end on CPU: three child
processes (stock, ``split=sequential``, ``split=concurrent``) on the tiny model in float32,
their outputs compared. On a GPU the same code runs on partition streams; here it checks the
step's machinery and that both split modes agree token for token with each other."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.engine


def test_equivalence_step_on_cpu(
    tiny_model_dir: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vllm_nexus.validation import engine as validate_engine

    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "1")
    log_path = tmp_path / "equivalence.log"
    with log_path.open("w") as log:
        status, summary, figures = validate_engine.step_equivalence(
            tmp_path, str(tiny_model_dir), time.monotonic() + 1500, log
        )
    text = log_path.read_text()
    assert status == "pass", (summary, figures, text[-3000:])
    assert figures["modes_run"] == ["concurrent", "sequential", "stock"]
    assert all(n > 0 for n in figures["split_steps"].values())
    assert figures["sequential_vs_concurrent"]["identical"]
    for mode in ("sequential", "concurrent"):
        assert "first_divergence" in figures[f"stock_vs_{mode}"]
    # Every mode's raw output is kept for the graphs step and for the record.
    for mode in validate_engine.MODES:
        assert (tmp_path / f"equivalence-{mode}.json").is_file()
