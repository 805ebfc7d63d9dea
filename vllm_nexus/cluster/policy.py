"""Program-affine routing of LLM calls across engine replicas (Autellix §5, Alg. 2).

    if call.prompt_tokens <= threshold: replica = least_used(replicas)
    elif call.program is pinned:        replica = pin[call.program]
    else:                               replica = least_used(replicas); pin it

Short calls mostly share a system prompt and hit a prefix cache anywhere, so they go where
the fewest calls are in flight; long calls stick to the replica that already holds their
program's KV cache and prefix. A pin expires when its program has sent no call for
``pin_ttl_s`` (the program TTL) and is dropped when its replica leaves the set (death,
scale-down): the program's next long call re-pins to the least-used replica and counts as a
*reroute*. ``least-used`` and ``round-robin`` are the paper's baselines, selectable for
benchmarks in the same router.

In-flight accounting is per call id: :meth:`ProgramRouter.choose` reserves the chosen
replica for the call (so a burst of concurrent choices spreads instead of piling onto the
same "least used" replica), :meth:`ProgramRouter.assigned` records that a replica took the
call, and :meth:`ProgramRouter.release` frees the reservation when the call ends or is
cancelled. Choosing again for a call that waits for room is a retry, not a new decision.
A reservation may carry the key the endpoint knows its call by (the OpenAI request id):
:meth:`ProgramRouter.release_ended` then frees the reservations of calls the endpoint no
longer holds, whatever notice the router missed.

Pure Python, no vLLM or Ray import; the clock is injectable.
"""

from __future__ import annotations

import itertools
import time
import typing
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vllm_nexus.config import NexusConfig, RouterConfig, RoutingStrategy, SchedulerConfig

Strategy = RoutingStrategy
STRATEGIES: tuple[str, ...] = typing.get_args(RoutingStrategy)
Reason = Literal["short", "no-program", "pinned", "new-pin", "reroute", "least-used", "round-robin"]


class NoReplicaError(RuntimeError):
    """There is no replica to route to."""


@dataclass(frozen=True)
class Decision:
    """Where one call goes, and why."""

    replica: str
    reason: Reason
    program_id: str | None


@dataclass
class _Pin:
    replica: str
    last_used: float


class ProgramRouter:
    """Routing state of one router: replica set, in-flight calls and program pins."""

    def __init__(
        self,
        strategy: Strategy = RouterConfig.strategy,
        long_prompt_tokens: int = RouterConfig.long_prompt_tokens,
        pin_ttl_s: float = SchedulerConfig.program_ttl_s,
        max_pins: int = SchedulerConfig.max_programs,
        reservation_ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Defaults and validation have one home, the typed config (raises ConfigError).
        NexusConfig.from_dict(
            {
                "router": {"strategy": strategy, "long_prompt_tokens": long_prompt_tokens},
                "scheduler": {"program_ttl_s": pin_ttl_s, "max_programs": max_pins},
            }
        )
        if reservation_ttl_s <= 0:
            raise ValueError("reservation_ttl_s must be > 0")
        self.strategy = strategy
        self.long_prompt_tokens = long_prompt_tokens
        self.pin_ttl_s = pin_ttl_s
        self.max_pins = max_pins
        self.reservation_ttl_s = reservation_ttl_s
        self.clock = clock
        self._replicas: list[str] = []
        self._inflight: Counter[str] = Counter()
        # call id -> (replica, reserved_at, key); insertion order = age (for stale purge).
        self._calls: OrderedDict[str, tuple[str, float, str | None]] = OrderedDict()
        # program id -> pin; least recently used first.
        self._pins: OrderedDict[str, _Pin] = OrderedDict()
        self._rr = itertools.count()
        self.decisions: Counter[str] = Counter()
        """Decisions by reason (monotonic counters)."""
        self.routed: Counter[str] = Counter()
        """Calls handed to each replica (monotonic counters): once per hand-over, not per
        retry of a waiting call; a call cancelled before any hand-over is not counted."""
        self.reroutes_total = 0
        """Pinned programs moved to another replica because theirs left the set."""
        self.expired_pins_total = 0
        self.ended_released_total = 0
        """Reservations freed by :meth:`release_ended`: calls that had ended without the
        router being told (each one would have skewed least-used routing until the purge)."""

    # -- replica set ---------------------------------------------------------------------
    @property
    def replicas(self) -> list[str]:
        return list(self._replicas)

    def set_replicas(self, replicas: Iterable[str]) -> list[str]:
        """Replace the replica set. Returns the programs whose pin pointed to a removed
        replica (they are re-pinned on their next long call and counted as reroutes)."""
        new = list(dict.fromkeys(replicas))
        gone = set(self._replicas) - set(new)
        self._replicas = new
        orphaned = [pid for pid, pin in self._pins.items() if pin.replica in gone]
        for rid in [c for c, (r, _, _) in self._calls.items() if r in gone]:
            self.release(rid)
        for r in gone:
            self._inflight.pop(r, None)
        return orphaned

    # -- queries -------------------------------------------------------------------------
    def inflight(self, replica: str) -> int:
        return self._inflight.get(replica, 0)

    def pin_of(self, program_id: str) -> str | None:
        pin = self._pins.get(program_id)
        return pin.replica if pin is not None else None

    @property
    def num_pins(self) -> int:
        return len(self._pins)

    def pins_per_replica(self) -> dict[str, int]:
        counts = Counter(p.replica for p in self._pins.values())
        return {r: counts.get(r, 0) for r in self._replicas}

    def stats(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "replicas": list(self._replicas),
            "inflight": {r: self.inflight(r) for r in self._replicas},
            "pins": self.num_pins,
            "pins_per_replica": self.pins_per_replica(),
            "reroutes_total": self.reroutes_total,
            "expired_pins_total": self.expired_pins_total,
            "decisions": dict(self.decisions),
            "routed": dict(self.routed),
        }

    # -- routing -------------------------------------------------------------------------
    def least_used(self, candidates: Sequence[str] | None = None) -> str:
        """The candidate with the fewest in-flight calls; ties rotate round-robin."""
        pool = self._pool(candidates)
        low = min(self.inflight(r) for r in pool)
        tied = [r for r in pool if self.inflight(r) == low]
        return tied[next(self._rr) % len(tied)]

    def choose(
        self,
        call_id: str,
        program_id: str | None,
        prompt_tokens: int,
        candidates: Sequence[str] | None = None,
        key: str | None = None,
    ) -> Decision:
        """Pick a replica for a call and reserve it until :meth:`release`.

        ``candidates`` restricts the choice (default: every replica); a pinned replica
        that is not a candidate is treated as gone. Choosing again for the same
        ``call_id`` (a retry while the call waits for room) first releases its previous
        reservation and is not counted as another decision. ``key`` names the call for
        :meth:`release_ended`.
        """
        now = self.clock()
        retry = self.release(call_id) is not None
        self._expire(now)
        decision = self._decide(program_id, prompt_tokens, candidates, now)
        self._reserve(call_id, decision.replica, now, key)
        if not retry:
            self.decisions[decision.reason] += 1
        return decision

    def assigned(self, call_id: str, replica: str, key: str | None = None) -> None:
        """``replica`` took the call: count it there, and hold the reservation there (it
        already does when the router hands each call the replica chosen for it)."""
        if self._calls.get(call_id, (None,))[0] != replica:
            self.release(call_id)
            self._reserve(call_id, replica, self.clock(), key)
        self.routed[replica] += 1

    def release(self, call_id: str) -> str | None:
        """A call finished (or failed, or was cancelled): free its reservation."""
        entry = self._calls.pop(call_id, None)
        if entry is None:
            return None
        replica = entry[0]
        if self._inflight.get(replica, 0) > 1:
            self._inflight[replica] -= 1
        else:
            self._inflight.pop(replica, None)
        return replica

    def release_ended(self, holds: Callable[[str], bool]) -> list[str]:
        """Free every keyed reservation whose call the endpoint no longer ``holds``;
        returns their call ids. The router's own notices (a replica took the call, the call
        completed, its wait was cancelled) can miss a call: Ray Serve hands a waiting call
        its replica and cancels the caller in the same instant, the call is never sent and
        nothing reports its end. Unkeyed reservations are left to the stale purge."""
        ended = [c for c, (_, _, key) in self._calls.items() if key is not None and not holds(key)]
        for call_id in ended:
            self.release(call_id)
        self.ended_released_total += len(ended)
        return ended

    @property
    def reservations(self) -> int:
        """Calls holding a reservation."""
        return len(self._calls)

    # -- internals -----------------------------------------------------------------------
    def _reserve(self, call_id: str, replica: str, now: float, key: str | None = None) -> None:
        self._calls[call_id] = (replica, now, key)
        self._inflight[replica] += 1

    def _pool(self, candidates: Sequence[str] | None) -> list[str]:
        pool = list(self._replicas) if candidates is None else list(candidates)
        if not pool:
            raise NoReplicaError("no engine replica is available")
        return pool

    def _decide(
        self,
        program_id: str | None,
        prompt_tokens: int,
        candidates: Sequence[str] | None,
        now: float,
    ) -> Decision:
        pool = self._pool(candidates)
        if self.strategy == "round-robin":
            return Decision(pool[next(self._rr) % len(pool)], "round-robin", program_id)
        if self.strategy == "least-used":
            return Decision(self.least_used(pool), "least-used", program_id)
        pin = self._pins.get(program_id) if program_id is not None else None
        if pin is not None:
            pin.last_used = now  # any call keeps its program (and pin) alive
            self._pins.move_to_end(program_id)
        if prompt_tokens <= self.long_prompt_tokens:
            return Decision(self.least_used(pool), "short", program_id)
        if program_id is None:
            return Decision(self.least_used(pool), "no-program", None)
        if pin is not None and pin.replica in pool:
            return Decision(pin.replica, "pinned", program_id)
        replica = self.least_used(pool)
        if pin is not None:
            self.reroutes_total += 1
            pin.replica = replica
            return Decision(replica, "reroute", program_id)
        self._pins[program_id] = _Pin(replica, now)
        while len(self._pins) > self.max_pins:
            self._pins.popitem(last=False)
            self.expired_pins_total += 1
        return Decision(replica, "new-pin", program_id)

    def _expire(self, now: float) -> None:
        while self._pins:
            pid, pin = next(iter(self._pins.items()))
            if now - pin.last_used < self.pin_ttl_s:
                break
            del self._pins[pid]
            self.expired_pins_total += 1
        while self._calls:
            cid, (_, at, _) = next(iter(self._calls.items()))
            if now - at < self.reservation_ttl_s:
                break
            self.release(cid)


def estimate_tokens(text: str) -> int:
    """Cheap prompt-length estimate when no tokenizer is at hand: ~4 bytes per token
    (BPE tokenizers on English text average 3.5-4.5 bytes/token)."""
    return (len(text.encode("utf-8")) + 3) // 4
