"""A step's prefill/decode plan and the split of a scheduled step into two sub-batches.

Journey of an SM split (docs/nexus.md): ``Scheduler.schedule()`` ends with
:func:`attach_plan`, which classifies the scheduled requests, asks the
:class:`~vllm_nexus.split.cost_model.SplitController` for the SM split (Nexus §4.3) and stores the
:class:`PhasePlan` on the ``SchedulerOutput`` as attribute ``nexus_plan``. The output reaches
the worker either in-process (``UniProcExecutor``) or pickled through the multiprocessing
executor's shared-memory queue; an instance attribute of the dataclass survives both. The
worker then uses :func:`split_scheduler_output` to build the two sub-steps.

Pure module: no vLLM or torch import. The scheduler output is handled duck-typed with
``dataclasses.replace`` so this works on vLLM's ``SchedulerOutput`` without importing it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vllm_nexus.config import PartitionConfig
from vllm_nexus.split.controller import SplitController, SplitDecision
from vllm_nexus.split.cost_model import (
    CostModel,
    PhaseWork,
    Profile,
    find_builtin_profile,
    load_profile,
)

PLAN_ATTR = "nexus_plan"
DEFAULT_PROFILE = "partition-h100-llama-3.1-8b"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhasePlan:
    """Which scheduled requests are prefill and which decode, and the SM split for the step.

    ``mode`` is the controller's mode (prefill_priority, decode_priority, prefill_only,
    decode_only, idle); whether the worker runs the split concurrently, sequentially or not at
    all is the worker's decision (``partition.split`` and the device).
    """

    prefill_req_ids: tuple[str, ...]
    decode_req_ids: tuple[str, ...]
    prefill_sms: int
    decode_sms: int
    mode: str
    kv_usage: float = 0.0
    held: bool = False

    @property
    def is_split(self) -> bool:
        """True when both sub-batches are non-empty."""
        return bool(self.prefill_req_ids) and bool(self.decode_req_ids)


@dataclass(frozen=True)
class ScheduledReq:
    """What classification needs to know about one scheduled request."""

    req_id: str
    num_scheduled: int
    num_computed_before: int
    num_prompt_tokens: int
    num_spec: int = 0


def is_decode(r: ScheduledReq) -> bool:
    """Decode = exactly one new token (plus speculative ones) past the prompt; everything else
    (prompt chunks, recomputation after preemption) is prefill."""
    return r.num_computed_before >= r.num_prompt_tokens and r.num_scheduled == 1 + r.num_spec


def classify(reqs: Iterable[ScheduledReq]) -> tuple[list[ScheduledReq], list[ScheduledReq]]:
    """(prefill, decode), each in the given order."""
    pre: list[ScheduledReq] = []
    dec: list[ScheduledReq] = []
    for r in reqs:
        (dec if is_decode(r) else pre).append(r)
    return pre, dec


def phase_work(reqs: Iterable[ScheduledReq]) -> PhaseWork:
    tokens = attn = n = 0
    for r in reqs:
        tokens += r.num_scheduled
        attn += r.num_scheduled * (r.num_computed_before + r.num_scheduled)
        n += 1
    return PhaseWork(tokens, attn, n)


def make_plan(
    reqs: Iterable[ScheduledReq], controller: SplitController, kv_usage: float
) -> PhasePlan:
    """Classify, then ask the controller for the split (only when both phases have work)."""
    pre, dec = classify(reqs)
    decision: SplitDecision = controller.decide(
        phase_work(pre) if pre else None, phase_work(dec) if dec else None, kv_usage
    )
    return PhasePlan(
        tuple(r.req_id for r in pre),
        tuple(r.req_id for r in dec),
        decision.prefill_sms,
        decision.decode_sms,
        decision.mode,
        kv_usage,
        decision.held,
    )


def resolve_profile(cfg: PartitionConfig, device_name: str | None, model: str | None) -> Profile:
    """The cost-model profile: ``partition.profile`` if set, else the shipped profile matching
    the device and model, else the H100/Llama-3.1-8B default (nominal off-GPU)."""
    from vllm_nexus.split.cost_model import builtin_profiles

    if cfg.profile:
        return load_profile(cfg.profile)
    path = find_builtin_profile(device_name, model)
    if path is None:
        path = builtin_profiles()[DEFAULT_PROFILE]
        logger.info(
            "vllm_nexus: no partition profile for device %r; using %s (SM numbers are nominal)",
            device_name,
            path.name,
        )
    return load_profile(path)


def build_controller(
    cfg: PartitionConfig, device_name: str | None = None, model: str | None = None
) -> SplitController:
    profile = resolve_profile(cfg, device_name, model)
    return SplitController(cfg, CostModel(profile))


def attach_plan(scheduler: Any, scheduler_output: Any) -> PhasePlan | None:
    """Plan the step's prefill/decode split and attach it to ``scheduler_output``.

    Call at the end of ``Scheduler.schedule()``. Reads ``scheduler.requests``,
    ``scheduler.kv_cache_manager.usage``, ``scheduler.nexus_cfg.partition`` and
    ``scheduler.split_device_name`` (the GPU's name, which picks the built-in profile; the
    adapter reads it from vLLM's platform). Returns None
    (and attaches nothing) when ``partition.split`` is ``off`` or ``auto``: ``auto`` runs
    unsplit in this release (overlap is opt-in: split=concurrent), so a plan would cost
    ~0.1-0.5 ms per step for nothing. The controller is created on first use and kept on the scheduler (its
    hysteresis state lives across steps).
    """
    cfg: PartitionConfig = scheduler.nexus_cfg.partition
    if cfg.split in ("off", "auto"):
        return None
    controller = getattr(scheduler, "_nexus_split_controller", None)
    if controller is None:
        model = getattr(getattr(scheduler, "vllm_config", None), "model_config", None)
        device = getattr(scheduler, "split_device_name", None)
        controller = build_controller(cfg, device, getattr(model, "model", None))
        scheduler._nexus_split_controller = controller
    spec = scheduler_output.scheduled_spec_decode_tokens
    reqs = []
    for req_id, n in scheduler_output.num_scheduled_tokens.items():
        request = scheduler.requests[req_id]
        # schedule() has already advanced num_computed_tokens by this step's tokens.
        reqs.append(
            ScheduledReq(
                req_id,
                n,
                request.num_computed_tokens - n,
                request.num_prompt_tokens,
                len(spec.get(req_id, ())),
            )
        )
    plan = make_plan(reqs, controller, float(scheduler.kv_cache_manager.usage))
    setattr(scheduler_output, PLAN_ATTR, plan)
    return plan


def get_plan(scheduler_output: Any) -> PhasePlan | None:
    return getattr(scheduler_output, PLAN_ATTR, None)


def _filter_cached(cached: Any, ids: set[str]) -> Any:
    keep = [i for i, rid in enumerate(cached.req_ids) if rid in ids]

    def pick(seq: list[Any]) -> list[Any]:
        return [seq[i] for i in keep] if seq else []

    return dataclasses.replace(
        cached,
        req_ids=pick(cached.req_ids),
        resumed_req_ids={r for r in cached.resumed_req_ids if r in ids},
        new_token_ids=pick(cached.new_token_ids),
        all_token_ids={k: v for k, v in cached.all_token_ids.items() if k in ids},
        new_block_ids=pick(cached.new_block_ids),
        num_computed_tokens=pick(cached.num_computed_tokens),
        num_output_tokens=pick(cached.num_output_tokens),
    )


def split_scheduler_output(so: Any, req_ids: Iterable[str], first: bool) -> Any:
    """The sub-step of ``so`` restricted to ``req_ids``.

    Step-global work (finished requests, freed encoder outputs, KV blocks to zero or copy,
    preemptions) goes with the ``first`` sub-step only, so it happens once and before either
    forward pass. The plan attribute is not copied.
    """
    ids = set(req_ids)
    num = {r: n for r, n in so.num_scheduled_tokens.items() if r in ids}
    changes: dict[str, Any] = dict(
        scheduled_new_reqs=[r for r in so.scheduled_new_reqs if r.req_id in ids],
        scheduled_cached_reqs=_filter_cached(so.scheduled_cached_reqs, ids),
        num_scheduled_tokens=num,
        total_num_scheduled_tokens=sum(num.values()),
        scheduled_spec_decode_tokens={
            r: t for r, t in so.scheduled_spec_decode_tokens.items() if r in ids
        },
        scheduled_encoder_inputs={r: v for r, v in so.scheduled_encoder_inputs.items() if r in ids},
    )
    if getattr(so, "num_invalid_spec_tokens", None):
        changes["num_invalid_spec_tokens"] = {
            r: v for r, v in so.num_invalid_spec_tokens.items() if r in ids
        }
    if not first:
        changes.update(
            finished_req_ids=set(),
            free_encoder_mm_hashes=[],
            preempted_req_ids=set() if so.preempted_req_ids is not None else None,
            new_block_ids_to_zero=None,
            kv_cache_block_copies=None,
            scheduled_encoder_input_stats=None,
        )
    sub = dataclasses.replace(so, **changes)
    sub.__dict__.pop(PLAN_ATTR, None)
    return sub
