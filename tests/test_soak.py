"""Soak: one real server under abuse, bounded in count and time, loopback only (issue 17).

At once, against ``vllm serve`` with ``vllm_nexus.Scheduler`` and the middleware
(``--max-num-seqs 4``, ``max_programs`` 24):

- overload far past the batch: 48 streamed and plain calls in flight together;
- 12 streamed calls dropped by the client after a few chunks;
- 8 calls whose client times out and hangs up;
- malformed program, thread, session and tenant ids in every transport on every endpoint;
- 3 x ``max_programs`` distinct program ids, from 3 tenants.

Then: nothing the client waited for is lost (every such call 200 with exactly its tokens), no
5xx anywhere, the engine drains to empty (no running or waiting call, no KV block in use, no
active program), the program table stays within its cap, and the server still answers.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

aiohttp = pytest.importorskip("aiohttp")

pytestmark = [pytest.mark.engine, pytest.mark.timeout(1200)]

MAX_PROGRAMS = 24
NEXUS = {
    "vllm_nexus": {
        "scheduler": {"max_programs": MAX_PROGRAMS, "first_boundary": 16, "first_quantum": 16}
    }
}
SOAK_BUDGET_S = 300  # the whole abuse phase, client side


@pytest.fixture(scope="module")
def server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from vllm_nexus.serving.launcher import VllmServer

    args = [
        "--scheduler-cls", "vllm_nexus.Scheduler", "--max-num-seqs", "4",
        "--max-model-len", "1024", "--served-model-name", "tiny",
        "--middleware", "vllm_nexus.api.ProgramIdMiddleware",
        "--additional-config", json.dumps(NEXUS),
    ]  # fmt: skip
    log = tmp_path_factory.mktemp("soak") / "server.log"
    with VllmServer(str(tiny_model_dir), args=args, log_path=log, startup_timeout_s=600) as s:
        yield s


class Client:
    """Every response's status is recorded; calls the client waits for are checked whole."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.statuses: list[tuple[str, int]] = []
        self.lost: list[str] = []

    def body(self, program: str | None, max_tokens: int, stream: bool, tenant_note: str) -> dict:
        b: dict[str, Any] = {
            "model": "tiny",
            "prompt": f"soak {tenant_note} {program} " + "lorem ipsum " * 20,
            "max_tokens": max_tokens,
            "ignore_eos": True,
            "stream": stream,
        }
        if stream:
            b["stream_options"] = {"include_usage": True}
        if program is not None:
            b["vllm_xargs"] = {"program_id": program}
        return b

    async def full(self, s: Any, program: str | None, max_tokens: int, stream: bool,
                   tenant: str) -> None:  # fmt: skip
        """A call the client waits for: 200 and exactly ``max_tokens`` tokens."""
        body = self.body(program, max_tokens, stream, tenant)
        headers = {"X-Tenant-ID": tenant}
        async with s.post(f"{self.base}/v1/completions", json=body, headers=headers) as r:
            self.statuses.append(("full", r.status))
            if r.status != 200:
                self.lost.append(f"{program}: HTTP {r.status} {(await r.text())[:200]}")
                return
            if not stream:
                got = (await r.json())["usage"]["completion_tokens"]
            else:
                got, done = None, False
                async for line in r.content:
                    if line.startswith(b"data: [DONE]"):
                        done = True
                    elif line.startswith(b"data: {"):
                        msg = json.loads(line[6:])
                        if msg.get("usage"):
                            got = msg["usage"]["completion_tokens"]
                if not done:
                    self.lost.append(f"{program}: stream ended without [DONE]")
            if got != max_tokens:
                self.lost.append(f"{program}: {got} tokens of {max_tokens}")

    async def dropped(self, s: Any, i: int) -> None:
        """A streamed call the client abandons after a few chunks."""
        body = self.body(f"drop-{i}", 400, True, "t1")
        async with s.post(f"{self.base}/v1/completions", json=body) as r:
            self.statuses.append(("dropped", r.status))
            n = 0
            async for line in r.content:
                n += line.startswith(b"data: {")
                if n >= 3:
                    break  # leaving the block closes the connection mid-stream

    async def timed_out(self, s: Any, i: int) -> None:
        body = self.body(f"timeout-{i}", 600, False, "t2")
        try:
            timeout = aiohttp.ClientTimeout(total=0.5)
            async with s.post(f"{self.base}/v1/completions", json=body, timeout=timeout) as r:
                self.statuses.append(("timeout", r.status))
                await r.read()
        except TimeoutError:
            pass  # the client gave up: the server must abort the call


# Malformed identity in every transport: (where it goes, value); each must be answered 400.
BAD_IDS = [
    ("xargs.program_id", 7), ("xargs.program_id", ""), ("xargs.program_id", "p" * 300),
    ("xargs.program_id", "a\nb"), ("xargs.thread_id", ["t"]), ("session_id", "a\x00b"),
    ("x-session-id", "s" * 300), ("x-tenant-id", "t" * 300), ("x-claude-code-session-id", ""),
]  # fmt: skip
# (Control characters cannot travel in a header at all: HTTP clients and servers refuse them
# before vllm_nexus sees the request, so header transports get over-long and empty ids.)
ENDPOINTS = {
    "/v1/completions": {"prompt": "x"},
    "/v1/chat/completions": {"messages": [{"role": "user", "content": "x"}]},
    "/v1/responses": {"input": "x"},
}


async def bad_ids(client: Client, s: Any) -> list[str]:
    wrong = []
    for path, base in ENDPOINTS.items():
        for where, value in BAD_IDS:
            body: dict[str, Any] = {"model": "tiny", "max_tokens": 2, **base}
            headers = {}
            if where.startswith("xargs."):
                body["vllm_xargs"] = {"program_id": "ok", where[6:]: value}
            elif where == "session_id":
                body["session_id"] = value
            else:
                headers[where] = value
            async with s.post(f"{client.base}{path}", json=body, headers=headers) as r:
                client.statuses.append(("bad-id", r.status))
                if r.status != 400:
                    wrong.append(f"{path} {where}={value!r}: HTTP {r.status}")
    return wrong


async def soak(base: str) -> tuple[Client, list[str]]:
    client = Client(base)
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    async with aiohttp.ClientSession(connector=connector) as s:
        work = []
        # Overload: 48 calls against a batch of 4, 12 programs, 3 tenants. ~3.4k output tokens
        # (~860 engine steps) keep the engine, not the HTTP front end, the bottleneck, so the
        # calls queue in the engine however fast this machine parses requests.
        for i in range(48):
            work.append(client.full(s, f"load-{i % 12}", 48 + i % 48, i % 2 == 0, f"t{i % 3}"))
        work += [client.dropped(s, i) for i in range(12)]
        work += [client.timed_out(s, i) for i in range(8)]
        for i in range(3 * MAX_PROGRAMS):  # many more distinct programs than the table holds
            work.append(client.full(s, f"many-{i}", 1, False, f"t{i % 3}"))
        work += [client.full(s, None, 3, True, "t0") for _ in range(6)]  # no id at all
        bad = asyncio.ensure_future(bad_ids(client, s))
        await asyncio.wait_for(asyncio.gather(*work), SOAK_BUDGET_S)
        return client, await bad


def scrape(base: str) -> dict[str, float]:
    """Samples summed per name, and per name + label set (``name{labels}``)."""
    import requests

    out: dict[str, float] = {}
    for line in requests.get(f"{base}/metrics", timeout=30).text.splitlines():
        m = re.match(r"^([a-zA-Z_:]+)(\{[^}]*\})? (\S+)$", line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(3))
            if m.group(2):
                out[m.group(1) + m.group(2)] = float(m.group(3))
    return out


QUEUE_TIME = "vllm:request_queue_time_seconds"


def waited_long(m: dict[str, float]) -> float:
    """Calls whose time in the engine's waiting queue exceeded 0.3 s (vLLM's smallest
    request-latency bucket), from the cumulative histogram: unlike a sampled gauge, a short
    overload cannot slip between two scrapes of a slow /metrics endpoint."""
    in_first = sum(v for k, v in m.items() if k.startswith(QUEUE_TIME + "_bucket{")
                   and 'le="0.3"' in k)  # fmt: skip
    return m.get(QUEUE_TIME + "_count", 0.0) - in_first


def test_soak_nothing_lost_no_5xx_drains_to_empty(server: Any) -> None:
    import requests

    before = scrape(server.base_url)
    client, wrong_bad_ids = asyncio.run(soak(server.base_url))
    assert client.lost == [], client.lost[:10]
    assert wrong_bad_ids == [], wrong_bad_ids
    server_errors = [(kind, code) for kind, code in client.statuses if code >= 500]
    assert server_errors == [], server_errors
    assert sum(1 for kind, _ in client.statuses if kind == "full") == 48 + 3 * MAX_PROGRAMS + 6

    # the server still answers, and (after that call) reports a drained engine
    body = {"model": "tiny", "prompt": "after the soak", "max_tokens": 5, "ignore_eos": True}
    r = requests.post(f"{server.base_url}/v1/completions", json=body, timeout=120)
    assert r.status_code == 200 and r.json()["usage"]["completion_tokens"] == 5
    deadline = time.monotonic() + 60
    while True:
        m = scrape(server.base_url)
        drained = (
            m.get("vllm:num_requests_running") == 0
            and m.get("vllm:num_requests_waiting") == 0
            and m.get("vllm:kv_cache_usage_perc") == 0
            and m.get("vllm_nexus_active_programs") == 0
        )
        if drained or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert drained, {k: v for k, v in m.items() if "running" in k or "waiting" in k or "kv" in k}
    assert m["vllm_nexus_known_programs"] <= MAX_PROGRAMS
    # proof of the overload: calls queued in the engine, not only in the HTTP front end
    queued = waited_long(m) - waited_long(before)
    assert queued >= 16, f"no real overload: {queued} calls waited over 0.3 s in the engine"
    assert m["vllm_nexus_programs_evicted_total"] >= 2 * MAX_PROGRAMS
    assert m["vllm_nexus_calls_finished_total"] >= 48 + 3 * MAX_PROGRAMS + 6

    def outcome(name: str) -> float:
        return sum(v for k, v in m.items() if k.startswith("vllm_nexus_calls_finished_total{")
                   and f'outcome="{name}"' in k)  # fmt: skip

    # Every call the client waited for (and the one after the soak) completed; every dropped
    # stream reached the engine (it streamed tokens) and was aborted. A timed-out call is
    # non-streamed: vLLM's front end may notice its client's hang-up only when it answers, so it
    # may run to its end (a CI run saw 4 of 8 complete), be aborted, or, if the hang-up came
    # before it reached the engine, never be seen; so each of the 8 adds at most one to
    # completed + aborted. Nothing is left either way (the drain above).
    waited, completed, aborted = (
        48 + 3 * MAX_PROGRAMS + 6 + 1,
        outcome("completed"),
        outcome("aborted"),
    )
    assert completed >= waited and aborted >= 12
    assert (completed - waited) + (aborted - 12) <= 8, (completed, aborted)
    assert m["vllm_nexus_tenant_entries"] >= 3  # t0, t1, t2 (+ default)
    assert "Traceback" not in server.log_text()
