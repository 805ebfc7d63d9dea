"""End to end: `vllm serve --scheduler-cls vllm_nexus.Scheduler` with the official openai client."""

from __future__ import annotations

import re
import time

import openai
import pytest
import requests

pytestmark = pytest.mark.engine


def metric(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total, found = 0.0, False
    for line in text.splitlines():
        m = re.match(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", line)
        if not m:
            continue
        if all(f'{k}="{v}"' in (m.group(1) or "") for k, v in labels.items()):
            total += float(m.group(2))
            found = True
    assert found, f"{name}{labels} not in /metrics"
    return total


def scrape(server) -> str:
    r = requests.get(f"{server.base_url}/metrics", timeout=10)
    r.raise_for_status()
    return r.text


def test_programs_metrics_and_bad_ids(nexus_server):
    server = nexus_server
    assert "vllm_nexus scheduler" in server.log_text()
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="none", max_retries=0)
    before = metric(scrape(server), "vllm_nexus_calls_finished_total", outcome="completed")

    calls = []
    for i in range(3):  # program P1 via vllm_xargs, three sequential calls
        r = client.completions.create(
            model=server.model,
            prompt=f"hello {i}",
            max_tokens=5 + i,
            extra_body={
                "vllm_xargs": {"program_id": "e2e-P1", "thread_id": "t0"},
                "ignore_eos": True,
            },
        )
        calls.append(r)
        assert r.usage.completion_tokens == 5 + i
    for i in range(2):  # program S1 via the X-Session-ID header, chat API
        r = client.chat.completions.create(
            model=server.model,
            messages=[{"role": "user", "content": f"hi {i}"}],
            max_tokens=4,
            extra_headers={"X-Session-ID": "e2e-S1"},
            extra_body={"ignore_eos": True},
        )
        assert r.usage.completion_tokens == 4

    # malformed ids: HTTP 400 with a clear message, nothing reaches the engine
    for bad in (123, "", "x" * 1000, "a\nb"):
        with pytest.raises(openai.BadRequestError) as e:
            client.completions.create(
                model=server.model,
                prompt="x",
                max_tokens=2,
                extra_body={"vllm_xargs": {"program_id": bad}},
            )
        assert e.value.status_code == 400 and "invalid program id" in str(e.value)
    r = requests.post(
        f"{server.openai_base_url}/completions",
        timeout=30,
        headers={"X-Session-ID": "s" * 300},
        json={"model": server.model, "prompt": "x", "max_tokens": 2},
    )
    assert r.status_code == 400 and "X-Session-ID" in r.json()["error"]["message"]

    # metrics: the snapshot is written when the engine goes idle; allow a moment
    deadline = time.time() + 20
    while True:
        text = scrape(server)
        done = metric(text, "vllm_nexus_calls_finished_total", outcome="completed")
        if done - before >= 5 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert done - before == 5
    assert metric(text, "vllm_nexus_known_programs") >= 2
    assert metric(text, "vllm_nexus_active_programs") == 0
    assert metric(text, "vllm_nexus_calls", state="running") == 0
    assert metric(text, "vllm_nexus_calls", state="waiting") == 0
    assert metric(text, "vllm_nexus_program_service_count") >= 5
    assert metric(text, "vllm_nexus_service_total") > 0
    assert metric(text, "vllm_nexus_invalid_program_ids_total") == 0
    metric(text, "vllm_nexus_preemptions_total", reason="proactive")
    metric(text, "vllm_nexus_starvation_promotions_total")
    dropped = metric(text, "vllm_nexus_preempted_tokens_total")
    assert 0 <= metric(text, "vllm_nexus_recomputed_tokens_total") <= dropped

    # the server is still healthy and serving
    assert requests.get(f"{server.base_url}/health", timeout=10).status_code == 200
    r = client.completions.create(
        model=server.model, prompt="again", max_tokens=3, extra_body={"ignore_eos": True}
    )
    assert r.usage.completion_tokens == 3


def test_middleware_reads_the_servers_config(nexus_server):
    """The middleware takes its id limit from the server's own --additional-config (via
    ``app.state.vllm_config``, set by vLLM's ``init_app_state``; patches/README.md)."""
    from conftest import MAX_PROGRAM_ID_LENGTH as limit

    url = f"{nexus_server.openai_base_url}/completions"
    body = {"model": nexus_server.model, "prompt": "x", "max_tokens": 1}
    r = requests.post(url, timeout=60, json={**body, "vllm_xargs": {"program_id": "p" * limit}})
    assert r.status_code == 200, r.text
    r = requests.post(
        url, timeout=60, json={**body, "vllm_xargs": {"program_id": "p" * (limit + 1)}}
    )
    assert r.status_code == 400 and f"the limit is {limit}" in r.json()["error"]["message"]
