"""The virtual-clock driver: real vLLM scheduler classes, fed by a trace, timed by a model.

Nothing of the scheduler is re-modelled. The driver builds a realistic ``VllmConfig`` and
``KVCacheConfig`` for the model and hardware (a local ``config.json`` with the model's
dimensions, no weights, no tokenizer; KV blocks from the device memory), instantiates the
scheduler class (stock ``Scheduler`` with ``fcfs`` or ``priority``, ``vllm_nexus.Scheduler``
with its ``additional_config``, or the SRPT oracle), and loops:

    add the calls whose virtual send time has come -> schedule() -> step latency from the
    batch composition -> advance the virtual clock -> fabricated ModelRunnerOutput (one token
    per request that finished its prompt; ``ignore_eos`` + ``max_tokens``) ->
    update_from_output() -> finished calls release their program's dependants (after their
    ``think_s``), whose prompts continue the parent's prompt and output (``context_from``),
    so prefix caching sees the same reuse as on a real server.

The scheduler's ``clock`` (vllm_nexus) is the virtual clock, so its policy runs on virtual time.
Token ids are synthetic: the first tokens of a fresh context are unique per call (block hashes
chain, so the whole context is unique), the rest is a fixed pattern; outputs are one token.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vllm_nexus.bench.trace import ProgramSpec
from vllm_nexus.config import resolve_profile
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import ModelShape
from vllm_nexus.sim.records import (  # noqa: F401  (re-exported: the simulator's public names)
    NEXUS_POLICIES,
    SCHEDULERS,
    CallRecord,
    EngineSpec,
    SimResult,
    parse_scheduler,
)

logger = logging.getLogger("vllm_nexus.sim")


# -- vLLM configuration without weights ------------------------------------------------------
_CONFIG_DIRS: dict[tuple, str] = {}


def _model_dir(model: ModelShape, dtype: str) -> str:
    key = (model, dtype)
    if key not in _CONFIG_DIRS:
        d = tempfile.mkdtemp(prefix=f"vllm-nexus-sim-{model.name}-")
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(model.hf_config(dtype), f)
        _CONFIG_DIRS[key] = d
    return _CONFIG_DIRS[key]


def build_configs(spec: EngineSpec) -> tuple[Any, Any, StepLatencyModel]:
    """(VllmConfig, KVCacheConfig, latency model) for the spec; no weights are touched."""
    import torch
    from vllm.config import CacheConfig, ModelConfig, SchedulerConfig, VllmConfig
    from vllm.v1.kv_cache_interface import FullAttentionSpec, KVCacheConfig, KVCacheGroupSpec

    hw, m = spec.hardware, spec.model
    lat = StepLatencyModel(hw, m, spec.tp)
    dtype = "float32" if m.dtype_bytes == 4 else "bfloat16"
    max_len = spec.max_model_len or m.max_model_len
    block = spec.block_size or hw.default_block_size
    max_seqs = spec.max_num_seqs or hw.default_max_num_seqs
    max_tok = spec.max_num_batched_tokens or hw.default_max_num_batched_tokens
    kind, policy = parse_scheduler(spec.scheduler)
    additional = dict(spec.additional_config or {})
    if kind == "vllm_nexus":
        # The scheduler runs on this machine's (CPU) vLLM: resolve ``scheduler.profile: auto``
        # for the simulated device instead, as the engine would on it.
        section = dict(additional.get("vllm_nexus", {}))
        sched = dict(section.get("scheduler", {}))
        if policy is not None:
            sched["policy"] = policy
        if sched.get("profile", "auto") == "auto":
            sched["profile"] = resolve_profile("auto", hw.platform)[0]
        section["scheduler"] = sched
        additional["vllm_nexus"] = section
    vllm_policy = "priority" if kind in ("stock-priority", "srpt-oracle") else "fcfs"

    model_config = ModelConfig(
        model=_model_dir(m, dtype),
        skip_tokenizer_init=True,
        dtype=dtype,
        max_model_len=max_len,
        enforce_eager=True,
    )
    sched_config = SchedulerConfig(
        max_num_seqs=max_seqs,
        max_num_batched_tokens=max(max_tok, 1),
        max_model_len=max_len,
        enable_chunked_prefill=True,
        is_encoder_decoder=False,
        policy=vllm_policy,
    )
    num_blocks = spec.num_gpu_blocks or max(1, lat.kv_capacity_tokens() // block)
    cache_config = CacheConfig(block_size=block, enable_prefix_caching=spec.enable_prefix_caching)
    kv_transfer = None
    if spec.host_kv_tokens:
        from vllm_nexus.sim.host_kv import transfer_config

        kv_transfer = transfer_config(spec.host_kv_tokens, spec.host_kv_swap)
    vllm_config = VllmConfig(
        model_config=model_config,
        scheduler_config=sched_config,
        cache_config=cache_config,
        additional_config=additional,
        kv_transfer_config=kv_transfer,
    )
    vllm_config.cache_config.num_gpu_blocks = num_blocks
    # The CPU platform may rewrite the block size while checking the config: use ours.
    vllm_config.cache_config.block_size = block
    torch_dtype = torch.float32 if m.dtype_bytes == 4 else torch.bfloat16
    kv_spec = FullAttentionSpec(
        block_size=block, num_kv_heads=m.kv_heads, head_size=m.hd, dtype=torch_dtype
    )
    kv_cache_config = KVCacheConfig(
        num_blocks=num_blocks,
        kv_cache_tensors=[],
        kv_cache_groups=[
            KVCacheGroupSpec([f"model.layers.{i}.self_attn.attn" for i in range(m.layers)], kv_spec)
        ],
    )
    return vllm_config, kv_cache_config, lat


def make_scheduler(spec: EngineSpec, vllm_config: Any, kv_cache_config: Any) -> Any:
    """Instantiate the scheduler class named by ``spec.scheduler``."""
    from vllm.v1.structured_output import StructuredOutputManager

    kind, _ = parse_scheduler(spec.scheduler)
    if kind == "vllm_nexus":
        from vllm_nexus.programs.scheduler import Scheduler as cls
    elif kind == "srpt-oracle":
        from vllm_nexus.sim.srpt import SrptOracleScheduler as cls
    else:
        from vllm.v1.core.sched.scheduler import Scheduler as cls
    block = vllm_config.cache_config.block_size
    return cls(
        vllm_config=vllm_config,
        kv_cache_config=kv_cache_config,
        structured_output_manager=StructuredOutputManager(vllm_config),
        block_size=block,
        hash_block_size=block,
        include_finished_set=False,
        log_stats=False,
    )


class VirtualClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t


# -- the simulation loop ---------------------------------------------------------------------
class Simulator:
    """Replays programs through a real scheduler on a virtual clock."""

    def __init__(self, spec: EngineSpec, seed: int = 0) -> None:
        from vllm.sampling_params import SamplingParams
        from vllm.utils.hashing import get_hash_fn_by_name
        from vllm.v1.core.kv_cache_utils import get_request_block_hasher, init_none_hash
        from vllm.v1.request import Request

        self.spec = spec
        self.seed = seed
        self.vllm_config, self.kv_cache_config, self.latency = build_configs(spec)
        self.scheduler = make_scheduler(spec, self.vllm_config, self.kv_cache_config)
        self.clock = VirtualClock()
        if hasattr(self.scheduler, "clock"):
            self.scheduler.clock = self.clock.now
        self._Request = Request
        self._SamplingParams = SamplingParams
        self._hasher = None
        if spec.enable_prefix_caching:
            hash_fn = get_hash_fn_by_name(self.vllm_config.cache_config.prefix_caching_hash_algo)
            init_none_hash(hash_fn)
            self._hasher = get_request_block_hasher(
                self.vllm_config.cache_config.block_size, hash_fn
            )
        self._vocab = spec.model.vocab

    def fresh_tokens(self, uid: int, n: int) -> list[int]:
        """Prompt tokens: unique head (3 tokens from a per-call counter and the seed), fixed
        body (block hashes chain, so the whole context is unique)."""
        v = self._vocab - 16
        head = [16 + uid % v, 16 + (uid // v) % v, 16 + (uid // v // v + self.seed) % v]
        body = [(11 + i) % v + 16 for i in range(max(0, n - 3))]
        return (head + body)[:n] if n < 3 else head + body

    def make_request(
        self,
        request_id: str,
        prompt: list[int],
        max_tokens: int,
        program_id: str,
        priority: int,
        parent_hashes: list[Any],
        size_hint: float | None = None,
    ) -> Any:
        """A vLLM ``Request`` (``ignore_eos``, exact output length, the program id and the
        client's ``size_hint``, if any, in ``extra_args``); its block hashes start from the
        context source's."""
        extra: dict[str, Any] = {"program_id": program_id} if self.spec.program_ids else {}
        if size_hint is not None:
            extra["program_size_hint"] = size_hint
        sp = self._SamplingParams(
            max_tokens=max_tokens,
            ignore_eos=True,
            temperature=0.0,
            extra_args=extra or None,
        )
        req = self._Request(
            request_id=request_id,
            prompt_token_ids=prompt,
            sampling_params=sp,
            pooling_params=None,
            arrival_time=self.clock.t,
            priority=priority,
            block_hasher=None,
        )
        if self._hasher is not None:
            # Same tokens, same chained hashes: start from the parent's, hash the rest.
            req.block_hashes = list(parent_hashes)
            req._block_hasher = self._hasher
            req.update_block_hashes()
        return req

    def run(
        self,
        programs: Sequence[ProgramSpec],
        progress: Callable[[float, int, int], None] | None = None,
        max_virtual_s: float | None = None,
        think_scale: float = 1.0,
        send_at: Mapping[tuple[str, str], float] | None = None,
    ) -> SimResult:
        """Simulate ``programs`` to completion (or ``max_virtual_s``); think/tool times are
        multiplied by ``think_scale`` (as ``vllm-nexus bench --think-scale``). ``send_at``:
        recorded send times to replay, (program id, call id) -> seconds (see
        :class:`vllm_nexus.sim.replay.Replay`)."""
        from vllm_nexus.sim.replay import Replay

        replay = Replay(self, programs, think_scale, send_at)
        shown = 0
        while replay.step(max_virtual_s):
            if progress is not None and replay.steps % 200 == 0 and replay.steps != shown:
                shown = replay.steps
                progress(self.clock.t, replay.n_done, replay.total_calls)
        return replay.result()

    def output(self, req_ids: list[str], sampled: list[list[int]]) -> Any:
        """The ``ModelRunnerOutput`` of a step: ``sampled[i]`` tokens for ``req_ids[i]``."""
        from vllm.v1.outputs import ModelRunnerOutput

        return ModelRunnerOutput(
            req_ids=req_ids,
            req_id_to_index={r: i for i, r in enumerate(req_ids)},
            sampled_token_ids=sampled,
        )
