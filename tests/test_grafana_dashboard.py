"""The Grafana dashboard (examples/grafana/vllm-nexus.json): built from its generator, and
every metric its queries name exists on a live server's /metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from example_loader import load_example

DIR = Path(__file__).resolve().parent.parent / "examples" / "grafana"
METRIC = re.compile(r"\b(vllm:[a-zA-Z0-9_:]+|vllm_nexus_[a-zA-Z0-9_]+)")


def _generator():
    return load_example("grafana/build_dashboard.py")


def dashboard() -> dict:
    return json.loads((DIR / "vllm-nexus.json").read_text())


def queried_metrics() -> set[str]:
    names = set()
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            names.update(METRIC.findall(target["expr"]))
    return names


def test_json_is_what_the_generator_writes():
    assert dashboard() == _generator().build()


def test_panels_are_well_formed():
    panels = dashboard()["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells = set()
    for p in panels:
        g = p["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panel {p['title']!r} overlaps another"
                cells.add((x, y))
        if p["type"] != "row":
            assert p["targets"] and all(t["expr"] for t in p["targets"])
            assert len({t["refId"] for t in p["targets"]}) == len(p["targets"])
    assert len(queried_metrics()) >= 20
    rows = [p["title"] for p in panels if p["type"] == "row"]
    assert "Tenants" in rows
    per_tenant = {
        "vllm_nexus_tenant_service_total",
        "vllm_nexus_tenant_calls_total",
        "vllm_nexus_tenant_wait_seconds_total",
        "vllm_nexus_tenant_active_calls",
        "vllm_nexus_tenant_lift_levels",
    }
    assert per_tenant <= queried_metrics()  # so the live test below checks them too


@pytest.mark.engine
def test_every_queried_metric_is_on_a_live_server(nexus_server):
    import openai
    import requests

    client = openai.OpenAI(base_url=nexus_server.openai_base_url, api_key="none", max_retries=0)
    client.completions.create(
        model=nexus_server.model, prompt="hello", max_tokens=3, extra_body={"ignore_eos": True}
    )
    text = requests.get(f"{nexus_server.base_url}/metrics", timeout=10).text
    samples = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    missing = sorted(queried_metrics() - samples)
    assert not missing, f"dashboard queries metrics the server does not export: {missing}"
