"""vLLM general-plugin entry point (``vllm.general_plugins`` -> ``vllm_nexus.plugin:register``).

vLLM calls :func:`register` once in every process it starts. It sets up the metrics
bridge: the API server's ``/metrics`` gains the ``vllm_nexus_*`` families, read from the
snapshots the scheduler writes (see :mod:`vllm_nexus.programs.metrics`), and the per-server
tenant secret the HTTP middleware signs tenants with and the scheduler verifies them with
(:mod:`vllm_nexus.programs.tenant_identity`; created here, before the engine processes start,
so they inherit it). It must stay cheap and idempotent.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def register() -> None:
    from vllm_nexus.programs.tenant_identity import ensure_secret

    ensure_secret()
    try:
        from vllm_nexus.programs.metrics import register_collector

        register_collector()
    except Exception as e:  # a metrics problem must never stop vLLM from starting
        logger.warning("vllm_nexus: metrics collector not registered: %s", e)
