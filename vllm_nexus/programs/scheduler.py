"""``vllm_nexus.Scheduler``: vLLM's scheduler, ordered and preempted by program (Autellix §4).

A thin adapter. The policy lives in :mod:`vllm_nexus.programs.queues` / :mod:`vllm_nexus.programs.table`;
this module feeds vLLM's requests into it and turns its answers into vLLM actions:

- ``add_request``: resolve the program id (:mod:`vllm_nexus.programs.identity`; a call that
  names none may join the program it continues, :mod:`vllm_nexus.programs.lineage`), register
  the call (its queue level comes from its program's attained service), note a program-end
  marker;
- ``schedule``: promote starving waiting calls (a heap of starvation deadlines), keep ``running`` in queue order (so vLLM's own
  KV-pressure victim, ``running[-1]``, is the worst call), proactively preempt running calls of
  a worse level when a better waiting call cannot get a batch slot or KV blocks, then let vLLM
  build the batch — its waiting queue is a :class:`ProgramRequestQueue` ordered by level;
- ``update_from_output``: charge executed service (demoting calls past their quantum);
- ``_free_request``: finish (or, on abort, clean) the call and its program.

One dotted path serves both scheduling modes: ``Scheduler(...)`` returns an
:class:`AsyncScheduler` when vLLM runs with async scheduling (the GPU default).
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
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

from vllm_nexus.config import NexusConfig, profile_choice, vllm_nexus_section
from vllm_nexus.programs.assignment import ProgramAssigner
from vllm_nexus.programs.charging import StepCharging
from vllm_nexus.programs.decode_charge import DecodeCharges
from vllm_nexus.programs.identity import (
    PROGRAM_CLASS_KEY,
    THREAD_ID_KEY,
    program_end_of,
    resolve_program_id,
    size_hint_of,
)
from vllm_nexus.programs.metrics import (
    EXPORT_INTERVAL_S,
    METRICS_DIR_ENV,
    SchedulerMetrics,
    SnapshotWriter,
)
from vllm_nexus.programs.preemption import recompute_tokens
from vllm_nexus.programs.queues import Call, MultiLevelQueue
from vllm_nexus.programs.request_queue import ProgramRequestQueue
from vllm_nexus.programs.tenant_identity import SECRET_ENV, tenant_of_call
from vllm_nexus.programs.tenants import OTHER
from vllm_nexus.split.plan import attach_plan

logger = init_logger(f"vllm.{__name__}")

_COMPLETED = (
    RequestStatus.FINISHED_STOPPED,
    RequestStatus.FINISHED_LENGTH_CAPPED,
    RequestStatus.FINISHED_REPETITION,
)
_UNKNOWN_KEY = (1 << 30, 0.0, 0)
_RUNNING_KEY = "_nexus_running_key"
"""Attribute on a vLLM request in ``running``: the (tier, level, admission) key it was
inserted with (:meth:`Scheduler._insert_running`)."""
_carried_key = operator.attrgetter(_RUNNING_KEY)
"""The carried key, read in C (AttributeError for a request that carries none)."""


def _check_kv_offload(nexus_cfg: NexusConfig, vllm_config: Any) -> bool:
    """``vllm_nexus.kv_offload`` against this engine (a startup error naming the option on a
    non-CUDA platform or without the matching KV connector)."""
    if nexus_cfg.kv_offload.host_gib <= 0:
        return False
    from vllm.platforms import current_platform

    from vllm_nexus import kv_offload

    return kv_offload.check_engine(
        nexus_cfg.kv_offload,
        kv_offload.engine_transfer_dict(vllm_config.kv_transfer_config),
        current_platform.is_cuda(),
        str(getattr(current_platform, "device_type", "unknown")),
    )


def vllm_platform() -> str:
    """vLLM's platform as ``scheduler.profile: auto`` reads it: ``cuda``, ``rocm``, else the
    platform's device type (``cpu``, ``xpu``, ``tpu``, ...)."""
    from vllm.platforms import current_platform

    if current_platform.is_cuda():
        return "cuda"
    if current_platform.is_rocm():
        return "rocm"
    return str(getattr(current_platform, "device_type", "") or "unknown")


def _gpu_name() -> str | None:
    """The CUDA / ROCm device's name (None on other platforms, or when vLLM cannot say)."""
    from vllm.platforms import current_platform

    try:
        return current_platform.get_device_name() if current_platform.is_cuda_alike() else None
    except Exception:  # noqa: BLE001 - optional: no name means the default profile
        return None


def _batch_order(scheduled: dict[str, int]) -> Callable[[Any], int]:
    """A call's position in a step's batch (built on first use: only when several calls are
    due in one step)."""
    pos: dict[str, int] = {}

    def order(call: Any) -> int:
        if not pos:
            pos.update(zip(scheduled, itertools.count()))
        return pos.get(call.call_id, len(scheduled))

    return order


class Scheduler(StepCharging, _VllmScheduler):
    """Program-aware vLLM scheduler (Autellix §4, Alg. 1). See the module docstring."""

    _nexus_ready = False
    """True once ``__init__`` has finished. vLLM code may call our overrides on an instance
    that is not (fully) constructed: from inside vLLM's ``__init__``, or on an instance made
    with ``object.__new__`` (vLLM's tests do); until then every hook is plain vLLM."""
    clock: Callable[[], float] = staticmethod(time.monotonic)
    """Seconds; injectable per instance (tests, the simulator's virtual clock)."""

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
        # All our state exists before vLLM's __init__ runs (it may call overridden methods).
        self._nexus_ready = False
        platform = vllm_platform()
        self.nexus_cfg = NexusConfig.from_additional_config(vllm_config.additional_config, platform)
        self.nexus_profile = profile_choice(
            vllm_nexus_section(vllm_config.additional_config), platform
        )
        """How ``scheduler.profile`` resolved (logged at startup)."""
        self._set_kv_watermark(vllm_config)
        self.kv_offload = _check_kv_offload(self.nexus_cfg, vllm_config)
        """The engine swaps KV to a host tier (``vllm_nexus.kv_offload``, CUDA only)."""
        cfg = self.nexus_cfg.scheduler
        self.clock: Callable[[], float] = time.monotonic
        """Seconds; injectable (tests, the simulator's virtual clock)."""
        self.mlq = MultiLevelQueue(cfg, self.nexus_cfg.tenants)
        self._tenant_secret = os.environ.get(SECRET_ENV)
        """Verifies the tenant tags the HTTP middleware stamps (``tenant_identity``)."""
        self.assigner = ProgramAssigner(cfg)
        """Explicit id, else lineage inference, else a program of its own (+ counts)."""
        self.program_aware = cfg.policy != "fcfs"
        self.priority_tiers = False
        """``--scheduling-policy priority``: strict tiers by request priority, program order
        inside a tier."""
        split_on = self.nexus_cfg.partition.split in ("sequential", "concurrent")
        self._spf_aging = self.nexus_cfg.partition.spf_aging_per_s if split_on else None
        """Inside a level: FCFS, or shortest-remaining-prompt-first with aging when the
        prefill/decode split is on (Nexus §4.4): score = remaining - aging * age."""
        self._level_rank = self.mlq.order_sizes is not None
        """``level_order: rank`` (under the split's SPF order that one decides instead)."""
        engine = str(getattr(vllm_config.parallel_config, "data_parallel_index", 0) or 0)
        self.nexus_metrics = SchedulerMetrics(engine=engine, policy=cfg.policy)
        self._snapshots = SnapshotWriter(os.environ.get(METRICS_DIR_ENV), engine)
        self._steps: OrderedDict[int, tuple[float, dict[str, float]]] = OrderedDict()
        self._last_charge = float("-inf")
        self._warned_ids = 0
        self._dropped_kv: dict[str, int] = {}
        """Request id -> tokens whose KV a preemption dropped, until they are computed again
        (for the recompute-after-preemption counters)."""
        self._recomputing: set[str] = set()
        """Ids in ``_dropped_kv`` admitted again since their preemption (only those can be
        scheduled, so only those are checked each step)."""
        self._prefilling: dict[str, None] = {}
        """Running requests with prompt tokens left (their chunks cost prefill weight), an
        ordered set in admission order (iteration must not depend on the hash seed)."""
        self._admissions = itertools.count()
        self._levels_version = self.mlq.version
        self._decode: DecodeCharges | None = None
        """Decoding calls charged lazily (tokens unit, one token per decode step)."""
        self._plan_steps = self.nexus_cfg.partition.split not in ("off", "auto")
        """A step plan is attached to each step (:func:`attach_plan`; off and auto plan none)."""
        self.split_device_name = _gpu_name() if self._plan_steps else None
        """The GPU's name: it picks the step plan's built-in cost profile (:func:`attach_plan`)."""
        self._preempt_limit = cfg.max_preemptions_per_step if cfg.preemption else 0
        """Proactive preemptions allowed per step (0: none). The config is frozen: per-step
        code reads these plain attributes instead of walking the config each step."""
        self._time_unit = cfg.service_unit == "time"
        self._tokens_unit = cfg.service_unit == "tokens"
        self._prefill_extra = cfg.prefill_token_weight - 1.0
        self._ahead_own_level = cfg.recompute_ahead == "level"
        """The recompute estimate counts the victim's own level as queued ahead of it."""
        self._withhold_unproven = cfg.unproven_preemption is not True and cfg.policy != "mlfq"
        """Calls of unproven programs may not preempt (``unproven_preemption``). Not under
        ``mlfq``: every call enters level 0 whatever its program, so a missing id buys no
        priority to withhold, and a withheld head would only stop the calls behind it."""
        super().__init__(vllm_config, *args, **kwargs)
        if (
            cfg.service_unit == "tokens"
            and self.mlq.sizes is None  # gittins re-ranks on every quantum[0]: per step
            and not getattr(self, "num_spec_tokens", 0)  # rejected drafts: per step
            and getattr(self, "num_sampled_tokens_per_step", 1) == 1
        ):
            self._decode = DecodeCharges(self.mlq)
        if self.program_aware:
            self.priority_tiers = self.policy == SchedulingPolicy.PRIORITY
            # vLLM's KV-pressure victim is then running[-1], which we keep the worst call
            # (running is kept in queue order: tier, level, FCFS).
            self.policy = SchedulingPolicy.FCFS
            self.waiting = ProgramRequestQueue(self._request_key)
            self.kv_holding_waiting = ProgramRequestQueue(self._request_key)
        logger.info(
            "vllm_nexus scheduler %s: %s; policy=%s priority_tiers=%s levels=%d "
            "first_boundary=%g quantum=%g unit=%s beta=%g preemption=%s",
            type(self).__name__,
            self.nexus_profile.describe(),
            cfg.policy,
            self.priority_tiers,
            self.mlq.num_levels,
            cfg.first_boundary,
            cfg.first_quantum,
            cfg.service_unit,
            cfg.starvation_beta,
            cfg.preemption,
        )
        self._nexus_ready = True
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
        """Waiting order: tier, queue level, then FCFS or SPF-with-aging inside the level.
        ``remaining + aging * arrival`` orders like ``remaining - aging * age`` but does not
        change over time."""
        call = self.mlq.calls.get(request.request_id)
        if call is None:
            return _UNKNOWN_KEY
        if self._spf_aging is None:  # Call.order_key(), inline: once per queue insertion
            if self._level_rank:
                return (call.tier, call.level, self.mlq.level_position(call), call.seq)
            return (call.tier, call.level, call.enter, call.seq)
        remaining = request.num_tokens - request.num_computed_tokens
        return (call.tier, call.level, remaining + self._spf_aging * call.arrival, call.seq)

    def _running_key(self, request: Request) -> tuple:
        """Running order (best first): tier, level, then admission order (vLLM's own order
        of ``running``). ``running[-1]`` is vLLM's KV-pressure victim: the most recently
        admitted call of the worst (tier, level)."""
        call = self.mlq.calls.get(request.request_id)
        return _UNKNOWN_KEY if call is None else (call.tier, call.level, call.admitted)

    def _placed_key(self, request: Request) -> tuple:
        """The key ``request`` was placed in ``running`` with (:data:`_RUNNING_KEY`); its
        current :meth:`_running_key` if something else put it there (vLLM before our
        ``__init__`` finished, a test)."""
        try:
            return request._nexus_running_key  # type: ignore[attr-defined]
        except AttributeError:
            return self._running_key(request)

    def _insert_running(self, requests: list[Request], admitted: bool = False) -> None:
        """Put ``requests`` (not in ``running``) at their place: O(k log n), no full sort.

        Each request carries the key it was inserted with (:data:`_RUNNING_KEY`), so the
        bisection reads one attribute per probe instead of looking the call up. A running
        call's key only changes by a demotion, and every demotion moves the call (out with
        its old key, in with its new one) before ``running`` is searched again, so the
        carried keys are the current ones whenever a bisection runs."""
        calls, running = self.mlq.calls, self.running
        for request in requests:
            call = calls.get(request.request_id)
            if call is None:
                key = _UNKNOWN_KEY
            else:
                if admitted:
                    call.admitted = next(self._admissions)
                key = (call.tier, call.level, call.admitted)
            request._nexus_running_key = key  # type: ignore[attr-defined]
            try:  # every request in `running` carries its key: read in C, no call per probe
                bisect.insort(running, request, key=_carried_key)
            except AttributeError:  # one placed by something else (nothing inserted yet)
                bisect.insort(running, request, key=self._placed_key)

    def _remove_running(self, request: Request) -> None:
        """Take ``request`` out of ``running`` (ValueError if it is not there). ``running``
        is kept sorted by the keys its requests were inserted with, so its place is found by
        bisection at its own (O(log n) instead of ``list.remove``'s scan comparing every
        request). Falls back to the scan for a request not placed by :meth:`_insert_running`
        (the identity check makes any miss safe)."""
        running = self.running
        key = getattr(request, _RUNNING_KEY, None)
        if key is not None:
            try:
                i = bisect.bisect_left(running, key, key=_carried_key)
            except AttributeError:
                i = bisect.bisect_left(running, key, key=self._placed_key)
            if i < len(running) and running[i] is request:
                del running[i]
                return
        running.remove(request)

    # -- vLLM hooks ---------------------------------------------------------------------
    def add_request(self, request: Request) -> None:
        if self._nexus_ready and request.request_id not in self.requests:
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
                self._warn_malformed(request, "program id", f"{problem}; using {pid}")
            tenant = self._tenant_of(extra)
            pid = self.assigner.assign(request, pid, self.clock(), tenant)  # id/lineage/solo
            hint, hint_problem = size_hint_of(extra)
            if hint_problem:  # (the HTTP edges answer these with 400)
                self.nexus_metrics.invalid_size_hints += 1
                self._warn_malformed(request, "size hint", hint_problem)
            call = self.mlq.add(
                request.request_id,
                pid,
                self.clock(),
                tenant_id=tenant,
                arrival_time=request.arrival_time,
                tier=request.priority if self.priority_tiers else 0,
                program_class=self._program_class(pid, extra, request),
                size_hint=hint,
            )
            if self._withhold_unproven:
                call.may_preempt = not self.assigner.last_unproven(pid)
            if extra and isinstance(extra.get(THREAD_ID_KEY), str):
                call.thread_id = extra[THREAD_ID_KEY][:256]
            self._end_program_if_marked(extra, pid)
        super().add_request(request)

    def _warn_malformed(self, request: Request, what: str, detail: str) -> None:
        """Log a malformed ``vllm_xargs`` field of ``request`` (the first 5 per engine: a
        misbehaving client must not flood the log; the metrics count every one)."""
        if self._warned_ids < 5:
            self._warned_ids += 1
            logger.warning(
                "vllm_nexus: request %s: ignoring malformed %s (%s)",
                request.request_id,
                what,
                detail,
            )

    def _program_class(self, pid: str, extra: Any, request: Request) -> str | None:
        """Agent type of a new program (gittins and ``preemption_size_check`` learn sizes per
        class): ``vllm_xargs.
        program_class``, else a hash of the first prompt tokens (the agent's system prompt /
        template). Only computed for a program's first call; None when not needed."""
        mlq = self.mlq
        if (mlq.sizes is None and mlq.size_gate is None and mlq.order_sizes is None) or (
            pid in mlq.programs
        ):
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
        if not self._nexus_ready:
            return super().schedule(*args, **kwargs)
        now = self.clock()
        if self.program_aware:
            self._prepare_step(now)
        num_running = len(self.running)
        out = super().schedule(*args, **kwargs)
        if self.program_aware and len(self.running) > num_running:
            # vLLM appended this step's admissions (a step that preempted admits none)
            admitted = self.running[num_running:]
            del self.running[num_running:]
            self._insert_running(admitted, admitted=True)
        self._record_step(out, now)
        if self._plan_steps:  # step-plan hook (Nexus)
            attach_plan(self, out)
        return out

    def update_from_output(self, scheduler_output: SchedulerOutput, model_runner_output: Any):
        if not self._nexus_ready:
            return super().update_from_output(scheduler_output, model_runner_output)
        now = self.clock()
        self._charge(scheduler_output, now)
        result = super().update_from_output(scheduler_output, model_runner_output)
        decode = self._decode
        if decode is not None and decode.has_due():  # this step's tokens are now behind
            order = _batch_order(scheduler_output.num_scheduled_tokens)  # the frontiers
            demoted = decode.due(self._frontier, now, order)
            if demoted:
                self._move_demoted(demoted)
        if self._snapshots.path is not None:
            self._export(now=now)
        return result

    def _free_request(self, request: Request, delay_free_blocks: bool = False) -> Any:
        if self._nexus_ready:
            completed = request.status in _COMPLETED
            now = self.clock()
            if self._decode is not None:
                self._stop_decoding(request, preempted=False, now=now)
            call = self.mlq.finish(
                request.request_id,
                now,
                aborted=not completed,
                output_tokens=request.num_output_tokens,
            )
            if call is not None:
                tenant = call.tenant.tenant_id if call.tenant is not None else ""
                self.assigner.finished(request, call.program.program_id, completed, now, tenant)
                m = self.nexus_metrics
                if completed:
                    m.calls_completed += 1
                    m.observe_program_service(call.program.service)
                else:
                    m.calls_aborted += 1
            if self._dropped_kv:  # (_recomputing is a subset of its keys)
                self._dropped_kv.pop(request.request_id, None)
                self._recomputing.discard(request.request_id)
            if self._prefilling:
                self._prefilling.pop(request.request_id, None)
        return super()._free_request(request, delay_free_blocks)

    def _preempt_request(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        # Every preemption (ours, vLLM's KV-pressure one, prefix-cache reset) goes through
        # here: remember how far the request had computed, to count what is recomputed.
        if self._nexus_ready:
            if self._decode is not None:  # before vLLM resets its counters
                self._stop_decoding(request, preempted=True)
            dropped = request.num_computed_tokens
            if dropped > 0:
                rid = request.request_id
                self._dropped_kv[rid] = max(self._dropped_kv.get(rid, 0), dropped)
                self.nexus_metrics.preempted_tokens += dropped
        return super()._preempt_request(request, *args, **kwargs)

    def _end_program_if_marked(self, extra: Any, program_id: str) -> None:
        """``vllm_xargs.program_end`` (or ``x-dynamo-session-final`` via the HTTP edge): the
        program is released once its active calls complete (docs/programs.md)."""
        end, problem = program_end_of(extra)
        if problem:
            self.nexus_metrics.invalid_program_ids += 1
        elif end:
            self.mlq.programs.end_program(program_id, self.clock())

    # -- policy steps ---------------------------------------------------------------------
    def _prepare_step(self, now: float) -> None:
        """Anti-starvation and proactive preemption (Alg. 1, lines 8-20). O(batch + log n):
        starving calls come from a heap of deadlines, the best waiting calls from the top of
        the waiting heap, victims from the tail of ``running`` (kept in queue order)."""
        mlq, waiting, running = self.mlq, self.waiting, self.running
        moved = mlq.promote_due(now)
        if mlq._moved:
            moved += mlq.take_moved()
        if mlq.version != self._levels_version:
            # levels or learned-size ranks were rebuilt (every few dozen calls, not per step)
            self._levels_version = mlq.version
            moved += mlq.relevel_all(now)  # the waiting ones whose level moved
            if self._decode is not None:  # quanta moved: decoding calls' crossings too
                self._move_demoted(self._decode.refile(self._frontier, now))
        if moved:
            requests = self.requests
            moved_requests = [r for call in moved if (r := requests.get(call.call_id)) is not None]
            waiting.update_many(moved_requests)
            if self.kv_holding_waiting:
                self.kv_holding_waiting.update_many(moved_requests)
        num_waiting = len(waiting)
        mlq.observe_load(num_waiting, len(running), now)
        limit = self._preempt_limit
        if not num_waiting or not running or limit <= 0:
            return
        calls = mlq.calls
        head = calls.get(waiting.peek_request().request_id)
        worst = calls.get(running[-1].request_id)
        if head is None or worst is None or (worst.tier, worst.level) <= (head.tier, head.level):
            return  # no running call is strictly worse than the best waiting one
        free_slots = self.max_num_active_reqs - len(running)
        victims: list[Call] = []
        if num_waiting > max(free_slots, 0):
            # read lazily: the pick usually stops at the first waiting call past the free slots
            best_waiting = (
                c
                for r in waiting.best(max(free_slots, 0) + limit)
                if (c := calls.get(r.request_id)) is not None
            )
            running_tail = [c for r in running[-limit:] if (c := calls.get(r.request_id))]
            victims = self.mlq.pick_victims(
                best_waiting,
                running_tail,
                free_slots,
                self._recompute_estimator(),
                self._call_service,
            )
        if not victims and free_slots > 0:
            victims = self._kv_victims(head)
        for call in victims:
            self._preempt_call(call, now)

    def _blocks_needed(self, call: Call) -> int:
        """KV blocks vLLM allocates for a waiting call's first chunk."""
        request = self.requests.get(call.call_id)
        if request is None:
            return 0
        first_chunk = min(request.num_tokens, self.max_num_scheduled_tokens)
        return -(-first_chunk // self.block_size)

    def _recompute_estimator(self) -> Callable[[Call], float]:
        """Tokens a running call would compute again if it gave up its batch slot now
        (:func:`~vllm_nexus.programs.preemption.recompute_tokens`): its last partial block
        while the KV cache's free and evictable blocks cover what the waiting calls admitted
        before it (those of a better (tier, level), and with ``recompute_ahead: level`` those
        of its own level too, which it rejoins at the back of) will take before it is
        re-admitted, up to all its computed tokens when they do not (its blocks are reused
        before it resumes). O(levels) per candidate: per-level counts kept by the waiting
        queue, no walk of the queue."""
        free = self.kv_cache_manager.block_pool.get_num_free_blocks()
        requests, block, queue = self.requests, self.block_size, self.waiting
        own = 1 if self._ahead_own_level else 0  # (tier, level + 1): its own level too
        # (tier, level) -> queue.ahead of it: the candidates of one pick share a few levels,
        # and the queue does not change during the pick (an estimator is made per pick)
        aheads: dict[tuple[int, int], tuple[int, int]] = {}

        def estimate(call: Call) -> float:
            req = requests.get(call.call_id)
            if req is None:
                return 0.0
            group = (call.tier, call.level + own)
            ahead = aheads.get(group)
            if ahead is None:
                ahead = aheads[group] = queue.ahead(group)
            return recompute_tokens(req.num_computed_tokens, block, ahead[0], ahead[1], free)

        return estimate

    def _call_service(self, call: Call) -> float:
        """Service of a running call's own request so far, read off the request (what the
        tokens unit charges it, without settling lazily charged decode tokens): its output
        tokens plus its prompt tokens that missed the prefix cache, prefill-weighted. Read
        only for waiting calls of unproven programs (``unproven_preemption: long-calls``).
        Without lazy decode charging (time unit, ...) ``call.service`` itself is current."""
        req = self.requests.get(call.call_id)
        if req is None or self._decode is None:  # charged per step: call.service is current
            return call.service
        cached = max(0, getattr(req, "num_cached_tokens", 0) or 0)
        prefill = max(0, min(req.num_computed_tokens, req.num_prompt_tokens) - cached)
        weight = self.nexus_cfg.scheduler.prefill_token_weight
        return req.num_output_tokens + weight * prefill

    def _kv_victims(self, head: Call) -> list[Call]:
        """Worse (tier, level) running calls whose blocks the best waiting call needs
        (Alg. 1: the batch is rebuilt in queue order, whatever limits it), if worth their
        recompute: the newcomer takes their blocks, so all their computed tokens are lost."""
        if self.requests.get(head.call_id) is None:
            return []
        need = self._blocks_needed(head)
        free = self.kv_cache_manager.block_pool.get_num_free_blocks()
        limit = self.nexus_cfg.scheduler.max_preemptions_per_step
        calls = self.mlq.calls
        victims: list[Call] = []
        for req in reversed(self.running):
            if free >= need or len(victims) >= limit:
                break
            call = calls.get(req.request_id)
            if call is None:
                continue
            if (call.tier, call.level) <= (head.tier, head.level):
                break
            req = self.requests.get(call.call_id)
            served = None if head.may_preempt else self._call_service(call)
            if req is None or not self.mlq.worth_preempting(
                call, head, req.num_computed_tokens, served
            ):
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
        self._remove_running(request)
        # As vLLM's own KV-pressure preemption: a connector with a pending KV hand-off needs
        # the in-flight output dropped.
        self._preempt_request(
            request, time.monotonic(), drop_stale_output=self.requires_kv_delivery
        )
        self.mlq.set_waiting(call, now, preempted=True)
        self.nexus_metrics.preemptions_proactive += 1

    # -- tenants ----------------------------------------------------------------------------
    def _tenant_of(self, extra: Any) -> str:
        """The call's tenant: the one the middleware stamped (valid tag), else the default."""
        tenant, unverified = tenant_of_call(
            extra, self._tenant_secret, self.nexus_cfg.tenants.default_tenant
        )
        if unverified:
            self.nexus_metrics.unverified_tenant_ids += 1
        return tenant

    def _export_tenants(self, now: float) -> None:
        """Per-tenant rows of the metrics snapshot (top ``metrics_top_k`` + ``other``)."""
        m, led = self.nexus_metrics, self.mlq.tenants
        rows, other = led.metrics_rows()
        m.tenants = [
            {
                "tenant": t.tenant_id,
                "counters": vals,
                "active_calls": t.active_calls,
                "lift": self.mlq.tenant_lift(t, now),
            }
            for t, vals in rows
        ]
        m.tenants.append({"tenant": OTHER, "counters": other, "active_calls": None, "lift": None})
        m.known_tenants, m.active_tenants = len(led), led.active_tenants

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
        m.starvation_wait_promotions = self.mlq.wait_promotions_total
        m.programs_evicted = self.mlq.programs.evicted_total
        m.programs_ended = self.mlq.programs.ended_total
        m.program_assignments = dict(self.assigner.counts)
        m.lineage_calls = self.assigner.remembered_calls
        m.level_first_boundary = self.mlq.levels.first
        m.starvation_threshold = self.mlq.starvation_threshold
        bound = self.mlq.wait_bound
        m.starvation_wait_bound = bound if bound < math.inf else 0.0
        sizes = self.mlq.sizes or self.mlq.size_gate
        table = sizes.global_table if sizes else None
        m.size_samples = table.samples if table else 0
        m.preemptions_withheld = self.mlq.preemptions_withheld
        m.preemptions_size_declined = self.mlq.preemptions_size_declined
        m.programs_hinted = self.mlq.hinted_programs
        m.hinted_calls = self.mlq.hinted_calls
        m.size_hint_overruns = self.mlq.hint_overruns
        self._export_tenants(now)
        self._snapshots.write(m, now)


class AsyncScheduler(Scheduler, _VllmAsyncScheduler):
    """The same policy under vLLM's async scheduling (selected automatically)."""
