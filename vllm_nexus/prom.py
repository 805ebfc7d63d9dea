"""Prometheus metric families declared once, filled by short name (both ``/metrics`` collectors
use it: the engine scheduler's snapshots and the cluster ingress)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

PREFIX = "vllm_nexus_"

Spec = tuple[str, str, str, Sequence[str]]
"""(kind: gauge | counter | histogram, name without prefix, help text, label names)."""


class Families:
    """The metric families of one scrape, declared from ``specs``; yields them in order."""

    def __init__(self, specs: Iterable[Spec], prefix: str = PREFIX) -> None:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        kinds = {
            "gauge": GaugeMetricFamily,
            "counter": CounterMetricFamily,
            "histogram": HistogramMetricFamily,
        }
        self._families: dict[str, Any] = {
            name: kinds[kind](prefix + name, doc, labels=list(labels))
            for kind, name, doc, labels in specs
        }

    def add(self, name: str, labels: Sequence[str], value: Any, *extra: Any) -> None:
        """One sample (histograms: ``value`` is the bucket list, ``extra`` the sum)."""
        self._families[name].add_metric(list(labels), value, *extra)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._families.values())
