"""Partition backends with fakes: grid layouts, disjointness, stream selection, startup errors.

The real CUDA paths are in the ``gpu``-marked tests at the end (skipped without CUDA).
"""

from __future__ import annotations

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
    return gpu.PartitionSet(n, partition_grid(n, g, m), dev.pair, default="DEFAULT"), dev


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
    # Single-phase steps use the whole device.
    assert ps.select(132, 0) == ("DEFAULT", None)
    assert ps.select(0, 132) == (None, "DEFAULT")


def test_bad_grid() -> None:
    dev = FakeDevice(16)
    with pytest.raises(PartitionError):
        gpu.PartitionSet(16, [16], dev.pair)
    with pytest.raises(PartitionError):
        gpu.PartitionSet(16, [], dev.pair)


def test_cpu_stand_in_phase_is_a_noop() -> None:
    b = gpu.CPUStandIn()
    with b.phase("prefill", 64, 68):
        pass
    assert b.partitions is None and not b.concurrent


NO_CUDA = gpu.Support(False, False, False, "no CUDA device (CPU build or no GPU)")
CUDA_NO_GC = gpu.Support(True, False, False, "CUDA without green contexts")


def test_make_backend_choices_and_errors() -> None:
    assert isinstance(gpu.make_backend("auto", NO_CUDA), gpu.CPUStandIn)
    assert isinstance(gpu.make_backend("none", CUDA_NO_GC), gpu.CPUStandIn)
    assert isinstance(gpu.make_backend("auto", CUDA_NO_GC), gpu.CPUStandIn)
    with pytest.raises(PartitionError, match="green_context is unavailable: no CUDA"):
        gpu.make_backend("green_context", NO_CUDA)
    with pytest.raises(PartitionError, match="MPS limits SMs per process"):
        gpu.make_backend("mps", NO_CUDA)


def test_probe_on_this_machine() -> None:
    s = gpu.probe()
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        assert not s.cuda and not s.green_contexts and s.reason


@pytest.mark.gpu
def test_real_green_context_pairs_are_disjoint() -> None:  # pragma: no cover - CUDA only
    torch = pytest.importorskip("torch")
    s = gpu.probe()
    if not s.green_contexts:
        pytest.skip(s.reason)
    b = gpu.make_backend("green_context", s)
    grid = partition_grid(b.num_sms, 8 if torch.cuda.get_device_capability()[0] >= 9 else 2, 8)
    b.build(grid)
    x = torch.randn(1024, 1024, device="cuda")
    for p in grid:
        with b.phase("prefill", p, b.num_sms - p):
            y = x @ x
        with b.phase("decode", p, b.num_sms - p):
            z = x @ x
        torch.cuda.synchronize()
        assert torch.allclose(y, z)
