"""Which running calls a waiting call may displace (Autellix Alg. 1, proactive preemption).

Mixed into :class:`vllm_nexus.programs.queues.MultiLevelQueue`, whose state it reads
(``cfg``, ``policy``, ``levels``, ``sizes``, ``preemptions_withheld``): a strictly worse
(tier, level) is required, weighed against what the victim would compute again
(``preemption_cost_factor``), optionally asked of the learned program sizes
(``preemption_size_check``), and calls of unproven programs preempt only long calls, or
never (``unproven_preemption``). :func:`recompute_tokens` estimates what a victim would compute
again. Pure Python, no vLLM import.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any, Protocol


def recompute_tokens(
    computed: int, block_size: int, ahead_calls: int, ahead_tokens: int, free_blocks: int
) -> float:
    """Tokens a running call computes again if it is preempted now (vLLM V1 recomputes; the
    prefix cache gives back whatever of its KV survives until it is re-admitted).

    A preempted call's blocks go to the back of vLLM's free-block queue, last block first
    (``BlockPool.free_blocks`` of the reversed block list); allocation takes blocks from the
    front, so its blocks survive as long as the calls admitted before it need no more than
    the ``free_blocks`` ahead of them (free and evictable cached blocks: vLLM's
    ``get_num_free_blocks``). Before it comes back, every waiting call of a better (tier,
    level) is admitted first, and (``recompute_ahead: level``, the default) those of its own
    level, which a victim just demoted into it rejoins at the back of: ``ahead_calls`` calls
    holding ``ahead_tokens`` tokens (:meth:`ProgramRequestQueue.ahead`), about ``ahead_tokens / block_size + ahead_calls / 2``
    blocks. Each block they need beyond ``free_blocks`` evicts one of the victim's, from
    its tail (its prefix stays cached longest). So the estimate is its last partial block
    (never cached) plus ``block_size`` tokens per evicted full block, at most all of its
    ``computed`` tokens: the last partial block when it will come back soon (Autellix §4.3's
    preemption is cheap there), everything when a queue of better calls stands ahead of it
    (the overload case: it returns long after its blocks were reused). A lower bound: the
    running calls' own growth and arrivals during its wait are not counted. O(1).
    """
    if computed <= 0:
        return 0.0
    block = max(1, block_size)
    partial = computed % block
    demand = ahead_tokens / block + ahead_calls / 2
    lost = max(0.0, demand - max(0, free_blocks))
    return float(min(computed, partial + lost * block))


class Call(Protocol):
    """What the rules read of a queued call (:class:`vllm_nexus.programs.queues.Call`)."""

    tier: int
    level: int
    preemptions: int
    program: Any
    start_priority: float
    service: float
    may_preempt: bool
    withheld: bool
    size_declined: bool
    hint_rank: float | None


class PreemptionRules:
    """Preemption decisions of the multi-level queue (see the module docstring)."""

    cfg: Any
    policy: str
    levels: Any
    sizes: Any
    size_gate: Any
    preemptions_withheld: int
    preemptions_size_declined: int

    def level_floor(self, level: int) -> float:
        """Lower bound ``lo_i`` of a level (service units; a rank bound under gittins once
        size tables exist)."""
        if level <= 0:
            return 0.0
        bounds = self.sizes.rank_boundaries if self.sizes else None
        bounds = bounds or self.levels.boundaries
        return bounds[min(level, len(bounds)) - 1]

    def worth_preempting(
        self,
        victim: Call,
        head: Call,
        recompute_tokens: float,
        victim_call_service: float | None = None,
    ) -> bool:
        """Whether ``head`` (waiting) should displace ``victim`` (running): a strictly worse
        (tier, level) is required (Alg. 1); a worse tier always yields; within a tier, with
        ``preemption_cost_factor`` f > 0 (tokens unit), the gap between the two levels' lower
        bounds must be at least f x (1 + the victim's earlier preemptions) x the service of
        the tokens it would compute again: a preemption that drops much KV for little
        priority is not made, and each preemption of a call makes the next one dearer.

        A ``head`` of an unproven program (``may_preempt`` False) does not preempt under
        ``unproven_preemption: false``. Under ``"long-calls"`` it may, but the victim is
        ranked by the service of its *own call* (``victim_call_service``) when that is less
        than its program's: the head's program-level rank is a guess (a new program, or a
        fragment of a large one whose context restarted, docs/programs.md §2), the call-level
        one is not (a call that already ran past a level's bound is long, whatever program it
        is in: FastServe-style MLFQ evidence). So an unproven call displaces only a call that
        is itself long, never a short call of a program with much service, which would soon
        have finished. A preemption so denied is counted in :attr:`preemptions_withheld`,
        once per call."""
        if (victim.tier, victim.level) <= (head.tier, head.level):
            return False
        v_level = victim.level - victim.weight_levels  # 0 unless fanout_weight_preempts off
        h_level = head.level - head.weight_levels
        if victim.tier == head.tier and v_level <= h_level:
            return False
        if not self._worth(victim, head, v_level, recompute_tokens, h_level):
            return False
        # the size gate after the O(1) cost rule: it is asked (and counts a denial) only for
        # a preemption the level and cost rules would make
        if (
            self.size_gate is not None
            and victim.tier == head.tier
            and not self.size_allows(victim, head)
        ):
            return False
        if head.may_preempt:
            return True
        if self.cfg.unproven_preemption == "long-calls" and victim_call_service is not None:
            level = min(v_level, self.levels.level_of(victim_call_service))
            if (victim.tier, level) > (head.tier, h_level) and self._worth(
                victim, head, level, recompute_tokens, h_level
            ):
                return True
        if not head.withheld:
            head.withheld = True
            self.preemptions_withheld += 1
        return False

    def size_allows(self, victim: Call, head: Call) -> bool:
        """``preemption_size_check``: whether the learned program sizes rank ``head``'s
        program ahead of ``victim``'s, by the Gittins rank of each program's attained service
        (its class's table when it has one, else the global one; :mod:`sizes`): ``rank(head)
        x preemption_size_margin < rank(victim)``. The rank is the service a program is
        expected to need per completion from where it is: on even sizes it falls as a program
        nears the typical size, so a newer program does not displace an older one that is
        closer to done; on heavy tails it grows with the attained service and a young program
        goes first. True (the level rule alone) while no table exists, and when either call
        is levelled by its program's size hint (``size_hints``: the client's estimate is the
        size information; the learned distribution is not asked to overrule it). A denied
        waiting call is counted in :attr:`preemptions_size_declined`, once. O(log grid)."""
        if head.hint_rank is not None or victim.hint_rank is not None:
            return True
        gate = self.size_gate
        hp, vp = head.program, victim.program
        h_table = gate.table_for(hp.program_class, hp.tenant)
        v_table = gate.table_for(vp.program_class, vp.tenant)
        if h_table is None or v_table is None:
            return True
        h_rank = h_table.rank(head.start_priority + head.service)
        v_rank = v_table.rank(victim.start_priority + victim.service)
        if h_rank * self.cfg.preemption_size_margin < v_rank:
            return True
        if not head.size_declined:
            head.size_declined = True
            self.preemptions_size_declined += 1
        return False

    def _worth(
        self, victim: Call, head: Call, level: int, recompute_tokens: float, head_level: int
    ) -> bool:
        """The cost rule of :meth:`worth_preempting` with the victim at ``level`` and the head
        at ``head_level`` (within a tier the victim must also be ``preemption_min_level_gap``
        levels below the head)."""
        if victim.tier > head.tier:
            return True
        if level - head_level < self.cfg.preemption_min_level_gap:
            return False
        cfg = self.cfg
        factor = cfg.preemption_cost_factor
        if factor <= 0 or cfg.service_unit != "tokens":
            return True
        cost = recompute_tokens * cfg.prefill_token_weight * (1 + victim.preemptions)
        return factor * cost <= self.level_floor(level) - self.level_floor(head_level)

    def pick_victims(
        self,
        waiting: Iterable[Call],
        running: list[Call],
        free_slots: int,
        recompute_tokens: Callable[[Call], float] | None = None,
        call_service: Callable[[Call], float] | None = None,
    ) -> list[Call]:
        """Running calls to preempt so better waiting calls can run.

        ``waiting`` and ``running`` are sorted best-first (``running`` may be just its worst
        tail); ``waiting`` may be an iterator, read only as far as needed (usually up to the
        first waiting call that finds no victim). The first ``free_slots`` waiting calls need
        no victim; each further waiting call displaces the worst remaining running call that
        :meth:`worth_preempting` allows (``recompute_tokens(call)``: tokens it would compute
        again if preempted now; default none; ``call_service(call)``: the service of its
        current call, read only for heads of unproven programs). At most
        ``max_preemptions_per_step`` victims. A waiting call that may not preempt ends the
        search: the slots freed for calls behind it would go to it first.
        O(len(waiting) x len(running)), both bounded by the preemption limit.
        """
        if not self.cfg.preemption or self.policy == "fcfs":
            return []
        victims: list[Call] = []
        limit = self.cfg.max_preemptions_per_step
        candidates = list(reversed(running))  # worst first
        for w in itertools.islice(waiting, max(0, free_slots), None):
            if len(victims) >= limit or not candidates:
                break
            for i, v in enumerate(candidates):
                if (v.tier, v.level) <= (w.tier, w.level):
                    return victims  # no worse call left for this or any later waiting call
                cost = recompute_tokens(v) if recompute_tokens is not None else 0.0
                served = None
                if call_service is not None and not w.may_preempt:
                    served = call_service(v)
                if self.worth_preempting(v, w, cost, served):
                    victims.append(candidates.pop(i))
                    break
            else:
                break
        return victims
