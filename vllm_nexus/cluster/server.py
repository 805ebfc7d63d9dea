"""The engine replica: Ray Serve LLM's ``LLMServer`` plus the publisher of its engine's
``vllm_nexus_*`` scheduler metrics (:mod:`vllm_nexus.cluster.engine_metrics`).

Before the engine starts, the replica points ``VLLM_NEXUS_METRICS_DIR`` at a directory of its
own (:func:`~vllm_nexus.programs.metrics.snapshot_directory`: in memory when the system has a
``/dev/shm``; removed when the replica's process exits; the engine-core process it spawns
inherits it and writes its snapshots there) and starts
the thread that copies them to Ray's key-value store under its replica id. This has to happen
in the replica process itself: Ray Serve LLM builds the vLLM config, and so loads vLLM's
plugins, in a separate Ray task.
"""

from __future__ import annotations

import os
from typing import Any

from ray.serve.llm import LLMServer

from vllm_nexus.cluster.engine_metrics import start_publisher
from vllm_nexus.programs.metrics import METRICS_DIR_ENV, snapshot_directory


class NexusLLMServer(LLMServer):
    """``LLMServer`` whose engine's scheduler metrics reach the cluster's ``/metrics``."""

    async def __init__(self, llm_config: Any, **kwargs: Any) -> None:
        directory = snapshot_directory()
        os.environ[METRICS_DIR_ENV] = directory
        start_publisher(directory)
        await super().__init__(llm_config, **kwargs)
