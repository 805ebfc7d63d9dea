"""``vllm-nexus bench``: run a workload or trace against a server; ``bench compare`` results.

Examples::

    vllm-nexus bench --base-url http://127.0.0.1:8000 --workload mixed --rate 4 \\
        --programs 100 --seed 0 --out results/stock --label stock
    vllm-nexus bench --workload lats --programs 50 --dump-trace lats.jsonl   # no server needed
    vllm-nexus bench compare results/stock/result.json results/nexus/result.json
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = __doc__.split("\n", 2)[2]
    sub = p.add_subparsers(dest="bench_command", metavar="{compare}")
    c = sub.add_parser("compare", help="side-by-side table (with ratios) of result files")
    c.add_argument("results", nargs="+", help="result.json files; the first is the baseline")
    c.add_argument(
        "--slo",
        type=float,
        help="SLO in s/token (default: the baseline's, "
        "else --slo-factor x its lowest-rate mean token latency)",
    )
    c.add_argument("--slo-factor", type=float, default=3.0)
    c.add_argument("--out", help="directory for compare.md and plots")

    g = p.add_argument_group("target")
    g.add_argument("--base-url", help="server URL, e.g. http://127.0.0.1:8000")
    g.add_argument("--model", help="served model name (default: the server's first model)")
    g.add_argument(
        "--id-transport",
        choices=["xargs", "session-header"],
        default="xargs",
        help="program id via vllm_xargs.program_id (default) or X-Session-ID",
    )
    g.add_argument(
        "--no-program-ids",
        action="store_true",
        help="send no program id (as most clients do): measures program inference; each "
        "call carries an opaque request id instead (see docs/programs.md)",
    )
    g.add_argument(
        "--keep-program-ids",
        action="store_true",
        help="send the trace's program ids as they are; by default each run appends "
        "'@<hash of its prompt salt>' so no program state carries over between runs",
    )
    g.add_argument(
        "--prompt-format",
        choices=["ids", "text"],
        default="ids",
        help="ids: exact token-id prompts (default); text: approximate, any server",
    )
    g.add_argument(
        "--tokenizer",
        help="tokenizer path for the token pool (default: --model if "
        "it is a local directory, else the server's /tokenize endpoint)",
    )
    g.add_argument("--temperature", type=float, default=0.0)
    g.add_argument("--timeout", type=float, default=600.0, help="per-call timeout (s)")

    w = p.add_argument_group("workload")
    src = w.add_mutually_exclusive_group()
    src.add_argument("--workload", choices=["chat", "react", "lats", "mixed"])
    src.add_argument("--trace", help="JSONL trace file (one program per line)")
    w.add_argument(
        "--rate",
        type=float,
        help="program arrival rate (programs/s, Poisson); "
        "with --trace, re-times the trace (default: its own arrival times)",
    )
    w.add_argument("--programs", type=int, default=100, help="number of programs (trace: first N)")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument(
        "--run-salt",
        help="prompt-content salt (default: random, recorded); the "
        "same seed and salt reproduce the same prompts",
    )
    w.add_argument(
        "--think-scale",
        type=float,
        default=1.0,
        help="multiply think/tool times (match them to the engine's speed)",
    )
    w.add_argument(
        "--calls-scale",
        type=float,
        default=1.0,
        help="scale calls per program of generated workloads",
    )
    w.add_argument(
        "--tokens-scale",
        type=float,
        default=1.0,
        help="scale prompt/output tokens of generated workloads",
    )
    w.add_argument(
        "--max-context-tokens",
        type=int,
        default=None,
        help="a chat/agent history restarts beyond this many tokens "
        "(default: 4096 x --tokens-scale, at least 256)",
    )
    w.add_argument(
        "--dump-trace",
        help="write the (generated) workload as JSONL; without --base-url, only write it",
    )

    o = p.add_argument_group("sweep and output")
    o.add_argument("--sweep-rates", help="comma-separated rates, e.g. 1,2,4,8")
    o.add_argument(
        "--slo",
        type=float,
        help="latency SLO (s/token) for throughput at latency "
        "(default: --slo-factor x the lowest rate's mean token latency)",
    )
    o.add_argument("--slo-factor", type=float, default=3.0)
    o.add_argument("--label", default="run", help="name of this configuration in reports")
    o.add_argument("--out", help="output directory (default: bench-results/<time>-<label>)")
    o.add_argument("--no-progress", action="store_true")
    o.add_argument("--no-plots", action="store_true")


def _fail(msg: str) -> int:
    print(f"vllm-nexus bench: error: {msg}", file=sys.stderr)
    return 2


def _rates(args: argparse.Namespace) -> list[float | None]:
    if args.sweep_rates:
        try:
            rates = [float(x) for x in args.sweep_rates.split(",") if x.strip()]
        except ValueError:
            raise ValueError(f"--sweep-rates {args.sweep_rates!r}: expected numbers") from None
        if not rates or any(r <= 0 for r in rates):
            raise ValueError("--sweep-rates: rates must be > 0")
        return sorted(rates)
    if args.rate is not None and args.rate < 0:
        raise ValueError("--rate must be >= 0")
    return [args.rate]


def load_programs(args: argparse.Namespace) -> list:
    """The programs of the run (before any re-timing), from --trace or --workload."""
    from vllm_nexus.bench import trace, workloads

    if args.programs < 1:
        raise ValueError("--programs must be >= 1")
    if args.trace:
        return trace.load_trace(args.trace)[: args.programs]
    if not args.workload:
        raise ValueError("give --workload or --trace")
    opts = workloads.WorkloadOptions(
        calls_scale=args.calls_scale,
        tokens_scale=args.tokens_scale,
        max_context_tokens=max_context(args),
    )
    rate = args.rate if args.rate is not None else 1.0
    return workloads.generate(args.workload, args.programs, args.seed, rate, opts)


def max_context(args: argparse.Namespace) -> int:
    if args.max_context_tokens is not None:
        return args.max_context_tokens
    return max(256, round(4096 * args.tokens_scale))


def _server_json(base: str, path: str) -> Any:
    import urllib.request

    with urllib.request.urlopen(f"{base}{path}", timeout=10) as r:
        return json.loads(r.read())


def resolve_model(base: str, model: str | None) -> str:
    if model:
        return model
    try:
        data = _server_json(base, "/v1/models")
        return data["data"][0]["id"]
    except Exception as e:
        raise ValueError(f"cannot list models at {base}/v1/models ({e}); pass --model") from None


def token_pool(base: str, model: str, tokenizer: str | None) -> tuple[list[int], float, str]:
    """(pool, tokens per word, source) from a local tokenizer or the server's /tokenize."""
    from vllm_nexus.bench import prompts

    path = tokenizer or (model if Path(model).is_dir() else None)
    if path:
        pool, tpw = prompts.pool_from_tokenizer(prompts.load_local_tokenizer(path))
        return pool, tpw, f"local tokenizer {path}"
    import urllib.request

    def encode(text: str) -> list[int]:
        body = json.dumps({"model": model, "prompt": text, "add_special_tokens": False}).encode()
        req = urllib.request.Request(
            f"{base}/tokenize", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["tokens"]

    try:
        pool, tpw = prompts.pool_from_tokenizer(encode)
    except Exception as e:
        raise ValueError(
            f"no tokenizer: {base}/tokenize failed ({e}); pass --tokenizer PATH "
            "or --prompt-format text"
        ) from None
    return pool, tpw, f"server {base}/tokenize"


def run(args: argparse.Namespace) -> int:
    if getattr(args, "bench_command", None) == "compare":
        return run_compare(args)
    try:
        rates = _rates(args)
        programs = load_programs(args)
    except ValueError as e:  # includes TraceError
        return _fail(str(e))
    if args.dump_trace:
        from vllm_nexus.bench import trace, workloads

        timed = programs if rates[0] is None else workloads.retime(programs, rates[0], args.seed)
        trace.dump_trace(timed, args.dump_trace)
        print(f"wrote {len(timed)} programs to {args.dump_trace}")
        if not args.base_url:
            return 0
    if not args.base_url:
        return _fail("--base-url is required (or use --dump-trace alone)")
    if args.think_scale < 0:
        return _fail("--think-scale must be >= 0")
    return run_bench(args, programs, rates)


def run_bench(args: argparse.Namespace, programs: list, rates: list[float | None]) -> int:
    from vllm_nexus.bench import prompts, report, runner, workloads

    base = runner.normalize_base_url(args.base_url)
    try:
        model = resolve_model(base, args.model)
        pool, tpw, pool_src = (None, 1.5, "none")
        if args.prompt_format == "ids":
            pool, tpw, pool_src = token_pool(base, model, args.tokenizer)
        elif args.tokenizer or Path(model).is_dir():
            _, tpw, pool_src = token_pool(base, model, args.tokenizer)
    except ValueError as e:
        return _fail(str(e))
    salt = args.run_salt or secrets.token_hex(4)
    opts = runner.ClientOptions(
        base_url=base,
        model=model,
        id_transport="none" if args.no_program_ids else args.id_transport,
        prompt_format=args.prompt_format,
        think_scale=args.think_scale,
        temperature=args.temperature,
        timeout_s=args.timeout,
        progress=not args.no_progress,
    )
    config = {
        "base_url": base,
        "model": model,
        "workload": args.workload,
        "trace": args.trace,
        "programs": args.programs,
        "seed": args.seed,
        "rates": rates,
        "run_salt": salt,
        "id_transport": "none" if args.no_program_ids else args.id_transport,
        "keep_program_ids": args.keep_program_ids,
        "prompt_format": args.prompt_format,
        "token_pool": pool_src,
        "think_scale": args.think_scale,
        "calls_scale": args.calls_scale,
        "tokens_scale": args.tokens_scale,
        "max_context_tokens": max_context(args),
        "temperature": args.temperature,
        "command": " ".join(sys.argv),
    }
    env = report.environment()
    try:
        env["server_version"] = _server_json(base, "/version").get("version")
    except Exception:
        env["server_version"] = None
    out = Path(args.out or f"bench-results/{time.strftime('%Y%m%d-%H%M%S')}-{args.label}")
    runs = []
    for i, rate in enumerate(rates):
        progs = programs if rate is None else workloads.retime(programs, rate, args.seed)
        run_salt = salt if len(rates) == 1 else f"{salt}-{i}"
        factory = prompts.PromptFactory(args.seed, run_salt, pool, tpw)
        run_opts = dataclasses.replace(opts, program_id_suffix=run_id_suffix(run_salt, args))
        before = runner.scrape_metrics(base)
        n_calls = sum(len(p.calls) for p in progs)
        shown = f"{rate:g}/s" if rate is not None else "trace times"
        print(
            f"run {i + 1}/{len(rates)}: {len(progs)} programs, {n_calls} calls, rate {shown}",
            file=sys.stderr,
        )
        records, duration = runner.run_programs(progs, factory, run_opts)
        delta = runner.metrics_delta(before, runner.scrape_metrics(base))
        eff_rate = rate if rate is not None else _trace_rate(progs)
        runs.append(
            report.run_entry(
                eff_rate, records, duration, salt=run_salt, server=runner.server_breakdown(delta)
            )
        )
        # saved after every run, so an interrupted sweep keeps what it measured
        report.save_result(
            report.make_result(args.label, config, runs, env=env), out / "result.json"
        )
    result = report.make_result(args.label, config, runs, env=env)
    result["slo"] = args.slo or report.default_slo(result, args.slo_factor)
    path = report.save_result(result, out / "result.json")
    md = report.markdown_summary(result)
    (out / "summary.md").write_text(md, encoding="utf-8")
    print(md)
    if not args.no_plots:
        report.plot_latency_vs_rate([result], out / "latency_vs_rate.png", result["slo"])
        report.plot_cdf([result], out / "cdf.png")
    print(f"results: {path}")
    failed = sum(r["summary"]["calls_failed"] for r in runs)
    if failed:
        errs: dict[str, int] = {}
        for r in runs:
            for k, v in r["summary"]["errors"].items():
                errs[k] = errs.get(k, 0) + v
        print(f"FAILED CALLS: {failed}", file=sys.stderr)
        for k, v in sorted(errs.items(), key=lambda kv: -kv[1])[:10]:
            print(f"  {v} x {k}", file=sys.stderr)
        return 3
    return 0


def run_id_suffix(run_salt: str, args: argparse.Namespace) -> str:
    """Per-run program-id namespace (see ``ClientOptions.program_id_suffix``)."""
    if args.keep_program_ids:
        return ""
    return "@" + hashlib.sha1(run_salt.encode()).hexdigest()[:8]


def _trace_rate(programs: list) -> float:
    span = max(p.arrival_s for p in programs) - min(p.arrival_s for p in programs)
    return (len(programs) - 1) / span if span > 0 else 0.0


def run_compare(args: argparse.Namespace) -> int:
    from vllm_nexus.bench import report

    try:
        results = [report.load_result(p) for p in args.results]
        table = report.compare_table(results, args.slo, args.slo_factor)
        table += f"\n{report.BREAKDOWN_HEADING}\n\n{report.time_breakdown_table(results)}"
    except report.ResultError as e:
        return _fail(str(e))
    print(table)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.md").write_text(table, encoding="utf-8")
        slo = args.slo or results[0].get("slo") or report.default_slo(results[0], args.slo_factor)
        report.plot_latency_vs_rate(results, out / "latency_vs_rate.png", slo)
        report.plot_cdf(results, out / "cdf.png")
        print(f"wrote {out / 'compare.md'}, latency_vs_rate.png, cdf.png")
    return 0
