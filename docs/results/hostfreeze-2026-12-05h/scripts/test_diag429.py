"""Two tiny-model engine replicas on a local Ray cluster behind the program-affine router.

One deployment for the whole module (engine start is the slow part): long calls of a program
stick to one replica, short calls spread, overload answers 429 + Retry-After, and a killed
replica fails its in-flight call clearly, its programs move on their next call, other programs
are unaffected and Ray replaces it. Ports 18500-18599 (Ray at 18500.., HTTP 18590).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
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


_HB = "/tmp/diag429-hb"


@pytest.fixture(scope="module", autouse=True)
def heartbeat():
    import os
    import subprocess
    import sys

    stop = threading.Event()

    def beat():
        while not stop.is_set():
            open(_HB, "w").write(str(time.time()))
            time.sleep(0.05)

    t = threading.Thread(target=beat, daemon=True)
    t.start()
    w = subprocess.Popen(
        [sys.executable, "/tmp/watch.py", str(os.getpid()), _HB, "/tmp/diag429-watch.log"]
    )
    yield
    stop.set()
    w.kill()


@pytest.mark.parametrize("rep", range(2))
def test_overload_diag(cluster: Any, rep: int) -> None:
    capacity = 10
    import subprocess
    import sys

    probes = [
        subprocess.Popen(
            [sys.executable, "/tmp/probe.py", f"/tmp/diag429/probe-same-{rep}.json", "60"]
        ),
        subprocess.Popen(
            [sys.executable, "/tmp/probe.py", f"/tmp/diag429/probe-newsess-{rep}.json", "60"],
            start_new_session=True,
        ),
    ]
    selfw = []
    stopw = threading.Event()

    def selfprobe():
        while not stopw.is_set():
            a = time.monotonic()
            time.sleep(0.05)
            o = time.monotonic() - a - 0.05
            if o > 0.2:
                selfw.append((round(time.time(), 1), round(o, 2)))

    threading.Thread(target=selfprobe, daemon=True).start()
    log = []
    T0 = time.monotonic()

    def timed_call(i):
        s = time.monotonic() - T0
        r = call(None, f"{LONG} load {rep} {i}", max_tokens=LOAD_TOKENS)
        return (
            i,
            round(s, 2),
            round(time.monotonic() - T0, 2),
            r.status_code,
            r.headers.get(HEADER),
        )

    with cf.ThreadPoolExecutor(capacity) as pool:
        futs = [pool.submit(timed_call, i) for i in range(capacity)]
        while not all(f.done() for f in futs):
            a = time.monotonic() - T0
            m = metrics()
            b = time.monotonic() - T0
            log.append(
                (
                    round(a, 2),
                    round(b, 2),
                    metric(m, "vllm_nexus_router_calls_inside"),
                    sum(f.done() for f in futs),
                )
            )
            time.sleep(0.2)
        res = [f.result() for f in futs]
    stopw.set()
    out = Path("/tmp/diag429")
    out.mkdir(exist_ok=True)
    (out / f"probe-self-{rep}.json").write_text(json.dumps(selfw))
    for pr in probes:
        pr.wait()
    (out / f"rep{rep}.json").write_text(json.dumps({"polls": log, "calls": res}))
    print(rep, "max inside", max(x[2] for x in log), "calls", res)
