"""Two tiny-model engine replicas on a local Ray cluster behind the program-affine router.

One deployment for the whole module (engine start is the slow part): long calls of a program
stick to one replica, short calls spread, overload answers 429 + Retry-After, and a killed
replica fails its in-flight call clearly, its programs move on their next call, other programs
are unaffected and Ray replaces it. Ports 18500-18599 (Ray at 18500.., HTTP 18590).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray.serve.llm")
requests = pytest.importorskip("requests")

pytestmark = [pytest.mark.engine, pytest.mark.timeout(1800)]

RAY_PORT_BASE = 18500
HTTP_PORT = 18590
URL = f"http://127.0.0.1:{HTTP_PORT}"
MODEL = "tiny"
APP = "vllm-nexus"
ENGINE_DEPLOYMENT = f"LLMServer:{MODEL}"
HEADER = "X-Vllm-Nexus-Replica"
LONG = "the quick brown fox jumps over the lazy dog " * 20  # > 64 tokens
LOAD_TOKENS = 3500
"""Output tokens of the calls that must still run while the test acts on them (the longest
that fits max_model_len 4096 after LONG): the tests wait for an event, not a fixed time, and
these calls' length is the margin."""
NEXUS = {
    "vllm_nexus": {
        "router": {
            "long_prompt_tokens": 64,
            "max_inflight_per_replica": 4,
            "max_queued_requests": 2,
        }
    }
}


@pytest.fixture(scope="module")
def cluster(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import ray

    from vllm_nexus.cluster.cli import LocalRay, deploy, port_free

    busy = [p for p in (RAY_PORT_BASE, HTTP_PORT) if not port_free(p)]
    if busy:
        pytest.fail(f"ports {busy} are in use (another run of this test or a cluster?)")
    log = tmp_path_factory.mktemp("ray") / "ray-start.log"
    local = LocalRay(RAY_PORT_BASE, num_cpus=8, log_path=str(log))
    try:
        local.wait_ready()
        deploy(
            {
                "model": str(tiny_model_dir),
                "served_model_name": MODEL,
                "replicas": 2,
                "additional_config": NEXUS,
                "engine_kwargs": {"enforce_eager": True, "max_model_len": 4096},
            },
            "127.0.0.1",
            HTTP_PORT,
        )
        yield ray
    finally:
        try:
            from ray import serve

            serve.shutdown()
        except Exception:  # noqa: BLE001
            pass
        ray.shutdown()
        local.stop()


def call(
    program: str | None,
    prompt: str,
    max_tokens: int = 4,
    session_header: bool = False,
    timeout: float = 300,
) -> requests.Response:
    body: dict[str, Any] = {
        "model": MODEL,
        "prompt": prompt,
        "max_tokens": max_tokens,
        "ignore_eos": True,
    }
    headers = {}
    if program and session_header:
        headers["X-Session-ID"] = program
    elif program:
        body["vllm_xargs"] = {"program_id": program}
    return requests.post(f"{URL}/v1/completions", json=body, headers=headers, timeout=timeout)


def metrics() -> str:
    return requests.get(f"{URL}/metrics", timeout=30).text


def metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_long_calls_stick_and_short_calls_spread(cluster: Any) -> None:
    for p in ("stick-a", "stick-b", "stick-c"):
        seen = set()
        for i in range(3):
            r = call(p, f"{LONG} turn {i}")
            assert r.status_code == 200, r.text
            seen.add(r.headers[HEADER])
        assert len(seen) == 1, f"program {p} moved between replicas: {seen}"
    seen = {call("sess-1", f"{LONG} {i}", session_header=True).headers[HEADER] for i in range(2)}
    assert len(seen) == 1
    # 4 simultaneous calls fit (2 replicas x 4 in flight + 2 queued): never a 429
    with cf.ThreadPoolExecutor(4) as pool:
        shorts = list(pool.map(lambda i: call("short-prog", f"hi {i}", max_tokens=64), range(4)))
    assert all(r.status_code == 200 for r in shorts), [(r.status_code, r.text) for r in shorts]
    assert len({r.headers[HEADER] for r in shorts}) == 2, "short calls did not spread"
    m = metrics()
    assert metric(m, "vllm_nexus_router_pins") == 4
    assert metric(m, "vllm_nexus_router_decisions_total") >= 15
    assert metric(m, "vllm:prefix_cache_queries_total") > 0
    health = requests.get(f"{URL}/health", timeout=30).json()
    assert health["engine_replicas"] == 2


def test_engine_scheduler_metrics_reach_the_cluster_per_replica(cluster: Any) -> None:
    call("metrics-prog", "hello there", max_tokens=4)
    deadline = time.time() + 30  # replicas publish their snapshots every second
    while True:
        replicas = set()
        for line in metrics().splitlines():
            if line.startswith("vllm_nexus_known_programs{"):
                replicas.add(line.split('replica="')[1].split('"')[0])
        if len(replicas) == 2 or time.time() > deadline:
            break
        time.sleep(1)
    assert len(replicas) == 2, f"engine metrics of {replicas} only"
    assert metric(metrics(), "vllm_nexus_calls_finished_total") >= 1


def test_bad_program_id_is_400(cluster: Any) -> None:
    r = call("bad\x01id", "hello")
    assert r.status_code == 400 and "control characters" in r.json()["error"]["message"]


def _broadcast_to_engines(method: str, **kwargs: Any) -> None:
    """Call ``method`` on every engine replica (Ray Serve's ``DeploymentHandle.broadcast``)."""
    from ray import serve

    handle = serve.get_deployment_handle(ENGINE_DEPLOYMENT, app_name=APP)
    handle.broadcast(method, **kwargs).results(timeout_s=120)


def _open_call(prompt: str, max_tokens: int) -> socket.socket:
    """Send a completion call on a raw connection and leave its answer unread: closing the
    socket is a client disconnect, which cancels the call."""
    body = json.dumps({"model": MODEL, "prompt": prompt, "max_tokens": max_tokens}).encode()
    sock = socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=30)
    head = (
        "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    return sock


def _wait_for_metric(name: str, expected: float, what: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    value = metric(metrics(), name)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = metric(metrics(), name)
    assert value == expected, f"{name} {value} after {timeout_s:.0f} s {what}, not {expected}"


def test_overload_answers_429_with_retry_after(cluster: Any) -> None:
    # 2 replicas x 4 in flight + 2 queued = 10 calls inside at once. The engines are paused
    # (vLLM's pause_generation, mode "keep": calls are admitted and queued, none runs), so
    # the 10 calls stay inside however long the test takes to look (CI once froze the test
    # process for ~15 s while the first load calls ran to their end). Once the ingress counts
    # all 10 inside, every further call is answered 429 at once. The 10 are then cancelled by
    # their clients, which must give their places back (a paused replica's own request slots
    # too: Ray Serve queues the resume call behind them), and the engines serve again.
    capacity = 2 * 4 + 2
    before = metrics()
    assert metric(before, "vllm_nexus_router_capacity") == capacity
    assert metric(before, "vllm_nexus_router_calls_inside") == 0
    rejected_before = metric(before, "vllm_nexus_router_rejected_total")
    _broadcast_to_engines("pause", mode="keep", clear_cache=False)
    held: list[socket.socket] = []
    try:
        held = [_open_call(f"{LONG} held {i}", max_tokens=16) for i in range(capacity)]
        _wait_for_metric("vllm_nexus_router_calls_inside", capacity, "of the held calls")
        with cf.ThreadPoolExecutor(6) as pool:
            over = list(
                pool.map(
                    lambda i: call(None, f"{LONG} over {i}", max_tokens=8, timeout=60), range(6)
                )
            )
        for sock in held:  # nothing answered a held call: each still waits on a paused engine
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
    finally:
        for sock in held:
            sock.close()
        try:  # cancelled calls leave nothing behind: no admission, no router reservation
            _wait_for_metric("vllm_nexus_router_calls_inside", 0, "of the cancelled calls")
            _wait_for_metric("vllm_nexus_router_inflight_calls", 0, "of the cancelled calls")
        finally:  # never leave the engines paused for the tests after this one
            _broadcast_to_engines("resume")
    assert [r.status_code for r in over] == [429] * 6, [(r.status_code, r.text) for r in over]
    assert all(r.headers.get("Retry-After") == "1" for r in over)
    assert all("overloaded" in r.json()["error"]["message"] for r in over)
    # the engines serve again, and simultaneous calls are never rejected while there is room
    with cf.ThreadPoolExecutor(capacity) as pool:
        done = list(pool.map(lambda i: call(None, f"{LONG} after {i}"), range(capacity)))
    assert [r.status_code for r in done] == [200] * capacity, [r.text for r in done]
    after = metrics()
    # the counter is module-wide (earlier tests may have met a 429): compare the increase
    assert metric(after, "vllm_nexus_router_rejected_total") - rejected_before == 6
    assert metric(after, "vllm_nexus_router_calls_inside") == 0
    _wait_for_metric("vllm_nexus_router_inflight_calls", 0, "of the calls after resume")


def _stream_until_end(program: str, streaming: threading.Event) -> tuple[float, str]:
    """Stream a long call to its end; ``streaming`` is set once its first chunk has arrived."""
    body = {
        "model": MODEL,
        "prompt": f"{LONG} long stream",
        "max_tokens": LOAD_TOKENS,
        "ignore_eos": True,
        "stream": True,
        "vllm_xargs": {"program_id": program},
    }
    t0 = time.monotonic()
    text = ""
    try:
        with requests.post(f"{URL}/v1/completions", json=body, stream=True, timeout=120) as r:
            text = f"status {r.status_code} "
            for chunk in r.iter_content(chunk_size=None):
                text += chunk.decode(errors="replace")
                streaming.set()
    except requests.RequestException as e:
        text += f" exception {type(e).__name__}"
    return time.monotonic() - t0, text


def test_killed_replica_is_replaced_and_programs_continue(cluster: Any) -> None:
    ray = cluster
    victim = call("victim", f"{LONG} 0").headers[HEADER]
    survivor_prog = None
    for i in range(8):  # a program pinned to the other replica
        r = call(f"other-{i}", f"{LONG} 0")
        if r.headers[HEADER] != victim:
            survivor_prog, survivor = f"other-{i}", r.headers[HEADER]
            break
    assert survivor_prog is not None, "every new pin landed on one replica"
    failures_before = metric(metrics(), "vllm_nexus_router_replica_failures_total")

    with cf.ThreadPoolExecutor(1) as pool:
        streaming = threading.Event()
        inflight = pool.submit(_stream_until_end, "victim", streaming)
        # kill as soon as the stream runs on the victim: a fixed wait raced the generation,
        # which on a quiet machine finished the whole stream before the kill
        assert streaming.wait(120), "the stream did not start"
        actor = ray.get_actor(f"SERVE_REPLICA::{APP}#LLMServer:{MODEL}#{victim}", namespace="serve")
        ray.kill(actor, no_restart=True)
        elapsed, text = inflight.result(timeout=180)
    # the in-flight call fails clearly and promptly (no hang, no silent truncation)
    assert "died" in text or "exception" in text or "status 503" in text, (
        f"the stream was not cut by the kill (it ended after {elapsed:.1f} s): {text[-500:]}"
    )
    assert "[DONE]" not in text or "error" in text
    assert elapsed < 150

    # its program continues on a live replica (pin moved), the other program is unaffected
    moved = call("victim", f"{LONG} 1", timeout=300)
    assert moved.status_code == 200, moved.text
    assert moved.headers[HEADER] != victim
    again = call(survivor_prog, f"{LONG} 1")
    assert again.status_code == 200 and again.headers[HEADER] == survivor
    m = metrics()
    assert metric(m, "vllm_nexus_router_reroutes_total") >= 1
    assert metric(m, "vllm_nexus_router_replica_failures_total") >= failures_before + 1

    # Ray replaces the replica; the endpoint stays healthy throughout
    deadline = time.monotonic() + 900
    replicas: set[str] = set()
    while time.monotonic() < deadline:
        assert requests.get(f"{URL}/health", timeout=30).status_code == 200
        replicas = {call(None, f"short {time.time()}").headers[HEADER] for _ in range(4)}
        if len(replicas) == 2 and victim not in replicas:
            break
        time.sleep(10)
    assert len(replicas) == 2 and victim not in replicas, f"no replacement replica: {replicas}"
    info = json.loads(requests.get(f"{URL}/health", timeout=30).text)
    assert info["engine_replicas"] == 2
