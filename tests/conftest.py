"""Shared pytest setup: GPU auto-skip, the tiny model, and one shared vLLM server.

``nexus_server`` starts ONE ``vllm serve`` (the real CLI) on the tiny model for the whole
session, with ``NEXUS_SERVER_ARGS``; engine tests that need a server use it rather than start
their own (the machine has 2 cores). Append to ``NEXUS_SERVER_ARGS`` to enable more features.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

NEXUS_SERVER_ARGS: list[str] = [
    "--scheduler-cls",
    "vllm_nexus.Scheduler",
    "--max-num-seqs",
    "8",
    "--middleware",
    "vllm_nexus.api.ProgramIdMiddleware",
    "--additional-config",
    '{"vllm_nexus": {"scheduler": {"max_program_id_length": 64}}}',
]
MAX_PROGRAM_ID_LENGTH = 64  # the limit set above (middleware and scheduler read the same key)

# Engine start is ~30 s on an idle 2-core machine but took >300 s under a load average of 30.
SERVER_STARTUP_TIMEOUT_S = 600

# Servers started by tests take a free port the OS picks, or one inside
# $VLLM_NEXUS_PORT_RANGE (e.g. "18100-18199") when set: see launcher.free_port.


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Tests never read this user's host-local state (e.g. a `cpu-here` profile calibrated
    on this machine in ``~/.cache/vllm_nexus``): an empty cache directory per test."""
    monkeypatch.setenv("VLLM_NEXUS_CACHE", str(tmp_path_factory.mktemp("nexus-cache")))


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The marker, not "gpu" in item.keywords: keywords also hold directory names.
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if not gpu_items or _cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
    for item in gpu_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded tiny model, built once per session."""
    from vllm_nexus.serving.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def nexus_server(
    tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """One ``vllm serve`` on the tiny model with ``NEXUS_SERVER_ARGS``; stopped at the end.

    Yields a started :class:`vllm_nexus.serving.launcher.VllmServer` (``base_url``,
    ``openai_base_url``, ``model``, ``log_text()``).
    """
    from vllm_nexus.serving.launcher import VllmServer

    log = tmp_path_factory.mktemp("server") / "vllm-serve.log"
    server = VllmServer(
        str(tiny_model_dir),
        args=NEXUS_SERVER_ARGS,
        log_path=log,
        startup_timeout_s=SERVER_STARTUP_TIMEOUT_S,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
