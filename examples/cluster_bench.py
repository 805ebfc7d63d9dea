"""Routing benchmark: round-robin vs least-used vs program-affine on one 2-replica cluster.

Starts ``vllm-nexus cluster MODEL --replicas 2 --allow-strategy-switch`` (a local Ray head),
then for each repetition and workload replays the *same* seeded trace once per strategy (in a
rotated order), switching the router with ``POST /admin/router`` between runs on the same
engines. Every run uses fresh prompt content (a new salt), so no prefix cache carries over
from the previous run. Prints and writes ``summary.md``: prefix-cache hit rate and mean/P95
program token latency per strategy (mean over repetitions, and each repetition).

    .venv/bin/python examples/cluster_bench.py --workloads chat,lats --reps 2 --out DIR
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STRATEGIES = ["round-robin", "least-used", "program-affine"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model directory (default: build the tiny model)")
    p.add_argument("--workloads", default="chat,lats")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--programs", type=int, default=30)
    p.add_argument("--rate", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calls-scale", type=float, default=0.5)
    p.add_argument("--tokens-scale", type=float, default=0.25)
    p.add_argument("--think-scale", type=float, default=0.3)
    p.add_argument(
        "--threshold", type=int, default=None,
        help="router long_prompt_tokens (default: 2048 x --tokens-scale)",
    )  # fmt: skip
    p.add_argument("--engine-kwargs", default='{"enforce_eager": true, "max_num_seqs": 8}')
    p.add_argument("--port", type=int, default=18590)
    p.add_argument("--ray-port-base", type=int, default=18500)
    p.add_argument("--out", default=None)
    return p.parse_args()


def http(url: str, body: dict | None = None, timeout: float = 30) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def wait_ready(base: str, proc: subprocess.Popen, timeout_s: float = 1500) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"cluster exited with code {proc.returncode}")
        code, _ = http(f"{base}/v1/models")
        if code == 200:
            code, text = http(
                f"{base}/v1/completions", {"model": "tiny", "prompt": "warm up", "max_tokens": 2}
            )
            if code == 200:
                return
        time.sleep(5)
    raise SystemExit("cluster not ready in time")


def summarize_run(path: Path) -> dict:
    run = json.loads(path.read_text())["runs"][-1]
    s, server = run["summary"], run.get("server") or {}
    return {
        "mean": s["program_token_latency_s"]["mean"],
        "p95": s["program_token_latency_s"]["p95"],
        "hit": server.get("prefix_cache_hit_rate"),
        "failed": s["calls_failed"],
    }


def main() -> int:
    a = parse_args()
    out = Path(a.out or f"bench-results/cluster-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    model = a.model
    if not model:
        from vllm_nexus.serving.tiny_model import build_tiny_model

        model = str(build_tiny_model(out / "tiny-model"))
    threshold = a.threshold if a.threshold is not None else int(2048 * a.tokens_scale)
    extra = {"vllm_nexus": {"router": {"long_prompt_tokens": threshold}}}
    exe = str(Path(sys.executable).with_name("vllm-nexus"))
    cluster_cmd = [
        exe, "cluster", model, "--replicas", "2", "--served-model-name", "tiny",
        "--port", str(a.port), "--ray-port-base", str(a.ray_port_base),
        "--allow-strategy-switch", "--engine-kwargs", a.engine_kwargs,
        "--additional-config", json.dumps(extra),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{a.port}"
    log = open(out / "cluster.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        cluster_cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    commands = [" ".join(cluster_cmd)]
    results: dict[str, dict[str, list[dict]]] = {}
    try:
        t0 = time.monotonic()
        wait_ready(base, proc)
        print(f"cluster ready in {time.monotonic() - t0:.0f}s", flush=True)
        for rep in range(a.reps):
            for w in a.workloads.split(","):
                order = STRATEGIES[rep % 3 :] + STRATEGIES[: rep % 3]
                for strategy in order:
                    code, text = http(f"{base}/admin/router", {"strategy": strategy})
                    if code != 200:
                        raise SystemExit(f"strategy switch failed: {code} {text}")
                    run_dir = out / w / f"rep{rep}-{strategy}"
                    bench = [
                        exe, "bench", "--base-url", base, "--model", "tiny",
                        "--tokenizer", model, "--workload", w, "--programs", str(a.programs),
                        "--rate", str(a.rate), "--seed", str(a.seed),
                        "--calls-scale", str(a.calls_scale), "--tokens-scale", str(a.tokens_scale),
                        "--think-scale", str(a.think_scale), "--label", strategy,
                        "--out", str(run_dir), "--no-progress", "--no-plots",
                    ]  # fmt: skip
                    if rep == 0 and strategy == order[0]:
                        commands.append(" ".join(bench))
                    t = time.monotonic()
                    subprocess.run(bench, check=True, stdout=subprocess.DEVNULL)
                    r = summarize_run(run_dir / "result.json")
                    results.setdefault(w, {}).setdefault(strategy, []).append(r)
                    print(
                        f"rep {rep} {w:5s} {strategy:15s} {time.monotonic() - t:5.0f}s {r}",
                        flush=True,
                    )
                    write_summary(out, a, commands, results, quiet=True)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    write_summary(out, a, commands, results)
    return 0


def _fmt(v: float | None, scale: float = 1.0, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v * scale:.{digits}f}"


def write_summary(
    out: Path, a: argparse.Namespace, commands: list[str], results: dict, quiet: bool = False
) -> None:
    lines = [
        "| workload | strategy | prefix-cache hit rate | mean token latency (ms) | "
        "P95 token latency (ms) | per repetition: mean / P95 (ms) | failed calls |",
        "|---|---|---|---|---|---|---|",
    ]
    for w, by in results.items():
        for strategy in STRATEGIES:
            runs = by.get(strategy, [])
            if not runs:
                continue
            hits = [r["hit"] for r in runs if r["hit"] is not None]
            per = ", ".join(f"{r['mean'] * 1e3:.1f}/{r['p95'] * 1e3:.1f}" for r in runs)
            lines.append(
                f"| {w} | {strategy} | {_fmt(statistics.mean(hits) if hits else None, 1, 3)} | "
                f"{_fmt(statistics.mean(r['mean'] for r in runs), 1e3)} | "
                f"{_fmt(statistics.mean(r['p95'] for r in runs), 1e3)} | {per} | "
                f"{sum(r['failed'] for r in runs)} |"
            )
    text = "\n".join(["```", *commands, "```", "", *lines, ""])
    (out / "summary.md").write_text(text)
    (out / "summary.json").write_text(json.dumps({"args": vars(a), "results": results}, indent=1))
    if not quiet:
        print(text)


if __name__ == "__main__":
    sys.exit(main())
