"""End to end on a real server (the session's ``nexus_server``, with the middleware): harness
session headers, lineage inference and program end reach the scheduler."""

from __future__ import annotations

import time

import openai
import pytest
import requests

pytestmark = pytest.mark.engine


def counts(server) -> dict[str, float]:
    text = requests.get(f"{server.base_url}/metrics", timeout=10).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("vllm_nexus_program_assignments_total{"):
            source = line.split('source="')[1].split('"')[0]
            out[source] = out.get(source, 0.0) + float(line.rsplit(" ", 1)[1])
        elif line.startswith("vllm_nexus_programs_ended_total{"):
            out["ended"] = out.get("ended", 0.0) + float(line.rsplit(" ", 1)[1])
    return out


def settled(server, before: dict, expect: dict) -> dict:
    """Deltas since ``before`` once they reach ``expect`` (snapshots lag up to 0.5 s)."""
    deadline = time.time() + 20
    while True:
        now = counts(server)
        delta = {k: now.get(k, 0.0) - before.get(k, 0.0) for k in expect}
        if all(delta[k] >= v for k, v in expect.items()) or time.time() > deadline:
            return delta
        time.sleep(0.5)


def test_harness_headers_lineage_and_program_end(nexus_server):
    server = nexus_server
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="none", max_retries=0)

    def chat(messages, headers=None, **extra):
        r = client.chat.completions.create(
            model=server.model, messages=messages, max_tokens=12, extra_headers=headers,
            extra_body={"ignore_eos": True, **extra},
        )  # fmt: skip
        return r.choices[0].message.content

    before = counts(server)
    system = {"role": "system", "content": "You are a careful agent. " * 30}
    # a Claude Code session with a subagent: one program, explicit
    cc = {"x-claude-code-session-id": "e2e-cc-session"}
    chat([system, {"role": "user", "content": "plan the work"}], cc)
    chat(
        [system, {"role": "user", "content": "do part one"}], {**cc, "x-claude-code-agent-id": "a1"}
    )
    # an id-less conversation: turn 2 re-sends turn 1 and its answer
    turn1 = [system, {"role": "user", "content": "first question about rivers"}]
    answer = chat(turn1)
    chat([*turn1, {"role": "assistant", "content": answer}, {"role": "user", "content": "and?"}])
    # an unrelated id-less call sharing only the system prompt
    chat([system, {"role": "user", "content": "a different story about mountains"}])
    # Dynamo's session-final marker ends its program
    chat(
        [{"role": "user", "content": "bye"}],
        {"x-dynamo-session-id": "e2e-dyn", "x-dynamo-session-final": "true"},
    )
    delta = settled(server, before, {"explicit": 3, "inferred": 1, "solo": 2, "ended": 1})
    assert delta == {"explicit": 3, "inferred": 1, "solo": 2, "ended": 1}

    r = requests.post(
        f"{server.openai_base_url}/chat/completions",
        timeout=30,
        headers={"thread-id": "t" * 300},
        json={
            "model": server.model,
            "messages": [{"role": "user", "content": "x"}],
            "max_tokens": 2,
        },
    )
    assert r.status_code == 400 and "thread-id header" in r.json()["error"]["message"]
