"""A real server's own speed, against the hardware profile that predicts it (since 2026-12-05 (c)).

On the shared 2-CPU host this project measures on, engine servers started one after another
ran their steps at different speeds, each for its whole life: one-request decode steps of
2.9-5.1 ms in one window, 2.0-2.4 ms in another, on the same code and load
(docs/results/simfid-speed-2026-12-05c/). A profile is one server's snapshot, so a prediction of
another server's run is off by that server's factor. This module measures it through the
server, before its run:

- :func:`run_probe` (needs a server with the recording scheduler,
  :mod:`vllm_nexus.sim.calibrate`): :data:`PROBE_CALLS` sequential unstreamed calls with fixed
  :data:`PROBE_PROMPT_TOKENS`-token prompts and :data:`PROBE_OUTPUT_TOKENS` output tokens, one
  request at a time (~2 s), between two phase markers in the step log;
- :func:`decode_ratio` (pure Python): the median, over the one-request pure-decode steps of a
  window of the log, of each step's engine-clock period over the profile's modelled time for
  the same composition;
- :func:`speed_factor`: that ratio on the server now over the same ratio on the profile's
  calibration (``"speed_probe"`` in the profile: :func:`reference_from_log`);
- :func:`scale_profile`: the profile's step model scaled by the factor (overheads multiplied,
  FLOP rate and bandwidth divided).

Why the whole step and not its fixed cost: the recorded step logs of windows J, F, H and the
re-run of 2026-12-05 show about the same ratio to the model for 1-, 2-, 3-4- and 5-8-request
decode steps of a server (a slow server is slow in proportion, not by a fixed cost per step).
Why the step model only: that is what the probe measures; scaling the frontend's terms and the
time outside the engine too did worse on the recorded windows (38 / 52 cells against 45 / 52,
docs/results/simfid-speed-2026-12-05c/). Not adopted as the default prediction: a diagnostic
(``simulate fidelity --speed-probe``). On the fresh window K the probe before the trace did not
predict the speed each server then ran at (a server's speed drifts within its life): 6 / 16
cells against 9 / 16 for the profile alone. Since 2026-12-06 the probe also runs right after
the trace (:data:`PROBE_AFTER_PHASE`), and a run's factor is the geometric mean of its before
and after ratios (:func:`probe_windows`): on window S the host's engine sped up 20-25% over an
hour, steadily, so the two ends of a three-minute run bracket its speed
(docs/results/fidS-2026-12-06/). ``simulate fidelity`` starts a fresh server per rate, all
logging to one file: each server's markers carry its :func:`server_tag`, and each rate is
simulated at its own server's factor. Judged on the fresh window T: 11 / 16 cells against the
profile alone's 13 / 16 (a 2-second probe varies up to 20% on one server, more than a steady
host's speed does; docs/results/fidT-2026-12-06/): still a diagnostic.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vllm_nexus.sim.loadgen import FRONTEND_PHASE, complete, mark

PROBE_PHASE = "speed-probe"
PROBE_END_PHASE = "speed-probe-end"
"""Phase markers around the probe's calls in a step log."""
PROBE_AFTER_PHASE = "speed-probe-after"
PROBE_AFTER_END_PHASE = "speed-probe-after-end"
"""The same around a probe run after the trace (``run_probe(..., after=True)``)."""
_MARKERS = {
    "before": (PROBE_PHASE, PROBE_END_PHASE),
    "after": (PROBE_AFTER_PHASE, PROBE_AFTER_END_PHASE),
}
PROBE_CALLS = 4
PROBE_PROMPT_TOKENS = 64
PROBE_OUTPUT_TOKENS = 128
"""The probe: ``PROBE_CALLS`` x (``PROBE_OUTPUT_TOKENS`` - 1) one-request decode steps over
64-192 tokens of context (~500 steps, ~1-3 s on a 2-CPU host)."""
MIN_STEPS = 50
"""Fewer one-request decode steps than this in a window: no ratio (ValueError)."""
FACTOR_RANGE = (0.25, 4.0)
"""A factor outside this range is refused (a probe that measured something else)."""


@dataclass(frozen=True)
class DecodeRatio:
    """Median engine-clock period / modelled time of a window's one-request decode steps."""

    ratio: float
    steps: int
    median_step_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {"ratio": self.ratio, "steps": self.steps, "median_step_ms": self.median_step_ms}


def one_request_decodes(
    steps: list[tuple[list[float], float]],
) -> list[tuple[list[float], float]]:
    """The steps (composition, period) that ran exactly one request, a decode, and no
    prefill chunk (:func:`vllm_nexus.perf.latency.batch_composition` order)."""
    return [(c, t) for c, t in steps if c[0] == 0 and c[4] == 1]


def decode_ratio(steps: list[tuple[list[float], float]], predict: Any) -> DecodeRatio:
    """:class:`DecodeRatio` of the one-request decode steps among ``steps`` (``(composition,
    measured period)`` pairs, :func:`vllm_nexus.sim.fit.read_log`), against ``predict(*composition)``
    (the profile's step model)."""
    rows = one_request_decodes(steps)
    if len(rows) < MIN_STEPS:
        raise ValueError(
            f"{len(rows)} one-request decode steps to measure the speed on (need {MIN_STEPS})"
        )
    ratios = []
    for c, t in rows:
        p = predict(*c)
        if p <= 0:
            raise ValueError(f"the step model predicts {p} s for a decode step")
        ratios.append(t / p)
    return DecodeRatio(
        ratio=statistics.median(ratios),
        steps=len(rows),
        median_step_ms=1e3 * statistics.median(t for _, t in rows),
    )


def speed_factor(now: float, reference: float) -> float:
    """How many times slower the server runs than the profile's calibration server: its
    :func:`decode_ratio` over the profile's reference one. Refused outside
    :data:`FACTOR_RANGE`."""
    if not (now > 0 and reference > 0):
        raise ValueError(f"decode ratios must be positive: {now}, {reference}")
    f = now / reference
    if not FACTOR_RANGE[0] <= f <= FACTOR_RANGE[1]:
        raise ValueError(
            f"speed factor {f:.3f} outside {FACTOR_RANGE[0]}-{FACTOR_RANGE[1]}: the probe "
            "did not measure the server it should"
        )
    return f


def scale_profile(hw: Any, factor: float) -> Any:
    """A copy of hardware preset ``hw`` for a server whose engine steps run ``factor`` times
    slower: the step model's overheads (:data:`vllm_nexus.perf.latency.OVERHEAD_FIELDS`)
    multiplied, FLOP rate and bandwidth divided, so every modelled step takes ``factor`` x as
    long. The frontend's terms and the time outside the engine stay as calibrated: the probe
    measures engine steps only."""
    from vllm_nexus.perf.latency import OVERHEAD_FIELDS

    if not factor > 0:
        raise ValueError(f"factor must be positive: {factor}")
    changes: dict[str, Any] = {f: getattr(hw, f) * factor for f in OVERHEAD_FIELDS}
    return hw.with_updates(
        **changes,
        peak_flops=hw.peak_flops / factor,
        mem_bw=hw.mem_bw / factor,
        source=f"{hw.source}; speed-probed x{factor:.3f}",
    )


def probe_window(log: Path) -> tuple[float, float] | None:
    """(start, end) Unix times of the probe in a step log, or None if it has none."""
    windows = probe_windows(log)
    return windows[0][:2] if windows and windows[0][2] == "before" else None


def server_tag(index: int) -> str:
    """The suffix of the probe markers of the ``index``-th server whose steps share one step
    log (``simulate fidelity`` starts a fresh server per rate): none for the first, so logs
    with one server per log read as before."""
    if index < 0:
        raise ValueError(f"server index must be >= 0: {index}")
    return f"@rate{index}" if index else ""


def probe_windows(log: Path, tag: str = "") -> list[tuple[float, float, str]]:
    """(start, end, "before" | "after") of each probe a step log holds for the server whose
    markers carry ``tag`` (:func:`server_tag`): the one before the trace and, since
    2026-12-06, the one after it."""
    from vllm_nexus.sim.fit import phase_times

    phases = phase_times(log)
    return [
        (phases[start + tag], phases[end + tag], when)
        for when, (start, end) in _MARKERS.items()
        if start + tag in phases and end + tag in phases
    ]


def bracket_ratio(ratios: list[float]) -> float:
    """One ratio for a run from its probes' ratios: their geometric mean (a speed that
    changes steadily over the run is about the mean of its two ends, in log terms as the
    factor scales every step)."""
    if not ratios or min(ratios) <= 0:
        raise ValueError(f"decode ratios must be positive: {ratios}")
    return statistics.geometric_mean(ratios)


def log_ratio(log: Path, hw: Any, window: tuple[float, float]) -> DecodeRatio:
    """:func:`decode_ratio` of the steps a log holds within ``window`` (engine clock),
    against preset ``hw``'s step model on the tiny model."""
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model
    from vllm_nexus.sim.fit import read_log

    steps, _ = read_log(log, "engine", window)
    return decode_ratio(steps, StepLatencyModel(hw, get_model("tiny")).step_time)


def reference_from_log(log: Path, hw: Any) -> dict[str, Any]:
    """The ``"speed_probe"`` block of a profile fitted (``hw``) from calibration log ``log``:
    the probe's :func:`decode_ratio` if the log has one (calibrations since 2026-12-05 (c)),
    else the same statistic over the designed load's one-request decode steps (the log up to
    the frontend phase; older logs, e.g. the packaged per-host profile's)."""
    from vllm_nexus.sim.fit import phase_times

    window = probe_window(log)
    if window is not None:
        source = "probe"
    else:
        phases = phase_times(log)
        window = (0.0, phases.get(FRONTEND_PHASE, float("inf")))
        source = "designed load"
    return {**log_ratio(log, hw, window).to_dict(), "source": source}


def profile_reference(path: str | Path) -> dict[str, Any] | None:
    """A profile file's ``"speed_probe"`` block, or None (GPU presets, profiles fitted before
    2026-12-05 (c) and not given one, a preset name)."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    ref = doc.get("speed_probe")
    return ref if isinstance(ref, dict) and ref.get("ratio") else None


def probe_prompt(k: int) -> list[int]:
    """Token ids of the probe's ``k``-th prompt: fixed, distinct per call (no prefix hit
    between calls), in the tiny model's vocabulary."""
    return [100 + (37 * i + 101 * k) % 3900 for i in range(PROBE_PROMPT_TOKENS)]


def run_probe(base: str, model: str, log: Path, after: bool = False, tag: str = "") -> None:
    """The probe's calls against a started server whose recording scheduler writes ``log``,
    between :data:`PROBE_PHASE` and :data:`PROBE_END_PHASE` markers (``after``: the
    :data:`PROBE_AFTER_PHASE` pair, for the probe after the trace), each followed by ``tag``
    (:func:`server_tag`: which of the log's servers); one warm-up call before them. Raises
    on a failed call."""
    start, end = _MARKERS["after" if after else "before"]
    complete(base, model, probe_prompt(PROBE_CALLS), 8)  # warm-up, not measured
    mark(log, start + tag)
    for k in range(PROBE_CALLS):
        complete(base, model, probe_prompt(k), PROBE_OUTPUT_TOKENS)
    mark(log, end + tag)
