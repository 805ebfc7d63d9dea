"""VllmServer mechanics (start, health wait, failure reports, group teardown) with fake servers."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from vllm_nexus.serving import launcher
from vllm_nexus.serving.launcher import VllmServer, cpu_env, diagnose, free_port

FAKE_SERVER = textwrap.dedent(
    """
    import http.server, subprocess, sys, time
    port, child_pid_file = int(sys.argv[1]), sys.argv[2]
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    open(child_pid_file, "w").write(str(child.pid))
    print("fake engine starting", flush=True)
    time.sleep(1.0)

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
        def log_message(self, *a):
            pass

    http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
    """
)


class FakeServer(VllmServer):
    def __init__(self, script: str, *script_args: str, **kw) -> None:
        super().__init__("fake-model", **kw)
        self.script_cmd = [sys.executable, "-c", script, *script_args]

    def command(self) -> list[str]:
        return self.script_cmd


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


_AUTOGROUP = (
    Path("/proc/self/autogroup").exists()
    and Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
)


def test_set_autogroup_nice_validates_and_reports(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="autogroup nice"):
        launcher.set_autogroup_nice(os.getpid(), 20)
    with pytest.raises(ValueError, match="autogroup_nice"):
        VllmServer("/m", autogroup_nice=-21)
    # A process that does not exist: a reason, not an exception.
    assert launcher.set_autogroup_nice(2**22 + 12345, 5).startswith("not set")
    assert VllmServer("/m", autogroup_nice=None).priority == "not started"


def test_free_port_in_range_and_errors(monkeypatch) -> None:
    port = free_port(18150, 18160)
    assert 18150 <= port <= 18160
    monkeypatch.setenv(launcher.PORT_RANGE_ENV, "18170-18171")
    assert free_port() in (18170, 18171)
    monkeypatch.setenv(launcher.PORT_RANGE_ENV, "nonsense")
    with pytest.raises(ValueError, match=launcher.PORT_RANGE_ENV):
        free_port()
    monkeypatch.delenv(launcher.PORT_RANGE_ENV)
    assert 0 < free_port() < 65536
    with pytest.raises(ValueError, match="bad port range"):
        free_port(200, 100)


def test_start_refuses_a_port_in_use(tmp_path, monkeypatch) -> None:
    import socket

    monkeypatch.setattr(launcher, "_handed_out", set())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as vLLM binds
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = FakeServer(FAKE_SERVER, str(port), str(tmp_path / "p"), port=port)
        with pytest.raises(RuntimeError, match=f"port {port} is already in use"):
            server.start()
        assert server.proc is None and not (tmp_path / "p").exists()  # nothing was started


def test_free_port_never_hands_out_a_held_port_twice(monkeypatch) -> None:
    # Servers are built (port picked) before any starts; vLLM listens with SO_REUSEPORT, so
    # two servers on one port would both start and one would get every connection.
    monkeypatch.setattr(launcher, "_handed_out", set())
    first = free_port(18180, 18181)
    second = free_port(18180, 18181)  # the first one is still unbound
    assert {first, second} == {18180, 18181}
    with pytest.raises(RuntimeError, match="no free port in 18180-18181"):
        free_port(18180, 18181)
    launcher.release_port(first)
    assert free_port(18180, 18181) == first
    monkeypatch.setenv(launcher.PORT_RANGE_ENV, "18182-18183")
    servers = [VllmServer("/m"), VllmServer("/m")]
    assert {s.port for s in servers} == {18182, 18183}
    servers[0].stop()  # never started: stopping gives its port back
    assert free_port() == servers[0].port
    explicit = VllmServer("/m", port=18183)  # the port servers[1] holds, chosen by the caller
    explicit.stop()
    assert 18183 in launcher._handed_out  # not the launcher's to give back: servers[1] holds it
    monkeypatch.delenv(launcher.PORT_RANGE_ENV)
    picked = [free_port() for _ in range(5)]  # ports the OS picks: also never twice
    assert len(set(picked)) == 5 and set(picked) <= launcher._handed_out


def test_cpu_env() -> None:
    env = cpu_env(2)
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "2"
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["PATH"] == os.environ["PATH"]  # a full environment for subprocess
    with pytest.raises(ValueError, match="kv_gib"):
        cpu_env(0)
    with pytest.raises(ValueError, match="kv_gib"):
        cpu_env(1.5)  # type: ignore[arg-type]


def test_command_line(monkeypatch) -> None:
    monkeypatch.setattr(launcher, "has_cuda", lambda: False)
    s = VllmServer("/m", port=18199, args=["--max-num-seqs", "8"])
    cmd = s.command()
    assert cmd[0] == str(Path(sys.executable).parent / "vllm")
    assert cmd[1:3] == ["serve", "/m"]
    assert cmd[3:] == [
        "--host", "127.0.0.1", "--port", "18199", "--enforce-eager",
        "--dtype", "float32", "--shutdown-timeout", "10", "--max-num-seqs", "8",
    ]  # fmt: skip
    assert s.base_url == "http://127.0.0.1:18199" and s.model == "/m"
    assert s.env["VLLM_CPU_KVCACHE_SPACE"] == "1"

    s = VllmServer("/m", args=["--dtype=bfloat16", "--served-model-name", "tiny"], use_cli=False)
    cmd = s.command()
    assert cmd[:5] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", "/m"]
    assert "float32" not in cmd and s.model == "tiny"

    # The caller's own --shutdown-timeout wins (vLLM's abort mode is 0); negative is refused.
    cmd = VllmServer("/m", args=["--shutdown-timeout=0"]).command()
    assert "--shutdown-timeout" not in cmd and cmd[-1] == "--shutdown-timeout=0"
    assert VllmServer("/m", shutdown_timeout_s=3).command()[-2:] == ["--shutdown-timeout", "3"]
    with pytest.raises(ValueError, match="shutdown_timeout_s"):
        VllmServer("/m", shutdown_timeout_s=-1)

    monkeypatch.setattr(launcher, "has_cuda", lambda: True)
    s = VllmServer("/m", env={"X": "1"}, enforce_eager=False)
    assert "--dtype" not in s.command() and "--enforce-eager" not in s.command()
    assert s.env["X"] == "1"
    assert s.env.get("VLLM_CPU_KVCACHE_SPACE") == os.environ.get("VLLM_CPU_KVCACHE_SPACE")


def test_diagnose() -> None:
    assert "--dtype float32" in diagnose("... Fatal Python error: Illegal instruction ...")
    assert "--dtype float32" in diagnose("", -signal.SIGILL)
    assert "install_cpu" in diagnose("importlib.metadata.PackageNotFoundError: vllm")
    assert diagnose("all good", 0) is None


def test_start_waits_for_health_and_stop_kills_the_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    port = free_port(18100, 18199)
    server = FakeServer(FAKE_SERVER, str(port), str(pid_file), port=port)
    own = Path("/proc/self/autogroup").read_text() if _AUTOGROUP else ""
    with server:
        assert server.healthy()
        server.check()
        leader = server.proc.pid
        child = int(pid_file.read_text())
        assert _alive(leader) and _alive(child)
        assert "fake engine starting" in server.log_text()
        if _AUTOGROUP:  # the server's session, its engine-like child included, runs at nice 10
            assert server.priority == "autogroup nice 10"
            for pid in (leader, child):
                assert Path(f"/proc/{pid}/autogroup").read_text().split()[-2:] == ["nice", "10"]
            assert "server session priority: autogroup nice 10" in server.log_text()
            assert Path("/proc/self/autogroup").read_text() == own  # the caller's is unchanged
    assert server.proc is None and not server.healthy(timeout_s=1)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the server's child process survived stop()"
    server.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not started"):
        server.check()


# The engine-like child: notes which signal reached it (the trace file is its argument).
POLITE_CHILD = textwrap.dedent(
    """
    import signal, sys, time
    def note(what):
        with open(sys.argv[1], "a") as f:
            f.write(what + "\\n")
    def stopped(*a):
        note("child: stopped by its parent")
        sys.exit(0)
    signal.signal(signal.SIGTERM, lambda *a: note("child: SIGTERM"))
    signal.signal(signal.SIGUSR1, stopped)
    note("child: ready")
    time.sleep(600)
    """
)

# A server that stops its own child on SIGTERM, as vLLM's API server stops its engine core.
POLITE_SERVER = textwrap.dedent(
    """
    import http.server, signal, subprocess, sys, threading
    port, trace, child_script = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    child = subprocess.Popen([sys.executable, "-c", child_script, trace])

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
        def log_message(self, *a):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", port), H)
    def on_term(*a):
        with open(trace, "a") as f:
            f.write("leader: SIGTERM\\n")
        child.send_signal(signal.SIGUSR1)
        child.wait()
        threading.Thread(target=httpd.shutdown).start()
    signal.signal(signal.SIGTERM, on_term)
    httpd.serve_forever()
    """
)


def test_stop_lets_the_api_server_stop_its_engine(tmp_path: Path) -> None:
    """stop() signals the leader alone; the group is signalled only for what outlives it."""
    trace = tmp_path / "trace.txt"
    port = free_port(18100, 18199)
    server = FakeServer(POLITE_SERVER, str(port), str(trace), POLITE_CHILD, port=port)
    with server:
        deadline = time.monotonic() + 60  # the child's handlers are in place
        while "child: ready" not in (trace.read_text() if trace.exists() else ""):
            assert time.monotonic() < deadline, "the fake engine never got ready"
            time.sleep(0.1)
        leader = server.proc.pid
    assert not _alive(leader)
    assert trace.read_text().splitlines() == [
        "child: ready", "leader: SIGTERM", "child: stopped by its parent"
    ]  # fmt: skip


def test_early_exit_raises_with_log_tail_and_sigill_hint(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal
        for i in range(100):
            print(f"log line {i}", flush=True)
        print("worker died: Illegal instruction", flush=True)
        os.kill(os.getpid(), signal.SIGILL)
        """
    )
    server = FakeServer(script, log_path=tmp_path / "s.log", port=free_port(18100, 18199))
    with pytest.raises(RuntimeError) as err:
        server.start()
    msg = str(err.value)
    assert "--dtype float32" in msg
    assert "log line 99" in msg and "log line 10\n" not in msg  # only the tail
    assert str(tmp_path / "s.log") in msg
    assert server.proc is None


def test_startup_timeout(tmp_path: Path) -> None:
    server = FakeServer(
        "import time; print('slow', flush=True); time.sleep(600)",
        port=free_port(18100, 18199),
        startup_timeout_s=2,
        log_path=tmp_path / "t.log",
    )
    with pytest.raises(RuntimeError, match="not healthy after 2 s") as err:
        server.start()
    assert "slow" in str(err.value)
    assert server.proc is None
