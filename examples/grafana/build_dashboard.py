"""Writes ``examples/grafana/vllm-nexus.json``: a Grafana dashboard for one vLLM server (or a
vllm-nexus cluster) running ``vllm_nexus.Scheduler``.

Panels are declared below as (title, unit, [(PromQL, legend)], kind); every metric a query
names is checked against a live ``/metrics`` by ``tests/test_grafana_dashboard.py``. Import
the JSON in Grafana (Dashboards -> New -> Import) and pick the Prometheus data source.

    python examples/grafana/build_dashboard.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("vllm-nexus.json")
SEL = '{job=~"$job"}'
R = "[$__rate_interval]"


def rate(metric: str, by: str | None = None) -> str:
    inner = f"rate({metric}{SEL}{R})"
    return f"sum by ({by}) ({inner})" if by else f"sum({inner})"


ROWS: list[tuple[str, list[tuple[str, str, list[tuple[str, str]], str]]]] = [
    (
        "Programs",
        [
            (
                "Programs known / active",
                "short",
                [
                    (f"sum(vllm_nexus_known_programs{SEL})", "known"),
                    (f"sum(vllm_nexus_active_programs{SEL})", "active"),
                ],
                "timeseries",
            ),
            (
                "How calls find their program (calls/s)",
                "reqps",
                [(rate("vllm_nexus_program_assignments_total", "source"), "{{source}}")],
                "timeseries",
            ),
            (
                "Programs ended / evicted (per s)",
                "short",
                [
                    (rate("vllm_nexus_programs_ended_total"), "ended (marked last call)"),
                    (rate("vllm_nexus_programs_evicted_total"), "evicted (idle TTL / capacity)"),
                ],
                "timeseries",
            ),
            (
                "Program service after each call (P50 / P90)",
                "short",
                [
                    (
                        f"histogram_quantile({q}, sum by (le) "
                        f"(rate(vllm_nexus_program_service_bucket{SEL}{R})))",
                        f"P{int(q * 100)}",
                    )
                    for q in (0.5, 0.9)
                ],
                "timeseries",
            ),
        ],
    ),
    (
        "Queues",
        [
            (
                "Waiting calls per queue level",
                "short",
                [
                    (
                        'sum by (level) (vllm_nexus_calls{job=~"$job",state="waiting"})',
                        "L{{level}}",
                    )
                ],
                "stacked",
            ),
            (
                "Running calls per queue level",
                "short",
                [
                    (
                        'sum by (level) (vllm_nexus_calls{job=~"$job",state="running"})',
                        "L{{level}}",
                    )
                ],
                "stacked",
            ),
            (
                "vLLM requests running / waiting",
                "short",
                [
                    (f"sum(vllm:num_requests_running{SEL})", "running"),
                    (f"sum(vllm:num_requests_waiting{SEL})", "waiting"),
                ],
                "timeseries",
            ),
            (
                "Demotions and anti-starvation promotions (per s)",
                "short",
                [
                    (rate("vllm_nexus_demotions_total"), "demotions"),
                    (rate("vllm_nexus_starvation_promotions_total"), "starvation promotions"),
                ],
                "timeseries",
            ),
        ],
    ),
    (
        "Preemption and recompute",
        [
            (
                "Preemptions (per s)",
                "short",
                [
                    (rate("vllm_nexus_preemptions_total", "reason"), "{{reason}}"),
                    (rate("vllm:num_preemptions_total"), "vLLM (all)"),
                ],
                "timeseries",
            ),
            (
                "KV tokens dropped / recomputed (tokens/s)",
                "short",
                [
                    (rate("vllm_nexus_preempted_tokens_total"), "dropped at preemption"),
                    (rate("vllm_nexus_recomputed_tokens_total"), "recomputed"),
                ],
                "timeseries",
            ),
            (
                "Recompute share of engine work",
                "percentunit",
                [
                    (
                        f"{rate('vllm_nexus_recomputed_tokens_total')} / "
                        f"{rate('vllm:iteration_tokens_total_sum')}",
                        "recomputed / computed",
                    )
                ],
                "timeseries",
            ),
            (
                "KV cache usage",
                "percentunit",
                [(f"max(vllm:kv_cache_usage_perc{SEL})", "used")],
                "timeseries",
            ),
        ],
    ),
    (
        "Service and latency",
        [
            (
                "Service charged (units/s) and calls finished (calls/s)",
                "short",
                [
                    (rate("vllm_nexus_service_total"), "service"),
                    (rate("vllm_nexus_calls_finished_total", "outcome"), "calls {{outcome}}"),
                ],
                "timeseries",
            ),
            (
                "Time to first token (P50 / P99)",
                "s",
                [
                    (
                        f"histogram_quantile({q}, sum by (le) "
                        f"(rate(vllm:time_to_first_token_seconds_bucket{SEL}{R})))",
                        f"P{int(q * 100)}",
                    )
                    for q in (0.5, 0.99)
                ],
                "timeseries",
            ),
            (
                "Tokens/s",
                "short",
                [
                    (rate("vllm:prompt_tokens_total"), "prompt"),
                    (rate("vllm:generation_tokens_total"), "generated"),
                ],
                "timeseries",
            ),
            (
                "Prefix-cache hit rate",
                "percentunit",
                [
                    (
                        f"{rate('vllm:prefix_cache_hits_total')} / "
                        f"{rate('vllm:prefix_cache_queries_total')}",
                        "hits / queries",
                    )
                ],
                "timeseries",
            ),
            (
                "Malformed program ids ignored (per s)",
                "short",
                [(rate("vllm_nexus_invalid_program_ids_total"), "ignored")],
                "timeseries",
            ),
            (
                "Calls remembered for lineage inference",
                "short",
                [(f"sum(vllm_nexus_lineage_calls{SEL})", "remembered")],
                "timeseries",
            ),
        ],
    ),
    (
        # top tenants by service by name, the rest as tenant="other" (tenants.metrics_top_k)
        "Tenants",
        [
            (
                "Service per tenant (units/s)",
                "short",
                [(rate("vllm_nexus_tenant_service_total", "tenant"), "{{tenant}}")],
                "stacked",
            ),
            (
                "Calls finished per tenant (calls/s)",
                "reqps",
                [
                    (
                        rate("vllm_nexus_tenant_calls_total", "tenant, outcome"),
                        "{{tenant}} {{outcome}}",
                    )
                ],
                "timeseries",
            ),
            (
                "Mean wait per finished call, per tenant",
                "s",
                [
                    (
                        f"{rate('vllm_nexus_tenant_wait_seconds_total', 'tenant')} / "
                        f"{rate('vllm_nexus_tenant_calls_total', 'tenant')}",
                        "{{tenant}}",
                    )
                ],
                "timeseries",
            ),
            (
                "Calls in the engine per tenant",
                "short",
                [(f"sum by (tenant) (vllm_nexus_tenant_active_calls{SEL})", "{{tenant}}")],
                "stacked",
            ),
            (
                "Fair-share lift per tenant (queue levels its new calls are shifted down)",
                "short",
                [(f"max by (tenant) (vllm_nexus_tenant_lift_levels{SEL})", "{{tenant}}")],
                "timeseries",
            ),
            (
                "Tenants known / active; unverified tenant claims (per s)",
                "short",
                [
                    (f"sum(vllm_nexus_tenant_entries{SEL})", "known"),
                    (f"sum(vllm_nexus_tenant_active{SEL})", "active"),
                    (rate("vllm_nexus_tenant_unverified_ids_total"), "unverified claims/s"),
                ],
                "timeseries",
            ),
        ],
    ),
]


def _panel(pid: int, x: int, y: int, title: str, unit: str, targets, kind: str) -> dict:
    stacked = kind == "stacked"
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "custom": {
                    "drawStyle": "line",
                    "fillOpacity": 40 if stacked else 10,
                    "stacking": {"mode": "normal" if stacked else "none", "group": "A"},
                },
            },
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": expr,
                "legendFormat": legend,
                "refId": chr(ord("A") + i),
            }
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def build() -> dict:
    panels, pid, y = [], 1, 0
    for row_title, row_panels in ROWS:
        panels.append(
            {
                "id": pid,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        pid, y = pid + 1, y + 1
        for i, (title, unit, targets, kind) in enumerate(row_panels):
            panels.append(_panel(pid, 12 * (i % 2), y + 8 * (i // 2), title, unit, targets, kind))
            pid += 1
        y += 8 * ((len(row_panels) + 1) // 2)
    return {
        "title": "vllm-nexus",
        "uid": "vllm-nexus",
        "description": "Program-aware scheduling (vllm_nexus.Scheduler) on vLLM: programs, "
        "queue levels, preemption and recompute, service, latency, tenants (fair share).",
        "tags": ["vllm", "vllm-nexus"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": "now-30m", "to": "now"},
        "refresh": "10s",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                },
                {
                    "name": "job",
                    "type": "query",
                    "label": "job",
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "query": "label_values(vllm_nexus_known_programs, job)",
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "current": {"text": "All", "value": "$__all"},
                    "refresh": 2,
                },
            ]
        },
        "panels": panels,
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
