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

from vllm_nexus.bench import cli_common as common


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = __doc__.split("\n", 2)[2]
    _add_compare(p.add_subparsers(dest="bench_command", metavar="{compare}"))
    _add_target(p)
    common.add_workload_arguments(p).add_argument(
        "--dump-trace",
        help="write the (generated) workload as JSONL; without --base-url, only write it",
    )
    common.add_output_arguments(p, "bench-results/<time>-<label>")


def _add_compare(sub: Any) -> None:
    c = sub.add_parser("compare", help="side-by-side table (with ratios) of result files")
    c.add_argument("results", nargs="+", help="result.json files; the first is the baseline")
    common.add_slo_arguments(
        c, "the baseline's lowest-rate mean token latency, unless the baseline has an SLO"
    )
    c.add_argument("--out", help="directory for compare.md and plots")


def _add_target(p: argparse.ArgumentParser) -> None:
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
        "--send-program-class",
        action="store_true",
        help="also send each program's kind as vllm_xargs.program_class (the agent type; "
        "the scheduler learns program sizes per class)",
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
    g.add_argument(
        "--run-salt",
        help="prompt-content salt (default: random, recorded); the "
        "same seed and salt reproduce the same prompts",
    )


def _fail(msg: str) -> int:
    return common.fail("bench", msg)


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
    args.label = args.label or "run"
    try:
        rates = common.rates(args)
        programs = common.load_programs(args)
    except ValueError as e:  # includes TraceError
        return _fail(str(e))
    if args.dump_trace:
        from vllm_nexus.bench import trace

        timed = common.at_rate(programs, rates[0], args)
        trace.dump_trace(timed, args.dump_trace)
        print(f"wrote {len(timed)} programs to {args.dump_trace}")
        if not args.base_url:
            return 0
    if not args.base_url:
        return _fail("--base-url is required (or use --dump-trace alone)")
    return run_bench(args, programs, rates)


@dataclasses.dataclass
class _Target:
    """The server side of a run: URL, model, token pool, client options, environment."""

    base: str
    model: str
    pool: list[int] | None
    tokens_per_word: float
    pool_source: str
    opts: Any
    env: dict[str, Any]


def _target(args: argparse.Namespace) -> _Target:
    """Resolve the server, its model and token pool (ValueError with a message on failure)."""
    from vllm_nexus.bench import report, runner

    base = runner.normalize_base_url(args.base_url)
    model = resolve_model(base, args.model)
    pool, tpw, pool_src = (None, 1.5, "none")
    if args.prompt_format == "ids":
        pool, tpw, pool_src = token_pool(base, model, args.tokenizer)
    elif args.tokenizer or Path(model).is_dir():
        _, tpw, pool_src = token_pool(base, model, args.tokenizer)
    opts = runner.ClientOptions(
        base_url=base,
        model=model,
        id_transport="none" if args.no_program_ids else args.id_transport,
        prompt_format=args.prompt_format,
        think_scale=args.think_scale,
        temperature=args.temperature,
        timeout_s=args.timeout,
        progress=not args.no_progress,
        send_program_class=args.send_program_class,
        size_hint_sigma=args.size_hint_sigma,
        size_hint_seed=args.seed,
    )
    env = report.environment()
    try:
        env["server_version"] = _server_json(base, "/version").get("version")
    except Exception:
        env["server_version"] = None
    return _Target(base, model, pool, tpw, pool_src, opts, env)


def _run_config(
    args: argparse.Namespace, target: _Target, rates: list[float | None], salt: str
) -> dict[str, Any]:
    return {
        "base_url": target.base,
        "model": target.model,
        "workload": args.workload,
        "trace": args.trace,
        "programs": args.programs,
        "seed": args.seed,
        "rates": rates,
        "run_salt": salt,
        "id_transport": "none" if args.no_program_ids else args.id_transport,
        "keep_program_ids": args.keep_program_ids,
        "send_program_class": args.send_program_class,
        "size_hint_sigma": args.size_hint_sigma,
        "prompt_format": args.prompt_format,
        "token_pool": target.pool_source,
        "think_scale": args.think_scale,
        "calls_scale": args.calls_scale,
        "tokens_scale": args.tokens_scale,
        "max_context_tokens": common.max_context(args),
        "arrival_cv": args.arrival_cv,
        "temperature": args.temperature,
        "command": " ".join(sys.argv),
    }


def run_bench(args: argparse.Namespace, programs: list, rates: list[float | None]) -> int:
    from vllm_nexus.bench import report

    try:
        target = _target(args)
    except ValueError as e:
        return _fail(str(e))
    salt = args.run_salt or secrets.token_hex(4)
    config = _run_config(args, target, rates, salt)
    out = Path(args.out or f"bench-results/{time.strftime('%Y%m%d-%H%M%S')}-{args.label}")
    runs = []
    for i, rate in enumerate(rates):
        run_salt = salt if len(rates) == 1 else f"{salt}-{i}"
        progs = common.at_rate(programs, rate, args)
        print(f"run {i + 1}/{len(rates)}: {_describe(progs, rate)}", file=sys.stderr)
        runs.append(_one_run(args, target, progs, rate, run_salt))
        # saved after every run, so an interrupted sweep keeps what it measured
        result = report.make_result(args.label, config, runs, env=target.env)
        report.save_result(result, out / "result.json")
    return _finish(args, report.make_result(args.label, config, runs, env=target.env), out)


def _describe(progs: list, rate: float | None) -> str:
    n_calls = sum(len(p.calls) for p in progs)
    shown = f"{rate:g}/s" if rate is not None else "trace times"
    return f"{len(progs)} programs, {n_calls} calls, rate {shown}"


def _one_run(
    args: argparse.Namespace, target: _Target, progs: list, rate: float | None, run_salt: str
) -> dict[str, Any]:
    """Replay ``progs`` once; the run's result entry with the server's /metrics deltas."""
    from vllm_nexus.bench import prompts, report, runner

    factory = prompts.PromptFactory(args.seed, run_salt, target.pool, target.tokens_per_word)
    opts = dataclasses.replace(target.opts, program_id_suffix=run_id_suffix(run_salt, args))
    before = runner.scrape_metrics(target.base)
    started = time.time()
    records, duration, client_loop = runner.run_programs(progs, factory, opts)
    ended = time.time()
    delta = runner.metrics_delta(before, runner.scrape_metrics(target.base))
    entry = report.run_entry(
        common.effective_rate(rate, progs),
        records,
        duration,
        salt=run_salt,
        server=runner.server_breakdown(delta),
    )
    entry["wall_clock"] = [started, ended]  # Unix seconds: lines the run up with server logs
    entry["client_loop"] = client_loop  # the client's own stalls (not the server's)
    return entry


def _finish(args: argparse.Namespace, result: dict[str, Any], out: Path) -> int:
    """Write the result, summary and plots; report failed calls (exit status 3)."""
    from vllm_nexus.bench import plots, report

    result["slo"] = args.slo or report.default_slo(result, args.slo_factor)
    path = report.save_result(result, out / "result.json")
    md = report.markdown_summary(result)
    (out / "summary.md").write_text(md, encoding="utf-8")
    print(md)
    if not args.no_plots:
        plots.plot_latency_vs_rate([result], out / "latency_vs_rate.png", result["slo"])
        plots.plot_cdf([result], out / "cdf.png")
    print(f"results: {path}")
    runs = result["runs"]
    failed = sum(r["summary"]["calls_failed"] for r in runs)
    if not failed:
        return 0
    errs: dict[str, int] = {}
    for r in runs:
        for k, v in r["summary"]["errors"].items():
            errs[k] = errs.get(k, 0) + v
    print(f"FAILED CALLS: {failed}", file=sys.stderr)
    for k, v in sorted(errs.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {v} x {k}", file=sys.stderr)
    return 3


def run_id_suffix(run_salt: str, args: argparse.Namespace) -> str:
    """Per-run program-id namespace (see ``ClientOptions.program_id_suffix``)."""
    if args.keep_program_ids:
        return ""
    return "@" + hashlib.sha1(run_salt.encode()).hexdigest()[:8]


def run_compare(args: argparse.Namespace) -> int:
    from vllm_nexus.bench import plots, report

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
        plots.plot_latency_vs_rate(results, out / "latency_vs_rate.png", slo)
        plots.plot_cdf(results, out / "cdf.png")
        print(f"wrote {out / 'compare.md'}, latency_vs_rate.png, cdf.png")
    return 0
