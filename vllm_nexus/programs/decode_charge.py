"""Lazy charging of decode tokens: quantum accounting without a per-step loop over the batch.

Autellix §4.3 demotes a call once it has received its level's quantum of service, so the
service of every running call must be known when it may cross that quantum. A call past its
prompt (decoding, no speculative tokens) gains exactly one token of service per step it is
scheduled in. Instead of adding 1 to each such call every step (a loop over the whole
batch), a decoding call remembers its request's token *frontier* (tokens whose execution is
done) when it started decoding (its *mark*); its service since then is ``frontier - mark``,
settled only when needed:

- when it may cross its level's quantum: a heap keyed by the earliest charged step at which
  it can (at most one token per step, so ``ceil(quantum left)`` steps on); an entry that
  pops before the crossing settles and is filed again further on;
- when it stops decoding (preempted, finished, aborted), and when the levels changed (all
  decoding calls are filed again, O(running), at most once per level change);
- when its service is read (:meth:`DecodeCharges.settle`).

Tenants' decayed charges stay per step (a charge at time ``t`` decays from ``t``): each step
charges every tenant the number of its decoding calls scheduled in it, kept as per-tenant
counts (O(tenants with decoding calls) per step, usually one).

The caller (the vLLM adapter) supplies frontiers; this module never reads a vLLM request.
Pure Python, no vLLM import.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Collection, Iterable

from vllm_nexus.programs.queues import Call, MultiLevelQueue

Frontier = Callable[[Call], "int | None"]
"""The executed-token frontier of a call's request now (None: the request is gone)."""


class DecodeCharges:
    """Decoding calls charged lazily (see the module docstring)."""

    def __init__(self, mlq: MultiLevelQueue) -> None:
        self.mlq = mlq
        self.step = 0
        """Charged steps so far (the caller calls :meth:`next_step` once per step)."""
        self._marks: dict[str, list] = {}
        """call id -> [call, mark, token]: the frontier up to which it is charged."""
        self._heap: list[tuple[int, int, int, str]] = []
        """(earliest step it can cross its quantum, tie, token, call id)."""
        self._tenants: dict[int, list] = {}
        """id(tenant) -> [tenant, decoding calls of it]. Handed out as is by
        :meth:`tenant_counts` (no copy per step): copied before it next changes."""
        self._counts_out = False
        """:attr:`_tenants` was handed out: copy it before changing it (copy on write)."""
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._marks)

    def __contains__(self, call_id: str) -> bool:
        return call_id in self._marks

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, call: Call, mark: int, file: bool = True) -> None:
        """``call`` decodes from now on; its service is charged up to frontier ``mark``.
        ``file=False``: not filed at its quantum crossing yet: the caller files it
        (:meth:`file`) before the next :meth:`due`, once the service still to be charged
        before it started decoding (its last prompt chunk) is in; filing it now as well
        would only push an entry that goes stale at once."""
        if call.call_id in self._marks:
            return
        self._marks[call.call_id] = [call, mark, 0]
        if self._counts_out:
            self._own_counts()
        entry = self._tenants.get(id(call.tenant))
        if entry is None:
            self._tenants[id(call.tenant)] = [call.tenant, 1]
        else:
            entry[1] += 1
        if file:
            self._file(call.call_id)

    def stop(self, call_id: str, frontier: int | None, now: float) -> tuple[Call | None, bool]:
        """``call_id`` stops decoding (preempted, finished): settle it, forget it. Returns
        the call (None if it was not decoding) and whether the settling demoted it."""
        entry = self._marks.pop(call_id, None)
        if entry is None:
            return None, False
        call = entry[0]
        demoted = frontier is not None and self._settle_entry(entry, frontier, now)
        if self._counts_out:
            self._own_counts()
        tenant = self._tenants[id(call.tenant)]
        tenant[1] -= 1
        if tenant[1] <= 0:
            del self._tenants[id(call.tenant)]
        return call, demoted

    def settle(self, call_id: str, frontier: int | None, now: float) -> bool:
        """Charge ``call_id`` its decode tokens up to ``frontier``; True when it was demoted."""
        entry = self._marks.get(call_id)
        if entry is None or frontier is None:
            return False
        return self._settle_entry(entry, frontier, now)

    def _settle_entry(self, entry: list, frontier: int, now: float) -> bool:
        tokens = frontier - entry[1]
        if tokens <= 0:
            return False
        entry[1] = frontier
        # the tenant was charged step by step (tenant_counts); only the call here
        return self.mlq.charge(entry[0], float(tokens), now, charge_tenant=False)

    # -- per step --------------------------------------------------------------------------
    def tenant_counts(self, among: Iterable[str] | None = None) -> dict[int, list]:
        """``id(tenant) -> [tenant, its decoding calls]``: what one step charges each tenant
        when all of them are scheduled; with ``among``, only the decoding calls among those
        ids (O(len(among)): a step that left some decoding calls out). The caller must not
        change it: without ``among`` it is the live counts (O(1), nothing copied; they are
        copied before they next change)."""
        if among is None:
            self._counts_out = True
            return self._tenants
        counts: dict[int, list] = {}
        marks = self._marks
        for call_id in among:
            entry = marks.get(call_id)
            if entry is not None:
                tenant = entry[0].tenant
                count = counts.get(id(tenant))
                if count is None:
                    counts[id(tenant)] = [tenant, 1]
                else:
                    count[1] += 1
        return counts

    def step_counts(self, scheduled: Collection[str], explicit: int = 0) -> dict[int, list]:
        """:meth:`tenant_counts` for a step that scheduled ``scheduled`` (ids), ``explicit``
        of them charged per call (prompt chunks): the live counts when the other scheduled
        ids are as many as the decoding calls (every decoding call is in: the usual case,
        O(1)), else counted over ``scheduled``."""
        if len(scheduled) - explicit == len(self._marks):
            return self.tenant_counts()
        return self.tenant_counts(scheduled)

    def _own_counts(self) -> None:
        """Copy the counts handed out by :meth:`tenant_counts` before changing them."""
        self._tenants = {k: [t, n] for k, (t, n) in self._tenants.items()}
        self._counts_out = False

    def next_step(self) -> None:
        """One more step was charged."""
        self.step += 1

    def has_due(self) -> bool:
        """Whether :meth:`due` has anything to look at this step (O(1))."""
        heap = self._heap
        return bool(heap) and heap[0][0] <= self.step

    def due(
        self, frontier_of: Frontier, now: float, order: Callable[[Call], int] | None = None
    ) -> list[Call]:
        """Settle the calls that may have crossed their quantum by now, in ``order`` (the
        order a per-step loop would charge them: demotions set FCFS positions); returns the
        demoted ones (still decoding, filed at their next crossing). O(due · log n)."""
        heap, marks, demoted, popped = self._heap, self._marks, [], []
        while heap and heap[0][0] <= self.step:
            _, _, token, call_id = heapq.heappop(heap)
            entry = marks.get(call_id)
            if entry is not None and entry[2] == token:  # else stale: stopped or filed again
                popped.append((call_id, entry))
        if order is not None and len(popped) > 1:
            popped.sort(key=lambda p: order(p[1][0]))
        for call_id, entry in popped:
            frontier = frontier_of(entry[0])
            if frontier is not None and self._settle_entry(entry, frontier, now):
                demoted.append(entry[0])
            self._file(call_id)
        return demoted

    def refile(self, frontier_of: Frontier, now: float) -> list[Call]:
        """The levels (quanta) changed: settle and file every decoding call again
        (O(decoding calls), once per level change). Returns the demoted ones."""
        demoted = []
        # every entry of the heap goes stale (each call is filed again): start a new heap
        # and heapify it once instead of pushing onto the stale one (entries never tie:
        # the same live entries pop in the same order). :meth:`_settle_entry` and
        # :meth:`_file` inline: this loop runs over every decoding call.
        heap: list[tuple[int, int, int, str]] = []
        self._heap = heap
        mlq, step, seq, ceil = self.mlq, self.step, self._seq, math.ceil
        filed = mlq.policy != "fcfs"
        for call_id, entry in list(self._marks.items()):
            call = entry[0]
            frontier = frontier_of(call)
            if frontier is not None and frontier > entry[1]:
                tokens, entry[1] = frontier - entry[1], frontier
                if mlq.charge(call, float(tokens), now, charge_tenant=False):
                    demoted.append(call)
            entry[2] += 1
            if filed and call.level < mlq.num_levels - 1:  # else never demoted
                left = mlq.quanta[call.level] - call.level_service
                heap.append((step + max(1, ceil(left)), next(seq), entry[2], call_id))
        heapq.heapify(heap)
        return demoted

    def file(self, call_id: str) -> None:
        """File a decoding call again after its level or level service changed elsewhere
        (its prompt chunk was charged after it started decoding)."""
        if call_id in self._marks:
            self._file(call_id)

    def _file(self, call_id: str, push: bool = True) -> None:
        """(Re)file the call at the earliest step it can cross its level's quantum
        (``push=False``: appended, the caller heapifies)."""
        entry = self._marks[call_id]
        entry[2] += 1
        call, mlq = entry[0], self.mlq
        if mlq.policy == "fcfs" or call.level >= mlq.num_levels - 1:
            return  # never demoted
        left = mlq.levels.quanta[call.level] - call.level_service
        at = self.step + max(1, math.ceil(left))
        if not push:
            self._heap.append((at, next(self._seq), entry[2], call_id))
            return
        heapq.heappush(self._heap, (at, next(self._seq), entry[2], call_id))
        if len(self._heap) > 2 * len(self._marks) + 64:
            self._heap = [e for e in self._heap if (m := self._marks.get(e[3])) and m[2] == e[2]]
            heapq.heapify(self._heap)
