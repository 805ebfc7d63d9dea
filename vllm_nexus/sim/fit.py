"""Fitting the ``cpu-here`` latency constants from a recorded engine log (the numeric half of
``vllm-nexus simulate calibrate``, :mod:`vllm_nexus.sim.calibrate`): read the per-step log, then
least squares (numpy) on relative step-time errors through the simulator's own
:class:`~vllm_nexus.perf.latency.StepLatencyModel`. No engine, no network: unit-tested directly.
"""

from __future__ import annotations

import bisect
import json
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vllm_nexus.bench.report import read_text
from vllm_nexus.perf.latency import OVERHEAD_FIELDS
from vllm_nexus.sim.loadgen import AGENT_PHASE, BURST_PHASE

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


def _parse_log(
    path: Path,
) -> tuple[
    list[tuple[list[float], tuple, tuple]], list[tuple[str, float]], list[tuple[str, float]]
]:
    """A step log's completed steps (composition, (schedule wall, engine clock), (end wall,
    engine clock)), and its (request id, time) pairs of adds and of finishes, in log order."""
    raw: list[tuple[list[float], tuple, tuple]] = []
    adds: list[tuple[str, float]] = []
    fins: list[tuple[str, float]] = []
    cur: tuple[list[float], tuple] | None = None
    for line in read_text(path).splitlines():
        d = json.loads(line)
        if "step" in d:
            cur = (d["step"], (d["t"], d.get("c")))
        elif "end" in d and cur is not None:
            raw.append((cur[0], cur[1], (d["end"], d.get("c"))))
            cur = None
        elif "add" in d:
            adds.append((d["add"], d["t"]))
        elif "fin" in d:
            fins.append((d["fin"], d["t"]))
    return raw, adds, fins


def read_log(
    path: Path, clock: str = "wall", window: tuple[float, float] | None = None
) -> tuple[list[tuple[list[float], float]], list[float]]:
    """(step composition, measured step period) pairs and engine-side request times (add
    to finish, of the requests added within ``window`` if one is given).

    A step's period runs from its ``schedule()`` to the next ``schedule()`` when the engine
    stayed busy (gap after ``update_from_output`` under 20 ms: the engine-core loop's own
    overhead belongs to the step); otherwise to its ``update_from_output`` plus the median
    busy gap. ``clock="engine"``: periods on :class:`EngineClock` (logs with ``"c"`` fields):
    wall time minus the engine's waits for a CPU that other processes held; ``"wall"``: wall
    time. ``window``: only steps scheduled within these Unix times.
    """
    if clock not in ("wall", "engine"):
        raise ValueError(f"clock must be 'wall' or 'engine', got {clock!r}")
    raw, add_lines, fins = _parse_log(path)
    adds = dict(add_lines)
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
    engine_e2e = [
        t - adds[r]
        for r, t in fins
        if r in adds and (window is None or window[0] <= adds[r] <= window[1])
    ]
    return steps, engine_e2e


def batch_tokens(composition: Any) -> int:
    """Tokens a step runs through the model: its prefill chunks' tokens plus one per decode
    (the row count of every linear layer's input, the shape a kernel is built for)."""
    return int(round(composition[1] + composition[4]))


def new_shape_flags(path: Path, window: tuple[float, float] | None = None) -> list[bool]:
    """Per step of :func:`read_log` (same steps, same order, same ``window``): whether the
    step is the first of the log with its :func:`batch_tokens` (the server ran no batch of
    that size before it, as far as the log shows)."""
    raw, _, _ = _parse_log(path)
    seen: set[int] = set()
    out = []
    for comp, t0, _ in raw:
        m = batch_tokens(comp)
        if window is None or window[0] <= t0[0] <= window[1]:
            out.append(m not in seen)
        seen.add(m)
    return out


def new_shape_cost(
    steps: list[tuple[list[float], float]], flags: list[bool], predict: Any
) -> float:
    """Seconds a step of a batch size new to the server adds (a fresh server's one-time cost
    per shape, :attr:`~vllm_nexus.perf.hardware.HardwarePreset.new_shape_s`): the mean excess
    over ``predict(*composition)`` of the steps flagged new minus that of the others, at
    least 0; 0 without both kinds."""
    if len(flags) != len(steps):
        raise ValueError("one flag per step")
    new = [t - predict(*c) for (c, t), f in zip(steps, flags, strict=True) if f]
    old = [t - predict(*c) for (c, t), f in zip(steps, flags, strict=True) if not f]
    if not new or not old:
        return 0.0
    return max(0.0, statistics.fmean(new) - statistics.fmean(old))


def contention(path: Path, window: tuple[float, float] | None = None) -> float:
    """Wall time / engine-clock time of a recorded run's busy steps: 1.0 when the engine
    never waited for a CPU, 2.0 when waits for CPUs other processes held doubled its steps."""
    wall = sum(p for _, p in read_log(path, "wall", window)[0])
    own = sum(p for _, p in read_log(path, "engine", window)[0])
    return wall / own if own > 0 else math.nan


def phase_times(path: Path) -> dict[str, float]:
    """Phase markers of a calibration log (``{"phase": name, "t": unix time}`` lines that
    ``simulate calibrate`` writes where a phase of its load starts): name -> time."""
    out = {}
    for line in read_text(path).splitlines():
        if '"phase"' in line:
            d = json.loads(line)
            out[d["phase"]] = d["t"]
    return out


def engine_stretch(steps: list[tuple[list[float], float]], predict: Any) -> float:
    """How much slower than the fitted model the engine ran: measured (wall) seconds of
    these steps over ``predict(*composition)`` of the same steps, at least 1. Over the steps
    of a burst that saturates the frontend, this is the engine's slowdown beside a busy
    frontend: the CPU it waits for and what the engine clock cannot remove (the engine
    core's loop outside the scheduler calls, caches shared with the frontend)."""
    measured = sum(t for _, t in steps)
    predicted = sum(predict(*c) for c, _ in steps)
    if predicted <= 0:
        raise ValueError("no engine steps to measure the stretch on")
    return max(1.0, measured / predicted)


def engine_step_delay(steps: list[tuple[list[float], float]], predict: Any) -> float:
    """How long each engine step waited beside a busy frontend: (measured (wall) seconds of
    these steps - ``predict(*composition)`` of the same steps) / steps, at least 0. Over the
    steps of a burst that saturates the frontend, the delay every step suffers while the
    frontend has work (:attr:`~vllm_nexus.perf.hardware.HardwarePreset.frontend_step_delay_s`):
    an additive wait per step (the engine core's hand-offs with the model worker wait for the
    core the frontend holds), which :func:`engine_stretch` spreads in proportion to step time
    instead."""
    if not steps:
        raise ValueError("no engine steps to measure the delay on")
    measured = sum(t for _, t in steps)
    predicted = sum(predict(*c) for c, _ in steps)
    return max(0.0, (measured - predicted) / len(steps))


def streams_of(composition: Any) -> int:
    """Requests a step streams a token for, from its composition: every decode, and every
    prefill chunk (in the calibration's streaming rounds and burst a prompt is one chunk, so
    each chunk ends its prompt and samples the first token)."""
    return int(composition[0] + composition[4])


def adds_per_step(path: Path, window: tuple[float, float] | None = None) -> list[int]:
    """Per step of :func:`read_log` (same steps, same order, same ``window``): the requests
    the engine received (``add`` lines) from the step's ``schedule()`` to the next step's,
    i.e. while it ran: their ingress is processed before the next step starts."""
    raw, added, _ = _parse_log(path)
    starts = [t0[0] for _, t0, _ in raw]
    adds = sorted(t for _, t in added)
    out = []
    for i, t0 in enumerate(starts):
        t1 = starts[i + 1] if i + 1 < len(starts) else math.inf
        if window is None or window[0] <= t0 <= window[1]:
            out.append(bisect.bisect_left(adds, t1) - bisect.bisect_left(adds, t0))
    return out


INGRESS_BURST_GAP_S = 0.05
"""Calls that reach the engine at most this far apart belong to one fan-out burst
(:func:`ingress_spacing`)."""
INGRESS_BURST_CALLS = 8
"""Fewest calls in a burst :func:`ingress_spacing` measures (smaller groups in the
calibration are the streaming rounds' single calls and the 2-6-stream groups)."""


def ingress_spacing(adds: list[float], skip: Sequence[tuple[float, float]] = ()) -> list[float]:
    """Per fan-out burst among the engine's ``add_request`` times ``adds`` (runs of at least
    :data:`INGRESS_BURST_CALLS` calls, each within :data:`INGRESS_BURST_GAP_S` of the one
    before): (last - first) / (calls - 1), the seconds by which calls sent together reach
    the engine apart, i.e. the part of a call's ingress that the next call waits for
    (:attr:`~vllm_nexus.perf.hardware.HardwarePreset.frontend_ingress_queued_s`; since
    2026-12-06 (f)). Bursts whose first call falls in a ``skip`` window are left out (the
    agentic load, whose calls are sent one by one)."""
    out = []
    ts = sorted(adds)
    i = 0
    while i < len(ts):
        j = i
        while j + 1 < len(ts) and ts[j + 1] - ts[j] <= INGRESS_BURST_GAP_S:
            j += 1
        n = j - i + 1
        if n >= INGRESS_BURST_CALLS and not any(a <= ts[i] < b for a, b in skip):
            out.append((ts[j] - ts[i]) / (n - 1))
        i = j + 1
    return out


def log_ingress_spacing(path: Path) -> list[float]:
    """:func:`ingress_spacing` over a calibration log's ``add`` times, its agentic load
    (from its marker to the burst's) left out."""
    phases = phase_times(path)
    skip: list[tuple[float, float]] = []
    if AGENT_PHASE in phases:
        skip.append((phases[AGENT_PHASE], phases.get(BURST_PHASE, math.inf)))
    _, added, _ = _parse_log(path)
    return ingress_spacing([t for _, t in added], skip)


def _delay_rows(
    steps: list[tuple[list[float], float]], adds: list[int], predict: Any
) -> list[tuple[int, int, float, float]]:
    """(streams, calls received, modelled seconds if the step carries a prefill chunk else 0,
    measured - modelled seconds) of the steps that stream."""
    if len(adds) != len(steps):
        raise ValueError("one count of calls received per step")
    out = []
    for (c, t), a in zip(steps, adds, strict=True):
        n = streams_of(c)
        if n > 0:
            p = predict(*c)
            out.append((n, a, p if c[0] else 0.0, t - p))
    return out


def _delay_solve(
    rows: list[tuple[int, int, float, float]], cap: float, prefill: bool
) -> tuple[list[float], float]:
    """Non-negative least squares (a part fitting below 0 is set to 0 and the others refitted)
    of the excess on [1, streams (at most ``cap`` if > 0), calls received, and, with
    ``prefill``, the prefill steps' modelled time]: the coefficients (4, the last 0 without
    ``prefill``) and the squared error."""
    import numpy as np

    x = np.array(
        [[1.0, min(n, cap) if cap > 0 else n, a, p if prefill else 0.0] for n, a, p, _ in rows]
    )
    y = np.array([r[3] for r in rows])
    active = [k for k in range(4) if x[:, k].any()]
    while True:
        coef = np.zeros(4)
        if active:
            coef[active] = np.linalg.lstsq(x[:, active], y, rcond=None)[0]
        if not active or coef.min() >= 0:
            return [float(v) for v in coef], float(((x @ coef - y) ** 2).sum())
        active.remove(int(np.argmin(coef)))


def frontend_delay(
    steps: list[tuple[list[float], float]],
    adds: list[int],
    predict: Any,
    cap: float = 0.0,
) -> tuple[float, float, float]:
    """(fixed seconds, seconds per stream, seconds per call received) by which streaming
    engine steps exceed the fitted step model: least squares of (measured wall seconds -
    ``predict(*composition)``) on the step's streams (:func:`streams_of`) and the calls the
    engine received while it ran (``adds``, :func:`adds_per_step`), over steps with at least
    one stream. Needs steps at two or more stream counts (the calibration's streaming rounds,
    1-3 streams, and its burst, 32) and steps with calls received (the rounds). No part is
    negative: a part that fits below 0 is set to 0 and the others refitted
    (:attr:`~vllm_nexus.perf.hardware.HardwarePreset.frontend_step_delay_s`,
    ``frontend_stream_delay_s``, ``frontend_call_delay_s``). ``cap`` > 0: a step counts at
    most this many streams (``frontend_stream_delay_cap``, :func:`frontend_delay_knee`)."""
    rows = _delay_rows(steps, adds, predict)
    if len({r[0] for r in rows}) < 2:
        raise ValueError("the frontend delay needs steps at two or more stream counts")
    coef, _ = _delay_solve(rows, cap, prefill=False)
    return coef[0], coef[1], coef[2]


def frontend_delay_knee(
    steps: list[tuple[list[float], float]], adds: list[int], predict: Any
) -> tuple[float, float, float, float, float]:
    """:func:`frontend_delay` with two more parts, fitted in the same least squares:
    (fixed, per stream, per call, knee, prefill stretch).

    The per-stream part counts at most a knee's streams, the knee being the observed stream
    count whose cap gives the smallest squared error (0, no cap, when the largest count fits
    best): past some stream count the frontend is saturated and merges tokens into fewer
    chunks, so its take from the engine's core stops growing (the calibration's 2-8
    concurrent streams against its 32-stream burst). A step that carries a prefill chunk
    takes its modelled time x the prefill stretch (at least 1): beside a streaming frontend
    a prefill's compute runs slower (``frontend_prefill_stretch``). Both since 2026-12-05
    (f); docs/simulator.md. Needs steps at three or more stream counts."""
    rows = _delay_rows(steps, adds, predict)
    counts = sorted({r[0] for r in rows})
    if len(counts) < 3:
        raise ValueError("the delay's knee needs steps at three or more stream counts")
    best: tuple[float, list[float], float] | None = None
    for knee in counts[1:]:
        cap = 0.0 if knee == counts[-1] else float(knee)
        coef, err = _delay_solve(rows, cap, prefill=True)
        if best is None or err < best[0] - 1e-15:
            best = (err, coef, cap)
    assert best is not None
    coef, cap = best[1], best[2]
    return coef[0], coef[1], coef[2], cap, 1.0 + coef[3]


FIT_FIELDS = (*OVERHEAD_FIELDS, "peak_flops", "mem_bw")
_MAX_ROUNDS = 50
OUTLIER_RATIO = 2.0
"""Steps measured over this multiple of the fitted time are left out of the next round:
on a shared machine a step is only ever stretched (preemption, another process), never
shortened, so the one-sided trim keeps the fit on the engine's own cost."""
_TRIM = math.log(OUTLIER_RATIO) ** 2
"""The most one step adds to the squared log error that compares the rounds' fits."""


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
    keep = pos = t > 0
    best, best_loss = x, math.inf
    for _ in range(_MAX_ROUNDS):
        x = _solve(over[keep], comp_c[keep], mem_c[keep], t[keep], x)
        pred = _predict(over, comp_c, mem_c, x)
        # judged on every step, each counting at most the outlier bound: a round that drops
        # most steps cannot win by fitting the few it kept (since 2026-12-05 (f): one server's
        # fit dropped 1,573 of 1,795 steps and modelled a 0.16 ms decode step)
        loss = float(np.mean(np.minimum(np.log(pred[pos] / t[pos]) ** 2, _TRIM)))
        new_keep = pos & (t < OUTLIER_RATIO * pred)
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


def call_latencies(
    legs: list[tuple[float, float, int]],
    request_overhead_s: float,
    request_token_overhead_s: float,
    return_work_s: float,
) -> tuple[float, float]:
    """(send latency, return latency), seconds: the time a call spends outside the engine
    beyond what the simulator's frontend FIFO charges for it, as pure latencies
    (:attr:`~vllm_nexus.perf.hardware.HardwarePreset.call_send_latency_s`,
    ``call_return_latency_s``).

    ``legs``: per call sent to an idle engine by the ``bench`` client, (ingress: the engine's
    ``add_request`` - the client's intended send time, egress: the client's end - the
    engine's finish, prompt tokens). The FIFO charges ``request_overhead_s +
    request_token_overhead_s x prompt`` on the way in (measured with a bare client: its whole
    time outside the engine, in and out) and ``return_work_s`` for the last token on the
    way out. The return latency is the mean egress beyond the FIFO's; the send latency the
    rest of the mean time outside beyond the FIFO's, so the two add up to the measured time
    outside (neither below 0)."""
    if not legs:
        raise ValueError("no calls to measure the time outside the engine on")
    ingress = statistics.fmean(leg[0] for leg in legs)
    egress = statistics.fmean(leg[1] for leg in legs)
    fifo_in = request_overhead_s + request_token_overhead_s * statistics.fmean(
        leg[2] for leg in legs
    )
    ret = max(0.0, egress - return_work_s)
    send = max(0.0, ingress + egress - fifo_in - return_work_s - ret)
    return send, ret


STEP_CLASSES = ("decode 1-2", "decode 3-8", "decode 9+", "1 prefill chunk", "2+ prefill chunks")
"""Step classes of :func:`step_classes` (prefill classes may carry decodes too)."""


def step_class(composition: list[float]) -> str:
    """The :data:`STEP_CLASSES` entry of a step of this composition."""
    n_pre, n_dec = int(composition[0]), int(composition[4])
    if n_pre >= 2:
        return STEP_CLASSES[4]
    if n_pre == 1:
        return STEP_CLASSES[3]
    return STEP_CLASSES[0] if n_dec <= 2 else STEP_CLASSES[1] if n_dec <= 8 else STEP_CLASSES[2]


def step_classes(
    steps: list[tuple[list[float], float]], predict: Any
) -> dict[str, tuple[int, float, float]]:
    """Per :data:`STEP_CLASSES` entry with steps: (steps, measured seconds, predicted seconds)
    of recorded (composition, period) steps, ``predict(*composition)`` giving the model's
    time (e.g. :meth:`~vllm_nexus.perf.latency.StepLatencyModel.step_time`). Where a profile
    misses a family's steps: the measured over predicted ratio of each class."""
    out: dict[str, list[float]] = {}
    for comp, t in steps:
        row = out.setdefault(step_class(comp), [0, 0.0, 0.0])
        row[0] += 1
        row[1] += t
        row[2] += predict(*comp)
    return {c: (int(out[c][0]), out[c][1], out[c][2]) for c in STEP_CLASSES if c in out}
