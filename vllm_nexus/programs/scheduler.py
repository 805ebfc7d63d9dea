"""``vllm_nexus.Scheduler``: vLLM's scheduler, ordered and preempted by program (Autellix §4).

A thin adapter. The policy lives in :mod:`vllm_nexus.programs.queues` / :mod:`vllm_nexus.programs.table`;
this module feeds vLLM's requests into it and turns its answers into vLLM actions:

- ``add_request``: resolve the program id (:mod:`vllm_nexus.programs.identity`), register the call
  (its queue level comes from its program's attained service);
- ``schedule``: promote starving waiting calls, sort ``running`` best-first (so vLLM's own
  KV-pressure victim, ``running[-1]``, is the worst call), proactively preempt running calls of
  a worse level when a better waiting call cannot get a batch slot or KV blocks, then let vLLM
  build the batch — its waiting queue is a :class:`ProgramRequestQueue` ordered by level;
- ``update_from_output``: charge executed service (demoting calls past their quantum);
- ``_free_request``: finish (or, on abort, clean) the call and its program.

One dotted path serves both scheduling modes: ``Scheduler(...)`` returns an
:class:`AsyncScheduler` when vLLM runs with async scheduling (the GPU default).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from vllm.logger import init_logger
from vllm.v1.core.sched.async_scheduler import AsyncScheduler as _VllmAsyncScheduler
from vllm.v1.core.sched.output import SchedulerOutput
from vllm.v1.core.sched.request_queue import SchedulingPolicy
from vllm.v1.core.sched.scheduler import Scheduler as _VllmScheduler
from vllm.v1.request import Request, RequestStatus

from vllm_nexus.config import NexusConfig
from vllm_nexus.programs.identity import (
    PROGRAM_CLASS_KEY,
    THREAD_ID_KEY,
    resolve_program_id,
)
from vllm_nexus.programs.metrics import (
    EXPORT_INTERVAL_S,
    METRICS_DIR_ENV,
    SchedulerMetrics,
    SnapshotWriter,
)
from vllm_nexus.programs.queues import Call, MultiLevelQueue
from vllm_nexus.programs.request_queue import ProgramRequestQueue
from vllm_nexus.split.plan import attach_plan

logger = init_logger(f"vllm.{__name__}")

_COMPLETED = (
    RequestStatus.FINISHED_STOPPED,
    RequestStatus.FINISHED_LENGTH_CAPPED,
    RequestStatus.FINISHED_REPETITION,
)
_UNKNOWN_KEY = (1 << 30, 0.0, 0)


class Scheduler(_VllmScheduler):
    """Program-aware vLLM scheduler (Autellix §4, Alg. 1). See the module docstring."""

    def __new__(cls, vllm_config: Any = None, *args: Any, **kwargs: Any) -> Scheduler:
        if (
            cls is Scheduler
            and vllm_config is not None
            and getattr(vllm_config.scheduler_config, "async_scheduling", False)
        ):
            cls = AsyncScheduler
        return super().__new__(cls)

    def __init__(self, vllm_config: Any, *args: Any, **kwargs: Any) -> None:
        # Validate our config before vLLM allocates anything: a bad option stops startup.
        self.nexus_cfg = NexusConfig.from_additional_config(vllm_config.additional_config)
        self._set_kv_watermark(vllm_config)
        super().__init__(vllm_config, *args, **kwargs)
        cfg = self.nexus_cfg.scheduler
        self.clock: Callable[[], float] = time.monotonic
        """Seconds; injectable (tests, the simulator's virtual clock)."""
        self.mlq = MultiLevelQueue(cfg)
        self.program_aware = cfg.policy != "fcfs"
        split_on = self.nexus_cfg.partition.split in ("sequential", "concurrent")
        self._spf_aging = self.nexus_cfg.partition.spf_aging_per_s if split_on else None
        """Inside a level: FCFS, or shortest-remaining-prompt-first with aging when the
        prefill/decode split is on (Nexus §4.4): score = remaining - aging * age."""
        engine = str(getattr(vllm_config.parallel_config, "data_parallel_index", 0) or 0)
        self.nexus_metrics = SchedulerMetrics(engine=engine, policy=cfg.policy)
        self._snapshots = SnapshotWriter(os.environ.get(METRICS_DIR_ENV), engine)
        self._steps: OrderedDict[int, tuple[float, dict[str, float]]] = OrderedDict()
        self._last_charge = float("-inf")
        self._warned_ids = 0
        self._levels_version = self.mlq.version
        self._dropped_kv: dict[str, int] = {}
        """Request id -> tokens whose KV a preemption dropped, until they are computed again
        (for the recompute-after-preemption counters)."""
        if self.program_aware:
            if self.policy != SchedulingPolicy.FCFS:
                logger.warning(
                    "vllm_nexus: --scheduling-policy %s is ignored; calls are ordered by "
                    "program (policy=%s)",
                    self.policy.value,
                    cfg.policy,
                )
            # vLLM's KV-pressure victim is then running[-1], which we keep the worst call.
            self.policy = SchedulingPolicy.FCFS
            self.waiting = ProgramRequestQueue(self._request_key)
            self.kv_holding_waiting = ProgramRequestQueue(self._request_key)
        logger.info(
            "vllm_nexus scheduler %s: policy=%s levels=%d first_boundary=%g quantum=%g "
            "unit=%s beta=%g preemption=%s",
            type(self).__name__,
            cfg.policy,
            self.mlq.num_levels,
            cfg.first_boundary,
            cfg.first_quantum,
            cfg.service_unit,
            cfg.starvation_beta,
            cfg.preemption,
        )
        self._export(force=True)

    def _set_kv_watermark(self, vllm_config: Any) -> None:
        """Admission headroom (vLLM's own ``--watermark``): when the user left it at 0, keep
        ``kv_watermark`` of the KV blocks free when admitting waiting calls, so running calls
        can grow without being preempted and recomputed (KV-bound regime)."""
        cfg = self.nexus_cfg.scheduler
        sc = vllm_config.scheduler_config
        if cfg.policy != "fcfs" and cfg.kv_watermark > 0 and not getattr(sc, "watermark", 0.0):
            sc.watermark = cfg.kv_watermark

    # -- ordering -----------------------------------------------------------------------
    def _request_key(self, request: Request) -> tuple:
        """Queue level first; inside a level FCFS or SPF-with-aging. ``remaining + aging *
        arrival`` orders like ``remaining - aging * age`` but does not change over time."""
        call = self.mlq.calls.get(request.request_id)
        if call is None:
            return _UNKNOWN_KEY
        if self._spf_aging is None:
            return (call.level, 0.0, call.seq)
        remaining = request.num_tokens - request.num_computed_tokens
        return (call.level, remaining + self._spf_aging * call.arrival, call.seq)

    def _running_key(self, request: Request) -> tuple:
        """Running calls: level first; inside a level the call with the most computed tokens
        first, so vLLM's KV-pressure victim (``running[-1]``) is, of the worst level, the call
        that loses the least computed work."""
        call = self.mlq.calls.get(request.request_id)
        if call is None:
            return _UNKNOWN_KEY
        return (call.level, -request.num_computed_tokens, call.seq)

    # -- vLLM hooks ---------------------------------------------------------------------
    def add_request(self, request: Request) -> None:
        if request.request_id not in self.requests:
            params = request.sampling_params
            extra = getattr(params, "extra_args", None) if params is not None else None
            pid, problem = resolve_program_id(
                extra,
                getattr(request, "session_id", None),
                request.request_id,
                self.nexus_cfg.scheduler.max_program_id_length,
            )
            if problem:
                self.nexus_metrics.invalid_program_ids += 1
                if self._warned_ids < 5:
                    self._warned_ids += 1
                    logger.warning(
                        "vllm_nexus: request %s: ignoring malformed program id (%s); using %s",
                        request.request_id,
                        problem,
                        pid,
                    )
            call = self.mlq.add(
                request.request_id, pid, self.clock(), self._program_class(pid, extra, request)
            )
            if extra and isinstance(extra.get(THREAD_ID_KEY), str):
                call.thread_id = extra[THREAD_ID_KEY][:256]
        super().add_request(request)

    def _program_class(self, pid: str, extra: Any, request: Request) -> str | None:
        """Agent type of a new program (gittins learns sizes per class): ``vllm_xargs.
        program_class``, else a hash of the first prompt tokens (the agent's system prompt /
        template). Only computed for a program's first call; None when not needed."""
        if self.mlq.sizes is None or pid in self.mlq.programs:
            return None
        cls = extra.get(PROGRAM_CLASS_KEY) if extra else None
        if isinstance(cls, str) and cls:
            return "x:" + cls[: self.nexus_cfg.scheduler.max_program_id_length]
        n = self.nexus_cfg.scheduler.program_class_prefix_tokens
        ids = request.prompt_token_ids
        if n <= 0 or ids is None or len(ids) < n:
            return None
        return f"h:{hash(tuple(ids[:n])):x}"

    def schedule(self, *args: Any, **kwargs: Any) -> SchedulerOutput:
        now = self.clock()
        if self.program_aware:
            self._prepare_step(now)
        out = super().schedule(*args, **kwargs)
        self._record_step(out, now)
        # step-plan hook (Nexus)
        attach_plan(self, out)
        return out

    def update_from_output(self, scheduler_output: SchedulerOutput, model_runner_output: Any):
        now = self.clock()
        self._charge(scheduler_output, now)
        result = super().update_from_output(scheduler_output, model_runner_output)
        self._export(now=now)
        return result

    def _free_request(self, request: Request, delay_free_blocks: bool = False) -> Any:
        completed = request.status in _COMPLETED
        call = self.mlq.finish(
            request.request_id,
            self.clock(),
            aborted=not completed,
            output_tokens=request.num_output_tokens,
        )
        if call is not None:
            m = self.nexus_metrics
            if completed:
                m.calls_completed += 1
                m.observe_program_service(call.program.service)
            else:
                m.calls_aborted += 1
        self._dropped_kv.pop(request.request_id, None)
        return super()._free_request(request, delay_free_blocks)

    def _preempt_request(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        # Every preemption (ours, vLLM's KV-pressure one, prefix-cache reset) goes through
        # here: remember how far the request had computed, to count what is recomputed.
        dropped = request.num_computed_tokens
        if dropped > 0:
            rid = request.request_id
            self._dropped_kv[rid] = max(self._dropped_kv.get(rid, 0), dropped)
            self.nexus_metrics.preempted_tokens += dropped
        return super()._preempt_request(request, *args, **kwargs)

    # -- policy steps ---------------------------------------------------------------------
    def _prepare_step(self, now: float) -> None:
        """Anti-starvation, running order and proactive preemption (Alg. 1, lines 8-20)."""
        calls = self.mlq.calls
        waiting_calls = [c for r in self.waiting.unordered() if (c := calls.get(r.request_id))]
        reorder = False
        if self.mlq.version != self._levels_version:
            # levels or learned-size ranks were rebuilt (every few dozen calls, not per step)
            self._levels_version = self.mlq.version
            reorder = self.mlq.relevel(waiting_calls)
        self.mlq.observe_load(len(self.waiting), len(self.running), now)
        if self.mlq.promote_starving(waiting_calls, now) or reorder:
            self.waiting.reorder()
        self.running.sort(key=self._running_key)
        if not self.waiting or not self.nexus_cfg.scheduler.preemption:
            return
        free_slots = self.max_num_active_reqs - len(self.running)
        limit = self.nexus_cfg.scheduler.max_preemptions_per_step
        best_waiting = [
            c
            for r in self.waiting.smallest(max(free_slots, 0) + limit)
            if (c := calls.get(r.request_id))
        ]
        running_calls = [c for r in self.running if (c := calls.get(r.request_id))]
        victims = self.mlq.pick_victims(
            best_waiting, running_calls, free_slots, self._slot_recompute_estimator(best_waiting)
        )
        if not victims and free_slots > 0 and best_waiting:
            victims = self._kv_victims(best_waiting[0], running_calls)
        for call in victims:
            self._preempt_call(call, now)

    def _blocks_needed(self, call: Call) -> int:
        """KV blocks a waiting call's first chunk needs (prefix-cache hits not deducted)."""
        request = self.requests.get(call.call_id)
        if request is None:
            return 0
        first_chunk = min(request.num_tokens, self.max_num_scheduled_tokens)
        return -(-first_chunk // self.block_size) + 1

    def _slot_recompute_estimator(self, waiting: list[Call]) -> Callable[[Call], float]:
        """Tokens a running call would compute again if it gave up its batch slot now: only
        its last partial block while the KV cache has room for the newcomers (the prefix
        cache keeps the full blocks), all its computed tokens when it has not (its blocks
        would be reused before it resumes)."""
        free = self.kv_cache_manager.block_pool.get_num_free_blocks()
        tight = free < sum(self._blocks_needed(c) for c in waiting)
        requests = self.requests

        def estimate(call: Call) -> float:
            req = requests.get(call.call_id)
            if req is None:
                return 0.0
            computed = req.num_computed_tokens
            return float(computed if tight else computed % self.block_size)

        return estimate

    def _kv_victims(self, head: Call, running: list[Call]) -> list[Call]:
        """Worse-level running calls whose blocks the best waiting call needs (Alg. 1: the
        batch is rebuilt in queue order, whatever limits it), if worth their recompute: the
        newcomer takes their blocks, so all their computed tokens are lost."""
        need = self._blocks_needed(head)
        free = self.kv_cache_manager.block_pool.get_num_free_blocks()
        victims: list[Call] = []
        for call in reversed(running):
            if free >= need or len(victims) >= self.nexus_cfg.scheduler.max_preemptions_per_step:
                break
            if call.level <= head.level:
                break
            req = self.requests.get(call.call_id)
            if req is None or not self.mlq.worth_preempting(call, head, req.num_computed_tokens):
                continue
            victims.append(call)
            free += len(self.kv_cache_manager.get_block_ids(call.call_id)[0])
        return victims if free >= need else []

    def _preempt_call(self, call: Call, now: float) -> None:
        request = self.requests.get(call.call_id)
        if (
            request is None
            or request.status != RequestStatus.RUNNING
            or not self._request_blocks_can_be_freed(request)
        ):
            return
        self.running.remove(request)
        self._preempt_request(request, time.monotonic())
        self.mlq.set_waiting(call, now, preempted=True)
        self.nexus_metrics.preemptions_proactive += 1

    def _record_step(self, out: SchedulerOutput, now: float) -> None:
        """Track running/waiting transitions and the service each scheduled call will get."""
        calls = self.mlq.calls
        for rid in out.preempted_req_ids:
            call = calls.get(rid)
            if call is not None and call.running:
                self.mlq.set_waiting(call, now, preempted=True)
                self.nexus_metrics.preemptions_kv += 1
        costs: dict[str, float] = {}
        tokens_unit = self.nexus_cfg.scheduler.service_unit == "tokens"
        w = self.nexus_cfg.scheduler.prefill_token_weight
        dropped_kv = self._dropped_kv
        for rid, n in out.num_scheduled_tokens.items():
            if rid in dropped_kv:
                # tokens below the pre-preemption frontier are recomputed (what the prefix
                # cache restored is skipped by vLLM and never scheduled)
                high = dropped_kv[rid]
                before = self.requests[rid].num_computed_tokens - n
                self.nexus_metrics.recomputed_tokens += max(0, min(before + n, high) - before)
                if before + n >= high:
                    del dropped_kv[rid]
            call = calls.get(rid)
            if call is None:
                continue
            self.mlq.set_running(call, now)
            if tokens_unit:
                req = self.requests[rid]
                before = req.num_computed_tokens - n
                prefill = max(0, min(n, req.num_tokens - 1 - before))
                costs[rid] = (n - prefill) + w * prefill
            else:
                costs[rid] = 0.0
        if costs:
            self._steps[id(out)] = (now, costs)
            while len(self._steps) > 16:  # outputs that never came back (engine reset)
                self._steps.popitem(last=False)

    def _charge(self, out: SchedulerOutput, now: float) -> None:
        """Charge executed service: tokens, or the step's executor time to each call in it."""
        step = self._steps.pop(id(out), None)
        if step is None:
            return
        scheduled_at, costs = step
        if self.nexus_cfg.scheduler.service_unit == "time":
            dt = max(0.0, now - max(scheduled_at, self._last_charge))
            costs = dict.fromkeys(costs, dt)
        self._last_charge = now
        calls = self.mlq.calls
        for rid, cost in costs.items():
            call = calls.get(rid)
            if call is not None:
                self.nexus_metrics.service_total += cost
                if self.mlq.charge(call, cost):
                    self.nexus_metrics.demotions += 1

    # -- metrics ----------------------------------------------------------------------------
    def _export(self, now: float | None = None, force: bool = False) -> None:
        """Write the metrics snapshot: at most every 0.5 s, and whenever the engine is idle."""
        if self._snapshots.path is None:
            return
        now = self.clock() if now is None else now
        idle = not self.running and not self.waiting
        if not (force or idle) and now - self._snapshots.last_write < EXPORT_INTERVAL_S:
            return
        m = self.nexus_metrics
        waiting = [0] * self.mlq.num_levels
        running = [0] * self.mlq.num_levels
        for call in self.mlq.calls.values():
            (running if call.running else waiting)[call.level] += 1
        m.waiting_by_level, m.running_by_level = waiting, running
        m.known_programs = len(self.mlq.programs)
        m.active_programs = self.mlq.programs.active_programs
        m.starvation_promotions = self.mlq.promotions_total
        m.programs_evicted = self.mlq.programs.evicted_total
        m.level_first_boundary = self.mlq.levels.first
        m.starvation_threshold = self.mlq.starvation_threshold
        table = self.mlq.sizes.global_table if self.mlq.sizes else None
        m.size_samples = table.samples if table else 0
        self._snapshots.write(m, now)


class AsyncScheduler(Scheduler, _VllmAsyncScheduler):
    """The same policy under vLLM's async scheduling (selected automatically)."""
