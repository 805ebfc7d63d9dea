"""vllm_nexus.Worker pieces without an engine: execution-mode resolution and output merging."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("vllm")

from vllm.v1.outputs import LogprobsLists, ModelRunnerOutput  # noqa: E402

from vllm_nexus import gpu  # noqa: E402
from vllm_nexus.config import PartitionConfig  # noqa: E402
from vllm_nexus.partition import PartitionError  # noqa: E402
from vllm_nexus.worker import merge_outputs, resolve_execution  # noqa: E402

NO_CUDA = gpu.Support(False, False, False, "no CUDA device (CPU build or no GPU)")
GC = gpu.Support(True, True, False, "")


def vcfg(**over: object) -> SimpleNamespace:
    base = dict(
        scheduler_config=SimpleNamespace(async_scheduling=False),
        parallel_config=SimpleNamespace(pipeline_parallel_size=1),
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


def test_concurrent_is_a_clear_startup_error() -> None:
    with pytest.raises(PartitionError, match="needs CUDA green contexts: no CUDA"):
        resolve_execution(PartitionConfig(split="concurrent"), vcfg(), NO_CUDA)
    with pytest.raises(PartitionError, match="not implemented"):
        resolve_execution(PartitionConfig(split="concurrent"), vcfg(), GC)


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
