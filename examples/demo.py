"""``make demo``: stock vLLM vs vllm-nexus on the same agentic trace, in about 10 minutes.

1. builds the embedded tiny model (seconds, no download);
2. generates one seeded ``mixed`` trace (chat + ReAct + LATS programs, heavy-tailed);
3. starts ``vllm serve`` with stock scheduling, replays the trace near the stock engine's
   saturation, stops the server;
4. repeats with ``--scheduler-cls vllm_nexus.Scheduler`` on the same trace (fresh prompt salt,
   so no prefix cache carries over);
5. prints the side-by-side table (program token latency and program end-to-end latency, and
   which of the two moved), and writes CDFs of both (``cdf.png``).

Engine settings that make the engine the bottleneck (``--max-num-seqs 8``) and the think-time
scaling are part of the benchmark's definition: see docs/benchmarks.md. Options: ``--help``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENGINE_ARGS = ["--max-num-seqs", "8"]
SCHEDULERS = {
    "stock": [],
    "vllm-nexus": ["--scheduler-cls", "vllm_nexus.Scheduler"],
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model directory (default: build the tiny model)")
    p.add_argument("--out", default=None, help="output directory (default: results/demo-<time>)")
    p.add_argument("--workload", default="mixed", choices=["chat", "react", "lats", "mixed"])
    p.add_argument("--programs", type=int, default=60)
    p.add_argument("--rate", type=float, default=4.0, help="programs/s (near stock saturation)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calls-scale", type=float, default=0.25)
    p.add_argument("--tokens-scale", type=float, default=0.25)
    p.add_argument("--think-scale", type=float, default=0.3)
    p.add_argument(
        "--engine-args",
        default=" ".join(ENGINE_ARGS),
        help="extra `vllm serve` arguments for both servers",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from vllm_nexus import cli
    from vllm_nexus.bench import plots, report
    from vllm_nexus.serving.launcher import VllmServer

    t_start = time.monotonic()
    out = Path(args.out or REPO / "results" / f"demo-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    model = args.model
    if model is None:
        from vllm_nexus.serving.tiny_model import build_tiny_model

        model = str(build_tiny_model(REPO / ".cache" / "tiny-model"))
        print(f"tiny model: {model}")
    trace_path = out / "trace.jsonl"
    gen = [
        "bench", "--workload", args.workload, "--programs", str(args.programs),
        "--rate", str(args.rate), "--seed", str(args.seed),
        "--calls-scale", str(args.calls_scale), "--tokens-scale", str(args.tokens_scale),
        "--dump-trace", str(trace_path),
    ]  # fmt: skip
    if cli.main(gen) != 0:
        return 1
    salt = f"demo{int(time.time())}"
    results, failures = [], 0
    for i, (label, sched_args) in enumerate(SCHEDULERS.items()):
        server_args = [*shlex.split(args.engine_args), *sched_args]
        print(f"\n=== {label}: vllm serve {model} {' '.join(server_args)}")
        server = VllmServer(
            model, args=server_args, log_path=out / f"server-{label}.log", startup_timeout_s=900
        )
        try:
            server.start()  # a loaded 2-core machine can take minutes
        except RuntimeError as e:
            print(f"demo: could not start the {label} server:\n{e}", file=sys.stderr)
            return 1
        with server as srv:
            bench = [
                "bench", "--base-url", srv.base_url, "--model", srv.model,
                "--trace", str(trace_path), "--think-scale", str(args.think_scale),
                "--run-salt", f"{salt}-{i}", "--label", label, "--out", str(out / label),
                "--no-plots",
            ]  # fmt: skip
            print("$ vllm-nexus " + " ".join(bench))
            rc = cli.main(bench)
        if rc not in (0, 3):
            return rc
        failures += rc == 3
        results.append(report.load_result(out / label / "result.json"))
    table = report.compare_table(results)
    (out / "compare.md").write_text(table, encoding="utf-8")
    plot = plots.plot_latency_vs_rate(results, out / "latency_vs_rate.png")
    cdf = plots.plot_cdf(results, out / "cdf.png")
    print("\n" + "=" * 30 + " stock vLLM vs vllm-nexus (same trace) " + "=" * 30)
    print(table)
    for r in results:
        s = r["runs"][0]["summary"]
        bd = s["breakdown_fraction"]
        print(
            f"{r['label']:>11}: program token latency mean "
            f"{1e3 * s['program_token_latency_s']['mean']:.1f} ms/token, P99 "
            f"{1e3 * s['program_token_latency_s']['p99']:.1f}; program end-to-end latency mean "
            f"{s['program_e2e_s']['mean']:.2f} s, P99 {s['program_e2e_s']['p99']:.2f} s; "
            f"critical path: think {bd['think']:.0%}, "
            f"TTFT (queue+prefill) {bd['ttft']:.0%}, decode {bd['decode']:.0%}; "
            f"failed calls {s['calls_failed']}"
        )
    print(f"\n{report.moved_summary(results)}")
    print(f"\nresults: {out}  (compare.md, {cdf.name}: end-to-end and token latency CDFs, "
          f"{plot.name}, */result.json)")  # fmt: skip
    print(f"demo took {time.monotonic() - t_start:.0f} s")
    return 3 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
