"""SM-partition backends behind one small interface (Nexus §4.1: all split layouts are created
at startup; at run time only the stream each phase uses changes).

- ``DriverGreenContexts`` — CUDA green contexts through the driver API (``cuda-python``,
  ``cuda.bindings.driver``, cuda-python >= 12.6.1, driver >= 12.5). For every prefill SM count
  of the grid, the device's SM resource is split once (cuDevSmResourceSplitByCount: prefill
  gets the group, decode the remainder), each side becomes a green context with one
  non-blocking stream (cuGreenCtxStreamCreate, wrapped in ``torch.cuda.ExternalStream``).
  Disjoint by construction: the only backend that may overlap the two phases.
- ``TorchGreenContexts`` — ``torch.cuda.green_contexts.GreenContext.create(num_sms=...)`` per
  side (torch 2.13, driver >= 12.8). Each ``create`` splits the whole device and keeps the
  first group, so the prefill and decode partitions OVERLAP (both start at the same SMs). Fine
  for ``split=sequential`` (one phase at a time, each limited to its SM count); never used for
  ``split=concurrent``.
- ``CPUStandIn`` — no partitions; phases run on the engine stream.

Stream ordering (the engine stream is passed in explicitly: the stream the engine thread ran
its KV block zeroing/copies on, which vLLM may have replaced with a dedicated stream): a
phase's stream waits for an event recorded on the engine stream (same context as the event)
before its work; afterwards the engine stream waits for the phase's work. On the driver
backend the second event is recorded with ``cuGreenCtxRecordEvent`` (documented for events of
the primary context) and waited on with ``cuStreamWaitEvent`` (documented across contexts), so
no event of one context is recorded on another context's stream by this module. vLLM itself
records torch events on the current (phase) stream (``transfer_event``); ``build`` checks once
per stream that this works on this driver and fails at startup otherwise.

All GPU imports are lazy: importing this module needs neither torch nor CUDA.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from vllm_nexus.split.cost_model import PartitionError

logger = logging.getLogger(__name__)

MIN_DRIVER_DRIVER_API = 12050
"""cuGreenCtxStreamCreate needs a CUDA 12.5 driver."""
MIN_DRIVER_TORCH = 12080
"""torch's GreenContext.create refuses drivers older than 12.8."""
MIN_BINDINGS = (12, 6, 1)
"""cuda.bindings.driver (the import path used here) exists from cuda-python 12.6.1."""

# A factory turns a prefill SM count into a (prefill, decode) pair of partitions.
PairFactory = Callable[[int], tuple[Any, Any]]


@dataclass
class Partition:
    """One side of a layout: its stream, its SM count and (driver API) its green context."""

    stream: Any
    sms: int
    green_ctx: Any = None
    event: Any = None


@dataclass
class PartitionSet:
    """The partition pairs of a grid, created once, selected per step.

    ``select(prefill_sms, decode_sms)`` returns the pair for that grid point (snapping to the
    nearest grid value); a phase that has the whole device (single-phase step) gets None:
    it runs on the engine stream.
    """

    num_sms: int
    grid: Sequence[int]
    factory: PairFactory
    pairs: dict[int, tuple[Any, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.grid:
            raise PartitionError("empty partition grid")
        for p in self.grid:
            if not 0 < p < self.num_sms:
                raise PartitionError(f"grid value {p} outside (0, {self.num_sms})")
            self.pairs[p] = self.factory(p)

    def snap(self, prefill_sms: int) -> int:
        return min(self.grid, key=lambda g: (abs(g - prefill_sms), g))

    def select(self, prefill_sms: int, decode_sms: int) -> tuple[Any, Any]:
        """(prefill partition, decode partition) for a plan's split."""
        if decode_sms <= 0 or prefill_sms >= self.num_sms:
            return None, None
        if prefill_sms <= 0:
            return None, None
        return self.pairs[self.snap(prefill_sms)]


class Backend:
    """The interface the worker uses.

    ``disjoint``: the two partitions of a layout never share SMs (required to overlap them).
    ``build_bytes``: device memory taken by building the layouts (contexts, streams, one
    cuBLAS workspace per stream), measured with ``cudaMemGetInfo``.
    """

    name = "none"
    disjoint = False

    def __init__(self, num_sms: int = 0, device_index: int = 0):
        self.num_sms = num_sms
        self.device_index = device_index
        self.partitions: PartitionSet | None = None
        self.build_bytes = 0

    @property
    def concurrent(self) -> bool:  # kept for callers of the old name
        return self.disjoint

    def build(self, grid: Sequence[int]) -> None:
        """Create every split layout of ``grid`` (startup) and check each stream."""

    def current_stream(self) -> Any:
        """The calling thread's current stream (the engine stream on the engine thread)."""
        return None

    def partition(self, phase: str, prefill_sms: int, decode_sms: int) -> Any:
        if self.partitions is None:
            return None
        p, d = self.partitions.select(prefill_sms, decode_sms)
        return p if phase == "prefill" else d

    @contextlib.contextmanager
    def phase(
        self, phase: str, prefill_sms: int, decode_sms: int, engine_stream: Any = None
    ) -> Iterator[None]:
        """Run the enclosed work of ``phase`` on its partition's stream, ordered after the
        work already queued on ``engine_stream`` and before whatever the engine stream runs
        next. Pass the engine stream from the engine thread: a phase thread's own current
        stream is not it."""
        part = self.partition(phase, prefill_sms, decode_sms)
        if part is None:
            yield
            return
        engine = engine_stream if engine_stream is not None else self.current_stream()
        self._stream_waits_for_engine(part, engine)
        with self._use(part):
            yield
        self._engine_waits_for_stream(engine, part)

    # Ordering primitives (overridden per backend; a recording fake tests the protocol).
    def _stream_waits_for_engine(self, part: Partition, engine: Any) -> None:
        part.stream.wait_stream(engine)

    def _engine_waits_for_stream(self, engine: Any, part: Partition) -> None:
        engine.wait_stream(part.stream)

    def _use(self, part: Partition) -> contextlib.AbstractContextManager[Any]:
        import torch

        return torch.cuda.stream(part.stream)


class CPUStandIn(Backend):
    """No partitions (CPU, or CUDA without green contexts): phases share the device."""

    name = "none"


def native_handle(obj: Any) -> int:
    """The raw handle of a cuda-python object (CUstream, CUevent) without ``int(obj)``
    (deprecated since cuda-bindings 12.9.1): ``cuda.bindings.utils.get_cuda_native_handle``
    where it exists, else the value behind ``getPtr()`` (a pointer to the handle)."""
    try:
        from cuda.bindings.utils import get_cuda_native_handle
    except ImportError:
        return int(ctypes.c_void_p.from_address(int(obj.getPtr())).value or 0)
    return int(get_cuda_native_handle(obj))


def _check(result: tuple[Any, ...]) -> Any:
    err = result[0]
    if int(err) != 0:
        from cuda.bindings import driver

        _, name = driver.cuGetErrorName(err)
        raise RuntimeError(f"CUDA driver error {int(err)} ({name!r})")
    rest = result[1:]
    return rest[0] if len(rest) == 1 else rest if rest else None


class _BuiltBackend(Backend):
    """Shared build logic of the green-context backends: layouts, checks, memory."""

    def current_stream(self) -> Any:
        import torch

        return torch.cuda.current_stream(self.device_index)

    def _pair(self, prefill_sms: int) -> tuple[Partition, Partition]:
        raise NotImplementedError

    def build(self, grid: Sequence[int]) -> None:
        import torch

        free0 = torch.cuda.mem_get_info(self.device_index)[0]
        with torch.cuda.device(self.device_index):
            self.partitions = PartitionSet(self.num_sms, list(grid), self._pair)
            engine = self.current_stream()
            for pair in self.partitions.pairs.values():
                for part in pair:
                    self._check_stream(part, engine)
            torch.cuda.synchronize(self.device_index)
        self.build_bytes = max(0, free0 - torch.cuda.mem_get_info(self.device_index)[0])
        logger.info(
            "vllm_nexus: %d SM layouts built on device %d (%s): %.1f MiB of device memory",
            len(grid),
            self.device_index,
            self.name,
            self.build_bytes / 2**20,
        )

    def _check_stream(self, part: Partition, engine: Any) -> None:
        """Startup check of one partition stream: the ordering protocol, a torch event that
        was created on the engine stream and is then recorded on the partition stream (what
        vLLM's ``transfer_event`` does inside a phase) and one matmul (allocates this
        stream's cuBLAS workspace now, before vLLM measures memory for the KV cache)."""
        import torch

        try:
            ev = torch.cuda.Event()
            ev.record(engine)
            self._stream_waits_for_engine(part, engine)
            with self._use(part):
                ev.record(part.stream)
                x = torch.ones(64, 64, device=f"cuda:{self.device_index}")
                y = x @ x
            self._engine_waits_for_stream(engine, part)
            ev.synchronize()
            if float(y[0, 0]) != 64.0:
                raise RuntimeError(f"matmul on the partition stream gave {float(y[0, 0])}")
        except Exception as e:  # noqa: BLE001 - re-raised as a startup error
            raise PartitionError(
                f"a {part.sms}-SM partition stream failed its startup check ({e!r}); vLLM "
                f"records CUDA events and runs cuBLAS on the phase stream, so the split cannot "
                f"run on this driver/torch combination (set partition.backend=none)"
            ) from e


class DriverGreenContexts(_BuiltBackend):
    """Disjoint green-context pairs through the CUDA driver API (cuda-python >= 12.6.1)."""

    name = "green_context"
    disjoint = True

    def __init__(self, device_index: int = 0, driver: Any = None):
        if driver is None:
            from cuda.bindings import driver
        self._drv = driver
        _check(driver.cuInit(0))
        self._dev = _check(driver.cuDeviceGet(device_index))
        self._sm = _check(
            driver.cuDeviceGetDevResource(
                self._dev, driver.CUdevResourceType.CU_DEV_RESOURCE_TYPE_SM
            )
        )
        super().__init__(int(self._sm.sm.smCount), device_index)
        self._keep: list[Any] = []  # green contexts must outlive their streams

    def _side(self, resource: Any, sms: int) -> Partition:
        import torch

        drv = self._drv
        desc = _check(drv.cuDevResourceGenerateDesc([resource], 1))
        ctx = _check(
            drv.cuGreenCtxCreate(
                desc, self._dev, drv.CUgreenCtxCreate_flags.CU_GREEN_CTX_DEFAULT_STREAM
            )
        )
        stream = _check(
            drv.cuGreenCtxStreamCreate(ctx, drv.CUstream_flags.CU_STREAM_NON_BLOCKING, 0)
        )
        # An event of the primary context (the current one: torch initialised the device),
        # recorded with cuGreenCtxRecordEvent ("same primary context" in the driver docs).
        event = _check(drv.cuEventCreate(drv.CUevent_flags.CU_EVENT_DISABLE_TIMING))
        self._keep.append((ctx, stream, event))
        ext = torch.cuda.ExternalStream(native_handle(stream), device=self.device_index)
        return Partition(ext, sms, green_ctx=ctx, event=event)

    def _pair(self, prefill_sms: int) -> tuple[Partition, Partition]:
        groups, _n, remaining = _check(
            self._drv.cuDevSmResourceSplitByCount(1, self._sm, 0, prefill_sms)
        )
        got = int(groups[0].sm.smCount)
        if got != prefill_sms:
            raise PartitionError(
                f"the driver gave {got} SMs for a requested prefill partition of {prefill_sms}: "
                f"set partition.sm_granularity to this GPU's granularity"
            )
        rest = int(remaining.sm.smCount)
        if rest != self.num_sms - prefill_sms:
            raise PartitionError(
                f"splitting {self.num_sms} SMs at {prefill_sms} left {rest} for decode, "
                f"expected {self.num_sms - prefill_sms}"
            )
        return self._side(groups[0], prefill_sms), self._side(remaining, rest)

    def _stream_waits_for_engine(self, part: Partition, engine: Any) -> None:
        # torch records its event on the engine stream (primary context, same as the event)
        # and makes the green stream wait on it (cuStreamWaitEvent: any context).
        part.stream.wait_stream(engine)

    def _engine_waits_for_stream(self, engine: Any, part: Partition) -> None:
        drv = self._drv
        _check(drv.cuGreenCtxRecordEvent(part.green_ctx, part.event))
        _check(drv.cuStreamWaitEvent(drv.CUstream(engine.cuda_stream), part.event, 0))


class TorchGreenContexts(_BuiltBackend):
    """Green contexts via ``torch.cuda.green_contexts`` (overlapping: sequential only)."""

    name = "green_context_torch"
    disjoint = False

    def __init__(self, device_index: int = 0):
        import torch

        props = torch.cuda.get_device_properties(device_index)
        super().__init__(int(props.multi_processor_count), device_index)
        self._keep: list[Any] = []
        logger.warning(
            "vllm_nexus: torch green contexts (no cuda-python): each partition is carved from "
            "the whole device, so prefill and decode partitions overlap; usable for "
            "split=sequential only (pip install 'cuda-python>=12.6.1' for disjoint splits)"
        )

    def _pair(self, prefill_sms: int) -> tuple[Partition, Partition]:
        from torch.cuda.green_contexts import GreenContext

        p = GreenContext.create(num_sms=prefill_sms, device_id=self.device_index)
        d = GreenContext.create(num_sms=self.num_sms - prefill_sms, device_id=self.device_index)
        self._keep += [p, d]
        return Partition(p.Stream(), prefill_sms), Partition(d.Stream(), self.num_sms - prefill_sms)


@dataclass(frozen=True)
class Support:
    cuda: bool
    driver_green_contexts: bool
    torch_green_contexts: bool
    reason: str
    driver_version: int = 0
    bindings_version: str = ""

    @property
    def green_contexts(self) -> bool:
        return self.driver_green_contexts or self.torch_green_contexts

    @property
    def disjoint(self) -> bool:
        """Disjoint partitions are available (the driver-API backend)."""
        return self.driver_green_contexts


def driver_version() -> int:
    """CUDA driver version (e.g. 12080) from libcuda's cuDriverGetVersion; 0 if unavailable."""
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        v = ctypes.c_int(0)
        if lib.cuDriverGetVersion(ctypes.byref(v)) == 0:
            return int(v.value)
    return 0


def _version_tuple(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        out.append(int(digits))
    return tuple(out)


def _fmt(v: int) -> str:
    return f"{v // 1000}.{v % 1000 // 10}" if v else "unknown"


def assess(
    cuda: bool, drv_version: int, bindings: Any, bindings_version: str, torch_gc: bool
) -> Support:
    """Pure decision: which partition mechanisms are usable, and why not.

    ``bindings``: the imported ``cuda.bindings.driver`` module or None.
    """
    if not cuda:
        return Support(False, False, False, "no CUDA device (CPU build or no GPU)")
    reasons = []
    drv_ok = False
    if bindings is None:
        reasons.append("cuda-python>=12.6.1 is not installed (no cuda.bindings.driver)")
    elif bindings_version and _version_tuple(bindings_version) < MIN_BINDINGS:
        reasons.append(f"cuda-python {bindings_version} is older than 12.6.1")
    elif not all(
        hasattr(bindings, f)
        for f in ("cuGreenCtxCreate", "cuGreenCtxStreamCreate", "cuGreenCtxRecordEvent")
    ):
        reasons.append("this cuda-python has no green-context stream API")
    elif drv_version < MIN_DRIVER_DRIVER_API:
        reasons.append(f"the CUDA driver ({_fmt(drv_version)}) is older than 12.5")
    else:
        drv_ok = True
    torch_ok = bool(torch_gc) and drv_version >= MIN_DRIVER_TORCH
    if torch_gc and not torch_ok:
        reasons.append(f"torch green contexts need a 12.8 driver, this one is {_fmt(drv_version)}")
    elif not torch_gc:
        reasons.append("this torch build has no green contexts")
    reason = "" if drv_ok else "; ".join(reasons)
    return Support(True, drv_ok, torch_ok, reason, drv_version, bindings_version)


def probe() -> Support:
    """What partition mechanisms this process can use (never raises)."""
    try:
        import torch
    except ImportError:
        return Support(False, False, False, "torch is not installed")
    if not torch.cuda.is_available():
        return assess(False, 0, None, "", False)
    torch_gc = False
    try:
        from torch.cuda import green_contexts

        torch_gc = bool(green_contexts.SUPPORTED)
    except ImportError:
        pass
    bindings, version = None, ""
    try:
        import cuda.bindings as pkg
        from cuda.bindings import driver as bindings

        version = str(getattr(pkg, "__version__", ""))
    except ImportError:
        bindings = None
    return assess(True, driver_version(), bindings, version, torch_gc)


# Backend classes by mechanism (tests substitute fakes here).
BACKENDS: dict[str, Callable[..., Backend]] = {
    "driver": DriverGreenContexts,
    "torch": TorchGreenContexts,
}


def check_backend(kind: str, support: Support) -> None:
    """Startup validation of partition.backend without creating anything."""
    if kind == "green_context" and not support.green_contexts:
        raise PartitionError(f"partition.backend=green_context is unavailable: {support.reason}")


def make_backend(kind: str, support: Support, device_index: int = 0) -> Backend:
    """Instantiate a backend on ``device_index`` (the worker's device: its local rank):
    kind is partition.backend (auto|green_context|none)."""
    check_backend(kind, support)
    if kind == "none" or not support.green_contexts:
        return CPUStandIn()
    if support.driver_green_contexts:
        return BACKENDS["driver"](device_index)
    return BACKENDS["torch"](device_index)
