"""The engines' ``vllm_nexus_*`` scheduler metrics on the cluster's ``/metrics``, per replica.

Each engine replica is a Ray Serve actor running vLLM in-process; its scheduler (in the engine
core subprocess) writes metric snapshots to the replica's ``VLLM_NEXUS_METRICS_DIR``
(:mod:`vllm_nexus.programs.metrics`). The ingress may run in another process or on another
node, so the replica *publishes* its snapshots to Ray's cluster-wide key-value store (the GCS,
which every Ray process reaches): a daemon thread, started by the replica
(:class:`vllm_nexus.cluster.server.NexusLLMServer`), copies them every ``PUBLISH_INTERVAL_S`` under
``engine_metrics/<replica id>``. The ingress reads every key at scrape time (in a worker
thread, off its event loop: :func:`read_published_off_loop`); entries not
refreshed for ``STALE_S`` (a dead replica) are dropped and deleted. The replica id is Serve's
``replica_id.unique_id``, the same label the router's metrics use.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from vllm_nexus.programs.metrics import read_snapshots

logger = logging.getLogger(__name__)

NAMESPACE = "vllm_nexus"
PREFIX = "engine_metrics/"
PUBLISH_INTERVAL_S = 1.0
STALE_S = 30.0

_started = False


def encode(replica: str, snapshots: list[dict[str, Any]], now: float) -> bytes:
    return json.dumps({"replica": replica, "time": now, "snapshots": snapshots}).encode()


def decode_all(
    entries: dict[bytes, bytes | None], now: float
) -> tuple[list[tuple[str, dict[str, Any]]], list[bytes]]:
    """((replica, snapshot) pairs, stale keys) from the published values."""
    out, stale = [], []
    for key, value in sorted(entries.items()):
        try:
            item = json.loads(value or b"")
        except ValueError:
            stale.append(key)
            continue
        if now - float(item.get("time", 0)) > STALE_S:
            stale.append(key)
            continue
        out.extend((str(item["replica"]), s) for s in item.get("snapshots", []))
    return out, stale


def read_published() -> list[tuple[str, dict[str, Any]]]:
    """Every live replica's snapshots (in the ingress; empty outside Ray)."""
    from ray.experimental import internal_kv as kv

    if not kv._internal_kv_initialized():
        return []
    keys = kv._internal_kv_list(PREFIX, namespace=NAMESPACE)
    entries = {k: kv._internal_kv_get(k, namespace=NAMESPACE) for k in keys}
    found, stale = decode_all(entries, time.time())
    for k in stale:
        kv._internal_kv_del(k, namespace=NAMESPACE)
    return found


async def read_published_off_loop(
    read: Callable[[], list[tuple[str, dict[str, Any]]]] = read_published,
) -> list[tuple[str, dict[str, Any]]]:
    """:func:`read_published` in a worker thread: its Ray key-value calls block (one GCS round
    trip per replica), and the ingress's event loop serves every call meanwhile. A failure
    leaves the engine rows out of this scrape (logged), never fails it."""
    try:
        return await asyncio.to_thread(read)
    except Exception as e:  # a metrics problem must not fail the scrape
        logger.warning("vllm_nexus: engine metrics unavailable: %s", e)
        return []


def _replica_id() -> str | None:
    try:
        from ray import serve

        return str(serve.get_replica_context().replica_id.unique_id)
    except Exception:  # not (yet) inside a replica
        return None


def publish_loop(
    directory: str,
    replica_id: Callable[[], str | None],
    put: Callable[[str, bytes], Any],
    stop: threading.Event,
    interval_s: float = PUBLISH_INTERVAL_S,
) -> None:
    """Copy the snapshots in ``directory`` to ``put(key, value)`` until ``stop`` is set."""
    warned = False
    while not stop.is_set():
        replica = replica_id()
        if replica is not None:
            try:
                put(PREFIX + replica, encode(replica, read_snapshots(directory), time.time()))
            except Exception as e:  # metrics must never disturb serving
                if not warned:
                    logger.warning("vllm_nexus: cannot publish engine metrics: %s", e)
                    warned = True
        stop.wait(interval_s)


def start_publisher(directory: str) -> bool:
    """Start the publishing thread for the snapshots in ``directory`` (in an engine replica,
    :class:`vllm_nexus.cluster.server.NexusLLMServer`). Idempotent; False outside Ray."""
    global _started
    ray = sys.modules.get("ray")
    if _started or ray is None or not ray.is_initialized():
        return False
    from ray.experimental import internal_kv as kv

    def put(key: str, value: bytes) -> None:
        kv._internal_kv_put(key, value, overwrite=True, namespace=NAMESPACE)

    thread = threading.Thread(
        target=publish_loop,
        args=(directory, _replica_id, put, threading.Event()),
        name="vllm-nexus-metrics-publisher",
        daemon=True,
    )
    thread.start()
    _started = True
    return True
