"""``make bench``: stock vLLM vs vllm-nexus policies over workloads and arrival rates.

For each repetition, each scheduler (in a rotated order, so no scheduler always runs first)
gets a fresh ``vllm serve``; on it every workload is replayed at every rate, from the same
seeded traces for all schedulers, each run with a fresh prompt salt (no prefix cache carries
over). Then per workload: results merged per scheduler, ``bench compare`` tables, plots, and
``docs/benchmarks.md`` (exact commands, machine, settings, figures).

Size is configurable (``--workloads``, ``--rates``, ``--reps``, ``--programs``,
``--schedulers``). By default each workload gets its own rates and program count
(``WORKLOAD_DEFAULTS``: rates that bracket its knee on the tiny model with
``--max-num-seqs 8``); the defaults take about 2 hours on a 2-core machine.
``--report-only DIR`` rebuilds the tables and docs from a finished (or interrupted) sweep
directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NOTES_BEGIN, NOTES_END = "<!-- analysis -->", "<!-- /analysis -->"


SCHEDULERS: dict[str, str | None] = {
    "stock": None,  # vLLM's own scheduler (FCFS)
    "default": "",  # vllm_nexus with every option at its default (what a user runs)
    "mlfq": "mlfq",  # call-level MLFQ (FastServe-style baseline)
    "plas": "plas",  # the vllm-nexus default
    "atlas": "atlas",
    "plas-noids": "plas",  # plas, the bench sending no program ids (lineage inference)
    "plas-noids-preempt": "plas",  # plas-noids, unproven programs preempting (pre-12-02)
    "plas-noids-long": "plas",  # plas-noids, unproven programs preempting long calls only
    "plas-noids-off": "plas",  # plas-noids, unproven programs never preempting
    "plas-nopreempt": "plas",  # plas without proactive preemption (only free slots/KV)
    "gittins": "gittins",  # learned program sizes (opt-in)
    "stages": "plas",  # plas + parallel stages spelled out (= the default since 2026-12-02)
    "plas-nostages": "plas",  # plas with parallel stages off (Autellix per-call ranking)
}


WORKLOAD_DEFAULTS: dict[str, tuple[tuple[float, ...], int]] = {
    # workload: (rates in programs/s, programs). Measured here (docs/benchmarks.md): mixed
    # queues from 4 programs/s; lats programs are ~25x larger, so 40 of them keep a run short
    # and its knee is near 4; chat queues from 8. react programs are tiny (~20 output tokens):
    # a 100-program trace is over before a backlog builds (all schedulers met the SLO at
    # 64/s), so react gets 300 programs (stock crossed the SLO near 30/s then).
    "mixed": ((1, 4, 8, 16), 100),
    "lats": ((1, 4, 8), 40),
    "chat": ((4, 8, 16), 100),
    "react": ((8, 16, 32), 300),
}
"""Default rates and program count per workload; ``--rates``/``--programs`` override all."""

SCHEDULER_OPTIONS: dict[str, dict] = {
    "plas-noids-preempt": {"unproven_preemption": True},
    "plas-noids-long": {"unproven_preemption": "long-calls"},
    "plas-noids-off": {"unproven_preemption": False},
    "plas-nopreempt": {"preemption": False},
    "stages": {"parallel_stages": "spread", "stage_order": True},  # docs/benchmarks.md
    "plas-nostages": {"parallel_stages": "off", "stage_order": False},
}
"""Scheduler options (``vllm_nexus.scheduler``) a variant sets beyond its policy."""


def sends_no_ids(sched: str) -> bool:
    """The bench replays without program ids for this scheduler (``-noids`` variants)."""
    return "-noids" in sched


def workload_plan(args: argparse.Namespace, workloads: list[str]) -> dict[str, dict]:
    """Rates and program count per workload: ``--rates``/``--programs`` if given, else
    ``WORKLOAD_DEFAULTS`` (a workload without defaults needs both options)."""
    plan = {}
    for w in workloads:
        d_rates, d_programs = WORKLOAD_DEFAULTS.get(w, (None, None))
        rates = _csv(args.rates) if args.rates else d_rates
        programs = args.programs if args.programs is not None else d_programs
        if rates is None or programs is None:
            raise SystemExit(f"workload {w!r} has no default rates: pass --rates and --programs")
        plan[w] = {"rates": [float(r) for r in rates], "programs": programs}
    return plan


def scheduler_args(sched: str, audit: Path | None = None) -> list[str]:
    """Server arguments for one scheduler: the policy, everything else at its default (what a
    user runs; the queue levels tune themselves to the calls' size). ``audit``: the
    ``program_inference_log`` of a ``-noids`` server (wrong merges are judged from it:
    ``examples/lineage_eval.py judge-sweep``)."""
    policy = SCHEDULERS[sched]
    if policy is None:
        return []
    if not policy:
        return ["--scheduler-cls", "vllm_nexus.Scheduler"]
    config: dict = {
        "vllm_nexus": {"scheduler": {"policy": policy, **SCHEDULER_OPTIONS.get(sched, {})}}
    }
    if audit is not None and sends_no_ids(sched):
        config["vllm_nexus"]["scheduler"]["program_inference_log"] = str(audit)
    cfg = json.dumps(config, separators=(",", ":"))
    return ["--scheduler-cls", "vllm_nexus.Scheduler", "--additional-config", cfg]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model directory (default: build the tiny model)")
    p.add_argument("--workloads", default="mixed,lats,chat,react")
    p.add_argument(
        "--rates", help="programs/s, comma-separated, for every workload (default: per workload)"
    )
    p.add_argument("--reps", type=int, default=3)
    p.add_argument(
        "--programs", type=int, help="programs per trace (default: per workload, WORKLOAD_DEFAULTS)"
    )
    p.add_argument("--schedulers", default="stock,mlfq,plas,atlas")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calls-scale", type=float, default=0.25)
    p.add_argument("--tokens-scale", type=float, default=0.25)
    p.add_argument("--think-scale", type=float, default=0.3)
    p.add_argument(
        "--engine-args",
        default="batch-bound",
        help="`vllm serve` engine arguments, or a named setting: batch-bound (--max-num-seqs 8, "
        "the default) or kv-bound (--max-num-seqs 64 --num-gpu-blocks-override 40 "
        "--max-model-len 4096)",
    )
    p.add_argument(
        "--slo-factor",
        type=float,
        default=3.0,
        help="SLO = factor x stock's mean program token latency at the lowest rate",
    )
    p.add_argument("--out", help="sweep directory (default: results/sweep-<time>)")
    p.add_argument(
        "--docs",
        default=str(REPO / "docs" / "benchmarks.md"),
        help="markdown file to write ('' to skip)",
    )
    p.add_argument(
        "--paired",
        action="store_true",
        help="run all schedulers' servers at once and replay each trace against "
        "them concurrently (robust ratios on a shared, noisy machine)",
    )
    p.add_argument("--report-only", metavar="DIR", help="only rebuild reports from DIR")
    args = p.parse_args(argv)
    from vllm_nexus.bench.settings import ENGINE_SETTINGS

    args.engine_args = ENGINE_SETTINGS.get(args.engine_args, args.engine_args)
    return args


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def run_sweep(args: argparse.Namespace, out: Path) -> None:
    from vllm_nexus import cli
    from vllm_nexus.serving.launcher import VllmServer

    schedulers = _csv(args.schedulers)
    unknown = [s for s in schedulers if s not in SCHEDULERS]
    if unknown:
        raise SystemExit(f"unknown scheduler {unknown[0]!r}: choose from {list(SCHEDULERS)}")
    workloads = _csv(args.workloads)
    plan = workload_plan(args, workloads)
    model = args.model
    if model is None:
        from vllm_nexus.serving.tiny_model import build_tiny_model

        model = str(build_tiny_model(REPO / ".cache" / "tiny-model"))
    meta = _resume_meta(out, args, model)  # before the traces: a mismatch must not touch them
    traces = out / "traces"
    traces.mkdir(parents=True, exist_ok=True)
    for w in workloads:
        gen = ["bench", "--workload", w, "--programs", str(plan[w]["programs"]), "--seed",
               str(args.seed), "--rate", "1", "--calls-scale", str(args.calls_scale),
               "--tokens-scale", str(args.tokens_scale), "--dump-trace", str(traces / f"{w}.jsonl")]  # fmt: skip
        if cli.main(gen) != 0:
            raise SystemExit(f"could not generate the {w} trace")
    salt = f"sweep{int(time.time())}"
    meta["plan"] = plan
    (out / "sweep.json").write_text(json.dumps(meta, indent=1, default=str))  # if interrupted
    if args.paired:
        _paired(args, out, model, schedulers, plan, traces, salt, meta)
        return
    for rep in range(args.reps):
        order = schedulers[rep % len(schedulers) :] + schedulers[: rep % len(schedulers)]
        for sched in order:
            pending = [
                (w, rate)
                for w in workloads
                for rate in plan[w]["rates"]
                if not (out / "raw" / w / sched / f"rate{rate:g}-rep{rep}" / "result.json").exists()
            ]
            if not pending:  # resumed sweep: no server needed
                print(
                    f"=== rep {rep + 1}/{args.reps} scheduler {sched}: all runs exist", flush=True
                )
                continue
            server_args = [
                *shlex.split(args.engine_args),
                *scheduler_args(sched, out.resolve() / "logs" / f"audit-{sched}.jsonl"),
            ]
            log = out / "logs" / f"server-{sched}-rep{rep}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            meta["commands"].append("vllm serve MODEL " + shlex.join(server_args))
            print(f"\n=== rep {rep + 1}/{args.reps} scheduler {sched}", flush=True)
            with VllmServer(model, args=server_args, log_path=log, startup_timeout_s=900) as srv:
                for w, rate in pending:
                    dest = out / "raw" / w / sched / f"rate{rate:g}-rep{rep}"
                    bench = _bench_argv(args, srv.base_url, srv.model, w, traces, rate,
                                        sched, rep, salt, dest, plan[w]["programs"])  # fmt: skip
                    meta["commands"].append("vllm-nexus " + shlex.join(bench[:1] + bench[5:]))
                    print(f"--- {w} rate {rate:g} ({sched}, rep {rep + 1})", flush=True)
                    rc = cli.main(bench)
                    if rc not in (0, 3):
                        raise SystemExit(f"bench failed with exit code {rc}")
                    (out / "sweep.json").write_text(json.dumps(meta, indent=1, default=str))
    meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    (out / "sweep.json").write_text(json.dumps(meta, indent=1, default=str))


# Settings that define the data of a sweep directory: a resumed sweep must keep them.
DATA_ARGS = ("programs", "seed", "calls_scale", "tokens_scale", "think_scale", "engine_args",
             "model", "paired")  # fmt: skip


def _resume_meta(out: Path, args: argparse.Namespace, model: str) -> dict:
    """The sweep's metadata: new, or the previous one of a resumed sweep (its start time and
    commands kept). Refuses to resume with settings that would mix different data."""
    now = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    path = out / "sweep.json"
    prev = json.loads(path.read_text()) if path.exists() else {}
    old = prev.get("args", {})
    for key in DATA_ARGS:
        if key in old and old[key] != getattr(args, key):
            flag = "--" + key.replace("_", "-")
            raise SystemExit(
                f"{out} holds a sweep made with {flag} {_shown(old[key])}, this run asks for "
                f"{_shown(getattr(args, key))}: resume it with the same settings, or use "
                "another --out"
            )
    meta = {**prev, "args": vars(args), "model": model, "machine": machine()}
    meta.setdefault("commands", [])
    meta.setdefault("started", now)
    if prev:
        meta.setdefault("resumed", []).append(now)
        meta.pop("finished", None)
    return meta


def _shown(value: object) -> str:
    return "the per-workload default" if value is None else repr(value)


def _bench_argv(args, base_url, model, w, traces, rate, sched, rep, salt, dest,
                programs) -> list[str]:  # fmt: skip
    """One replay; ``--programs`` too: ``bench --trace`` replays only the first N (100)."""
    return ["bench", "--base-url", base_url, "--model", model,
            "--trace", str(traces / f"{w}.jsonl"), "--programs", str(programs),
            "--rate", f"{rate:g}",
            "--seed", str(args.seed), "--think-scale", str(args.think_scale),
            "--run-salt", f"{salt}-{w}-{sched}-{rate:g}-{rep}",
            "--label", sched, "--out", str(dest), "--no-plots", "--no-progress",
            *(["--no-program-ids"] if sends_no_ids(sched) else [])]  # fmt: skip


def start_servers(servers: Iterable[Any]) -> list[BaseException]:
    """Start every server at once (one thread each, engines load in parallel); returns the
    errors of those that failed, after every start returned (the caller stops them all)."""
    import threading

    errors: list[BaseException] = []

    def start(srv: Any) -> None:
        try:
            srv.start()
        except BaseException as e:  # returned to the caller
            errors.append(e)

    threads = [threading.Thread(target=start, args=(srv,)) for srv in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _paired(args, out, model, schedulers, plan, traces, salt, meta) -> None:
    """All schedulers' servers up at once; each (workload, rate, repetition) is replayed
    against all of them *concurrently* (one client process each), so background load on a
    shared machine hits every scheduler alike. Slower per run (the engines share the CPU)
    but the ratios are far less noisy than those of runs taken minutes apart."""
    from vllm_nexus.serving.launcher import VllmServer

    servers = {}
    for sched in schedulers:
        audit = out.resolve() / "logs" / f"audit-{sched}.jsonl"
        server_args = [*shlex.split(args.engine_args), *scheduler_args(sched, audit)]
        log = out / "logs" / f"server-{sched}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        meta["commands"].append("vllm serve MODEL " + shlex.join(server_args))
        servers[sched] = VllmServer(model, args=server_args, log_path=log, startup_timeout_s=900)
    errors = start_servers(servers.values())
    try:
        if errors:
            raise SystemExit(f"server start failed: {errors[0]}")
        for rep in range(args.reps):
            for w, p in plan.items():
                for rate in p["rates"]:
                    procs = {}
                    print(f"--- {w} rate {rate:g} rep {rep + 1}: {', '.join(servers)} "
                          "concurrently", flush=True)  # fmt: skip
                    for sched, srv in servers.items():
                        dest = out / "raw" / w / sched / f"rate{rate:g}-rep{rep}"
                        if (dest / "result.json").exists():
                            continue
                        argv = _bench_argv(args, srv.base_url, srv.model, w, traces, rate,
                                           sched, rep, salt, dest, p["programs"])  # fmt: skip
                        meta["commands"].append("vllm-nexus " + shlex.join(argv[:1] + argv[5:]))
                        dest.mkdir(parents=True, exist_ok=True)
                        with open(dest / "bench.log", "wb") as logf:
                            procs[sched] = subprocess.Popen(
                                [sys.executable, "-m", "vllm_nexus.cli", *argv],
                                stdout=logf, stderr=subprocess.STDOUT,
                            )  # fmt: skip
                    for sched, proc in procs.items():
                        rc = proc.wait()
                        if rc not in (0, 3):
                            raise SystemExit(f"bench ({sched}) failed with exit code {rc}")
                        row = [ln for ln in (out / "raw" / w / sched / f"rate{rate:g}-rep{rep}"
                               / "bench.log").read_text().splitlines() if ln.startswith("| ")]  # fmt: skip
                        print(f"  {sched}: {row[-1] if row else '?'}", flush=True)
    finally:
        for srv in servers.values():
            srv.stop()
    meta["paired"] = True
    meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    (out / "sweep.json").write_text(json.dumps(meta, indent=1, default=str))


def machine() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count()}  # fmt: skip
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        info["cpu_model"] = next(
            (ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if "Model name" in ln), None
        )
    except (OSError, subprocess.TimeoutExpired):
        info["cpu_model"] = None
    try:
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0]
        info["memory_gib"] = round(int(mem.split()[1]) / 2**20, 1)
        info["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        pass
    try:
        import vllm  # noqa: F401  (version only)

        info["vllm"] = vllm.__version__
    except Exception:
        info["vllm"] = None
    return info


def build_reports(out: Path, slo_factor: float) -> dict[str, dict]:
    """Merge raw runs per (workload, scheduler), write compare tables and plots."""
    from vllm_nexus.bench import plots, report

    summary: dict[str, dict] = {}
    for wdir in sorted((out / "raw").glob("*")):
        w = wdir.name
        merged = {}
        for sdir in sorted(wdir.glob("*")):
            parts = [report.load_result(p) for p in sorted(sdir.glob("*/result.json"))]
            if parts:
                merged[sdir.name] = report.merge_results(parts, sdir.name)
        if not merged:
            continue
        order = [s for s in SCHEDULERS if s in merged] + [s for s in merged if s not in SCHEDULERS]
        results = [merged[s] for s in order]
        for r in results:
            report.save_result(r, out / w / f"{r['label']}.json")
        slo = report.default_slo(results[0], slo_factor)
        table = report.compare_table(results, None, slo_factor)
        table += f"\n{report.BREAKDOWN_HEADING}\n\n{report.time_breakdown_table(results)}"
        (out / w / "compare.md").write_text(table, encoding="utf-8")
        plots.plot_latency_vs_rate(results, out / w / "latency_vs_rate.png", slo, title=w)
        plots.plot_cdf(results, out / w / "cdf.png", title=f"{w}: program latency CDF")
        summary[w] = {"results": results, "slo": slo, "table": table}
        print(f"\n## {w}\n{table}")
    return summary


def write_docs(out: Path, summary: dict[str, dict], docs: Path) -> None:
    from vllm_nexus.bench import report

    meta = json.loads((out / "sweep.json").read_text()) if (out / "sweep.json").exists() else {}
    fig_dir = docs.parent / "figures" / "benchmarks"
    fig_dir.mkdir(parents=True, exist_ok=True)
    a = meta.get("args", {})
    lines = [
        "# Benchmarks: stock vLLM vs vllm-nexus (measured)",
        "",
        "Generated by `examples/bench_sweep.py` (`make bench`); numbers below are measured on "
        "the machine described, with the commands listed. Method: docs/bench.md.",
        "",
        "## Machine and settings",
        "",
        "```",
        json.dumps(meta.get("machine", {}), indent=1),
        "```",
        "",
        f"- sweep: `python examples/bench_sweep.py --workloads {a.get('workloads')}"
        + (f" --rates {a['rates']}" if a.get("rates") else "")
        + (f" --programs {a['programs']}" if a.get("programs") is not None else "")
        + f" --reps {a.get('reps')} --schedulers {a.get('schedulers')} --calls-scale {a.get('calls_scale')} "
        f"--tokens-scale {a.get('tokens_scale')} --think-scale {a.get('think_scale')} "
        f"--engine-args '{a.get('engine_args')}'{' --paired' if a.get('paired') else ''}`",
        f"- started {meta.get('started')}, finished {meta.get('finished')}",
        f"- model: the embedded tiny model (`vllm-nexus tiny-model`), float32, `--enforce-eager`;"
        f" engine settings `{a.get('engine_args')}` make the engine the bottleneck",
        "- SLO for throughput at latency: "
        f"{a.get('slo_factor')} x stock's mean program token latency at the lowest rate",
        "",
        (
            "Server commands (`--paired`: all servers up at once; every trace x rate x "
            "repetition replayed against all of them concurrently, one client process each):"
            if meta.get("paired")
            else "Server commands (one fresh server per scheduler and repetition, interleaved):"
        ),
        "",
        "```",
        *sorted(set(c for c in meta.get("commands", []) if c.startswith("vllm serve"))),
        "```",
        "",
        "Example bench command (one per workload x rate x scheduler x repetition):",
        "",
        "```",
        *[c for c in meta.get("commands", []) if c.startswith("vllm-nexus")][:1],
        "```",
        "",
    ]
    for w, s in summary.items():
        for name in ("latency_vs_rate.png", "cdf.png"):
            shutil.copy(out / w / name, fig_dir / f"{w}-{name}")
        p = meta.get("plan", {}).get(w)
        lines += [f"## {w}", ""]
        if p:
            rates = ", ".join(f"{r:g}" for r in p["rates"])
            lines += [f"{p['programs']} programs per trace; rates {rates} programs/s.", ""]
        lines += [s["table"], ""]
        lines += [f"![{w} latency vs rate](figures/benchmarks/{w}-latency_vs_rate.png)", ""]
        lines += [f"![{w} CDF](figures/benchmarks/{w}-cdf.png)", ""]
        lines += ["Per scheduler (repetitions averaged; breakdown = share of program time on the "
                  "critical path):", ""]  # fmt: skip
        for r in s["results"]:
            lines += [report.markdown_summary(r), ""]
    # keep the hand-written analysis between the notes markers of an existing file
    notes = ""
    if docs.exists():
        text = docs.read_text(encoding="utf-8")
        if NOTES_BEGIN in text and NOTES_END in text:
            notes = text[text.index(NOTES_BEGIN) : text.index(NOTES_END) + len(NOTES_END)]
    notes = notes or f"{NOTES_BEGIN}\n## Analysis\n\n(not written yet)\n{NOTES_END}"
    lines[4:4] = [notes, ""]
    docs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {docs} and figures in {fig_dir}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        out = Path(args.report_only)
    else:
        out = Path(args.out or REPO / "results" / f"sweep-{time.strftime('%Y%m%d-%H%M%S')}")
        out.mkdir(parents=True, exist_ok=True)
        run_sweep(args, out)
    summary = build_reports(out, args.slo_factor)
    if args.docs and summary:
        write_docs(out, summary, Path(args.docs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
