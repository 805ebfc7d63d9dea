"""``vllm-nexus simulate probe``: a few seconds of fixed CPU work, timed, to record the
machine's speed around a calibration or a real run.

On a shared virtual machine the same code does not always run at the same speed: the host
moves virtual CPUs, other guests share its cores and caches, and none of it shows in the
guest's load average. A calibration is a snapshot of one such state. The probe times the
same work every time, so two snapshots (calibration, real runs) can be compared:

- ``python_ms``: thread CPU time of a fixed pure-Python loop (dicts, lists, sorting, the kind
  of work vLLM's scheduler, engine loop and API server do), median of ``reps``;
- ``dual_ratio``: the same loop in two processes at once (one per core on a 2-core machine)
  over one alone, CPU time: how much two busy cores slow each other (shared physical core or
  cache on the host);
- ``matmul_ms``: thread CPU time of fixed float32 matrix products on one thread (torch, as
  the engine's forward pass), median of ``reps`` (full probe only);
- ``steal_share``: the guest's steal time (``/proc/stat``) over all CPU time during the probe,
  and the steal share since boot.

Thread CPU time, not wall time, so a probe that waits for a CPU is not counted as slow.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import time
from pathlib import Path
from typing import Any

PY_WORK = 100_000
"""Iterations of :func:`python_work` per repetition (~15-25 ms on this machine)."""


def python_work(n: int = PY_WORK) -> int:
    """Fixed interpreter work: dict updates, list appends, a small sort, attribute-free
    arithmetic. Deterministic; the return value keeps it from being optimised away."""
    d: dict[int, int] = {}
    acc = 0
    buf: list[int] = []
    for i in range(n):
        k = (i * 2654435761) & 1023
        d[k] = d.get(k, 0) + i
        buf.append(k)
        if len(buf) == 32:
            buf.sort()
            acc += buf[0] + buf[-1]
            buf.clear()
    return acc + len(d)


def _cpu_of(fn: Any, *a: Any) -> float:
    t0 = time.thread_time()
    fn(*a)
    return time.thread_time() - t0


def _child(q: Any, reps: int) -> None:
    q.put([_cpu_of(python_work) for _ in range(reps)])


def cpu_stat(path: str = "/proc/stat") -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs since boot (Linux; (0, 0) elsewhere)."""
    try:
        with open(path) as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    steal = fields[7] if len(fields) > 7 else 0
    # guest time is already counted in user/nice: leave fields 8-9 out of the total
    return steal, sum(fields[:8])


def _matmul_ms(reps: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(0)
        a = torch.randn(256, 256, generator=g)
        b = torch.randn(256, 256, generator=g)

        def work() -> None:
            for _ in range(40):
                torch.mm(a, b)

        work()  # warm up
        return 1e3 * statistics.median(_cpu_of(work) for _ in range(reps))
    finally:
        torch.set_num_threads(threads)


def measure(reps: int = 7, dual: bool = True, matmul: bool = True) -> dict[str, Any]:
    """One probe: see the module docstring for the fields."""
    s0, t0 = cpu_stat()
    wall0 = time.time()
    python_work(2000)  # warm up
    single = [_cpu_of(python_work) for _ in range(reps)]
    out: dict[str, Any] = {
        "t": wall0,
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall0)),
        "python_ms": 1e3 * statistics.median(single),
        "python_min_ms": 1e3 * min(single),
    }
    if dual and (os.cpu_count() or 1) >= 2:
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        procs = [ctx.Process(target=_child, args=(q, reps)) for _ in range(2)]
        for p in procs:
            p.start()
        both = [x for _ in procs for x in q.get()]
        for p in procs:
            p.join()
        out["dual_python_ms"] = 1e3 * statistics.median(both)
        out["dual_ratio"] = statistics.median(both) / statistics.median(single)
    if matmul:
        out["matmul_ms"] = _matmul_ms(reps)
    s1, t1 = cpu_stat()
    out["steal_share"] = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
    out["steal_share_since_boot"] = s1 / t1 if t1 else 0.0
    out["loadavg_1m"] = os.getloadavg()[0]
    out["seconds"] = time.time() - wall0
    return out


SAMPLE_WORK = 10_000
"""Iterations of :func:`python_work` per sample of :func:`sample` (~2-4 ms of CPU)."""


def sample(out: Path, every_s: float, duration_s: float | None = None) -> None:
    """Time ``python_work(SAMPLE_WORK)`` every ``every_s`` seconds (thread CPU time) and
    append ``{"t", "python_ms"}`` lines to ``out`` until ``duration_s`` has passed (or the
    process is stopped): the machine's speed *during* a calibration or a real run, at a
    duty cycle of about 3 ms per ``every_s`` (0.6% of one core at 0.5 s)."""
    end = None if duration_s is None else time.time() + duration_s
    python_work(SAMPLE_WORK)  # warm up
    with out.open("a") as f:
        while end is None or time.time() < end:
            t = time.time()
            ms = 1e3 * _cpu_of(python_work, SAMPLE_WORK)
            f.write(json.dumps({"t": t, "python_ms": ms}) + "\n")
            f.flush()
            time.sleep(max(0.0, every_s - (time.time() - t)))


def window_speed(samples: list[dict[str, Any]], t0: float, t1: float) -> float | None:
    """Median ``python_ms`` of the samples taken within ``[t0, t1]`` (None if none)."""
    xs = [s["python_ms"] for s in samples if t0 <= s["t"] <= t1]
    return statistics.median(xs) if xs else None


def read_samples(path: Path) -> list[dict[str, Any]]:
    """The samples of a probe file (plain or gzipped: :func:`vllm_nexus.bench.report.read_text`)."""
    from vllm_nexus.bench.report import read_text

    return [json.loads(x) for x in read_text(path).splitlines() if x.strip()]


BRACKET_SAMPLES = 20
BRACKET_EVERY_S = 0.05
"""Samples per side of :class:`Bracket` and their spacing (~1 s of sampling per side)."""


def take_samples(out: Path, phase: str, n: int = BRACKET_SAMPLES,
                 every_s: float = BRACKET_EVERY_S) -> list[dict[str, Any]]:  # fmt: skip
    """``n`` samples of :func:`python_work` ``(SAMPLE_WORK)`` in this process, ``every_s``
    apart, appended to ``out`` as ``{"t", "python_ms", "phase", "burst"}`` lines (``phase``:
    ``before`` or ``after`` a run; ``burst``: the time the first of them was taken)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    python_work(SAMPLE_WORK)  # warm up
    burst = time.time()
    rows = []
    for i in range(n):
        if i:
            time.sleep(every_s)
        t = time.time()
        ms = 1e3 * _cpu_of(python_work, SAMPLE_WORK)
        rows.append({"t": t, "python_ms": ms, "phase": phase, "burst": burst})
    with out.open("a") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    return rows


class Bracket:
    """``with Bracket(path):`` samples the machine's speed (:func:`take_samples`) right
    before the block and right after it, in this process: around a calibration or a real run,
    not beside it. A sampling process beside a benchmark competes with its client for the
    CPUs (on this 2-core machine it made the ``bench`` client's event-loop stalls 3-5x longer,
    docs/results/stalls-2026-12-04); between runs it measures the machine without
    touching the run. Read with :func:`bracket_speed` / :func:`run_speed`."""

    def __init__(self, path: Path, n: int = BRACKET_SAMPLES, every_s: float = BRACKET_EVERY_S):
        self.path, self.n, self.every_s = Path(path), n, every_s

    def __enter__(self) -> Bracket:
        take_samples(self.path, "before", self.n, self.every_s)
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:  # a failed run is not measured around
            take_samples(self.path, "after", self.n, self.every_s)


def bracket_rows(samples: list[dict[str, Any]], t0: float, t1: float) -> list[dict[str, Any]]:
    """The bracket samples around ``[t0, t1]``: the last ``before`` burst that started by
    ``t0`` and the first ``after`` burst that started from ``t1`` on (empty if either side is
    missing)."""
    before = {r["burst"] for r in samples if r.get("phase") == "before" and r["burst"] <= t0}
    after = {r["burst"] for r in samples if r.get("phase") == "after" and r["burst"] >= t1}
    if not before or not after:
        return []
    b0, b1 = max(before), min(after)
    return [r for r in samples if r.get("burst") in (b0, b1)]


def bracket_speed(samples: list[dict[str, Any]], t0: float, t1: float) -> float | None:
    """Median ``python_ms`` of :func:`bracket_rows` (None if there are none)."""
    rows = bracket_rows(samples, t0, t1)
    return statistics.median(r["python_ms"] for r in rows) if rows else None


def run_speed(samples: list[dict[str, Any]], t0: float, t1: float) -> float | None:
    """The machine's speed for a run over ``[t0, t1]``: :func:`bracket_speed` when the samples
    were taken around runs (:class:`Bracket`), else :func:`window_speed` (samples taken
    beside the run, as before 2026-12-04b)."""
    if any("phase" in r for r in samples):
        return bracket_speed(samples, t0, t1)
    return window_speed(samples, t0, t1)


def machine_factor(now: dict[str, Any], then: dict[str, Any], key: str = "python_ms") -> float:
    """How much slower the machine runs now than ``then`` by probe field ``key`` (1.0: same
    speed, 1.5: the fixed work takes 1.5x the CPU time)."""
    a, b = now.get(key), then.get(key)
    if not a or not b:
        raise ValueError(f"probe field {key!r} missing or zero: now={a!r}, then={b!r}")
    return float(a) / float(b)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", help="append the probe as one JSON line to this file")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument(
        "--quick", action="store_true", help="the Python loop only (no second process, no torch)"
    )
    p.add_argument("--label", help="stored with the probe (e.g. before-calibration)")
    p.add_argument(
        "--every",
        type=float,
        help="instead: sample the Python loop every this many seconds into --out until stopped "
        "(or --duration): the machine's speed during a run",
    )
    p.add_argument("--duration", type=float, help="with --every: stop after this many seconds")


def run(args: argparse.Namespace) -> int:
    if args.every:
        if not args.out:
            raise SystemExit("probe --every needs --out")
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        sample(Path(args.out), args.every, args.duration)
        return 0
    rec = measure(reps=args.reps, dual=not args.quick, matmul=not args.quick)
    if args.label:
        rec["label"] = args.label
    line = json.dumps(rec)
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(line + "\n")
    print(line)
    return 0


PYTHON_FIELDS = (
    "step_overhead_s",
    "per_seq_overhead_s",
    "per_token_overhead_s",
    "per_prefill_overhead_s",
    "request_overhead_s",
    "request_token_overhead_s",
    "frontend_token_s",
    "frontend_step_delay_s",
    "frontend_stream_delay_s",
    "frontend_call_delay_s",
    "frontend_ingress_queued_s",
    "resumed_call_delay_s",
    "call_send_latency_s",
    "call_return_latency_s",
)
"""A profile's time constants that are interpreter work (vLLM's scheduler and engine loop, the
API server, the client): scaled by the Python probe."""


def mean_probe(probes: list[dict[str, Any]]) -> dict[str, float]:
    """Field-wise mean of several probes (the numeric fields they all have)."""
    if not probes:
        raise ValueError("no probes")
    keys = [
        k
        for k, v in probes[0].items()
        if isinstance(v, int | float) and all(isinstance(p.get(k), int | float) for p in probes)
    ]
    return {k: statistics.fmean(float(p[k]) for p in probes) for k in keys}


def rescale(hw: Any, python_factor: float, matmul_factor: float | None = None) -> Any:
    """A copy of hardware preset ``hw`` for a machine ``python_factor`` times slower on
    interpreter work (:data:`PYTHON_FIELDS` multiplied) and ``matmul_factor`` times slower on
    the forward pass's arithmetic (FLOP rate and memory bandwidth divided; default: the
    Python factor). The frontend's share of the CPU and its stretch of engine steps are
    ratios of two such times and stay as calibrated."""
    mm = python_factor if matmul_factor is None else matmul_factor
    if python_factor <= 0 or mm <= 0:
        raise ValueError(f"factors must be positive: {python_factor}, {mm}")
    changes: dict[str, Any] = {f: getattr(hw, f) * python_factor for f in PYTHON_FIELDS}
    changes.update(peak_flops=hw.peak_flops / mm, mem_bw=hw.mem_bw / mm)
    return hw.with_updates(
        **changes, source=f"{hw.source}; rescaled by probe x{python_factor:.3f} (matmul x{mm:.3f})"
    )
