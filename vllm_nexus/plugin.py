"""vLLM general-plugin entry point (``vllm.general_plugins`` -> ``vllm_nexus.plugin:register``).

vLLM calls :func:`register` once in every process it starts. It only sets up the metrics
bridge: the API server's ``/metrics`` gains the ``vllm_nexus_*`` families, read from the
snapshots the scheduler writes (see :mod:`vllm_nexus.programs.metrics`). It must stay cheap and
idempotent.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def register() -> None:
    try:
        from vllm_nexus.programs.metrics import register_collector

        register_collector()
    except Exception as e:  # a metrics problem must never stop vLLM from starting
        logger.warning("vllm_nexus: metrics collector not registered: %s", e)
