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
from vllm_nexus.split.worker import merge_outputs, resolve_execution  # noqa: E402

NO_CUDA = gpu.Support(False, False, False, "no CUDA device (CPU build or no GPU)")
GC = gpu.Support(True, True, False, "")
CUDA_NO_GC = gpu.Support(True, False, False, "old driver")


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


def test_concurrent_startup_errors_on_cuda() -> None:
    with pytest.raises(PartitionError, match="needs CUDA green contexts: old driver"):
        resolve_execution(PartitionConfig(split="concurrent"), vcfg(), CUDA_NO_GC)
    with pytest.raises(PartitionError, match="--enforce-eager"):
        resolve_execution(PartitionConfig(split="concurrent"), vcfg(), GC)


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
    cfg = vcfg(parallel_config=par(tensor_parallel_size=2), lora_config=object())
    assert resolve_execution(PartitionConfig(split="sequential"), cfg, NO_CUDA)[0] == "sequential"


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
