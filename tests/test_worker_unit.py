"""vllm_nexus.Worker pieces without an engine: execution-mode resolution and output merging."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("vllm")

from vllm.v1.outputs import LogprobsLists, ModelRunnerOutput  # noqa: E402

from vllm_nexus.config import PartitionConfig  # noqa: E402
from vllm_nexus.split import backends as gpu  # noqa: E402
from vllm_nexus.split.cost_model import PartitionError  # noqa: E402
from vllm_nexus.split.execution import (  # noqa: E402
    build_backend,
    reserve_for_split,
    resolve_execution,
)
from vllm_nexus.split.worker import merge_outputs  # noqa: E402

NO_CUDA = gpu.Support(False, False, False, "no CUDA device (CPU build or no GPU)")
GC = gpu.Support(True, True, False, "")
CUDA_NO_GC = gpu.Support(True, False, False, "old driver")
TORCH_GC = gpu.Support(True, False, True, "cuda-python>=12.6.1 is not installed")


def par(**over: object) -> SimpleNamespace:
    return SimpleNamespace(**{"pipeline_parallel_size": 1, **over})


def vcfg(**over: object) -> SimpleNamespace:
    base = dict(
        scheduler_config=SimpleNamespace(async_scheduling=False),
        parallel_config=par(),
        speculative_config=None,
        kv_transfer_config=None,
        use_v2_model_runner=False,
        model_config=SimpleNamespace(runner_type="generate"),
    )
    base.update(over)
    return SimpleNamespace(**base)


def test_modes_on_cpu() -> None:
    assert resolve_execution(PartitionConfig(split="off"), vcfg(), NO_CUDA)[0] == "unsplit"
    mode, why = resolve_execution(PartitionConfig(), vcfg(), NO_CUDA)
    assert mode == "unsplit" and "no SM partitions" in why
    assert (
        resolve_execution(PartitionConfig(split="sequential"), vcfg(), NO_CUDA)[0] == "sequential"
    )


def test_concurrent_on_cpu_and_on_cuda_with_green_contexts() -> None:
    mode, why = resolve_execution(PartitionConfig(split="concurrent"), vcfg(), NO_CUDA)
    assert mode == "concurrent" and "CPU threads" in why
    eager = vcfg(model_config=SimpleNamespace(runner_type="generate", enforce_eager=True))
    mode, why = resolve_execution(PartitionConfig(split="concurrent"), eager, GC)
    assert mode == "concurrent" and "green-context" in why


def eager(**over: object) -> SimpleNamespace:
    return vcfg(model_config=SimpleNamespace(runner_type="generate", enforce_eager=True), **over)


def test_concurrent_startup_errors_on_cuda() -> None:
    with pytest.raises(PartitionError, match="needs disjoint SM partitions: old driver"):
        resolve_execution(PartitionConfig(split="concurrent"), vcfg(), CUDA_NO_GC)
    with pytest.raises(PartitionError, match="--enforce-eager"):
        resolve_execution(PartitionConfig(split="concurrent"), vcfg(), GC)
    # Torch green contexts overlap: never for concurrent.
    with pytest.raises(PartitionError, match="cuda-python.*partitions overlap"):
        resolve_execution(PartitionConfig(split="concurrent"), eager(), TORCH_GC)
    with pytest.raises(PartitionError, match="backend=none"):
        resolve_execution(PartitionConfig(split="concurrent", backend="none"), eager(), GC)


def test_sequential_needs_eager_only_when_partitions_are_used() -> None:
    with pytest.raises(PartitionError, match="split=sequential .*CUDA graphs.*--enforce-eager"):
        resolve_execution(PartitionConfig(split="sequential"), vcfg(), GC)
    with pytest.raises(PartitionError, match="CUDA graphs"):
        resolve_execution(PartitionConfig(split="sequential"), vcfg(), TORCH_GC)
    assert resolve_execution(PartitionConfig(split="sequential"), eager(), GC)[0] == "sequential"
    # No partitions, no placement question: graphs allowed.
    for cfg, sup in ((PartitionConfig(split="sequential", backend="none"), GC),
                     (PartitionConfig(split="sequential"), CUDA_NO_GC),
                     (PartitionConfig(split="sequential"), NO_CUDA)):  # fmt: skip
        assert resolve_execution(cfg, vcfg(), sup)[0] == "sequential"
    # The explicit validation opt-in (sequential only).
    graphs = PartitionConfig(split="sequential", allow_cuda_graphs=True)
    assert resolve_execution(graphs, vcfg(), GC)[0] == "sequential"
    with pytest.raises(PartitionError, match="--enforce-eager"):
        resolve_execution(PartitionConfig(split="concurrent", allow_cuda_graphs=True), vcfg(), GC)


def test_concurrent_refuses_cpu_weight_offloading() -> None:
    for oc in (
        SimpleNamespace(uva=SimpleNamespace(cpu_offload_gb=4), prefetch=None),
        SimpleNamespace(uva=None, prefetch=SimpleNamespace(offload_group_size=2)),
    ):
        with pytest.raises(PartitionError, match="CPU weight offloading"):
            resolve_execution(PartitionConfig(split="concurrent"), vcfg(offload_config=oc), NO_CUDA)
    off = SimpleNamespace(uva=SimpleNamespace(cpu_offload_gb=0), prefetch=None)
    cfg = PartitionConfig(split="concurrent")
    assert resolve_execution(cfg, vcfg(offload_config=off), NO_CUDA)[0] == "concurrent"


def test_auto_stays_unsplit_everywhere() -> None:
    mode, why = resolve_execution(PartitionConfig(), vcfg(), GC)
    assert mode == "unsplit" and "opt-in" in why


@pytest.mark.parametrize(
    ("over", "msg"),
    [
        ({"parallel_config": par(tensor_parallel_size=2)}, "tensor/data parallelism"),
        ({"parallel_config": par(data_parallel_size=2)}, "tensor/data parallelism"),
        ({"parallel_config": par(enable_dbo=True)}, "DBO"),
        ({"lora_config": object()}, "LoRA"),
        (
            {"model_config": SimpleNamespace(runner_type="generate", is_multimodal_model=True)},
            "multimodal",
        ),
        ({"model_config": SimpleNamespace(runner_type="generate", is_hybrid=True)}, "Mamba"),
        ({"scheduler_config": SimpleNamespace(async_scheduling=True)}, "async scheduling"),
        ({"speculative_config": object()}, "speculative"),
    ],
)
def test_concurrent_rejects_unsupported_features(over: dict, msg: str) -> None:
    with pytest.raises(PartitionError, match=f"split=concurrent is not supported with .*{msg}"):
        resolve_execution(PartitionConfig(split="concurrent"), vcfg(**over), NO_CUDA)


def test_sequential_ignores_concurrent_only_limits() -> None:
    cfg = vcfg(lora_config=object(), parallel_config=par(enable_dbo=True))
    assert resolve_execution(PartitionConfig(split="sequential"), cfg, NO_CUDA)[0] == "sequential"


@pytest.mark.parametrize("mode", ["sequential", "concurrent"])
@pytest.mark.parametrize("over", [{"tensor_parallel_size": 2}, {"data_parallel_size": 2}])
def test_every_split_mode_refuses_tensor_and_data_parallelism(mode: str, over: dict) -> None:
    with pytest.raises(PartitionError, match="tensor/data parallelism"):
        resolve_execution(PartitionConfig(split=mode), vcfg(parallel_config=par(**over)), NO_CUDA)


class FakeBackend(gpu.Backend):
    def __init__(self, device_index: int = 0) -> None:
        super().__init__(132, device_index)
        self.built: list[int] = []

    def build(self, grid: list[int]) -> None:
        self.built = list(grid)


def test_build_backend_on_the_workers_device(monkeypatch: pytest.MonkeyPatch) -> None:
    class Disjoint(FakeBackend):
        disjoint = True

    monkeypatch.setitem(gpu.BACKENDS, "driver", Disjoint)
    b = build_backend(PartitionConfig(split="concurrent"), GC, 5, "concurrent")
    assert b.device_index == 5 and b.built == list(range(8, 121, 8))
    assert isinstance(build_backend(PartitionConfig(), GC, 5, "unsplit"), gpu.CPUStandIn)
    assert isinstance(build_backend(PartitionConfig(), NO_CUDA, 0, "sequential"), gpu.CPUStandIn)


def test_build_backend_refuses_overlapping_partitions_for_concurrent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(gpu.BACKENDS, "torch", FakeBackend)
    b = build_backend(PartitionConfig(split="sequential"), TORCH_GC, 1, "sequential")
    assert b.built and not b.disjoint
    with pytest.raises(PartitionError, match="needs disjoint partitions"):
        build_backend(PartitionConfig(split="concurrent"), TORCH_GC, 1, "concurrent")


def test_reserve_for_split() -> None:
    assert reserve_for_split(10 * 2**30, 2**30) == 9 * 2**30
    assert reserve_for_split(100, -5) == 100
    with pytest.raises(PartitionError, match="more than the .* GiB vLLM found"):
        reserve_for_split(2**30, 2**30)


@pytest.mark.parametrize(
    ("over", "msg"),
    [
        ({"scheduler_config": SimpleNamespace(async_scheduling=True)}, "async scheduling"),
        ({"parallel_config": SimpleNamespace(pipeline_parallel_size=2)}, "pipeline"),
        ({"speculative_config": object()}, "speculative"),
        ({"kv_transfer_config": object()}, "KV connector"),
        ({"use_v2_model_runner": True}, "V2 model runner"),
        ({"model_config": SimpleNamespace(runner_type="pooling")}, "pooling"),
    ],
)
def test_sequential_rejects_unsupported_features(over: dict, msg: str) -> None:
    with pytest.raises(PartitionError, match=msg):
        resolve_execution(PartitionConfig(split="sequential"), vcfg(**over), NO_CUDA)


def out(
    ids: list[str], toks: list[list[int]], logprobs: LogprobsLists | None = None
) -> ModelRunnerOutput:
    return ModelRunnerOutput(
        req_ids=ids,
        req_id_to_index={r: i for i, r in enumerate(ids)},
        sampled_token_ids=toks,
        logprobs=logprobs,
    )


def test_merge_concatenates_and_reindexes() -> None:
    m = merge_outputs([out(["d1", "d2"], [[5], [6]]), out(["p1", "p2"], [[], [9]])])
    assert m.req_ids == ["d1", "d2", "p1", "p2"]
    for r, t in {"d1": [5], "d2": [6], "p1": [], "p2": [9]}.items():
        assert m.sampled_token_ids[m.req_id_to_index[r]] == t
    assert m.logprobs is None


def test_merge_single_and_empty() -> None:
    a = out(["x"], [[1]])
    assert merge_outputs([a, out([], [])]) is a
    assert merge_outputs([]).req_ids == []


def test_merge_logprobs_pads_missing_sub_step() -> None:
    lp = LogprobsLists(
        np.array([[7, 1, 2], [8, 3, 4]]),
        np.array([[-0.1, -1, -2], [-0.2, -3, -4]]),
        np.array([1, 1]),
    )
    m = merge_outputs([out(["a", "b"], [[7], [8]], lp), out(["c"], [[9]])])
    assert m.logprobs.logprob_token_ids.shape == (3, 3)
    row = m.logprobs.slice_request(m.req_id_to_index["b"], 1)
    assert row.logprob_token_ids.tolist() == [[8, 3, 4]]
    narrow = LogprobsLists(np.array([[9, 5]]), np.array([[-0.3, -5]]), np.array([1]))
    m2 = merge_outputs([out(["a", "b"], [[7], [8]], lp), out(["c"], [[9]], narrow)])
    assert m2.logprobs.logprob_token_ids[2].tolist() == [9, 5, 0]
    assert m2.logprobs.logprobs[2, 2] == -np.inf
