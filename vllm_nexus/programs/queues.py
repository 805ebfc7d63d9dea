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
``gittins`` ranks a call by its program's Gittins rank at its attained service, learned from
the sizes of recent programs (:mod:`vllm_nexus.programs.sizes`), and maps the rank onto the
same levels; it ranks by attained service (PLAS) while too few programs have ended. Level
boundaries and quanta follow the observed call service (:mod:`vllm_nexus.programs.levels`).

Times (W, T) come from an injectable clock (``now`` arguments); service comes from
:meth:`MultiLevelQueue.charge` in whatever unit the caller uses. Pure Python, no vLLM import.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.levels import LevelScale
from vllm_nexus.programs.sizes import ProgramSizes
from vllm_nexus.programs.table import SERVICE_RULES, Program, ProgramTable

LOAD_TAU_S = 5.0
"""Time constant of the queueing-ratio average behind relative anti-starvation."""


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


class MultiLevelQueue:
    """Priority bookkeeping for calls; the vLLM adapter asks it for order and victims."""

    def __init__(self, cfg: SchedulerConfig | None = None) -> None:
        self.cfg = cfg or SchedulerConfig()
        self.policy = self.cfg.policy
        self.num_levels = 1 if self.policy == "fcfs" else self.cfg.num_queues
        cfg = self.cfg
        self.levels = LevelScale(
            self.num_levels,
            cfg.boundary_growth,
            cfg.first_boundary,
            cfg.min_first_boundary,
            cfg.max_first_boundary,
            adaptive=cfg.adaptive_levels and self.policy != "fcfs",
            scale_fraction=cfg.level_scale_fraction,
            quantum_ratio=cfg.first_quantum / cfg.first_boundary,
        )
        self.sizes: ProgramSizes | None = None
        if self.policy == "gittins":
            self.sizes = ProgramSizes(
                num_levels=self.num_levels,
                min_samples=cfg.gittins_min_samples,
                window=cfg.gittins_window,
                end_idle_s=cfg.size_end_idle_s,
                max_end_idle_s=cfg.program_ttl_s,
                per_token=cfg.gittins_objective == "token_latency",
            )
        self.programs = ProgramTable(
            SERVICE_RULES[self.policy], cfg.program_ttl_s, cfg.max_programs
        )
        self.calls: dict[str, Call] = {}
        self._seq = itertools.count()
        self.starvation_threshold = cfg.starvation_beta
        """Current anti-starvation ratio threshold (beta, or beta x the typical ratio)."""
        self._load = 0.0
        self._load_at = 0.0
        # counters for metrics
        self.promotions_total = 0
        self.demotions_total = 0

    # -- levels -------------------------------------------------------------------------
    @property
    def boundaries(self) -> list[float]:
        """hi_i of levels 0..K-2 (the last level is unbounded)."""
        return self.levels.boundaries

    @property
    def quanta(self) -> list[float]:
        return self.levels.quanta

    @property
    def version(self) -> int:
        """Changes whenever levels or rank tables were rebuilt (queued calls may re-level)."""
        return self.levels.version + (self.sizes.version if self.sizes else 0)

    def level_for_service(self, service: float) -> int:
        """Index of the level whose ``[lo, hi)`` contains ``service``."""
        return self.levels.level_of(service)

    def _rank_level(self, call: Call) -> int:
        """gittins: level of the call's program rank at its attained service, on the rank
        levels of the size tables (PLAS, the level of the attained service itself, while no
        size table applies)."""
        attained = call.start_priority + call.service
        table = self.sizes.table_for(call.program.program_class) if self.sizes else None
        if table is None:
            return self.levels.level_of(attained)
        return bisect.bisect_right(self.sizes.rank_boundaries, table.rank(attained))

    def relevel(self, waiting: list[Call]) -> bool:
        """Recompute the level of queued calls after the levels or rank tables changed
        (O(len(waiting)); called on a refresh, not per step). Calls that ran or were promoted
        keep their level (quantum accounting). Returns True if any level changed."""
        changed = False
        for call in waiting:
            if call.promotions or call.running:
                continue
            if self.sizes is not None:
                level = self._rank_level(call)
            elif call.service == 0 and self.policy in ("atlas", "plas"):
                level = self.level_for_service(call.start_priority)
            else:
                continue
            if level != call.level:
                call.level = level
                call.level_service = 0.0
                changed = True
        return changed

    # -- lifecycle ------------------------------------------------------------------------
    def add(
        self, call_id: str, program_id: str, now: float, program_class: str | None = None
    ) -> Call:
        """A new call arrives (waiting). ``program_class`` (agent type) is recorded on the
        program's first call and selects its size distribution (gittins)."""
        if call_id in self.calls:
            raise ValueError(f"call {call_id!r} is already tracked")
        known = self.programs.get(program_id)
        if known is not None and known.active_calls == 0 and self.sizes is not None:
            self.sizes.observe_gap(now - known.last_seen)
        prog = self.programs.call_started(program_id, now)
        if known is None:
            prog.program_class = program_class
            if self.sizes is not None:
                self.sizes.track(prog)
        entry = prog.service
        call = Call(call_id, prog, 0, entry, next(self._seq), arrival=now, since=now)
        if self.sizes is not None:
            call.level = self._rank_level(call)
        elif self.policy in ("atlas", "plas"):
            call.level = self.level_for_service(entry)
        self.calls[call_id] = call
        return call

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

    def charge(self, call: Call, service: float) -> bool:
        """Add executed service to a call; demote it when its quantum is used up.
        Returns True when the call was demoted."""
        call.service += service
        call.level_service += service
        if self.sizes is not None and self.sizes.table_for(call.program.program_class):
            # gittins: after each first-level quantum (half a typical call) of service the
            # call's level is its program's rank at the attained service reached (up or
            # down); in between it keeps its level (Alg. 1's discretisation: measured,
            # re-ranking at every grid point of attained service loses to PLAS on ReAct
            # under overload). Rank levels do not grow with the level index, so neither
            # does this quantum. Without a size table: PLAS, below.
            if call.level_service < self.quanta[0]:
                return False
            call.level_service = 0.0
            level = self._rank_level(call)
            if level == call.level:
                return False
            call.level, call.level_service = level, 0.0
            call.seq = next(self._seq)
            self.demotions_total += 1
            return True
        if self.policy == "fcfs" or call.level >= self.num_levels - 1:
            return False
        if call.level_service >= self.quanta[call.level]:
            call.level += 1
            call.level_service = 0.0
            call.seq = next(self._seq)
            self.demotions_total += 1
            return True
        return False

    def finish(
        self, call_id: str, now: float, aborted: bool = False, output_tokens: int = 0
    ) -> Call | None:
        """A call ended (finished or aborted). Updates (or cleans) its program."""
        call = self.calls.pop(call_id, None)
        if call is None:
            return None
        self.set_waiting(call, now)
        self.set_running(call, now)  # close the open interval whichever it was
        call.running = False
        pid = call.program.program_id
        if aborted:
            self.programs.call_aborted(pid, now)
        else:
            self.programs.call_finished(
                pid,
                now,
                call.start_priority,
                call.service,
                call.total_wait_s,
                call.total_run_s,
                output_tokens,
            )
            self.levels.observe(call.service)
            if self.sizes is not None:
                self.sizes.call_finished(now)
        return call

    # -- anti-starvation ------------------------------------------------------------------
    def observe_load(self, waiting: int, running: int, now: float) -> None:
        """Relative anti-starvation (O(1), once per step): the threshold is beta x the current
        queueing ratio, an average (time constant ``LOAD_TAU_S``) of waiting calls per running
        call, at least beta. By Little's law that ratio is the system's total waiting time over
        total running time, i.e. how long calls wait per unit of service at this load. Under
        heavy load every call waits many times its run time; an absolute beta then promotes a
        large share of all calls (measured: one in four) and pulls the order back toward
        arrival order. Only programs waiting beta times longer than typical are promoted."""
        if not self.cfg.starvation_relative or self.cfg.starvation_beta <= 0:
            return
        ratio = waiting / running if running else 0.0
        dt = max(0.0, now - self._load_at)
        self._load_at = now
        a = 1.0 - math.exp(-dt / LOAD_TAU_S)
        self._load += a * (ratio - self._load)
        self.starvation_threshold = self.cfg.starvation_beta * max(1.0, self._load)

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
        beta = self.starvation_threshold
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
                call.level, call.level_service = 0, 0.0
                call.seq = next(self._seq)
                # reset call-level W/T only; the program keeps its history
                call.wait_s = call.run_s = 0.0
                call.since = now
                call.promotions += 1
                self.promotions_total += 1
                promoted.append(call)
        return promoted

    # -- preemption -------------------------------------------------------------------------
    def level_floor(self, level: int) -> float:
        """Lower bound ``lo_i`` of a level (service units; a rank bound under gittins once
        size tables exist)."""
        if level <= 0:
            return 0.0
        bounds = self.sizes.rank_boundaries if self.sizes else None
        return (bounds or self.levels.boundaries)[level - 1]

    def worth_preempting(self, victim: Call, head: Call, recompute_tokens: float) -> bool:
        """Whether ``head`` may displace ``victim``: a strictly worse level, and a priority
        gap (the distance between the two levels' lower bounds, service units) at least
        ``preemption_cost_factor`` x (1 + the victim's earlier preemptions) x what the victim
        would compute again (``recompute_tokens`` x ``prefill_token_weight``). A preemption
        that drops much KV for little priority is not made, and each preemption of a call
        makes the next one dearer (no thrash)."""
        if victim.level <= head.level:
            return False
        factor = self.cfg.preemption_cost_factor
        if factor <= 0 or self.cfg.service_unit != "tokens":
            return True
        cost = recompute_tokens * self.cfg.prefill_token_weight * (1 + victim.preemptions)
        gap = self.level_floor(victim.level) - self.level_floor(head.level)
        return factor * cost <= gap

    def pick_victims(
        self,
        waiting: list[Call],
        running: list[Call],
        free_slots: int,
        recompute_tokens: Callable[[Call], float] | None = None,
    ) -> list[Call]:
        """Running calls to preempt so better waiting calls can run.

        ``waiting`` and ``running`` are sorted best-first. The first ``free_slots`` waiting
        calls need no victim; each further waiting call displaces the worst remaining running
        call that :meth:`worth_preempting` allows (``recompute_tokens(call)``: tokens it would
        compute again if preempted now; default none). At most ``max_preemptions_per_step``
        victims.
        """
        if not self.cfg.preemption or self.policy == "fcfs":
            return []
        victims: list[Call] = []
        limit = self.cfg.max_preemptions_per_step
        candidates = list(reversed(running))  # worst first
        for w in waiting[max(0, free_slots) :]:
            if len(victims) >= limit or not candidates:
                break
            for i, v in enumerate(candidates):
                if v.level <= w.level:
                    return victims  # no worse call left for this or any later waiting call
                cost = recompute_tokens(v) if recompute_tokens is not None else 0.0
                if self.worth_preempting(v, w, cost):
                    victims.append(candidates.pop(i))
                    break
            else:
                break
        return victims
