"""Build real vLLM schedulers around a tiny model config and drive them with fake outputs.

No forward pass: ``step()`` fabricates a ``ModelRunnerOutput`` with one sampled token per
request whose prefill is complete, exactly as the engine core would hand it back.
"""

from __future__ import annotations

import functools
import json
import tempfile
import zlib
from pathlib import Path
from typing import Any

import torch
from vllm.config import CacheConfig, ModelConfig, SchedulerConfig, VllmConfig
from vllm.sampling_params import SamplingParams
from vllm.utils.hashing import sha256
from vllm.v1.core.kv_cache_utils import get_request_block_hasher, init_none_hash
from vllm.v1.kv_cache_interface import FullAttentionSpec, KVCacheConfig, KVCacheGroupSpec
from vllm.v1.outputs import ModelRunnerOutput
from vllm.v1.request import Request
from vllm.v1.structured_output import StructuredOutputManager

BLOCK = 16
TOKEN = 7


@functools.cache
def model_dir() -> str:
    d = Path(tempfile.mkdtemp(prefix="nexus_cfg_"))
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 512,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "max_position_embeddings": 8192,
        "torch_dtype": "float32",
        "eos_token_id": 2,
        "bos_token_id": 1,
    }
    (d / "config.json").write_text(json.dumps(cfg))
    return str(d)


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


def make_scheduler(
    cls: Any = None,
    *,
    nexus: dict | None = None,
    max_num_seqs: int = 4,
    max_num_batched_tokens: int = 256,
    num_blocks: int = 1000,
    async_scheduling: bool = False,
    clock: FakeClock | None = None,
    policy: str = "fcfs",
):
    if cls is None:
        from vllm_nexus import Scheduler as cls
    sc = SchedulerConfig(
        max_num_seqs=max_num_seqs,
        max_num_batched_tokens=max_num_batched_tokens,
        max_model_len=4096,
        enable_chunked_prefill=True,
        async_scheduling=async_scheduling,
        is_encoder_decoder=False,
        policy=policy,
    )
    mc = ModelConfig(
        model=model_dir(), skip_tokenizer_init=True, dtype="float32", max_model_len=4096
    )
    cc = CacheConfig(block_size=BLOCK, enable_prefix_caching=True)
    vc = VllmConfig(
        scheduler_config=sc,
        model_config=mc,
        cache_config=cc,
        additional_config={"vllm_nexus": nexus or {}},
    )
    vc.scheduler_config.async_scheduling = async_scheduling
    kv = KVCacheConfig(
        num_blocks=num_blocks,
        kv_cache_tensors=[],
        kv_cache_groups=[
            KVCacheGroupSpec(
                ["layer"],
                FullAttentionSpec(
                    block_size=BLOCK, num_kv_heads=1, head_size=1, dtype=torch.float32
                ),
            )
        ],
    )
    cc.num_gpu_blocks = num_blocks
    sched = cls(
        vllm_config=vc,
        kv_cache_config=kv,
        structured_output_manager=StructuredOutputManager(vc),
        block_size=BLOCK,
        log_stats=True,
    )
    if clock is not None and hasattr(sched, "clock"):
        sched.clock = clock
    return sched


_hash_ready = False


def make_request(
    rid: str,
    prompt_len: int = 32,
    max_tokens: int = 8,
    program_id: Any = None,
    session_id: Any = None,
    prompt: list[int] | None = None,
    extra: dict | None = None,
    priority: int = 0,
) -> Request:
    global _hash_ready
    if not _hash_ready:
        init_none_hash(sha256)
        _hash_ready = True
    extra_args = dict(extra or {})
    if program_id is not None:
        extra_args["program_id"] = program_id
    params = SamplingParams(max_tokens=max_tokens, ignore_eos=True, extra_args=extra_args or None)
    tokens = (
        prompt
        if prompt is not None
        else [(zlib.crc32(rid.encode()) + i) % 500 + 3 for i in range(prompt_len)]
    )
    return Request(
        request_id=rid,
        prompt_token_ids=tokens,
        sampling_params=params,
        pooling_params=None,
        block_hasher=get_request_block_hasher(BLOCK, sha256),
        session_id=session_id,
        priority=priority,
    )


def fake_output(sched, out) -> ModelRunnerOutput:
    """One sampled token for each scheduled request whose prompt is then fully computed."""
    done = set()
    for rid in out.num_scheduled_tokens:
        req = sched.requests.get(rid)
        if req is not None and req.num_computed_tokens >= req.num_tokens:
            done.add(rid)
    return output_for(out, done)


def sampling_ids(sched, out) -> set[str]:
    """Requests of ``out`` that sample a token when it runs (no prompt chunk left), read right
    after ``schedule()`` as the async engine must (the next schedule() moves the counters)."""
    return {r for r in out.num_scheduled_tokens if not sched.requests[r].is_prefill_chunk}


def output_for(out, sampled: set[str]) -> ModelRunnerOutput:
    """The model runner's output for ``out``: one token for each request in ``sampled``."""
    req_ids = list(out.num_scheduled_tokens)
    return ModelRunnerOutput(
        req_ids=req_ids,
        req_id_to_index={r: i for i, r in enumerate(req_ids)},
        sampled_token_ids=[[TOKEN] if r in sampled else [] for r in req_ids],
    )


def step(sched, clock: FakeClock | None = None, dt: float = 0.01):
    """One synchronous engine step; returns (scheduler_output, engine_core_outputs)."""
    out = sched.schedule()
    if clock is not None:
        clock.advance(dt)
    eco = sched.update_from_output(out, fake_output(sched, out))
    return out, eco


def finished_ids(eco) -> set[str]:
    done = set()
    for outs in eco.values():
        for o in outs.outputs:
            if o.finish_reason is not None:
                done.add(o.request_id)
    return done


def run_until_idle(sched, clock: FakeClock | None = None, max_steps: int = 10_000) -> list:
    """Step until no request is left; returns the order in which requests finished."""
    order = []
    for _ in range(max_steps):
        if not sched.has_requests():
            return order
        _, eco = step(sched, clock)
        order.extend(sorted(finished_ids(eco)))
    raise AssertionError("scheduler did not drain")
