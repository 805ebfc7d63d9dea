"""What a simulated run is and what comes out of it: the engine spec, the scheduler names, the
per-call records and the run's result (plain data; :mod:`vllm_nexus.sim.engine` drives a run,
:mod:`vllm_nexus.sim.replay` steps it)."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

from vllm_nexus.bench.trace import ProgramSpec
from vllm_nexus.config import Policy
from vllm_nexus.perf.hardware import HardwarePreset
from vllm_nexus.perf.models import ModelShape

SCHEDULERS = ("stock-fcfs", "stock-priority", "vllm_nexus[:policy]", "srpt-oracle")
NEXUS_POLICIES = typing.get_args(Policy)


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
    program_ids: bool = True
    """False: calls carry no program id (vllm_nexus then infers programs from lineage)."""
    host_kv_tokens: int = 0
    """Simulation only: capacity of an ideal host KV tier (:mod:`vllm_nexus.sim.host_kv`)
    that keeps every finished call's KV; 0 (default) disables it."""
    host_kv_swap: bool = False
    """With ``host_kv_tokens``: also keep a preempted request's KV (swap, not recompute)."""
    size_hint_sigma: float | None = None
    """Every call carries ``vllm_xargs.program_size_hint``: its program's number of calls with
    log-normal error of this sigma (:meth:`ProgramSpec.size_hint`, seeded by the run's seed);
    None (default): no hint. Simulates a client that estimates its program's size."""

    def __post_init__(self) -> None:
        parse_scheduler(self.scheduler)
        if self.host_kv_tokens and not self.enable_prefix_caching:
            raise ValueError("the host KV tier finds KV by block hash: it needs prefix caching")


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
    computed_tokens: int = 0
    """Tokens the engine computed (every scheduled token, recomputation included)."""
    recomputed_tokens: int = 0
    """Tokens computed again after a preemption dropped them (vLLM recomputes, no swap)."""
    dropped_tokens: int = 0
    """Computed tokens whose KV a preemption freed (some come back as prefix-cache hits)."""
    host_loaded_tokens: int = 0
    """Tokens loaded from the simulated host KV tier instead of computed."""
    late_sends: int = 0
    """With send times to replay (``Simulator.run(send_at=...)``): calls sent later than their
    given time because the simulation had not released them yet (parents not done)."""

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
