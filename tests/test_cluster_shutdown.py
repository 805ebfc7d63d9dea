"""``vllm-nexus cluster`` stops on SIGTERM, SIGINT and SIGHUP: the application and the local
Ray head it started are gone within 60 s and their ports are free (issue 17).

SIGTERM is sent while the cluster serves (after a successful call); SIGINT and SIGHUP while
the engine replica is still starting (the hardest moment: Serve is blocked in deployment and
the engine process is coming up). Each cluster gets a free block of 80 ports for Ray
(``--ray-port-base``, picked at random and checked) and a free HTTP port, so concurrent runs
do not collide.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray.serve.llm")
requests = pytest.importorskip("requests")

from vllm_nexus.cluster.cli import STOP_BUDGET_S, port_free, session_pids  # noqa: E402
from vllm_nexus.serving.launcher import free_port  # noqa: E402

pytestmark = [pytest.mark.engine, pytest.mark.timeout(1500)]

RAY_PORTS = 80  # --ray-port-base BASE: Ray at BASE..BASE+7, workers at BASE+10..BASE+79
READY_TIMEOUT_S = 900


def free_ray_port_base() -> int:
    """A base whose whole Ray block is free, below Linux's ephemeral range (32768..)."""
    bases = list(range(20_000, 32_000, 100))
    random.shuffle(bases)  # concurrent runs rarely pick the same block
    for base in bases:
        if all(port_free(p) for p in range(base, base + RAY_PORTS)):
            return base
    raise RuntimeError("no free block of Ray ports in 20000-32000")


class Cluster:
    """``python -m vllm_nexus.cluster.cli`` in its own session, output collected."""

    def __init__(self, model: Path, log: Path) -> None:
        self.ray_port_base = free_ray_port_base()
        self.http_port = free_port()
        cmd = [
            sys.executable, "-m", "vllm_nexus.cluster.cli", str(model), "--replicas", "1",
            "--served-model-name", "tiny", "--port", str(self.http_port),
            "--ray-port-base", str(self.ray_port_base),
            "--engine-kwargs", '{"enforce_eager": true, "max_model_len": 2048}',
        ]  # fmt: skip
        self.log = log
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with self.log.open("w") as f:
            for line in self.proc.stdout:  # type: ignore[union-attr]
                self.lines.append(line)
                f.write(line)
                f.flush()

    def wait_for(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None:
                pytest.fail(
                    f"cluster exited ({self.proc.returncode}): {''.join(self.lines)[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} after {timeout_s} s: {''.join(self.lines)[-3000:]}")
            time.sleep(0.5)

    def head_session(self) -> int:
        """Session id of the local Ray head (it leads its own session)."""
        sids = _head_pids(self.ray_port_base)
        if not sids:
            pytest.fail("the local Ray head is not running")
        return sids[0]

    def kill_everything(self) -> None:
        """Test cleanup whatever happened: the CLI's session, then the head's."""
        for sid in {self.proc.pid, *_head_pids(self.ray_port_base)}:
            for pid in session_pids(sid) + [sid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self.proc.wait(timeout=30)


def _head_pids(port_base: int) -> list[int]:
    """Processes running ``ray start --head ... --port=<port_base>`` (from /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"start" in args and b"--head" in args and f"--port={port_base}".encode() in args:
            found.append(int(entry.name))
    return found


@pytest.fixture
def cluster(tiny_model_dir: Path, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tiny_model_dir, tmp_path / "cluster.log")
    try:
        yield c
    finally:
        c.kill_everything()


def _assert_stops(c: Cluster, sig: signal.Signals, head_sid: int) -> None:
    t0 = time.monotonic()
    os.kill(c.proc.pid, sig)
    try:
        rc = c.proc.wait(timeout=STOP_BUDGET_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {STOP_BUDGET_S} s after {sig.name}: {''.join(c.lines)[-2000:]}")
    elapsed = time.monotonic() - t0
    assert rc == 0, "".join(c.lines)[-2000:]
    assert session_pids(head_sid) == [], "processes of the Ray head survived"
    busy = [p for p in (c.ray_port_base, c.ray_port_base + 1, c.http_port) if not port_free(p)]
    assert not busy, f"ports still in use after {sig.name}: {busy}"
    assert elapsed < STOP_BUDGET_S
    assert any(sig.name in line for line in c.lines), "the stop was not reported"


def test_sigterm_stops_a_serving_cluster(cluster: Cluster) -> None:
    cluster.wait_for("replicas ready", READY_TIMEOUT_S)
    body = {"model": "tiny", "prompt": "hello", "max_tokens": 4, "ignore_eos": True}
    r = requests.post(
        f"http://127.0.0.1:{cluster.http_port}/v1/completions", json=body, timeout=300
    )
    assert r.status_code == 200, r.text
    _assert_stops(cluster, signal.SIGTERM, cluster.head_session())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP])
def test_signal_during_deployment_stops_everything(cluster: Cluster, sig: signal.Signals) -> None:
    cluster.wait_for("started a local Ray head", 300)
    head = cluster.head_session()
    time.sleep(5)  # Serve is deploying: controller, proxy and the engine replica start
    _assert_stops(cluster, sig, head)
