"""Program-level anti-starvation of the multi-level queue (Autellix §4.2 Alg. 1, lines 8-11).

Mixed into :class:`vllm_nexus.programs.queues.MultiLevelQueue`, whose state it reads (``cfg``,
``policy``, ``calls``, ``_seq``; ``tenant_lift`` and ``_enter_level`` for a promotion):

- the ratio rule: a waiting call below level 1 is promoted to the top level of its tenant when
  ``(W_program + W_call) / (T_program + T_call) >= beta``; only the call-level W/T are reset.
  The ratio of a waiting call grows linearly, so each one has a *deadline* (the time it
  crosses beta, and ``starvation_min_wait_s``); a heap of deadlines makes a step's check cost
  O(promotions · log n) instead of a scan of the waiting queue;
- relative anti-starvation (``starvation_relative``): beta x the current queueing ratio
  (waiting per running call, a slow average); the threshold moves rarely (hysteresis), a rise
  is applied lazily when a deadline pops (the call is re-filed at its later deadline), a fall
  re-files the watched calls once (O(watched), never per step);
- the wait bound (``starvation_wait_factor``, off by default): a waiting call is also promoted
  once its wait exceeds k x the mean wait of recently admitted calls, whatever its program's
  run time; the bound in force moves like the ratio threshold (a rise lazily, a fall re-files
  the watched calls, at most once per ``WAIT_REFILE_S``); siblings of calls in flight are
  exempt.

Pure Python, no vLLM import.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Any, Protocol

LOAD_TAU_S = 5.0
"""Time constant of the queueing-ratio average behind relative anti-starvation."""
THRESHOLD_HYSTERESIS = 1.25
"""Relative anti-starvation: the threshold in force moves only when the load-scaled value
differs from it by more than this factor (and at most once per ``LOAD_TAU_S``)."""
WAIT_WINDOW = 32
"""``starvation_wait_factor``: admissions behind the mean admitted wait (a running mean over
the first ones, then an exponential average over ~this many)."""
WAIT_WARMUP = 16
"""``starvation_wait_factor``: admissions seen before the wait bound applies."""
WAIT_REFILE_S = 1.0
"""``starvation_wait_factor``: a fall of the bound in force (which re-files every watched
call) is applied at most once per this many seconds."""


class Call(Protocol):
    """What anti-starvation reads and writes of a queued call
    (:class:`vllm_nexus.programs.queues.Call`)."""

    call_id: str
    program: Any
    level: int
    level_service: float
    running: bool
    since: float
    wait_s: float
    run_s: float
    promotions: int
    tenant: Any
    deadline_token: int


class StarvationRules:
    """Anti-starvation of the multi-level queue (see the module docstring)."""

    cfg: Any
    policy: str
    calls: dict[str, Any]
    promotions_total: int

    def _init_starvation(self, cfg: Any) -> None:
        """The anti-starvation state (called once from the queue's ``__init__``)."""
        self._starvation_on = (
            cfg.starvation_beta > 0 or cfg.starvation_wait_factor > 0
        ) and self.policy != "fcfs"
        """Anti-starvation applies (a rule is on, and the policy is not ``fcfs``)."""
        self._deadlines: list[tuple[float, int, int, str]] = []
        """Starvation deadlines of waiting calls below level 1: (time, tie, token, call id).
        Entries hold no object the collector tracks (CPython untracks such tuples the first
        time it sees them): the stale ones waiting for compaction cost no collector time."""
        self._tokens = itertools.count(1)
        """Deadline tokens (:attr:`Call.deadline_token`), unique across calls."""
        self._waiting_of_program: dict[str, dict[str, Call]] = {}
        """program id -> its waiting calls below level 1 (their deadlines move when the
        program's W/T change)."""
        self.starvation_threshold = cfg.starvation_beta
        """Anti-starvation ratio threshold in force (beta, or beta x the typical ratio)."""
        self._load = 0.0
        self._load_at = 0.0
        self._relative_on = (
            cfg.starvation_relative and cfg.starvation_beta > 0 and self.policy != "fcfs"
        )
        """:meth:`observe_load` has work to do (the config is frozen: decided once)."""
        self._threshold_at = -math.inf
        self._fast_rise = cfg.starvation_fast_rise
        """``starvation_fast_rise``: the queueing ratio's average follows a rise at once."""
        self._ratio_on = cfg.starvation_beta > 0
        """The W/T ratio rule applies (``starvation_beta`` > 0)."""
        self._wait_factor = cfg.starvation_wait_factor if self._starvation_on else 0.0
        """``starvation_wait_factor`` (0: the wait bound is off)."""
        self._wait_mean = 0.0
        """Mean wait of recently admitted calls (seconds; :meth:`_observe_wait`)."""
        self._wait_samples = 0
        self.wait_bound = math.inf
        """Wait-bound anti-starvation: the call-level wait (seconds) past which a waiting
        call is promoted (inf: off, or too few admissions seen)."""
        self._wait_bound_at = -math.inf
        self.wait_promotions_total = 0
        """Promotions made by the wait bound (the rest of ``promotions_total``: the ratio)."""

    def starvation_ratio(self, call: Call, now: float) -> float:
        """(W_program + W_call) / (T_program + T_call), with the open interval included."""
        open_dt = max(0.0, now - call.since)
        w = call.program.wait_s + call.wait_s + (0.0 if call.running else open_dt)
        t = call.program.run_s + call.run_s + (open_dt if call.running else 0.0)
        if t <= 0.0:
            return math.inf if w > 0 else 0.0
        return w / t

    def _starving_by(self, call: Call, now: float) -> str | None:
        """Alg. 1's test for a waiting call below level 1 (after ``starvation_min_wait_s``),
        and the wait bound's: which rule finds it starving, "wait", "ratio" or None."""
        if call.level == 0 or call.running:
            return None
        pending = call.wait_s + max(0.0, now - call.since)
        if pending < self.cfg.starvation_min_wait_s:
            return None
        if pending >= self.wait_bound and self._wait_applies(call):
            return "wait"
        if self._ratio_on and self.starvation_ratio(call, now) >= self.starvation_threshold:
            return "ratio"
        return None

    def _wait_applies(self, call: Call) -> bool:
        """The wait bound covers the call: its program has no other call in flight (a
        fan-out sibling is left to the ratio rule: ``stage_rerank`` defers those on purpose,
        and promoting them one by one undid it, docs/benchmarks.md "2026-12-03")."""
        return call.program.active_calls <= 1  # (the bound is inf while the option is off)

    def starvation_deadline(self, call: Call) -> float:
        """Earliest time a waiting call can be found starving. Its W grows with the clock
        while T stays fixed, so ``ratio >= beta`` from ``since + beta*T - W`` on (T > 0);
        its call-level wait reaches the wait bound at ``since + bound - W_call``."""
        prog = call.program
        w = prog.wait_s + call.wait_s
        t = prog.run_s + call.run_s
        min_wait = call.since + self.cfg.starvation_min_wait_s - call.wait_s
        crossing = call.since + self.starvation_threshold * t - w if t > 0 else call.since - w
        if self._wait_factor:  # (off by default: the ratio rule's deadline alone)
            if not self._ratio_on:
                crossing = math.inf
            if self.wait_bound < math.inf and self._wait_applies(call):
                crossing = min(crossing, call.since + self.wait_bound - call.wait_s)
        return max(min_wait, crossing)

    def _observe_wait(self, wait_s: float, now: float) -> None:
        """Wait-bound anti-starvation (O(1) per admission): a call was admitted after
        waiting ``wait_s`` (call-level, since its last promotion). The bound is
        ``starvation_wait_factor`` x the mean admitted wait (at least
        ``starvation_min_wait_s``); the bound in force moves only past a
        ``THRESHOLD_HYSTERESIS`` factor, a rise at once (a deadline that pops early is
        re-filed later), a fall at most once per ``WAIT_REFILE_S`` (it re-files every
        watched call, whose deadlines came earlier)."""
        n = self._wait_samples = self._wait_samples + 1
        self._wait_mean += (wait_s - self._wait_mean) / min(n, WAIT_WINDOW)
        if n < WAIT_WARMUP:
            return
        target = max(self.cfg.starvation_min_wait_s, self._wait_factor * self._wait_mean)
        cur = self.wait_bound
        if cur / THRESHOLD_HYSTERESIS <= target <= cur * THRESHOLD_HYSTERESIS:
            return
        if target > cur:
            self.wait_bound = target
            return
        if now - self._wait_bound_at < WAIT_REFILE_S:
            return
        self.wait_bound, self._wait_bound_at = target, now
        self._refile_watched(now)

    def _refile_watched(self, now: float) -> None:
        """Deadlines came earlier: re-file every watched call (O(watched), never per step)."""
        for siblings in list(self._waiting_of_program.values()):
            for call in list(siblings.values()):
                self._watch(call, now)

    def observe_load(self, waiting: int, running: int, now: float) -> None:
        """Relative anti-starvation (O(1) per step): the threshold is beta x the queueing
        ratio, an average (time constant ``LOAD_TAU_S``) of waiting calls per running call,
        at least beta. By Little's law that ratio is the total waiting over the total running
        time: how long calls wait per unit of service at this load. Under heavy load every
        call waits many times its run time; an absolute beta then promotes a large share of
        all calls (measured: one in four) and pulls the order back toward arrival order.

        The threshold in force moves only past a ``THRESHOLD_HYSTERESIS`` factor and at most
        once per ``LOAD_TAU_S``: a rise needs nothing more (a deadline that pops early is
        re-filed at its later deadline), a fall re-files every watched call once."""
        if not self._relative_on:
            return
        ratio = waiting / running if running else 0.0
        load = self._load
        rise = self._fast_rise and ratio > load
        if rise:  # a burst: the threshold follows the queue at once (it decays slowly)
            self._load = load = ratio
        elif ratio != load:  # (at the average already, the step below adds 0.0)
            dt = now - self._load_at
            if dt > 0.0:  # (else exp(-0.0) = 1.0: the step adds 0.0)
                self._load = load = load + (1.0 - math.exp(-dt / LOAD_TAU_S)) * (ratio - load)
        self._load_at = now
        if not rise and now - self._threshold_at < LOAD_TAU_S:
            return  # the threshold moved less than LOAD_TAU_S ago (most steps)
        cfg = self.cfg
        target = cfg.starvation_beta * max(1.0, load)
        cur = self.starvation_threshold
        if target == cur:
            return
        if target != cfg.starvation_beta and (  # back at beta itself: always applied
            cur / THRESHOLD_HYSTERESIS <= target <= cur * THRESHOLD_HYSTERESIS
        ):
            return
        self.starvation_threshold, self._threshold_at = target, now
        if target < cur:  # deadlines came earlier: re-file the watched calls
            self._refile_watched(now)

    def _watch(self, call: Call, now: float) -> None:
        """(Re)schedule the starvation check of a waiting call below level 1."""
        entry = self._deadline_entry(call)
        if entry is not None:
            heapq.heappush(self._deadlines, entry)
            self._compact_deadlines()

    def _deadline_entry(self, call: Call) -> tuple[float, int, int, str] | None:
        """:meth:`_watch` up to the heap push: the call's new deadline entry (None when it
        is not watched)."""
        self._unwatch(call)
        if call.running or call.level == 0 or not self._starvation_on:
            return None
        entry = (self.starvation_deadline(call), next(self._seq), call.deadline_token, call.call_id)
        self._waiting_of_program.setdefault(call.program.program_id, {})[call.call_id] = call
        return entry

    def _push_deadlines(self, entries: list[tuple[float, int, int, str]]) -> None:
        """Push many deadline entries (a re-levelling re-files hundreds), then compact once.
        One push each: entries of random deadlines cost O(1) comparisons on average,
        cheaper than re-heapifying; the same entries pop in the same order."""
        heap, push = self._deadlines, heapq.heappush
        for entry in entries:
            push(heap, entry)
        self._compact_deadlines()

    def _compact_deadlines(self) -> None:
        """Drop stale entries once they are over half the heap (O(1) amortised)."""
        if len(self._deadlines) > 2 * len(self.calls) + 64:
            calls = self.calls
            self._deadlines = [
                e for e in self._deadlines if (c := calls.get(e[3])) and c.deadline_token == e[2]
            ]
            heapq.heapify(self._deadlines)

    def _unwatch(self, call: Call) -> None:
        call.deadline_token = next(self._tokens)
        siblings = self._waiting_of_program.get(call.program.program_id)
        if siblings is not None and siblings.pop(call.call_id, None) is not None and not siblings:
            del self._waiting_of_program[call.program.program_id]

    def _promote(self, call: Call, now: float) -> bool:
        """To the top level of the call's tenant (level 0 unless the tenant is over its fair
        share); False when the call is already there."""
        self._unwatch(call)
        top = self.tenant_lift(call.tenant, now) if call.tenant is not None else 0
        if top >= call.level:
            return False
        call.level, call.level_service = top, 0.0
        self._enter_level(call, now)
        # reset call-level W/T only; the program keeps its history
        call.wait_s = call.run_s = 0.0
        call.since = now
        call.promotions += 1
        self.promotions_total += 1
        return True

    def promote_due(self, now: float) -> list[Call]:
        """Promote every waiting call whose starvation deadline has passed (Alg. 1, the
        anti-starvation step). O((due + promoted) log n): no scan of the waiting calls."""
        heap = self._deadlines
        if not heap or heap[0][0] > now or not self._starvation_on:
            return []  # nothing due (most steps): O(1)
        promoted, recheck = [], []
        while heap and heap[0][0] <= now:
            _, _, token, call_id = heapq.heappop(heap)
            call = self.calls.get(call_id)
            if call is None or token != call.deadline_token:
                continue  # stale: the call ran, moved, finished, or was re-watched
            rule = self._starving_by(call, now)
            if rule is None:
                # the threshold rose since it was filed, or rounding at the crossing
                later = max(self.starvation_deadline(call), math.nextafter(now, math.inf))
                recheck.append((later, call))
            elif self._promote(call, now):
                promoted.append(call)
                if rule == "wait":
                    self.wait_promotions_total += 1
            else:  # already at its tenant's top level: look again once the lift may drop
                self._waiting_of_program.setdefault(call.program.program_id, {})[call.call_id] = (
                    call
                )
                recheck.append((now + max(self.cfg.starvation_min_wait_s, 1e-3), call))
        for at, call in recheck:
            heapq.heappush(heap, (at, next(self._seq), call.deadline_token, call.call_id))
        return promoted

    def promote_starving(self, waiting: list[Call], now: float) -> list[Call]:
        """Promote starving calls among ``waiting`` (the check of every call, O(len(waiting)):
        the reference :meth:`promote_due` must agree with)."""
        if not self._starvation_on:
            return []
        starving = [(call, self._starving_by(call, now)) for call in waiting]
        promoted = []
        for call, rule in starving:
            if rule is not None and self._promote(call, now):
                promoted.append(call)
                self.wait_promotions_total += rule == "wait"
        return promoted
