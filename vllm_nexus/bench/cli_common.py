"""What ``vllm-nexus bench`` and ``vllm-nexus simulate`` share: the workload and output
arguments, their checks, and the loader of a run's programs.

One definition, so a generated workload is the same program set in both commands:

* ``--rate R``: Poisson program arrivals at R programs/s; ``--rate 0`` sends every program at
  once (a burst at t = 0); with ``--trace``, a rate re-times the trace (default: its own
  arrival times). ``--sweep-rates`` takes rates > 0.
* ``--max-context-tokens``: a chat/agent history restarts beyond this many tokens; default
  ``4096 x --tokens-scale`` (at least 256), so a shrunk workload keeps the shape of the full
  one (a fixed 4096 would let shrunk histories grow 1/scale times longer, relative to calls).

Pure Python (no vLLM import).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from vllm_nexus.bench.trace import ProgramSpec

DEFAULT_MAX_CONTEXT = 4096
"""Context cap of generated workloads at ``--tokens-scale 1``."""
MIN_MAX_CONTEXT = 256


def fail(command: str, msg: str) -> int:
    """Print ``vllm-nexus COMMAND: error: MSG`` and return the usage-error status (2)."""
    print(f"vllm-nexus {command}: error: {msg}", file=sys.stderr)
    return 2


def add_workload_arguments(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """``--workload/--trace``, rates, program count, seed and the scaling knobs."""
    from vllm_nexus.bench.workloads import WORKLOADS

    w = p.add_argument_group("workload")
    src = w.add_mutually_exclusive_group()
    src.add_argument("--workload", choices=list(WORKLOADS), help="a generated workload family")
    src.add_argument("--trace", help="JSONL trace file (one program per line)")
    w.add_argument(
        "--rate",
        type=float,
        help="program arrival rate (programs/s, Poisson; 0: all at once); "
        "with --trace, re-times the trace (default: its own arrival times)",
    )
    w.add_argument("--sweep-rates", help="comma-separated rates, e.g. 1,2,4,8")
    w.add_argument(
        "--arrival-cv",
        type=float,
        default=1.0,
        help="coefficient of variation of inter-arrival gaps: 1 Poisson (default), "
        "> 1 bursty (Gamma gaps, same mean rate), e.g. 3",
    )
    w.add_argument("--programs", type=int, default=100, help="number of programs (trace: first N)")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument(
        "--think-scale",
        type=float,
        default=1.0,
        help="multiply think/tool times (match them to the engine's speed)",
    )
    w.add_argument(
        "--calls-scale", type=float, default=1.0, help="scale calls per program (generated)"
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
        f"(default: {DEFAULT_MAX_CONTEXT} x --tokens-scale, at least {MIN_MAX_CONTEXT})",
    )
    w.add_argument(
        "--size-hint-sigma",
        type=float,
        default=None,
        metavar="S",
        help="send vllm_xargs.program_size_hint on every call: each program's number of "
        "calls x exp(S x N(0,1)), one draw per program and --seed (a client that estimates "
        "its program's size within a factor e^S); default: no hint",
    )
    return w


def add_output_arguments(p: argparse.ArgumentParser, default_out: str) -> argparse._ArgumentGroup:
    """SLO, label, output directory, progress and plots."""
    o = p.add_argument_group("output")
    add_slo_arguments(o, "the lowest rate's mean token latency")
    o.add_argument("--label", help="name of this configuration in reports")
    o.add_argument("--out", help=f"output directory (default: {default_out})")
    o.add_argument("--no-progress", action="store_true")
    o.add_argument("--no-plots", action="store_true")
    return o


def add_slo_arguments(p: Any, default_of: str) -> None:
    """``--slo`` (s/token, for throughput at latency) and ``--slo-factor``."""
    p.add_argument(
        "--slo",
        type=float,
        help=f"latency SLO (s/token) for throughput at latency (default: --slo-factor x "
        f"{default_of})",
    )
    p.add_argument("--slo-factor", type=float, default=3.0)


def rates(args: argparse.Namespace) -> list[float | None]:
    """The run's rates: ``--sweep-rates`` sorted, else ``[--rate]`` (None: trace times)."""
    if args.sweep_rates:
        try:
            out = sorted(float(x) for x in args.sweep_rates.split(",") if x.strip())
        except ValueError:
            raise ValueError(f"--sweep-rates {args.sweep_rates!r}: expected numbers") from None
        if not out or any(r <= 0 for r in out):
            raise ValueError("--sweep-rates: rates must be > 0")
        return out
    if args.rate is not None and args.rate < 0:
        raise ValueError("--rate must be >= 0")
    return [args.rate]


def check_scales(args: argparse.Namespace) -> None:
    """Reject negative think time and non-positive program counts before anything runs."""
    if args.think_scale < 0:
        raise ValueError("--think-scale must be >= 0")
    if args.programs < 1:
        raise ValueError("--programs must be >= 1")
    if not args.arrival_cv > 0:
        raise ValueError("--arrival-cv must be > 0")
    sigma = getattr(args, "size_hint_sigma", None)
    if sigma is not None and not 0 <= sigma < float("inf"):
        raise ValueError("--size-hint-sigma must be a finite number >= 0")


def max_context(args: argparse.Namespace) -> int:
    """``--max-context-tokens``, else 4096 x ``--tokens-scale`` (at least 256)."""
    if args.max_context_tokens is not None:
        return args.max_context_tokens
    return max(MIN_MAX_CONTEXT, round(DEFAULT_MAX_CONTEXT * args.tokens_scale))


def load_programs(args: argparse.Namespace, num_programs: int | None = None) -> list[ProgramSpec]:
    """The run's programs before any re-timing: the first ``--programs`` of ``--trace``, or
    ``num_programs`` (default ``--programs``) generated ones at unit rate."""
    from vllm_nexus.bench import trace, workloads

    check_scales(args)
    if args.trace:
        return trace.load_trace(args.trace)[: args.programs]
    if not args.workload:
        raise ValueError("give --workload or --trace")
    opts = workloads.WorkloadOptions(
        calls_scale=args.calls_scale,
        tokens_scale=args.tokens_scale,
        max_context_tokens=max_context(args),
        arrival_cv=args.arrival_cv,
    )
    n = args.programs if num_programs is None else num_programs
    return workloads.generate(args.workload, n, args.seed, 1.0, opts)


def at_rate(
    programs: list[ProgramSpec], rate: float | None, args: argparse.Namespace
) -> list[ProgramSpec]:
    """The programs re-timed to arrivals at ``rate`` (``--seed``'s gaps, ``--arrival-cv``:
    1 Poisson); ``None`` keeps their own times.

    A generated workload at unit rate re-timed to ``rate`` equals one generated at ``rate``
    (both divide the seed's unit-rate gaps by the rate)."""
    from vllm_nexus.bench.workloads import retime

    return programs if rate is None else retime(programs, rate, args.seed, args.arrival_cv)


def trace_rate(programs: Sequence[ProgramSpec]) -> float:
    """Mean arrival rate of programs with their own arrival times (0: all at once)."""
    span = max(p.arrival_s for p in programs) - min(p.arrival_s for p in programs)
    return (len(programs) - 1) / span if span > 0 else 0.0


def effective_rate(rate: float | None, programs: Sequence[ProgramSpec]) -> float:
    """The rate a run is reported at: the requested one, else the trace's own."""
    return rate if rate is not None else trace_rate(programs)
