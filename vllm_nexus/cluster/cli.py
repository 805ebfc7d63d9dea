"""``vllm-nexus cluster MODEL --replicas N``: program-affine multi-engine serving on Ray Serve.

Joins the Ray cluster at ``--address`` (or ``RAY_ADDRESS``), or starts a local single-node
head (``ray start --head --block``, stopped again on exit) when none is given; then deploys
:func:`vllm_nexus.cluster.app.build_app` and serves the OpenAI API on ``--host:--port``
until interrupted.

SIGTERM (systemd, docker, kubernetes), SIGINT (Ctrl-C) and SIGHUP (closed terminal) all stop
it the same way, in any phase (starting Ray, deploying, serving): the application is deleted,
and a local head is stopped with every process it started (its whole session: head, raylet,
workers, engine processes), all within :data:`STOP_BUDGET_S`, so its ports are free again.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

APP_NAME = "vllm-nexus"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_BUDGET_S = 60.0
"""Everything a stop signal triggers finishes within this many seconds."""
GRACE_S = 15.0
"""Of which Serve gets this long to stop the application, then the head's processes this
long to exit on SIGTERM before they are killed."""


class Stopped(KeyboardInterrupt):
    """A stop signal arrived (raised in the main thread by the signal handler). A
    ``KeyboardInterrupt``: a library's ``except Exception`` must not swallow it, and Ray's
    blocking calls (``ray.get`` inside Serve's wait for the application) check signals in C
    and pass on only a ``KeyboardInterrupt`` (as their own; any other exception raised by
    the handler there is dropped)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_received: list[int] = []
"""Stop signals received (a signal raised inside C code can surface as another exception)."""


def _raise_stopped(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise Stopped(signum)


def stop_if_received() -> None:
    """Raise :class:`Stopped` if a stop signal arrived while code that swallows every
    exception was running (its handler's raise never reached us)."""
    if _received:
        raise Stopped(_received[0])


def install_stop_handlers() -> None:
    """Make SIGTERM, SIGINT and SIGHUP raise :class:`Stopped` in the main thread."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stopped)


def ignore_stop_signals() -> None:
    """While cleaning up: a second signal must not interrupt the cleanup (it is bounded)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def session_pids(sid: int) -> list[int]:
    """Processes of session ``sid`` (Linux ``/proc``; empty elsewhere)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 3 and int(fields[3]) == sid and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model directory (or hub id) served by every replica")
    p.add_argument("--replicas", type=int, default=2, help="engine replicas (default 2)")
    p.add_argument("--served-model-name", default=None, help="default: the model dir's name")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    p.add_argument(
        "--scheduler", choices=["nexus", "stock"], default="nexus",
        help="engine scheduler: vllm_nexus.Scheduler (default) or stock vLLM",
    )  # fmt: skip
    p.add_argument(
        "--additional-config", default=None,
        help='vLLM --additional-config JSON, e.g. \'{"vllm_nexus": {"router": {...}}}\'',
    )  # fmt: skip
    p.add_argument(
        "--engine-kwargs", default=None,
        help='vLLM engine arguments as JSON, e.g. \'{"max_num_seqs": 8, "enforce_eager": true}\'',
    )  # fmt: skip
    p.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto")
    p.add_argument("--cpus-per-replica", type=int, default=1)
    p.add_argument(
        "--address", default=os.environ.get("RAY_ADDRESS"),
        help="Ray cluster to join (default: $RAY_ADDRESS, else start a local head)",
    )  # fmt: skip
    p.add_argument(
        "--ray-port-base", type=int, default=None,
        help="local head only: put Ray's ports at BASE..BASE+7 and workers at BASE+10..BASE+79",
    )  # fmt: skip
    p.add_argument(
        "--allow-strategy-switch", action="store_true",
        help="enable POST /admin/router to switch routing strategy (benchmarks)",
    )  # fmt: skip
    p.add_argument("--detach", action="store_true", help="deploy and exit (cluster keeps serving)")


def app_args(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "model": args.model,
        "replicas": args.replicas,
        "scheduler": args.scheduler,
        "device": args.device,
        "cpus_per_replica": args.cpus_per_replica,
    }
    if args.allow_strategy_switch:
        out["allow_strategy_switch"] = True
    for key in ("served_model_name", "additional_config", "engine_kwargs"):
        if getattr(args, key):
            out[key] = getattr(args, key)
    return out


def ray_start_command(port_base: int | None, num_cpus: int, host: str = "127.0.0.1") -> list[str]:
    """``ray start --head --block`` for a local single-node cluster (dashboard off)."""
    ray = str(Path(sys.executable).with_name("ray"))
    cmd = [ray, "start", "--head", "--block", "--include-dashboard=false",
           "--disable-usage-stats", f"--num-cpus={num_cpus}", f"--node-ip-address={host}"]  # fmt: skip
    if port_base is not None:
        b = port_base
        cmd += [
            f"--port={b}", f"--node-manager-port={b + 1}", f"--object-manager-port={b + 2}",
            f"--dashboard-agent-listen-port={b + 3}", f"--dashboard-agent-grpc-port={b + 4}",
            f"--metrics-export-port={b + 5}", f"--runtime-env-agent-port={b + 6}",
            f"--ray-client-server-port={b + 7}", f"--min-worker-port={b + 10}",
            f"--max-worker-port={b + 79}",
        ]  # fmt: skip
    return cmd


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on ``host:port``."""
    import socket

    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) != 0


class LocalRay:
    """A Ray head started by us (its own process group), stopped on :meth:`stop`."""

    def __init__(self, port_base: int | None, num_cpus: int, log_path: str | None = None) -> None:
        self.port = port_base if port_base is not None else 6379
        self.address = f"127.0.0.1:{self.port}"
        if not port_free(self.port):
            # never attach to somebody else's cluster by accident
            raise RuntimeError(
                f"port {self.port} is in use (another Ray cluster?): pass --address to join "
                "it, or choose another --ray-port-base"
            )
        # Our own token: the head is reachable on the node's address, and a token another
        # Ray user left in ~/.ray/auth_token must neither lock us out nor be reused.
        import secrets

        auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
        os.environ.update(auth)  # this driver and all it starts use it
        _refresh_ray_config()
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            ray_start_command(port_base, num_cpus),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        import ray

        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ray start exited with code {self.proc.returncode}")
            try:
                ray.init(address=self.address, logging_level="WARNING", log_to_driver=False)
                return
            except Exception:  # noqa: BLE001 - GCS not up yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def stop(self, grace_s: float = GRACE_S) -> None:
        """Stop the head and everything it started: SIGTERM to its session, SIGKILL to what
        is left after ``grace_s``, then wait (bounded) until its ports are free."""
        sid = self.proc.pid  # start_new_session: the head leads its own session
        members = session_pids(sid)
        if self.proc.poll() is None:
            members.append(self.proc.pid)
        _signal_all(members, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and (self.proc.poll() is None or session_pids(sid)):
            time.sleep(0.2)
        _signal_all(session_pids(sid), signal.SIGKILL)  # the workers and engines left
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (session_pids(sid) or not port_free(self.port)):
            time.sleep(0.2)


def _shutdown_serve(local: bool, budget_s: float) -> None:
    """Delete the application (and Serve itself with a local head), within ``budget_s``."""
    import threading

    def work() -> None:
        try:
            from ray import serve

            serve.delete(APP_NAME)
            if local:
                serve.shutdown()
        except Exception:  # noqa: BLE001 - the head is stopped next anyway
            pass

    t = threading.Thread(target=work, daemon=True, name="serve-shutdown")
    t.start()
    t.join(budget_s)


def _refresh_ray_config() -> None:
    """Make an already imported Ray see the auth environment (Ray reads it when imported and
    only re-reads it in ``ray._raylet.Config.initialize``, a private call Ray makes itself
    when it turns token auth on; pinned by tests/test_cluster_unit.py)."""
    import sys as _sys

    if "ray._raylet" in _sys.modules:
        _sys.modules["ray._raylet"].Config.initialize("")


def deploy(spec_args: dict[str, Any], host: str, port: int) -> None:
    """Deploy the application on the connected Ray cluster; returns once it serves (Serve
    raises if the replicas fail to start)."""
    from ray import serve

    from vllm_nexus.cluster.app import build_app

    serve.start(http_options={"host": host, "port": port})
    app = build_app(spec_args)
    serve.run(app, name=APP_NAME, route_prefix="/", blocking=False)


def run(args: argparse.Namespace) -> int:
    from vllm_nexus.cluster.app import ClusterArgError, resolve
    from vllm_nexus.config import ConfigError

    spec_args = app_args(args)
    try:
        resolve(dict(spec_args))  # fail fast on bad arguments, before starting Ray
    except (ClusterArgError, ConfigError) as e:
        print(f"vllm-nexus cluster: {e}", file=sys.stderr)
        return 2
    try:
        import ray
        from ray import serve  # noqa: F401 - is Serve installed?
    except ImportError:
        print(
            "vllm-nexus cluster needs Ray Serve: pip install 'vllm-nexus[cluster]'", file=sys.stderr
        )
        return 2
    local = None
    install_stop_handlers()
    try:
        if args.address:
            ray.init(address=args.address, logging_level="WARNING")
            install_stop_handlers()  # ray.init replaces the SIGTERM handler with sys.exit
        else:
            try:
                local = LocalRay(
                    args.ray_port_base, num_cpus=args.replicas * (args.cpus_per_replica + 1) + 2
                )
            except RuntimeError as e:
                print(f"vllm-nexus cluster: {e}", file=sys.stderr)
                return 2
            local.wait_ready()
            install_stop_handlers()  # ray.init replaces the SIGTERM handler with sys.exit
            stop_if_received()
            print(f"vllm-nexus cluster: started a local Ray head at {local.address}", flush=True)
        t0 = time.monotonic()
        deploy(spec_args, args.host, args.port)
        stop_if_received()
        print(
            f"vllm-nexus cluster: {args.replicas} replicas ready in {time.monotonic() - t0:.0f}s; "
            f"OpenAI API at http://{args.host}:{args.port}/v1 , metrics at /metrics",
            flush=True,
        )
        if args.detach and local is None:
            return 0
        if args.detach:
            print(
                "--detach needs --address (a local head stops with this command)", file=sys.stderr
            )
        while True:
            time.sleep(3600)
    except (Exception, KeyboardInterrupt) as e:  # noqa: BLE001 - report, then clean up
        if isinstance(e, Stopped) or _received:  # the signal may arrive wrapped (SystemError)
            name = signal.Signals(_received[0]).name if _received else str(e)
            print(f"vllm-nexus cluster: {name}: stopping", file=sys.stderr, flush=True)
            return 0
        print(f"vllm-nexus cluster: deployment failed: {e}", file=sys.stderr)
        return 1
    finally:
        ignore_stop_signals()
        t0 = time.monotonic()
        if local is not None or not args.detach:
            # leave the engines time to stop cleanly, bounded: the head's stop follows
            _shutdown_serve(local is not None, GRACE_S)
            try:
                ray.shutdown()
            except Exception:  # noqa: BLE001
                pass
        if local is not None:
            spent = time.monotonic() - t0  # keep 10 s for the kill and the port check
            local.stop(grace_s=max(1.0, min(GRACE_S, STOP_BUDGET_S - 20 - spent)))
            print(f"vllm-nexus cluster: stopped in {time.monotonic() - t0:.0f}s", flush=True)


def main() -> int:  # python -m vllm_nexus.cluster.cli
    p = argparse.ArgumentParser(prog="vllm-nexus cluster", description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
