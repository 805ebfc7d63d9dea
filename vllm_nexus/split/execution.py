"""What a split step needs: the execution mode a configuration resolves to (with a startup
error naming every unsupported feature), the partition backend a worker builds on its own
device, and the memory reserved for an overlapped decode phase.

Pure Python: vLLM's config objects are read duck-typed; no vLLM or torch import (the GPU
backends import lazily).
"""

from __future__ import annotations

from typing import Any

from vllm_nexus.config import PartitionConfig
from vllm_nexus.split import backends as gpu
from vllm_nexus.split.controller import partition_grid
from vllm_nexus.split.cost_model import PartitionError


def resolve_execution(cfg: PartitionConfig, vllm_config: Any, support: Any) -> tuple[str, str]:
    """(execution mode, reason): mode is 'unsplit', 'sequential' or 'concurrent'. Raises
    PartitionError for impossible requests, naming every unsupported feature."""
    if cfg.split == "off":
        return "unsplit", "partition.split=off"
    if cfg.split == "auto":
        why = (
            "no SM partitions on this device"
            if not support.cuda
            else "overlapped execution is opt-in (split=concurrent, with --enforce-eager)"
        )
        return "unsplit", f"partition.split=auto: running unsplit ({why})"
    problems = _split_problems(cfg, vllm_config, support)
    if cfg.split == "concurrent":
        if support.cuda and not support.disjoint:
            extra = (
                " (torch green contexts are available, but their partitions overlap)"
                if support.torch_green_contexts
                else ""
            )
            raise PartitionError(
                f"partition.split=concurrent needs disjoint SM partitions: {support.reason}{extra}"
            )
        problems += _concurrent_problems(cfg, vllm_config, support)
    if problems:
        raise PartitionError(
            f"partition.split={cfg.split} is not supported with " + ", ".join(problems)
        )
    if cfg.split == "concurrent":
        where = "green-context streams" if support.cuda else "CPU threads, kernels serialised"
        return "concurrent", (
            f"partition.split=concurrent: prefill and decode sub-batches overlap ({where})"
        )
    return "sequential", "partition.split=sequential: decode then prefill sub-batch per step"


def uses_partitions(cfg: PartitionConfig, support: Any) -> bool:
    """True when split steps will run on green-context partition streams."""
    return bool(support.cuda and support.green_contexts and cfg.backend != "none")


def _split_problems(cfg: PartitionConfig, vllm_config: Any, support: Any) -> list[str]:
    problems = []
    sc = vllm_config.scheduler_config
    if getattr(sc, "async_scheduling", False):
        problems.append("async scheduling (pass --no-async-scheduling)")
    pc = vllm_config.parallel_config
    if pc.pipeline_parallel_size > 1:
        problems.append("pipeline parallelism")
    if getattr(pc, "tensor_parallel_size", 1) > 1 or getattr(pc, "data_parallel_size", 1) > 1:
        # Never validated: data-parallel ranks would run different numbers of forward passes
        # per step (a split step is two), and collectives would run on partition streams.
        problems.append("tensor/data parallelism (one GPU per engine only)")
    if vllm_config.speculative_config is not None:
        problems.append("speculative decoding")
    if vllm_config.kv_transfer_config is not None:
        problems.append("a KV connector")
    if getattr(vllm_config, "use_v2_model_runner", False):
        problems.append("the V2 model runner (set VLLM_USE_V2_MODEL_RUNNER=0)")
    mc = vllm_config.model_config
    if mc is not None and mc.runner_type == "pooling":
        problems.append("pooling models")
    if (
        mc is not None
        and uses_partitions(cfg, support)
        and not getattr(mc, "enforce_eager", False)
        and not (cfg.split == "sequential" and cfg.allow_cuda_graphs)
    ):
        problems.append(
            "CUDA graphs (pass --enforce-eager: a graph's kernels run on the SMs of the stream "
            "it was captured on, not on the partition it is replayed on; per-partition "
            "graphs are not implemented)"
        )
    return problems


def _concurrent_problems(cfg: PartitionConfig, vllm_config: Any, support: Any) -> list[str]:
    """Features the two-runner, two-thread path does not handle (see docs/nexus.md)."""
    problems = []
    pc = vllm_config.parallel_config
    if getattr(pc, "enable_dbo", False) or getattr(pc, "ubatch_size", 1) > 1:
        problems.append("micro-batching (DBO)")
    if getattr(vllm_config, "lora_config", None) is not None:
        problems.append("LoRA")
    if _weight_offloading(vllm_config):
        problems.append("CPU weight offloading (one process-wide offloader, per-forward state)")
    if support.cuda and cfg.backend == "none":
        problems.append("partition.backend=none (overlap needs disjoint partitions)")
    mc = vllm_config.model_config
    if mc is not None:
        if getattr(mc, "is_multimodal_model", False):
            problems.append("multimodal models (per-runner encoder cache)")
        if getattr(mc, "is_hybrid", False):
            problems.append("hybrid/Mamba models (per-runner state-copy buffers)")
        if (
            support.cuda
            and not getattr(mc, "enforce_eager", False)
            and not any("CUDA graphs" in p for p in problems)
        ):
            problems.append("CUDA graphs (pass --enforce-eager)")
    return problems


def _weight_offloading(vllm_config: Any) -> bool:
    oc = getattr(vllm_config, "offload_config", None)
    if oc is None:
        return False
    uva = getattr(oc, "uva", None)
    prefetch = getattr(oc, "prefetch", None)
    return bool(
        (uva is not None and getattr(uva, "cpu_offload_gb", 0) > 0)
        or (prefetch is not None and getattr(prefetch, "offload_group_size", 0) > 0)
    )


def build_backend(cfg: PartitionConfig, support: Any, device_index: int, mode: str) -> gpu.Backend:
    """The partition backend of a worker on ``device_index`` (its own GPU, never device 0 by
    default), with every layout of the grid built and checked (startup)."""
    if mode == "unsplit" or not support.cuda:
        return gpu.CPUStandIn()
    backend = gpu.make_backend(cfg.backend, support, device_index=device_index)
    if mode == "concurrent" and not backend.disjoint:
        raise PartitionError(
            f"partition.split=concurrent needs disjoint partitions; backend {backend.name} "
            "does not provide them"
        )
    if backend.num_sms:
        backend.build(partition_grid(backend.num_sms, cfg.sm_granularity, cfg.min_sms_per_side))
    return backend


def reserve_for_split(available_bytes: int, extra_bytes: int) -> int:
    """KV-cache bytes left after reserving ``extra_bytes`` for the overlapped decode phase;
    startup error if nothing is left."""
    left = int(available_bytes) - max(0, int(extra_bytes))
    if left <= 0:
        raise PartitionError(
            f"split=concurrent needs {extra_bytes / 2**30:.2f} GiB for the decode phase "
            f"running beside prefill, more than the {available_bytes / 2**30:.2f} GiB vLLM "
            f"found for the KV cache: raise --gpu-memory-utilization or lower --max-num-seqs"
        )
    return left
