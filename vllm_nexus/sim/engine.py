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

import heapq
import json
import logging
import os
import tempfile
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vllm_nexus.bench.trace import ProgramSpec
from vllm_nexus.config import Policy
from vllm_nexus.perf.hardware import HardwarePreset
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import ModelShape

logger = logging.getLogger("vllm_nexus.sim")

SCHEDULERS = ("stock-fcfs", "stock-priority", "vllm_nexus[:policy]", "srpt-oracle")
NEXUS_POLICIES = typing.get_args(Policy)
_OUTPUT_TOKEN = 7


@dataclass
class EngineSpec:
    """What is simulated: hardware, model, scheduler and the engine's batch limits."""

    hardware: HardwarePreset
    model: ModelShape
    scheduler: str = "stock-fcfs"
    tp: int = 1
    additional_config: dict[str, Any] | None = None
    max_num_seqs: int | None = None
    max_num_batched_tokens: int | None = None
    block_size: int | None = None
    num_gpu_blocks: int | None = None
    """Override the KV capacity (blocks); default: from the device memory."""
    enable_prefix_caching: bool = True
    max_model_len: int | None = None

    def __post_init__(self) -> None:
        parse_scheduler(self.scheduler)


def parse_scheduler(name: str) -> tuple[str, str | None]:
    """``stock-fcfs`` / ``stock-priority`` / ``srpt-oracle`` / ``vllm_nexus[:policy]``."""
    if name in ("stock-fcfs", "stock-priority", "srpt-oracle"):
        return name, None
    if name == "vllm_nexus" or name.startswith("vllm_nexus:"):
        policy = name.partition(":")[2] or None
        if policy is not None and policy not in NEXUS_POLICIES:
            raise ValueError(
                f"unknown vllm_nexus policy {policy!r}: choose one of {list(NEXUS_POLICIES)}"
            )
        return "vllm_nexus", policy
    raise ValueError(f"unknown scheduler {name!r}: choose one of {list(SCHEDULERS)}")


@dataclass
class CallRecord:
    """What happened to one call (times in virtual seconds from the start)."""

    program_id: str
    call_id: str
    send_s: float
    arrival_s: float = 0.0
    first_token_s: float | None = None
    finish_s: float | None = None
    prompt_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    preemptions: int = 0


@dataclass
class SimResult:
    spec: EngineSpec
    calls: list[CallRecord]
    programs: dict[str, ProgramSpec]
    virtual_s: float
    steps: int
    wall_s: float = 0.0
    cpu_s: float = 0.0
    """CPU seconds of the simulating process (the honest speed figure on a shared machine)."""
    kv_blocks: int = 0
    preemptions: int = 0
    unfinished: int = 0
    busy_s: float = 0.0
    scheduler_cpu_s: float = 0.0
    """CPU seconds spent inside the scheduler's ``schedule()`` and ``update_from_output()``
    (the real vLLM / vllm-nexus code the simulator drives); the rest of ``cpu_s`` is the
    simulator's own loop, latency model and bookkeeping."""
    stats: dict[str, Any] = field(default_factory=dict)

    def program_records(self) -> list[Any]:
        """The run as ``vllm_nexus.bench.metrics.ProgramRecord`` objects (bench format).

        ``send_s`` is when the client would send the call (dependencies done + think time);
        the per-call request overhead of the preset is inside TTFT, as on a real server.
        """
        from vllm_nexus.bench.metrics import CallRecord as BenchCall
        from vllm_nexus.bench.metrics import ProgramRecord

        by_prog: dict[str, dict[str, CallRecord]] = {}
        for c in self.calls:
            by_prog.setdefault(c.program_id, {})[c.call_id] = c
        out = []
        for pid, prog in self.programs.items():
            got = by_prog.get(pid, {})
            full = prog.full_prompt_tokens()
            calls = []
            for spec in prog.calls:
                c = got.get(spec.id)
                bc = BenchCall(
                    call_id=spec.id,
                    after=list(spec.after),
                    prompt_tokens_expected=full[spec.id],
                    output_tokens_expected=spec.output_tokens,
                )
                if c is not None:
                    bc.ready_s = bc.send_s = c.send_s
                    bc.first_token_s = c.first_token_s
                    bc.end_s = c.finish_s
                    bc.prompt_tokens = c.prompt_tokens
                    bc.output_tokens = c.output_tokens if c.finish_s is not None else 0
                calls.append(bc)
            out.append(ProgramRecord(pid, prog.kind, prog.arrival_s, calls))
        return out


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
    if kind == "vllm_nexus" and policy is not None:
        section = dict(additional.get("vllm_nexus", {}))
        section["scheduler"] = {**section.get("scheduler", {}), "policy": policy}
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
    vllm_config = VllmConfig(
        model_config=model_config,
        scheduler_config=sched_config,
        cache_config=cache_config,
        additional_config=additional,
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

    # Prompt tokens: unique head (3 tokens from a per-call counter and the seed), fixed body.
    def _fresh_tokens(self, uid: int, n: int) -> list[int]:
        v = self._vocab - 16
        head = [16 + uid % v, 16 + (uid // v) % v, 16 + (uid // v // v + self.seed) % v]
        body = [(11 + i) % v + 16 for i in range(max(0, n - 3))]
        return (head + body)[:n] if n < 3 else head + body

    def run(
        self,
        programs: Sequence[ProgramSpec],
        progress: Callable[[float, int, int], None] | None = None,
        max_virtual_s: float | None = None,
        think_scale: float = 1.0,
    ) -> SimResult:
        """Simulate ``programs`` to completion (or ``max_virtual_s``); think/tool times are
        multiplied by ``think_scale`` (as ``vllm-nexus bench --think-scale``)."""
        import time as _time

        wall0 = _time.perf_counter()
        cpu0 = _time.process_time()
        cpu_now = _time.process_time
        sched_cpu = 0.0
        sched, clock, lat = self.scheduler, self.clock, self.latency
        overhead = self.spec.hardware.request_overhead_s
        kind, _ = parse_scheduler(self.spec.scheduler)
        srpt = kind == "srpt-oracle"
        progs = {p.program_id: p for p in programs}
        prog_rank = {p.program_id: i for i, p in enumerate(programs)}
        # Per program: remaining parents per call, children per call, remaining work (oracle).
        waiting_parents: dict[tuple[str, str], int] = {}
        children: dict[tuple[str, str], list[str]] = {}
        remaining_work: dict[str, float] = {}
        for p in programs:
            for c in p.calls:
                waiting_parents[(p.program_id, c.id)] = len(c.after)
                for a in c.after:
                    children.setdefault((p.program_id, a), []).append(c.id)
            if srpt:
                full = p.full_prompt_tokens()
                remaining_work[p.program_id] = float(
                    sum(full[c.id] * 0.25 + c.output_tokens for c in p.calls)
                )
        # Events: (time, seq, program_id, call_id) of calls to send.
        events: list[tuple[float, int, str, str]] = []
        seq = 0
        for p in programs:
            for c in p.calls:
                if not c.after:
                    events.append((p.arrival_s + overhead, seq, p.program_id, c.id))
                    seq += 1
        heapq.heapify(events)
        records: dict[str, CallRecord] = {}
        # request id -> (prompt + output token ids, their block hashes) of finished calls
        # that later calls continue (context_from); the hashes are reused, not recomputed.
        finished_tokens: dict[str, tuple[list[int], list[Any]]] = {}
        done_at: dict[tuple[str, str], float] = {}
        uid = 0
        steps = 0
        busy = 0.0
        n_preempt = 0
        token = [_OUTPUT_TOKEN]
        block = self.vllm_config.cache_config.block_size
        total_calls = sum(len(p.calls) for p in programs)
        n_done = 0
        front_tok = self.spec.hardware.frontend_token_s
        front_t = 0.0
        unseen: set[str] = set()
        sources: dict[str, Any] = {}  # request id -> Request, for context sources
        context_sources: dict[tuple[str, str], int] = {}  # -> calls still to continue it
        for p in programs:
            for c in p.calls:
                if c.context_from is not None:
                    key = (p.program_id, c.context_from)
                    context_sources[key] = context_sources.get(key, 0) + 1

        def send(pid: str, cid: str, t_send: float) -> None:
            nonlocal uid
            p = progs[pid]
            c = p.call(cid)
            if c.context_from is not None:
                src = f"{pid}/{c.context_from}"
                prefix, hashes = finished_tokens[src]
                users = context_sources[(pid, c.context_from)] - 1
                context_sources[(pid, c.context_from)] = users
                if users == 0:
                    del finished_tokens[src]
                prompt = prefix + self._fresh_tokens(uid, c.prompt_tokens)
            else:
                prompt = self._fresh_tokens(uid, c.prompt_tokens)
                hashes = []
            uid += 1
            rid = f"{pid}/{cid}"
            sp = self._SamplingParams(
                max_tokens=c.output_tokens,
                ignore_eos=True,
                temperature=0.0,
                extra_args={"program_id": pid},
            )
            priority = 0
            if kind == "stock-priority":
                priority = prog_rank[pid]
            elif srpt:
                priority = int(remaining_work[pid])
            req = self._Request(
                request_id=rid,
                prompt_token_ids=prompt,
                sampling_params=sp,
                pooling_params=None,
                arrival_time=clock.t,
                priority=priority,
                block_hasher=None,
            )
            if self._hasher is not None:
                # Same tokens, same chained hashes: start from the parent's, hash the rest.
                req.block_hashes = list(hashes)
                req._block_hasher = self._hasher
                req.update_block_hashes()
            if (pid, cid) in context_sources:
                sources[rid] = req
            records[rid] = CallRecord(pid, cid, t_send, clock.t, prompt_tokens=len(prompt))
            unseen.add(rid)
            sched.add_request(req)

        while True:
            # Admit every call whose send time has come.
            while events and events[0][0] <= clock.t:
                t_send, _, pid, cid = heapq.heappop(events)
                send(pid, cid, t_send - overhead)
            if sched.get_num_unfinished_requests() == 0:
                if not events:
                    break
                clock.t = events[0][0]
                continue
            if max_virtual_s is not None and clock.t > max_virtual_s:
                break
            c0 = cpu_now()
            out = sched.schedule()
            sched_cpu += cpu_now() - c0
            if out.preempted_req_ids:
                n_preempt += len(out.preempted_req_ids)
                for rid in out.preempted_req_ids:
                    if rid in records:
                        records[rid].preemptions += 1
            nst = out.num_scheduled_tokens
            if not nst:
                # Nothing runnable (e.g. KV full of waiting work): wait for the next event.
                if events:
                    clock.t = max(clock.t, events[0][0])
                    c0 = cpu_now()
                    sched.update_from_output(out, self._empty_output())
                    sched_cpu += cpu_now() - c0
                    continue
                raise RuntimeError(
                    f"simulation stalled at t={clock.t:.3f}s with "
                    f"{sched.get_num_unfinished_requests()} unfinished requests and no "
                    "schedulable work (KV cache too small for a request?)"
                )
            # Batch composition -> step latency.
            n_pre = n_dec = 0
            pre_tok = pairs = pre_kv = dec_ctx = 0.0
            req_ids = []
            sampled = []
            requests = sched.requests
            for rid, n in nst.items():
                r = requests[rid]
                ctx = r.num_computed_tokens - n
                if n == 1:
                    n_dec += 1
                    dec_ctx += ctx
                else:
                    n_pre += 1
                    pre_tok += n
                    pairs += n * (ctx + (n + 1) / 2.0)
                    pre_kv += ctx + n
                req_ids.append(rid)
                sampled.append(token if r.num_computed_tokens >= r.num_tokens else [])
                if rid in unseen:
                    unseen.discard(rid)
                    records[rid].cached_tokens = ctx  # prefix-cache hit on first schedule
            dt = lat.step_time(n_pre, pre_tok, pairs, pre_kv, n_dec, dec_ctx)
            clock.t += dt
            busy += dt
            steps += 1
            mro = self._output(req_ids, sampled)
            c0 = cpu_now()
            outputs = sched.update_from_output(out, mro)
            sched_cpu += cpu_now() - c0
            now = clock.t
            for eco in outputs.values():
                for o in eco.outputs:
                    rec = records[o.request_id]
                    now = clock.t
                    if front_tok and o.new_token_ids:
                        # The frontend FIFO delivers this step's tokens after earlier ones.
                        front_t = max(front_t, clock.t) + front_tok * len(o.new_token_ids)
                        now = front_t
                    if rec.first_token_s is None and o.new_token_ids:
                        rec.first_token_s = now
                    if o.finish_reason is not None:
                        rec.finish_s = now
                        rec.output_tokens = progs[rec.program_id].call(rec.call_id).output_tokens
                        n_done += 1
                        key = (rec.program_id, rec.call_id)
                        done_at[key] = now
                        kids = children.get(key)
                        if srpt:
                            c = progs[rec.program_id].call(rec.call_id)
                            remaining_work[rec.program_id] -= rec.prompt_tokens * 0.25 + (
                                c.output_tokens
                            )
                        if o.request_id in sources:
                            # Prompt + output: the context of the calls continuing this one.
                            src_req = sources.pop(o.request_id)
                            finished_tokens[o.request_id] = (
                                list(src_req.all_token_ids),
                                src_req.block_hashes,
                            )
                        if kids:
                            for kid in kids:
                                kk = (rec.program_id, kid)
                                waiting_parents[kk] -= 1
                                if waiting_parents[kk] == 0:
                                    kc = progs[rec.program_id].call(kid)
                                    t = max(done_at[(rec.program_id, a)] for a in kc.after)
                                    heapq.heappush(
                                        events,
                                        (
                                            t + kc.think_s * think_scale + overhead,
                                            seq,
                                            rec.program_id,
                                            kid,
                                        ),
                                    )
                                    seq += 1
            if progress is not None and steps % 200 == 0:
                progress(clock.t, n_done, total_calls)
        del block
        unfinished = sum(1 for r in records.values() if r.finish_s is None)
        unfinished += total_calls - len(records)
        return SimResult(
            spec=self.spec,
            calls=list(records.values()),
            programs=progs,
            virtual_s=clock.t,
            steps=steps,
            wall_s=_time.perf_counter() - wall0,
            cpu_s=_time.process_time() - cpu0,
            kv_blocks=self.kv_cache_config.num_blocks,
            preemptions=n_preempt,
            unfinished=unfinished,
            busy_s=busy,
            scheduler_cpu_s=sched_cpu,
        )

    def _output(self, req_ids: list[str], sampled: list[list[int]]) -> Any:
        from vllm.v1.outputs import ModelRunnerOutput

        return ModelRunnerOutput(
            req_ids=req_ids,
            req_id_to_index={r: i for i, r in enumerate(req_ids)},
            sampled_token_ids=sampled,
        )

    def _empty_output(self) -> Any:
        return self._output([], [])
