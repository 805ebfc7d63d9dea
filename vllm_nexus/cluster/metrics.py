"""Prometheus metrics of the cluster endpoint (``GET /metrics`` on the ingress).

Router metrics come from the routing policy of every router in the ingress process; per-replica
prefix-cache counters are charged by the ingress from each call's
``usage.prompt_tokens_details.cached_tokens`` (the engines run with
``enable_prompt_tokens_details``). The replica-summed counters are also exported under vLLM's
own names (``vllm:prefix_cache_queries_total``/``hits_total``) so tools that read a single
vLLM server's ``/metrics`` (``vllm-nexus bench``) work unchanged against the cluster.
Each engine's own ``vllm_nexus_*`` scheduler metrics follow with a ``replica`` label
(:mod:`vllm_nexus.cluster.engine_metrics`).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from vllm_nexus.cluster.admission import Admission
from vllm_nexus.programs.metrics import engine_families
from vllm_nexus.prom import Families, Spec

logger = logging.getLogger(__name__)


class ClusterStats:
    """Counters kept by the ingress (thread-safe); ``admission`` is the overload bound."""

    def __init__(self, admission: Admission | None = None) -> None:
        self.admission = admission
        self._lock = threading.Lock()
        self.prompt_tokens: Counter[str] = Counter()
        self.cached_tokens: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.rejected_total = 0
        self.replica_failures_total = 0
        self.invalid_program_ids_total = 0

    def charge(self, replica: str, prompt_tokens: int, cached_tokens: int) -> None:
        with self._lock:
            self.prompt_tokens[replica] += prompt_tokens
            self.cached_tokens[replica] += cached_tokens
            self.calls[replica] += 1

    def count(self, what: str) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)

    def hit_rate(self, replica: str | None = None) -> float | None:
        with self._lock:
            q = sum(self.prompt_tokens.values()) if replica is None else self.prompt_tokens[replica]
            h = sum(self.cached_tokens.values()) if replica is None else self.cached_tokens[replica]
        return h / q if q else None


_R = ("replica",)
_SPECS: tuple[Spec, ...] = (
    ("gauge", "router_pins", "Programs pinned to a replica", _R),
    ("gauge", "router_inflight_calls", "Calls in flight per replica", _R),
    ("counter", "router_routed_calls", "Calls handed to each replica", _R),
    ("counter", "router_decisions", "Routing decisions by reason", ("reason",)),
    ("counter", "router_reroutes", "Pinned programs moved because their replica left", ()),
    ("counter", "router_expired_pins", "Pins dropped by TTL/capacity", ()),
    (
        "counter",
        "router_ended_reservations_freed",
        "Reservations freed because their call had ended without the router being told",
        (),
    ),
    ("gauge", "router_replicas", "Engine replicas known", ()),
    ("counter", "replica_prefix_cache_queries", "Prompt tokens sent to each replica", _R),
    (
        "counter",
        "replica_prefix_cache_hits",
        "Prompt tokens served from each replica's prefix cache",
        _R,
    ),
    ("gauge", "replica_prefix_cache_hit_rate", "Cumulative prefix-cache hit rate per replica", _R),
    ("counter", "replica_calls", "Calls completed per replica", _R),
    ("counter", "router_rejected", "Calls answered HTTP 429 (overload)", ()),
    ("gauge", "router_calls_inside", "Calls admitted and not yet ended (routed or queued)", ()),
    ("gauge", "router_capacity", "Calls admitted at most at once; beyond it HTTP 429", ()),
    ("counter", "router_replica_failures", "Calls failed by a dead replica", ()),
    ("counter", "router_invalid_program_ids", "Calls rejected with HTTP 400", ()),
)
# vLLM's own names for the replica-summed prefix-cache counters (see the module docstring).
_VLLM_SPECS: tuple[Spec, ...] = (
    ("counter", "prefix_cache_queries", "Sum over replicas (see docs)", ()),
    ("counter", "prefix_cache_hits", "Sum over replicas (see docs)", ()),
)


class _Collector:
    def __init__(
        self,
        stats: ClusterStats,
        routers: Callable[[], Iterable[Any]],
        engines: Callable[[], list[tuple[str, dict[str, Any]]]] | None = None,
    ) -> None:
        self.stats = stats
        self.routers = routers
        self.engines = engines

    def collect(self) -> Iterable[Any]:
        f = Families(_SPECS)
        reasons: Counter[str] = Counter()
        pins: Counter[str] = Counter()
        inflight: Counter[str] = Counter()
        routed: Counter[str] = Counter()
        n_reroutes = n_expired = n_replicas = n_freed = 0
        for r in self.routers():
            p = getattr(r, "policy", None)
            if p is None:
                continue
            pins.update(p.pins_per_replica())
            inflight.update({rep: p.inflight(rep) for rep in p.replicas})
            routed.update(p.routed)
            reasons.update(p.decisions)
            n_reroutes += p.reroutes_total
            n_expired += p.expired_pins_total
            n_freed += p.ended_released_total
            n_replicas = max(n_replicas, len(p.replicas))
        for name, counts in (
            ("router_pins", pins),
            ("router_inflight_calls", inflight),
            ("router_routed_calls", routed),
            ("router_decisions", reasons),
        ):
            for k, v in counts.items():
                f.add(name, [k], v)
        f.add("router_reroutes", [], n_reroutes)
        f.add("router_expired_pins", [], n_expired)
        f.add("router_ended_reservations_freed", [], n_freed)
        f.add("router_replicas", [], n_replicas)

        s = self.stats
        with s._lock:
            prompt, cached, calls = (
                Counter(s.prompt_tokens),
                Counter(s.cached_tokens),
                Counter(s.calls),
            )
            fails = (s.rejected_total, s.replica_failures_total, s.invalid_program_ids_total)
        for r in prompt:
            f.add("replica_prefix_cache_queries", [r], prompt[r])
            f.add("replica_prefix_cache_hits", [r], cached[r])
            f.add("replica_prefix_cache_hit_rate", [r], cached[r] / prompt[r] if prompt[r] else 0.0)
            f.add("replica_calls", [r], calls[r])
        for name, v in zip(
            ("router_rejected", "router_replica_failures", "router_invalid_program_ids"),
            fails,
            strict=True,
        ):
            f.add(name, [], v)
        if s.admission is not None:
            f.add("router_calls_inside", [], s.admission.inside)
            f.add("router_capacity", [], s.admission.capacity)
        yield from f
        v = Families(_VLLM_SPECS, prefix="vllm:")
        v.add("prefix_cache_queries", [], sum(prompt.values()))
        v.add("prefix_cache_hits", [], sum(cached.values()))
        yield from v
        if self.engines is not None:
            try:
                snapshots = self.engines()
            except Exception as e:  # a metrics problem must not fail the scrape
                logger.warning("vllm_nexus: engine metrics unavailable: %s", e)
                snapshots = []
            yield from engine_families(snapshots, by_replica=True)


def make_registry(
    stats: ClusterStats,
    routers: Callable[[], Iterable[Any]],
    engines: Callable[[], list[tuple[str, dict[str, Any]]]] | None = None,
) -> CollectorRegistry:
    """The cluster's registry; ``engines`` returns (replica, engine snapshot) pairs
    (:func:`vllm_nexus.cluster.engine_metrics.read_published`)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(stats, routers, engines))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
