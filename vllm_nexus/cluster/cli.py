"""``vllm-nexus cluster MODEL --replicas N``: program-affine multi-engine serving on Ray Serve.

Joins the Ray cluster at ``--address`` (or ``RAY_ADDRESS``), or starts a local single-node
head (``ray start --head --block``, stopped again on exit) when none is given; then deploys
:func:`vllm_nexus.cluster.app.build_app` and serves the OpenAI API on ``--host:--port``
until interrupted.
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

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


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
        from ray import serve
    except ImportError:
        print(
            "vllm-nexus cluster needs Ray Serve: pip install 'vllm-nexus[cluster]'", file=sys.stderr
        )
        return 2
    local = None
    if args.address:
        ray.init(address=args.address, logging_level="WARNING")
    else:
        try:
            local = LocalRay(
                args.ray_port_base, num_cpus=args.replicas * (args.cpus_per_replica + 1) + 2
            )
        except RuntimeError as e:
            print(f"vllm-nexus cluster: {e}", file=sys.stderr)
            return 2
        local.wait_ready()
        print(f"vllm-nexus cluster: started a local Ray head at {local.address}", flush=True)
    try:
        t0 = time.monotonic()
        deploy(spec_args, args.host, args.port)
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
    except KeyboardInterrupt:
        return 0
    except Exception as e:  # noqa: BLE001 - report, then clean up
        print(f"vllm-nexus cluster: deployment failed: {e}", file=sys.stderr)
        return 1
    finally:
        if local is not None or not args.detach:
            try:
                serve.delete(APP_NAME)
                if local is not None:
                    serve.shutdown()
            except Exception:  # noqa: BLE001
                pass
            ray.shutdown()
        if local is not None:
            local.stop()


def main() -> int:  # python -m vllm_nexus.cluster.cli
    p = argparse.ArgumentParser(prog="vllm-nexus cluster", description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
