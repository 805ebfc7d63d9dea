"""Partition backends with fakes: grid layouts, disjointness, stream selection and ordering,
the driver-API backend against a fake ``cuda.bindings.driver`` (device index, split sizes,
events), version checks, startup errors.

The real CUDA paths are in the ``gpu``-marked tests at the end (skipped without CUDA).
"""

from __future__ import annotations

import contextlib
import ctypes
from types import SimpleNamespace
from typing import Any

import pytest

from vllm_nexus.split import backends as gpu
from vllm_nexus.split.controller import partition_grid
from vllm_nexus.split.cost_model import PartitionError


class FakeDevice:
    """Stands in for the driver: splitting N SMs gives a group of p and the remainder."""

    def __init__(self, num_sms: int):
        self.num_sms = num_sms
        self.splits: list[int] = []

    def pair(self, p: int) -> tuple[tuple[str, frozenset[int]], tuple[str, frozenset[int]]]:
        self.splits.append(p)
        return ("P", frozenset(range(p))), ("D", frozenset(range(p, self.num_sms)))


def make_set(n: int = 132, g: int = 8, m: int = 8) -> tuple[gpu.PartitionSet, FakeDevice]:
    dev = FakeDevice(n)
    return gpu.PartitionSet(n, partition_grid(n, g, m), dev.pair), dev


def test_all_layouts_created_once_at_startup() -> None:
    ps, dev = make_set()
    assert dev.splits == list(range(8, 121, 8))
    ps.select(64, 68)
    ps.select(64, 68)
    assert len(dev.splits) == 15  # selection never creates contexts


def test_pairs_are_disjoint_and_cover_the_device() -> None:
    ps, _ = make_set()
    for p, (pre, dec) in ps.pairs.items():
        assert len(pre[1]) == p and len(dec[1]) == 132 - p
        assert not pre[1] & dec[1] and pre[1] | dec[1] == frozenset(range(132))


def test_stream_selection() -> None:
    ps, _ = make_set()
    pre, dec = ps.select(80, 52)
    assert pre[0] == "P" and len(pre[1]) == 80 and len(dec[1]) == 52
    # Off-grid values snap to the nearest layout.
    assert len(ps.select(83, 49)[0][1]) == 80
    assert len(ps.select(85, 47)[0][1]) == 88
    # Single-phase steps use the whole device: no partition, the engine stream.
    assert ps.select(132, 0) == (None, None)
    assert ps.select(0, 132) == (None, None)


def test_bad_grid() -> None:
    dev = FakeDevice(16)
    with pytest.raises(PartitionError):
        gpu.PartitionSet(16, [16], dev.pair)
    with pytest.raises(PartitionError):
        gpu.PartitionSet(16, [], dev.pair)


def test_cpu_stand_in_phase_is_a_noop() -> None:
    b = gpu.CPUStandIn()
    with b.phase("prefill", 64, 68, engine_stream="E"):
        pass
    assert b.partitions is None and not b.disjoint


class RecordingBackend(gpu.Backend):
    """Backend whose ordering primitives record what they were given."""

    def __init__(self) -> None:
        super().__init__(132)
        self.calls: list[tuple[str, Any, Any]] = []
        self.partitions = gpu.PartitionSet(
            132,
            [64],
            lambda p: (gpu.Partition(f"P{p}", p), gpu.Partition(f"D{p}", 132 - p)),
        )

    def current_stream(self) -> Any:
        self.calls.append(("current_stream", None, None))
        return "THREAD-STREAM"

    def _stream_waits_for_engine(self, part: gpu.Partition, engine: Any) -> None:
        self.calls.append(("wait_engine", part.stream, engine))

    def _engine_waits_for_stream(self, engine: Any, part: gpu.Partition) -> None:
        self.calls.append(("engine_waits", engine, part.stream))

    def _use(self, part: gpu.Partition) -> Any:
        @contextlib.contextmanager
        def use() -> Any:
            self.calls.append(("enter", part.stream, None))
            yield
            self.calls.append(("exit", part.stream, None))

        return use()


def test_phase_orders_the_partition_stream_after_the_given_engine_stream() -> None:
    b = RecordingBackend()
    with b.phase("decode", 64, 68, engine_stream="ENGINE"):
        b.calls.append(("work", None, None))
    assert b.calls == [
        ("wait_engine", "D64", "ENGINE"),
        ("enter", "D64", None),
        ("work", None, None),
        ("exit", "D64", None),
        ("engine_waits", "ENGINE", "D64"),
    ]  # the phase thread's own current stream is never consulted


def test_phase_without_engine_stream_uses_the_callers_stream() -> None:
    b = RecordingBackend()
    with b.phase("prefill", 64, 68):
        pass
    assert b.calls[0] == ("current_stream", None, None)
    assert b.calls[1] == ("wait_engine", "P64", "THREAD-STREAM")


def test_single_phase_step_runs_on_the_engine_stream() -> None:
    b = RecordingBackend()
    with b.phase("prefill", 132, 0, engine_stream="ENGINE"):
        pass
    assert b.calls == []


# -- the driver-API backend against a fake cuda.bindings.driver -----------------------------


class FakeDriver:
    """The calls DriverGreenContexts makes, with the documented (err, value...) returns."""

    class CUdevResourceType:
        CU_DEV_RESOURCE_TYPE_SM = "SM"

    class CUgreenCtxCreate_flags:
        CU_GREEN_CTX_DEFAULT_STREAM = 1

    class CUstream_flags:
        CU_STREAM_NON_BLOCKING = 1

    class CUevent_flags:
        CU_EVENT_DISABLE_TIMING = 2

    def __init__(self, num_sms: int = 132, rounding: int = 0):
        self.num_sms, self.rounding = num_sms, rounding
        self.log: list[tuple] = []

    def CUstream(self, handle: int) -> tuple[str, int]:  # noqa: N802 - driver API name
        return ("CUstream", handle)

    def cuInit(self, flags: int) -> tuple:  # noqa: N802
        return (0,)

    def cuDeviceGet(self, index: int) -> tuple:  # noqa: N802
        self.log.append(("cuDeviceGet", index))
        return (0, f"dev{index}")

    def cuDeviceGetDevResource(self, dev: str, kind: str) -> tuple:  # noqa: N802
        return (0, SimpleNamespace(sm=SimpleNamespace(smCount=self.num_sms), dev=dev))

    def cuDevSmResourceSplitByCount(self, n: int, res: Any, flags: int, count: int) -> tuple:  # noqa: N802
        got = count + self.rounding
        group = SimpleNamespace(sm=SimpleNamespace(smCount=got), sms=range(0, got))
        rest = SimpleNamespace(
            sm=SimpleNamespace(smCount=self.num_sms - got), sms=range(got, self.num_sms)
        )
        return (0, [group], 1, rest)

    def cuGreenCtxRecordEvent(self, ctx: Any, event: Any) -> tuple:  # noqa: N802
        self.log.append(("cuGreenCtxRecordEvent", ctx, event))
        return (0,)

    def cuStreamWaitEvent(self, stream: Any, event: Any, flags: int) -> tuple:  # noqa: N802
        self.log.append(("cuStreamWaitEvent", stream, event))
        return (0,)


def driver_backend(drv: FakeDriver, device_index: int = 0) -> gpu.DriverGreenContexts:
    b = gpu.DriverGreenContexts(device_index, driver=drv)
    # _side needs torch's CUDA streams; the split logic is what is tested here.
    b._side = lambda res, sms: gpu.Partition(f"S{sms}", sms, green_ctx=res.sms, event=f"E{sms}")
    return b


def test_driver_backend_uses_the_given_device_and_splits_disjointly() -> None:
    drv = FakeDriver()
    b = driver_backend(drv, device_index=3)
    assert ("cuDeviceGet", 3) in drv.log and b.device_index == 3 and b.num_sms == 132
    pre, dec = b._pair(48)
    assert (pre.sms, dec.sms) == (48, 84)
    assert not set(pre.green_ctx) & set(dec.green_ctx)  # the remainder, not a second split
    assert set(pre.green_ctx) | set(dec.green_ctx) == set(range(132))


def test_driver_backend_refuses_a_rounded_split() -> None:
    b = driver_backend(FakeDriver(rounding=8))
    with pytest.raises(PartitionError, match="gave 56 SMs for a requested prefill partition of 48"):
        b._pair(48)


def test_engine_waits_on_a_green_context_event_not_a_cross_context_record() -> None:
    drv = FakeDriver()
    b = driver_backend(drv)
    part = gpu.Partition("S48", 48, green_ctx="GCTX", event="EV")
    b._engine_waits_for_stream(SimpleNamespace(cuda_stream=0xE), part)
    assert drv.log[-2:] == [
        ("cuGreenCtxRecordEvent", "GCTX", "EV"),
        ("cuStreamWaitEvent", ("CUstream", 0xE), "EV"),
    ]


def test_native_handle_reads_the_pointer_without_int() -> None:
    cell = ctypes.c_void_p(0xDEADBEEF)

    class Obj:
        def getPtr(self) -> int:  # noqa: N802 - cuda-python API name
            return ctypes.addressof(cell)

        def __int__(self) -> int:
            raise AssertionError("int(CUstream) is deprecated and must not be used")

    assert gpu.native_handle(Obj()) == 0xDEADBEEF


# -- support assessment -----------------------------------------------------------------------


BINDINGS = SimpleNamespace(cuGreenCtxCreate=1, cuGreenCtxStreamCreate=1, cuGreenCtxRecordEvent=1)


@pytest.mark.parametrize(
    ("driver", "bindings", "version", "torch_gc", "drv_ok", "torch_ok", "why"),
    [
        (12080, BINDINGS, "12.9.0", True, True, True, ""),
        (12050, BINDINGS, "12.6.1", False, True, False, ""),
        (12040, BINDINGS, "12.6.1", False, False, False, "older than 12.5"),
        (12080, None, "", True, False, True, "cuda-python>=12.6.1 is not installed"),
        (12080, BINDINGS, "12.5.0", False, False, False, "12.5.0 is older than 12.6.1"),
        (12060, None, "", True, False, False, "torch green contexts need a 12.8 driver"),
        (12080, SimpleNamespace(cuGreenCtxCreate=1), "12.6.1", False, False, False, "no green"),
    ],
)
def test_assess(
    driver: int, bindings: Any, version: str, torch_gc: bool, drv_ok: bool, torch_ok: bool, why: str
) -> None:
    s = gpu.assess(True, driver, bindings, version, torch_gc)
    assert (s.driver_green_contexts, s.torch_green_contexts) == (drv_ok, torch_ok)
    assert s.disjoint == drv_ok  # only the driver API gives disjoint partitions
    assert why in s.reason
    assert not gpu.assess(False, driver, bindings, version, torch_gc).cuda


NO_CUDA = gpu.Support(False, False, False, "no CUDA device (CPU build or no GPU)")
CUDA_NO_GC = gpu.Support(True, False, False, "CUDA without green contexts")
TORCH_ONLY = gpu.Support(True, False, True, "cuda-python>=12.6.1 is not installed")
DRIVER = gpu.Support(True, True, True, "")


def test_make_backend_choices_errors_and_device(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []

    class Fake(gpu.Backend):
        def __init__(self, device_index: int = 0) -> None:
            super().__init__(132, device_index)
            made.append((type(self).__name__, device_index))

    class FakeDriverBackend(Fake):
        disjoint = True

    class FakeTorchBackend(Fake):
        disjoint = False

    monkeypatch.setitem(gpu.BACKENDS, "driver", FakeDriverBackend)
    monkeypatch.setitem(gpu.BACKENDS, "torch", FakeTorchBackend)
    assert isinstance(gpu.make_backend("auto", NO_CUDA), gpu.CPUStandIn)
    assert isinstance(gpu.make_backend("none", DRIVER), gpu.CPUStandIn)
    assert isinstance(gpu.make_backend("auto", CUDA_NO_GC), gpu.CPUStandIn)
    assert gpu.make_backend("auto", DRIVER, device_index=2).disjoint
    assert not gpu.make_backend("green_context", TORCH_ONLY, device_index=1).disjoint
    assert made == [("FakeDriverBackend", 2), ("FakeTorchBackend", 1)]
    with pytest.raises(PartitionError, match="green_context is unavailable: no CUDA"):
        gpu.make_backend("green_context", NO_CUDA)


def test_torch_fallback_never_claims_disjoint_partitions() -> None:
    assert gpu.TorchGreenContexts.disjoint is False
    assert gpu.DriverGreenContexts.disjoint is True


def test_probe_on_this_machine() -> None:
    s = gpu.probe()
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        assert not s.cuda and not s.green_contexts and s.reason


@pytest.mark.gpu
def test_real_green_context_pairs_are_disjoint() -> None:  # pragma: no cover - CUDA only
    """On a CUDA host: the %smid probe of the validation script on three real layouts."""
    pytest.importorskip("triton")
    from vllm_nexus.validation import device as validate_gpu

    s = gpu.probe()
    if not s.disjoint:
        pytest.skip(s.reason)
    status, summary, figures = validate_gpu.step_sm_disjoint()
    assert status == "pass", (summary, figures)
    for split in figures["splits"]:
        assert not split["shared_sms"] and split["used"] == split["requested"]


def test_mps_is_no_longer_a_backend() -> None:
    from vllm_nexus.config import ConfigError, NexusConfig

    with pytest.raises(ConfigError, match=r"partition.backend='mps' is invalid: choose one of"):
        NexusConfig.from_dict({"partition": {"backend": "mps"}})
    assert NexusConfig.from_dict({"partition": {"backend": "none"}}).partition.backend == "none"
