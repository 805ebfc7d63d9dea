"""Which running calls a waiting call may displace (Autellix Alg. 1, proactive preemption).

Mixed into :class:`vllm_nexus.programs.queues.MultiLevelQueue`, whose state it reads
(``cfg``, ``policy``, ``levels``, ``sizes``, ``preemptions_withheld``): a strictly worse
(tier, level) is required, weighed against what the victim would compute again
(``preemption_cost_factor``), and calls of unproven programs never preempt
(``unproven_preemption``). Pure Python, no vLLM import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Call(Protocol):
    """What the rules read of a queued call (:class:`vllm_nexus.programs.queues.Call`)."""

    tier: int
    level: int
    preemptions: int
    may_preempt: bool
    withheld: bool


class PreemptionRules:
    """Preemption decisions of the multi-level queue (see the module docstring)."""

    cfg: Any
    policy: str
    levels: Any
    sizes: Any
    preemptions_withheld: int

    def level_floor(self, level: int) -> float:
        """Lower bound ``lo_i`` of a level (service units; a rank bound under gittins once
        size tables exist)."""
        if level <= 0:
            return 0.0
        bounds = self.sizes.rank_boundaries if self.sizes else None
        bounds = bounds or self.levels.boundaries
        return bounds[min(level, len(bounds)) - 1]

    def worth_preempting(self, victim: Call, head: Call, recompute_tokens: float) -> bool:
        """Whether ``head`` (waiting) should displace ``victim`` (running): a strictly worse
        (tier, level) is required (Alg. 1); a worse tier always yields; within a tier, with
        ``preemption_cost_factor`` f > 0 (tokens unit), the gap between the two levels' lower
        bounds must be at least f x (1 + the victim's earlier preemptions) x the service of
        the tokens it would compute again: a preemption that drops much KV for little
        priority is not made, and each preemption of a call makes the next one dearer. A
        ``head`` that may not preempt (unproven program) never does; a preemption it would
        have made is counted in :attr:`preemptions_withheld`, once per call."""
        if (victim.tier, victim.level) <= (head.tier, head.level):
            return False
        factor = self.cfg.preemption_cost_factor
        if victim.tier > head.tier or factor <= 0 or self.cfg.service_unit != "tokens":
            worth = True
        else:
            cost = recompute_tokens * self.cfg.prefill_token_weight * (1 + victim.preemptions)
            worth = factor * cost <= self.level_floor(victim.level) - self.level_floor(head.level)
        if worth and not head.may_preempt:
            if not head.withheld:
                head.withheld = True
                self.preemptions_withheld += 1
            return False
        return worth

    def pick_victims(
        self,
        waiting: list[Call],
        running: list[Call],
        free_slots: int,
        recompute_tokens: Callable[[Call], float] | None = None,
    ) -> list[Call]:
        """Running calls to preempt so better waiting calls can run.

        ``waiting`` and ``running`` are sorted best-first (``running`` may be just its worst
        tail). The first ``free_slots`` waiting calls need no victim; each further waiting
        call displaces the worst remaining running call that :meth:`worth_preempting` allows
        (``recompute_tokens(call)``: tokens it would compute again if preempted now; default
        none). At most ``max_preemptions_per_step`` victims. A waiting call that may not
        preempt ends the search: the slots freed for calls behind it would go to it first.
        O(len(waiting) x len(running)), both bounded by the preemption limit.
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
                if (v.tier, v.level) <= (w.tier, w.level):
                    return victims  # no worse call left for this or any later waiting call
                cost = recompute_tokens(v) if recompute_tokens is not None else 0.0
                if self.worth_preempting(v, w, cost):
                    victims.append(candidates.pop(i))
                    break
            else:
                break
        return victims
