"""Scheduler metrics, exported on the API server's Prometheus ``/metrics`` as ``vllm_nexus_*``.

The scheduler runs in vLLM's engine-core process, the ``/metrics`` endpoint in the API-server
process. The scheduler therefore writes a small JSON snapshot of its counters (atomically, at
most every ``EXPORT_INTERVAL_S`` and whenever it becomes idle) into the directory named by
``VLLM_NEXUS_METRICS_DIR`` (by default a new one in memory, :func:`snapshot_directory`); the
API server's collector (registered by the vLLM plugin entry
point, :mod:`vllm_nexus.plugin`) reads the snapshots at scrape time. No vLLM import here.
"""

from __future__ import annotations

import atexit
import bisect
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.prom import Families, Spec

logger = logging.getLogger(__name__)

METRICS_DIR_ENV = "VLLM_NEXUS_METRICS_DIR"
EXPORT_INTERVAL_S = 0.5
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
    starvation_wait_promotions: int = 0
    """Of ``starvation_promotions``, those made by the wait bound (``starvation_wait_factor``)."""
    demotions: int = 0
    programs_evicted: int = 0
    calls_completed: int = 0
    calls_aborted: int = 0
    invalid_program_ids: int = 0
    service_total: float = 0.0
    program_service_buckets: list[int] = field(default_factory=lambda: [0] * len(SERVICE_BUCKETS))
    program_service_sum: float = 0.0
    program_service_count: int = 0
    program_assignments: dict[str, int] = field(default_factory=dict)
    """Calls by how their program was found: explicit, inferred (lineage) or solo."""
    programs_ended: int = 0
    """Programs released after the client marked their last call."""
    lineage_calls: int = 0
    """Completed calls remembered for lineage inference."""
    unverified_tenant_ids: int = 0
    """Calls that claimed a tenant without the middleware's valid tag (default tenant used)."""
    known_tenants: int = 0
    active_tenants: int = 0
    tenants: list[dict[str, Any]] = field(default_factory=list)
    """Per-tenant rows: ``tenant``, ``counters`` (service, completed, aborted, wait seconds),
    ``active_calls`` and ``lift`` (None for the ``other`` row); at most
    ``tenants.metrics_top_k`` tenants by name plus ``other``."""
    level_first_boundary: float = 0.0
    """Current first queue boundary (self-tuning levels), service units."""
    starvation_threshold: float = 0.0
    """Current anti-starvation ratio threshold (beta, scaled by the load when relative)."""
    starvation_wait_bound: float = 0.0
    """Wait bound in force (seconds; ``starvation_wait_factor``; 0: off or not yet warm)."""
    size_samples: int = 0
    """Ended programs behind the global learned-size table (gittins; 0: ranking by PLAS)."""
    preemptions_withheld: int = 0
    """Waiting calls of unproven programs denied a preemption (``unproven_preemption``)."""
    preemptions_size_declined: int = 0
    """Waiting calls denied a preemption by the learned program sizes (once per call,
    ``preemption_size_check``)."""
    programs_hinted: int = 0
    """Programs that stated ``vllm_xargs.program_size_hint`` (``size_hints``)."""
    hinted_calls: int = 0
    """Calls levelled by their program's size hint."""
    size_hint_overruns: int = 0
    """Hinted programs that started more calls than their hint (levelled by service since)."""
    invalid_size_hints: int = 0
    """Calls whose ``program_size_hint`` was malformed and ignored (no middleware in front)."""

    def observe_program_service(self, service: float) -> None:
        """Record a program's attained service after one of its calls completed."""
        i = bisect.bisect_left(SERVICE_BUCKETS, service)  # the first bound >= service
        if i < len(SERVICE_BUCKETS) and service <= SERVICE_BUCKETS[i]:  # (not NaN)
            self.program_service_buckets[i] += 1
        self.program_service_sum += service
        self.program_service_count += 1


class SnapshotWriter:
    """Writes a :class:`SchedulerMetrics` snapshot for the API server to read.

    The write is on the engine's thread, between steps, and at light load the scheduler
    writes whenever the engine idles (every few calls), so it is kept to the file work that
    atomicity needs: the snapshot is serialised from the dataclass's own ``__dict__`` (its
    fields are JSON values; no deep copy), skipped when it is byte-identical to the last one
    written and that file is still there, and written with one ``open``/``write``/``close``
    into a fixed per-engine temporary file (one writer per engine) that ``os.replace`` puts in
    place. The directory is created once. (2026-12-04 (f), docs/benchmarks.md: built and
    written on every idle, the snapshot was most of the default's extra scheduler CPU per
    `react`-sized call at light load.)
    """

    def __init__(self, directory: str | None, engine: str) -> None:
        self.path = Path(directory) / f"engine_{engine}.json" if directory else None
        self.last_write = float("-inf")
        self._written: tuple[Path, bytes] | None = None
        """(path, bytes) of the last snapshot written: an unchanged one is not written again."""

    def write(self, metrics: SchedulerMetrics, now: float) -> bool:
        path = self.path
        if path is None:
            return False
        self.last_write = now
        data = json.dumps(metrics.__dict__).encode()
        if self._written == (path, data) and path.exists():
            return True
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except FileNotFoundError:  # first write into a directory not created yet
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as e:  # metrics must never break scheduling
            logger.warning("vllm_nexus: cannot write metrics snapshot %s: %s", path, e)
            self.path = None
            return False
        self._written = (path, data)
        return True


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
        yield from engine_families((None, s) for s in read_snapshots(self.directory))


def engine_families(
    snapshots: Iterable[tuple[str | None, dict[str, Any]]], by_replica: bool = False
) -> Families:
    """The ``vllm_nexus_*`` families of engine snapshots; with ``by_replica`` every sample
    also carries the ``replica`` label given beside its snapshot (the cluster's /metrics)."""
    specs = _SPECS
    if by_replica:
        specs = tuple((k, n, d, ("replica", *labels)) for k, n, d, labels in _SPECS)
    f = Families(specs)
    for replica, s in snapshots:
        r = [str(replica)] if by_replica else []
        e = [*r, str(s.get("engine", "0"))]
        f.add("known_programs", e, s["known_programs"])
        f.add("active_programs", e, s["active_programs"])
        for state, key in (("waiting", "waiting_by_level"), ("running", "running_by_level")):
            for lvl, n in enumerate(s[key]):
                f.add("calls", [*e, str(lvl), state], n)
        f.add("preemptions", [*e, "proactive"], s["preemptions_proactive"])
        f.add("preemptions", [*e, "kv_cache"], s["preemptions_kv"])
        f.add("calls_finished", [*e, "completed"], s["calls_completed"])
        f.add("calls_finished", [*e, "aborted"], s["calls_aborted"])
        for name, key in _ENGINE_COUNTERS:
            f.add(name, e, s.get(key, 0))
        cum, buckets = 0, []
        for bound, n in zip(SERVICE_BUCKETS, s["program_service_buckets"], strict=True):
            cum += n
            buckets.append(("+Inf" if bound == float("inf") else str(bound), cum))
        f.add("program_service", e, buckets, s["program_service_sum"])
        assignments = s.get("program_assignments", {})
        for source in ("explicit", "inferred", "solo"):
            f.add("program_assignments", [*e, source], assignments.get(source, 0))
        f.add("lineage_calls", e, s.get("lineage_calls", 0))
        for name, key in _POLICY_GAUGES:
            f.add(name, e, s.get(key, 0))
        _add_tenants(f, e, s)
    return f


def _add_tenants(f: Families, e: list[str], s: dict[str, Any]) -> None:
    """The ``vllm_nexus_tenant_*`` families of one engine snapshot (bounded label set)."""
    f.add("tenant_entries", e, s.get("known_tenants", 0))
    f.add("tenant_active", e, s.get("active_tenants", 0))
    f.add("tenant_unverified_ids", e, s.get("unverified_tenant_ids", 0))
    for row in s.get("tenants", []):
        t = row["tenant"]
        service, completed, aborted, wait_s = row["counters"]
        f.add("tenant_service", [*e, t], service)
        f.add("tenant_calls", [*e, t, "completed"], completed)
        f.add("tenant_calls", [*e, t, "aborted"], aborted)
        f.add("tenant_wait_seconds", [*e, t], wait_s)
        if row.get("active_calls") is not None:
            f.add("tenant_active_calls", [*e, t], row["active_calls"])
            f.add("tenant_lift_levels", [*e, t], row["lift"])


_E = ("engine",)
_SPECS: tuple[Spec, ...] = (
    ("gauge", "known_programs", "Programs in the program table", _E),
    ("gauge", "active_programs", "Programs with at least one call in the engine", _E),
    ("gauge", "calls", "Calls per queue level and state", ("engine", "level", "state")),
    ("counter", "preemptions", "Calls preempted by vllm_nexus", ("engine", "reason")),
    ("counter", "starvation_promotions", "Anti-starvation promotions to queue level 0", _E),
    (
        "counter",
        "starvation_wait_promotions",
        "Of the anti-starvation promotions, those made by the wait bound",
        _E,
    ),
    ("counter", "demotions", "Calls demoted after using their quantum", _E),
    ("counter", "programs_evicted", "Idle programs evicted (TTL or capacity)", _E),
    ("counter", "calls_finished", "Calls that left the scheduler", ("engine", "outcome")),
    ("counter", "invalid_program_ids", "Calls whose program id was malformed and ignored", _E),
    ("counter", "service", "Service charged to calls (service units)", _E),
    (
        "histogram",
        "program_service",
        "Attained program service after each completed call (service units)",
        _E,
    ),
    (
        "counter",
        "preempted_tokens",
        "Tokens whose KV cache was dropped when their call was preempted",
        _E,
    ),
    (
        "counter",
        "recomputed_tokens",
        "Tokens computed again after a preemption (dropped KV the prefix cache did not restore)",
        _E,
    ),
    (
        "counter",
        "program_assignments",
        "Calls by how their program was found: explicit id, inferred from lineage, or solo",
        ("engine", "source"),
    ),
    ("counter", "programs_ended", "Programs released after their marked last call", _E),
    ("gauge", "lineage_calls", "Completed calls remembered for lineage inference", _E),
)
_T = ("engine", "tenant")
_SPECS += (
    ("gauge", "tenant_entries", "Tenants in the tenant table", _E),
    ("gauge", "tenant_active", "Tenants with at least one call in the engine", _E),
    (
        "counter",
        "tenant_unverified_ids",
        "Calls claiming a tenant without the middleware's signature (default tenant used)",
        _E,
    ),
    ("counter", "tenant_service", "Service charged per tenant (service units)", _T),
    ("counter", "tenant_calls", "Calls finished per tenant", ("engine", "tenant", "outcome")),
    ("counter", "tenant_wait_seconds", "Seconds finished calls waited, per tenant", _T),
    ("gauge", "tenant_active_calls", "Calls in the engine per tenant", _T),
    (
        "gauge",
        "tenant_lift_levels",
        "Queue levels a tenant's new calls are shifted down by (fair share)",
        _T,
    ),
)
_SPECS += (
    (
        "gauge",
        "level_first_boundary",
        "First queue-level boundary, tuned to the observed call service (service units)",
        _E,
    ),
    ("gauge", "starvation_threshold", "Anti-starvation wait/run ratio threshold in force", _E),
    (
        "gauge",
        "starvation_wait_bound_seconds",
        "Anti-starvation wait bound in force (seconds; 0: off or too few admissions seen)",
        _E,
    ),
    (
        "gauge",
        "size_samples",
        "Ended programs behind the learned program-size ranks (0: PLAS fallback)",
        _E,
    ),
)
_SPECS += (
    (
        "counter",
        "preemptions_withheld",
        "Waiting calls of unproven programs (no id, no lineage) denied a proactive preemption",
        _E,
    ),
    (
        "counter",
        "preemptions_size_declined",
        "Waiting calls denied a proactive preemption by the learned program sizes",
        _E,
    ),
)
_SPECS += (
    ("counter", "programs_hinted", "Programs that sent vllm_xargs.program_size_hint", _E),
    ("counter", "hinted_calls", "Calls levelled by their program's size hint", _E),
    (
        "counter",
        "size_hint_overruns",
        "Hinted programs that started more calls than their hint (ranked by service since)",
        _E,
    ),
    (
        "counter",
        "invalid_size_hints",
        "Calls whose program_size_hint was malformed and ignored",
        _E,
    ),
)
# Self-tuning policy state (levels, anti-starvation, learned sizes): (family, snapshot key).
_POLICY_GAUGES = (
    ("level_first_boundary", "level_first_boundary"),
    ("starvation_threshold", "starvation_threshold"),
    ("starvation_wait_bound_seconds", "starvation_wait_bound"),
    ("size_samples", "size_samples"),
)
# Per-engine counters copied straight from a snapshot field: (family name, snapshot key).
_ENGINE_COUNTERS = (
    ("starvation_promotions", "starvation_promotions"),
    ("starvation_wait_promotions", "starvation_wait_promotions"),
    ("demotions", "demotions"),
    ("programs_evicted", "programs_evicted"),
    ("invalid_program_ids", "invalid_program_ids"),
    ("service", "service_total"),
    ("preempted_tokens", "preempted_tokens"),
    ("recomputed_tokens", "recomputed_tokens"),
    ("programs_ended", "programs_ended"),
    ("preemptions_withheld", "preemptions_withheld"),
    ("preemptions_size_declined", "preemptions_size_declined"),
    ("programs_hinted", "programs_hinted"),
    ("hinted_calls", "hinted_calls"),
    ("size_hint_overruns", "size_hint_overruns"),
    ("invalid_size_hints", "invalid_size_hints"),
)


SHM_DIR = "/dev/shm"
"""Where :func:`snapshot_directory` makes its directories when it can (Linux's memory
filesystem); otherwise in the temporary directory."""


def snapshot_directory() -> str:
    """A new private directory for one engine's snapshots, in memory when the system has a
    writable ``/dev/shm``, else in the temporary directory; removed when this process exits.

    The snapshot file is inter-process communication, rewritten whenever the engine idles
    (several times a second at light load): on a disk filesystem every replacement also costs
    block I/O (on ext4: a data-block write on ``rename``, and a discard of the freed block
    with the ``discard`` mount option) that runs beside the engine. 2026-12-04 (g),
    docs/benchmarks.md."""
    shm = SHM_DIR if os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK | os.X_OK) else None
    try:
        directory = tempfile.mkdtemp(prefix="vllm_nexus_metrics_", dir=shm)
    except OSError:
        if shm is None:
            raise
        directory = tempfile.mkdtemp(prefix="vllm_nexus_metrics_")  # e.g. /dev/shm full
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


_registered = False


def register_collector() -> None:
    """Register the snapshot collector in this process's default Prometheus registry, creating
    the snapshot directory (inherited by the engine processes vLLM spawns; see
    :func:`snapshot_directory`, removed when this process exits) unless one is set."""
    global _registered
    if _registered:
        return
    directory = os.environ.get(METRICS_DIR_ENV)
    if not directory:
        directory = snapshot_directory()
        os.environ[METRICS_DIR_ENV] = directory
    from prometheus_client import REGISTRY

    REGISTRY.register(SnapshotCollector(directory))
    _registered = True
