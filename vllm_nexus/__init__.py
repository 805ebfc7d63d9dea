"""vllm-nexus: program-aware scheduling and intra-GPU prefill/decode split for vLLM.

Use with ``vllm serve MODEL --scheduler-cls vllm_nexus.Scheduler`` (and
``--worker-cls vllm_nexus.Worker``). The vLLM adapters are imported lazily so the pure policy
modules (``programs``, ``queues``, ``partition``, ``config``) import without vLLM.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Scheduler": ("vllm_nexus.programs.scheduler", "Scheduler"),
    "AsyncScheduler": ("vllm_nexus.programs.scheduler", "AsyncScheduler"),
    "Worker": ("vllm_nexus.split.worker", "Worker"),
}

__all__ = ["Scheduler", "AsyncScheduler", "Worker", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'vllm_nexus' has no attribute {name!r}")
