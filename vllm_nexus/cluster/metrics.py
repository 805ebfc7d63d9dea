"""Prometheus metrics of the cluster endpoint (``GET /metrics`` on the ingress).

Router metrics come from the routing policy of every router in the ingress process; per-replica
prefix-cache counters are charged by the ingress from each call's
``usage.prompt_tokens_details.cached_tokens`` (the engines run with
``enable_prompt_tokens_details``). The replica-summed counters are also exported under vLLM's
own names (``vllm:prefix_cache_queries_total``/``hits_total``) so tools that read a single
vLLM server's ``/metrics`` (``vllm-nexus bench``) work unchanged against the cluster.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


class ClusterStats:
    """Counters kept by the ingress (thread-safe)."""

    def __init__(self) -> None:
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


class _Collector:
    def __init__(self, stats: ClusterStats, routers: Callable[[], Iterable[Any]]) -> None:
        self.stats = stats
        self.routers = routers

    def collect(self) -> Iterable[Any]:
        s = self.stats
        policies = [r.policy for r in self.routers() if getattr(r, "policy", None) is not None]
        pins = GaugeMetricFamily(
            "vllm_nexus_router_pins", "Programs pinned to a replica", labels=["replica"]
        )
        inflight = GaugeMetricFamily(
            "vllm_nexus_router_inflight_calls", "Calls in flight per replica", labels=["replica"]
        )
        routed = CounterMetricFamily(
            "vllm_nexus_router_routed_calls", "Calls routed per replica", labels=["replica"]
        )
        decisions = CounterMetricFamily(
            "vllm_nexus_router_decisions", "Routing decisions by reason", labels=["reason"]
        )
        reroutes = CounterMetricFamily(
            "vllm_nexus_router_reroutes", "Pinned programs moved because their replica left"
        )
        expired = CounterMetricFamily(
            "vllm_nexus_router_expired_pins", "Pins dropped by TTL/capacity"
        )
        replicas = GaugeMetricFamily("vllm_nexus_router_replicas", "Engine replicas known")
        agg: dict[str, Counter[str]] = {
            "pins": Counter(),
            "inflight": Counter(),
            "routed": Counter(),
        }
        reasons: Counter[str] = Counter()
        n_reroutes = n_expired = n_replicas = 0
        for p in policies:
            agg["pins"].update(p.pins_per_replica())
            agg["inflight"].update({r: p.inflight(r) for r in p.replicas})
            agg["routed"].update(p.routed)
            reasons.update(p.decisions)
            n_reroutes += p.reroutes_total
            n_expired += p.expired_pins_total
            n_replicas = max(n_replicas, len(p.replicas))
        for r, v in agg["pins"].items():
            pins.add_metric([r], v)
        for r, v in agg["inflight"].items():
            inflight.add_metric([r], v)
        for r, v in agg["routed"].items():
            routed.add_metric([r], v)
        for k, v in reasons.items():
            decisions.add_metric([k], v)
        reroutes.add_metric([], n_reroutes)
        expired.add_metric([], n_expired)
        replicas.add_metric([], n_replicas)
        yield from (pins, inflight, routed, decisions, reroutes, expired, replicas)

        with s._lock:
            prompt, cached, calls = (
                Counter(s.prompt_tokens),
                Counter(s.cached_tokens),
                Counter(s.calls),
            )
            fails = (s.rejected_total, s.replica_failures_total, s.invalid_program_ids_total)
        q = CounterMetricFamily(
            "vllm_nexus_replica_prefix_cache_queries",
            "Prompt tokens sent to each replica",
            labels=["replica"],
        )
        h = CounterMetricFamily(
            "vllm_nexus_replica_prefix_cache_hits",
            "Prompt tokens served from each replica's prefix cache",
            labels=["replica"],
        )
        rate = GaugeMetricFamily(
            "vllm_nexus_replica_prefix_cache_hit_rate",
            "Cumulative prefix-cache hit rate per replica",
            labels=["replica"],
        )
        done = CounterMetricFamily(
            "vllm_nexus_replica_calls", "Calls completed per replica", labels=["replica"]
        )
        for r in prompt:
            q.add_metric([r], prompt[r])
            h.add_metric([r], cached[r])
            rate.add_metric([r], cached[r] / prompt[r] if prompt[r] else 0.0)
            done.add_metric([r], calls[r])
        yield from (q, h, rate, done)
        for name, doc, v in (
            ("vllm_nexus_router_rejected", "Calls answered HTTP 429 (overload)", fails[0]),
            ("vllm_nexus_router_replica_failures", "Calls failed by a dead replica", fails[1]),
            ("vllm_nexus_router_invalid_program_ids", "Calls rejected with HTTP 400", fails[2]),
        ):
            c = CounterMetricFamily(name, doc)
            c.add_metric([], v)
            yield c
        vq = CounterMetricFamily("vllm:prefix_cache_queries", "Sum over replicas (see docs)")
        vh = CounterMetricFamily("vllm:prefix_cache_hits", "Sum over replicas (see docs)")
        vq.add_metric([], sum(prompt.values()))
        vh.add_metric([], sum(cached.values()))
        yield from (vq, vh)


def make_registry(stats: ClusterStats, routers: Callable[[], Iterable[Any]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(stats, routers))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
