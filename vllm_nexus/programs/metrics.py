"""Scheduler metrics, exported on the API server's Prometheus ``/metrics`` as ``vllm_nexus_*``.

The scheduler runs in vLLM's engine-core process, the ``/metrics`` endpoint in the API-server
process. The scheduler therefore writes a small JSON snapshot of its counters (atomically, at
most every ``EXPORT_INTERVAL_S`` and whenever it becomes idle) into the directory named by
``VLLM_NEXUS_METRICS_DIR``; the API server's collector (registered by the vLLM plugin entry
point, :mod:`vllm_nexus.plugin`) reads the snapshots at scrape time. No vLLM import here.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vllm_nexus.config import SchedulerConfig

logger = logging.getLogger(__name__)

METRICS_DIR_ENV = "VLLM_NEXUS_METRICS_DIR"
EXPORT_INTERVAL_S = 0.5
PREFIX = "vllm_nexus_"
# Upper bounds of the program-service histogram (service units; tokens by default).
SERVICE_BUCKETS = (64, 256, 1024, 4096, 16384, 65536, 262144, float("inf"))


@dataclass
class SchedulerMetrics:
    """Counters and gauges of one vllm_nexus scheduler (one engine)."""

    engine: str = "0"
    policy: str = SchedulerConfig.policy  # one home for the default
    known_programs: int = 0
    active_programs: int = 0
    waiting_by_level: list[int] = field(default_factory=list)
    running_by_level: list[int] = field(default_factory=list)
    preemptions_proactive: int = 0
    preemptions_kv: int = 0
    preempted_tokens: int = 0
    """Tokens whose KV was dropped by preemptions (computed tokens at preemption time)."""
    recomputed_tokens: int = 0
    """Of those, tokens computed again on resumption (the rest came from the prefix cache)."""
    starvation_promotions: int = 0
    demotions: int = 0
    programs_evicted: int = 0
    calls_completed: int = 0
    calls_aborted: int = 0
    invalid_program_ids: int = 0
    service_total: float = 0.0
    program_service_buckets: list[int] = field(default_factory=lambda: [0] * len(SERVICE_BUCKETS))
    program_service_sum: float = 0.0
    program_service_count: int = 0
    level_first_boundary: float = 0.0
    """Current first queue boundary (self-tuning levels), service units."""
    starvation_threshold: float = 0.0
    """Current anti-starvation ratio threshold (beta, scaled by the load when relative)."""
    size_samples: int = 0
    """Ended programs behind the global learned-size table (gittins; 0: ranking by PLAS)."""

    def observe_program_service(self, service: float) -> None:
        """Record a program's attained service after one of its calls completed."""
        for i, bound in enumerate(SERVICE_BUCKETS):
            if service <= bound:
                self.program_service_buckets[i] += 1
                break
        self.program_service_sum += service
        self.program_service_count += 1


class SnapshotWriter:
    """Writes a :class:`SchedulerMetrics` snapshot for the API server to read."""

    def __init__(self, directory: str | None, engine: str) -> None:
        self.path = Path(directory) / f"engine_{engine}.json" if directory else None
        self.last_write = float("-inf")

    def write(self, metrics: SchedulerMetrics, now: float) -> bool:
        if self.path is None:
            return False
        self.last_write = now
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".snap")
            with os.fdopen(fd, "w") as f:
                json.dump(asdict(metrics), f)
            os.replace(tmp, self.path)
            return True
        except OSError as e:  # metrics must never break scheduling
            logger.warning("vllm_nexus: cannot write metrics snapshot %s: %s", self.path, e)
            self.path = None
            return False


def read_snapshots(directory: str | Path) -> list[dict[str, Any]]:
    out = []
    for p in sorted(Path(directory).glob("engine_*.json")):
        try:
            out.append(json.loads(p.read_text()))
        except (OSError, ValueError):
            continue  # being replaced right now; next scrape will see it
    return out


class SnapshotCollector:
    """A prometheus_client collector that turns engine snapshots into ``vllm_nexus_*``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def describe(self) -> list:
        return []  # unchecked collector: metric names vary with the number of levels

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        snaps = read_snapshots(self.directory)
        g_known = GaugeMetricFamily(
            PREFIX + "known_programs", "Programs in the program table", labels=["engine"]
        )
        g_active = GaugeMetricFamily(
            PREFIX + "active_programs",
            "Programs with at least one call in the engine",
            labels=["engine"],
        )
        g_calls = GaugeMetricFamily(
            PREFIX + "calls", "Calls per queue level and state", labels=["engine", "level", "state"]
        )
        c_pre = CounterMetricFamily(
            PREFIX + "preemptions", "Calls preempted by vllm_nexus", labels=["engine", "reason"]
        )
        c_dropped = CounterMetricFamily(
            PREFIX + "preempted_tokens",
            "Tokens whose KV cache was dropped when their call was preempted",
            labels=["engine"],
        )
        c_recomp = CounterMetricFamily(
            PREFIX + "recomputed_tokens",
            "Tokens computed again after a preemption (dropped KV the prefix cache did not "
            "restore)",
            labels=["engine"],
        )
        c_promo = CounterMetricFamily(
            PREFIX + "starvation_promotions",
            "Anti-starvation promotions to queue level 0",
            labels=["engine"],
        )
        c_demo = CounterMetricFamily(
            PREFIX + "demotions", "Calls demoted after using their quantum", labels=["engine"]
        )
        c_evict = CounterMetricFamily(
            PREFIX + "programs_evicted",
            "Idle programs evicted (TTL or capacity)",
            labels=["engine"],
        )
        c_calls = CounterMetricFamily(
            PREFIX + "calls_finished", "Calls that left the scheduler", labels=["engine", "outcome"]
        )
        c_invalid = CounterMetricFamily(
            PREFIX + "invalid_program_ids",
            "Calls whose program id was malformed and ignored",
            labels=["engine"],
        )
        c_service = CounterMetricFamily(
            PREFIX + "service", "Service charged to calls (service units)", labels=["engine"]
        )
        h_service = HistogramMetricFamily(
            PREFIX + "program_service",
            "Attained program service after each completed call (service units)",
            labels=["engine"],
        )
        g_scale = GaugeMetricFamily(
            PREFIX + "level_first_boundary",
            "First queue-level boundary, tuned to the observed call service (service units)",
            labels=["engine"],
        )
        g_starve = GaugeMetricFamily(
            PREFIX + "starvation_threshold",
            "Anti-starvation wait/run ratio threshold in force",
            labels=["engine"],
        )
        g_sizes = GaugeMetricFamily(
            PREFIX + "size_samples",
            "Ended programs behind the learned program-size ranks (0: PLAS fallback)",
            labels=["engine"],
        )
        for s in snaps:
            e = str(s.get("engine", "0"))
            g_scale.add_metric([e], s.get("level_first_boundary", 0.0))
            g_starve.add_metric([e], s.get("starvation_threshold", 0.0))
            g_sizes.add_metric([e], s.get("size_samples", 0))
            g_known.add_metric([e], s["known_programs"])
            g_active.add_metric([e], s["active_programs"])
            for state, key in (("waiting", "waiting_by_level"), ("running", "running_by_level")):
                for lvl, n in enumerate(s[key]):
                    g_calls.add_metric([e, str(lvl), state], n)
            c_pre.add_metric([e, "proactive"], s["preemptions_proactive"])
            c_pre.add_metric([e, "kv_cache"], s["preemptions_kv"])
            c_dropped.add_metric([e], s.get("preempted_tokens", 0))
            c_recomp.add_metric([e], s.get("recomputed_tokens", 0))
            c_promo.add_metric([e], s["starvation_promotions"])
            c_demo.add_metric([e], s["demotions"])
            c_evict.add_metric([e], s["programs_evicted"])
            c_calls.add_metric([e, "completed"], s["calls_completed"])
            c_calls.add_metric([e, "aborted"], s["calls_aborted"])
            c_invalid.add_metric([e], s["invalid_program_ids"])
            c_service.add_metric([e], s["service_total"])
            cum, buckets = 0, []
            for bound, n in zip(SERVICE_BUCKETS, s["program_service_buckets"], strict=True):
                cum += n
                buckets.append(("+Inf" if bound == float("inf") else str(bound), cum))
            h_service.add_metric([e], buckets, s["program_service_sum"])
        yield from (g_known, g_active, g_calls, c_pre, c_promo, c_demo, c_evict, c_calls)
        yield from (c_invalid, c_service, h_service, c_dropped, c_recomp)
        yield from (g_scale, g_starve, g_sizes)


_registered = False


def register_collector() -> None:
    """Register the snapshot collector in this process's default Prometheus registry, creating
    the snapshot directory (inherited by the engine processes vLLM spawns) if needed."""
    global _registered
    if _registered:
        return
    directory = os.environ.get(METRICS_DIR_ENV)
    if not directory:
        directory = tempfile.mkdtemp(prefix="vllm_nexus_metrics_")
        os.environ[METRICS_DIR_ENV] = directory
    from prometheus_client import REGISTRY

    REGISTRY.register(SnapshotCollector(directory))
    _registered = True
