"""SM-partition backends behind one small interface (Nexus §4.1: all split layouts are created
at startup; at run time only the stream each phase uses changes).

- ``green_context`` — CUDA green contexts. For every prefill SM count of the partition grid,
  one disjoint pair is made by splitting the device's SM resource once (prefill gets the
  group, decode the remainder) and creating a non-blocking stream in each green context:
  with the CUDA driver API through ``cuda-python`` (cuDevSmResourceSplitByCount ->
  cuDevResourceGenerateDesc -> cuGreenCtxCreate -> cuGreenCtxStreamCreate, wrapped with
  ``torch.cuda.ExternalStream``), which guarantees disjointness; if ``cuda-python`` is missing
  but ``torch.cuda.green_contexts.SUPPORTED``, with ``GreenContext.create(num_sms=...)`` per
  side (torch 2.13 offers no split, so disjointness is then *not* guaranteed: logged).
- ``mps`` — documented alternative only: MPS limits SMs per *process*, so it needs separate
  prefill and decode processes, which one vLLM worker is not. Selecting it is a startup error.
- ``none`` / CPU stand-in — no partitions; phases run on the current stream.

All GPU imports are lazy: importing this module needs neither torch nor CUDA.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from vllm_nexus.split.cost_model import PartitionError

logger = logging.getLogger(__name__)

# A factory turns a prefill SM count into a disjoint (prefill_stream, decode_stream) pair.
PairFactory = Callable[[int], tuple[Any, Any]]


@dataclass
class PartitionSet:
    """The stream pairs of a partition grid, created once, selected per step.

    ``select(prefill_sms)`` returns the pair for that grid point (snapping to the nearest
    grid value); a phase that has the whole device (single-phase step) runs on ``default``.
    """

    num_sms: int
    grid: Sequence[int]
    factory: PairFactory
    default: Any = None
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
        """(prefill stream, decode stream) for a plan's split."""
        if decode_sms <= 0 or prefill_sms >= self.num_sms:
            return self.default, None
        if prefill_sms <= 0:
            return None, self.default
        return self.pairs[self.snap(prefill_sms)]


class Backend:
    """The interface the worker uses. ``concurrent`` says whether streams are SM-disjoint."""

    name = "none"
    concurrent = False

    def __init__(self, num_sms: int = 0):
        self.num_sms = num_sms
        self.partitions: PartitionSet | None = None

    def build(self, grid: Sequence[int]) -> None:
        """Create every split layout of ``grid`` (startup)."""

    @contextlib.contextmanager
    def phase(self, phase: str, prefill_sms: int, decode_sms: int) -> Iterator[None]:
        """Run the enclosed work of ``phase`` on its partition's stream."""
        if self.partitions is None:
            yield
            return
        p, d = self.partitions.select(prefill_sms, decode_sms)
        stream = p if phase == "prefill" else d
        if stream is None:
            yield
            return
        import torch

        cur = torch.cuda.current_stream()
        stream.wait_stream(cur)  # inputs prepared on the current stream
        with torch.cuda.stream(stream):
            yield
        cur.wait_stream(stream)


class CPUStandIn(Backend):
    """No partitions (CPU, or CUDA without green contexts): phases share the device."""

    name = "none"


def _check(result: tuple[Any, ...]) -> Any:
    err = result[0]
    if int(err) != 0:
        from cuda.bindings import driver

        _, name = driver.cuGetErrorName(err)
        raise RuntimeError(f"CUDA driver error {int(err)} ({name!r})")
    rest = result[1:]
    return rest[0] if len(rest) == 1 else rest


class DriverGreenContexts(Backend):
    """Disjoint green-context pairs through the CUDA driver API (cuda-python, CUDA >= 12.5)."""

    name = "green_context"
    concurrent = True

    def __init__(self, device_index: int = 0):
        from cuda.bindings import driver

        self._drv = driver
        _check(driver.cuInit(0))
        self._dev = _check(driver.cuDeviceGet(device_index))
        self._sm = _check(
            driver.cuDeviceGetDevResource(
                self._dev, driver.CUdevResourceType.CU_DEV_RESOURCE_TYPE_SM
            )
        )
        super().__init__(int(self._sm.sm.smCount))
        self._keep: list[Any] = []  # green contexts must outlive their streams

    def _stream(self, resource: Any) -> Any:
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
        self._keep.append((ctx, stream))
        return torch.cuda.ExternalStream(int(stream))

    def pair(self, prefill_sms: int) -> tuple[Any, Any]:
        groups, _n, remaining = _check(
            self._drv.cuDevSmResourceSplitByCount(1, self._sm, 0, prefill_sms)
        )
        got = int(groups[0].sm.smCount)
        if got != prefill_sms:
            raise PartitionError(
                f"the driver gave {got} SMs for a requested prefill partition of {prefill_sms}: "
                f"set partition.sm_granularity to this GPU's granularity"
            )
        return self._stream(groups[0]), self._stream(remaining)

    def build(self, grid: Sequence[int]) -> None:
        import torch

        self.partitions = PartitionSet(
            self.num_sms, list(grid), self.pair, default=torch.cuda.current_stream()
        )


class TorchGreenContexts(Backend):
    """Green contexts via ``torch.cuda.green_contexts`` (no split API: not guaranteed disjoint)."""

    name = "green_context"
    concurrent = True

    def __init__(self, device_index: int = 0):
        import torch

        props = torch.cuda.get_device_properties(device_index)
        super().__init__(int(props.multi_processor_count))
        self._device = device_index
        self._keep: list[Any] = []
        logger.warning(
            "vllm_nexus: using torch green contexts without cuda-python; the prefill and "
            "decode partitions are created independently and may share SMs "
            "(pip install 'cuda-python>=12.5' for disjoint splits)"
        )

    def pair(self, prefill_sms: int) -> tuple[Any, Any]:
        from torch.cuda.green_contexts import GreenContext

        p = GreenContext.create(num_sms=prefill_sms, device_id=self._device)
        d = GreenContext.create(num_sms=self.num_sms - prefill_sms, device_id=self._device)
        self._keep += [p, d]
        return p.Stream(), d.Stream()

    def build(self, grid: Sequence[int]) -> None:
        import torch

        self.partitions = PartitionSet(
            self.num_sms, list(grid), self.pair, default=torch.cuda.current_stream()
        )


@dataclass(frozen=True)
class Support:
    cuda: bool
    driver_green_contexts: bool
    torch_green_contexts: bool
    reason: str

    @property
    def green_contexts(self) -> bool:
        return self.driver_green_contexts or self.torch_green_contexts


def probe() -> Support:
    """What partition mechanisms this process can use (never raises)."""
    try:
        import torch
    except ImportError:
        return Support(False, False, False, "torch is not installed")
    if not torch.cuda.is_available():
        return Support(False, False, False, "no CUDA device (CPU build or no GPU)")
    torch_gc = False
    try:
        from torch.cuda import green_contexts

        torch_gc = bool(green_contexts.SUPPORTED)
    except ImportError:
        pass
    drv = False
    try:
        from cuda.bindings import driver

        drv = hasattr(driver, "cuGreenCtxCreate")
        if drv:
            err, version = driver.cuDriverGetVersion()
            drv = int(err) == 0 and version >= 12050
    except ImportError:
        pass
    if drv or torch_gc:
        return Support(True, drv, torch_gc, "")
    return Support(
        True,
        False,
        False,
        "CUDA without green contexts (needs cuda-python>=12.5 with a CUDA 12.5+ driver, or a "
        "torch build with torch.cuda.green_contexts.SUPPORTED)",
    )


def make_backend(kind: str, support: Support, device_index: int = 0) -> Backend:
    """Instantiate a backend: kind is partition.backend (auto|green_context|mps|none)."""
    if kind == "mps":
        raise PartitionError(
            "partition.backend=mps: MPS limits SMs per process, so prefill and decode would "
            "need separate processes; one vLLM worker cannot use it (see docs/nexus.md)"
        )
    if kind == "none":
        return CPUStandIn()
    if kind == "green_context" and not support.green_contexts:
        raise PartitionError(f"partition.backend=green_context is unavailable: {support.reason}")
    if not support.green_contexts:  # auto
        return CPUStandIn()
    if support.driver_green_contexts:
        return DriverGreenContexts(device_index)
    return TorchGreenContexts(device_index)
