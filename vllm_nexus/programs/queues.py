"""The discretized multi-level queue with program-level entry (Autellix §4.3, Alg. 1).

K levels with boundaries ``[lo_i, hi_i)`` (``lo_1 = 0``, ``hi_K = inf``, geometric growth):

- a NEW call enters the level that contains its *program's* attained service (atlas/plas) —
  or level 1 for the call-level baseline (mlfq);
- inside a level calls are served FCFS (by the time they entered the level);
- a call that receives more than its level's quantum of service is demoted one level;
- program-level anti-starvation: a waiting call is promoted to level 1 when
  ``(W_program + W_call) / (T_program + T_call) >= beta``; only the call-level W/T are reset;
- proactive preemption: the best waiting calls displace running calls of a strictly worse
  level (strict, so calls of one level never thrash each other).

``fcfs`` keeps a single level and arrival order: the stock behaviour, for comparisons.

Across tenants (:mod:`vllm_nexus.programs.tenants`): a new call of a tenant above its fair
share enters that many levels lower, and anti-starvation promotes it only up to that level.

Times (W, T) come from an injectable clock (``now`` arguments); service comes from
:meth:`MultiLevelQueue.charge` in whatever unit the caller uses. Pure Python, no vLLM import.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from vllm_nexus.config import SchedulerConfig, TenantConfig
from vllm_nexus.programs.table import SERVICE_RULES, Program, ProgramTable
from vllm_nexus.programs.tenants import DEFAULT_TENANT, Tenant, TenantLedger


@dataclass
class Call:
    """Scheduling state of one LLM call (one vLLM request)."""

    call_id: str
    program: Program
    level: int
    start_priority: float
    """Program service when the call arrived (ATLAS: the call's priority)."""
    seq: int
    """FCFS order inside the level (order of entering it)."""
    arrival: float = 0.0
    """Time the call arrived (for shortest-prompt-first with aging)."""
    service: float = 0.0
    level_service: float = 0.0
    """Service received since entering the current level (quantum accounting)."""
    wait_s: float = 0.0
    run_s: float = 0.0
    """Call-level W/T since the last starvation reset."""
    total_wait_s: float = 0.0
    total_run_s: float = 0.0
    running: bool = False
    since: float = 0.0
    """Time of the last waiting/running transition."""
    preemptions: int = 0
    promotions: int = 0
    thread_id: str | None = None
    """Optional ``vllm_xargs.thread_id`` (observability only)."""
    tenant: Tenant | None = None
    """Who sent the call (tenant fair share, :mod:`vllm_nexus.programs.tenants`)."""


class MultiLevelQueue:
    """Priority bookkeeping for calls; the vLLM adapter asks it for order and victims."""

    def __init__(
        self, cfg: SchedulerConfig | None = None, tenant_cfg: TenantConfig | None = None
    ) -> None:
        self.cfg = cfg or SchedulerConfig()
        self.policy = self.cfg.policy
        self.num_levels = 1 if self.policy == "fcfs" else self.cfg.num_queues
        g = self.cfg.boundary_growth
        # hi_i for i < K; the last level is unbounded.
        self.boundaries = [self.cfg.first_boundary * g**i for i in range(self.num_levels - 1)]
        self.quanta = [self.cfg.first_quantum * g**i for i in range(self.num_levels)]
        self.programs = ProgramTable(
            SERVICE_RULES[self.policy], self.cfg.program_ttl_s, self.cfg.max_programs
        )
        self.calls: dict[str, Call] = {}
        self.tenants = _ledger(tenant_cfg or TenantConfig(), self.cfg)
        self._seq = itertools.count()
        # counters for metrics
        self.promotions_total = 0
        self.demotions_total = 0

    # -- levels -------------------------------------------------------------------------
    def level_for_service(self, service: float) -> int:
        """Index of the level whose ``[lo, hi)`` contains ``service``."""
        for i, hi in enumerate(self.boundaries):
            if service < hi:
                return i
        return self.num_levels - 1

    # -- lifecycle ------------------------------------------------------------------------
    def add(
        self, call_id: str, program_id: str, now: float, tenant_id: str = DEFAULT_TENANT
    ) -> Call:
        """A new call arrives (waiting). Its level: its program's, shifted down by its
        tenant's fair-share lift (:meth:`TenantLedger.lift`)."""
        if call_id in self.calls:
            raise ValueError(f"call {call_id!r} is already tracked")
        prog = self.programs.call_started(program_id, now)
        tenant = self.tenants.call_started(tenant_id, now)
        entry = prog.service
        level = self.level_for_service(entry) if self.policy in ("atlas", "plas") else 0
        level = min(self.num_levels - 1, level + self.tenant_lift(tenant, now))
        call = Call(call_id, prog, level, entry, next(self._seq), arrival=now, since=now)
        call.tenant = tenant
        self.calls[call_id] = call
        return call

    def tenant_lift(self, tenant: Tenant, now: float) -> int:
        """Levels a call of ``tenant`` is shifted down by (0 under ``fcfs``)."""
        if self.policy == "fcfs":
            return 0
        return self.tenants.lift(tenant, now, self.level_for_service)

    def set_running(self, call: Call, now: float) -> None:
        if not call.running:
            dt = max(0.0, now - call.since)
            call.wait_s += dt
            call.total_wait_s += dt
            call.running, call.since = True, now

    def set_waiting(self, call: Call, now: float, preempted: bool = False) -> None:
        if call.running:
            dt = max(0.0, now - call.since)
            call.run_s += dt
            call.total_run_s += dt
            call.running, call.since = False, now
            if preempted:
                call.preemptions += 1

    def charge(self, call: Call, service: float, now: float | None = None) -> bool:
        """Add executed service to a call (and its tenant, decayed at ``now``, default: the
        call's last transition); demote it when its quantum is used up.
        Returns True when the call was demoted."""
        call.service += service
        call.level_service += service
        if call.tenant is not None:
            self.tenants.charge(call.tenant, service, call.since if now is None else now)
        if self.policy == "fcfs" or call.level >= self.num_levels - 1:
            return False
        if call.level_service >= self.quanta[call.level]:
            call.level += 1
            call.level_service = 0.0
            call.seq = next(self._seq)
            self.demotions_total += 1
            return True
        return False

    def finish(self, call_id: str, now: float, aborted: bool = False) -> Call | None:
        """A call ended (finished or aborted). Updates (or cleans) its program."""
        call = self.calls.pop(call_id, None)
        if call is None:
            return None
        self.set_waiting(call, now)
        self.set_running(call, now)  # close the open interval whichever it was
        call.running = False
        pid = call.program.program_id
        charge = (pid, now, call.start_priority, call.service, call.total_wait_s, call.total_run_s)
        if aborted:
            self.programs.call_aborted(*charge)
        else:
            self.programs.call_finished(*charge)
        if call.tenant is not None:
            self.tenants.call_ended(call.tenant, now, aborted, call.total_wait_s)
        return call

    # -- anti-starvation ------------------------------------------------------------------
    def starvation_ratio(self, call: Call, now: float) -> float:
        """(W_program + W_call) / (T_program + T_call), with the open interval included."""
        open_dt = max(0.0, now - call.since)
        w = call.program.wait_s + call.wait_s + (0.0 if call.running else open_dt)
        t = call.program.run_s + call.run_s + (open_dt if call.running else 0.0)
        if t <= 0.0:
            return math.inf if w > 0 else 0.0
        return w / t

    def promote_starving(self, waiting: list[Call], now: float) -> list[Call]:
        """Promote starving waiting calls to level 1 (program-level check, call-level reset).
        O(len(waiting))."""
        beta = self.cfg.starvation_beta
        if beta <= 0 or self.policy == "fcfs":
            return []
        promoted = []
        for call in waiting:
            if call.level == 0 or call.running:
                continue
            pending = call.wait_s + max(0.0, now - call.since)
            if pending < self.cfg.starvation_min_wait_s:
                continue
            if self.starvation_ratio(call, now) >= beta:
                # to the top level of its tenant (level 0 unless the tenant is over its share)
                top = self.tenant_lift(call.tenant, now) if call.tenant is not None else 0
                if top >= call.level:
                    continue
                call.level, call.level_service = top, 0.0
                call.seq = next(self._seq)
                # reset call-level W/T only; the program keeps its history
                call.wait_s = call.run_s = 0.0
                call.since = now
                call.promotions += 1
                self.promotions_total += 1
                promoted.append(call)
        return promoted

    # -- preemption -------------------------------------------------------------------------
    def pick_victims(self, waiting: list[Call], running: list[Call], free_slots: int) -> list[Call]:
        """Running calls to preempt so better waiting calls can run.

        ``waiting`` and ``running`` are sorted best-first. The first ``free_slots`` waiting
        calls need no victim; each further waiting call displaces the worst remaining running
        call if that one sits at a strictly worse level. At most
        ``max_preemptions_per_step`` victims.
        """
        if not self.cfg.preemption or self.policy == "fcfs":
            return []
        victims: list[Call] = []
        limit = self.cfg.max_preemptions_per_step
        r = len(running) - 1
        for w in waiting[max(0, free_slots) :]:
            if len(victims) >= limit or r < 0:
                break
            if running[r].level > w.level:
                victims.append(running[r])
                r -= 1
            else:
                break
        return victims


def _ledger(tcfg: TenantConfig, cfg: SchedulerConfig) -> TenantLedger:
    return TenantLedger(
        half_life_s=tcfg.half_life_s,
        weights=tcfg.weights,
        fair_share=tcfg.fair_share,
        max_tenants=tcfg.max_tenants,
        idle_ttl_s=cfg.program_ttl_s,
        metrics_top_k=tcfg.metrics_top_k,
    )
