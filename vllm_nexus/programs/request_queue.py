"""vLLM's waiting-queue interface ordered by program (adapter for Autellix §4.2's queues)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator

from vllm.v1.core.sched.request_queue import RequestQueue
from vllm.v1.request import Request

_Entry = tuple[tuple, int, str, int]
"""(key, tie-break, request id, its tokens when queued); the tie-break is unique, so entries
never compare past it. An entry holds only numbers and a string: CPython's collector
untracks such a tuple the first time it sees it, so the entries of the heap (live, and
stale ones waiting for compaction) cost no collector time; the requests are in a dict."""


class ProgramRequestQueue(RequestQueue):
    """vLLM waiting queue ordered by a key function (priority tier, queue level, then FCFS).

    A heap with lazy deletion: O(log n) add/pop/:meth:`update`, O(1) remove. A request's key
    is computed when it is (re)inserted; :meth:`update` re-inserts one whose key changed
    (a starvation promotion). ``prepend`` means "re-insert with its key": a preempted call
    returns to its level's order, not to the queue's head.

    Like vLLM's own queues it iterates in service order, and also supports ``len``,
    ``in``, and indexing/slicing in that order (``queue[0]`` is the next request), for code
    and tests that read ``scheduler.waiting`` like a deque. Those walk the whole queue
    (O(n log n), cached until the next change); the scheduler's per-step path never does.
    """

    def __init__(self, key: Callable[[Request], tuple]) -> None:
        self._key = key
        self._heap: list[_Entry] = []
        self._live: dict[str, _Entry] = {}
        self._requests: dict[str, Request] = {}
        """The queued requests by id (the heap entries name them by id)."""
        self._tie = itertools.count()
        self._ordered: list[Request] | None = None
        self._groups: dict[tuple, list[int]] = {}
        """(tier, level) -> [requests, tokens] of the live entries."""

    def _count(self, entry: _Entry, sign: int) -> None:
        group = entry[0][:2]
        row = self._groups.get(group)
        if row is None:
            row = self._groups[group] = [0, 0]
        row[0] += sign
        row[1] += sign * entry[3]
        if row[0] <= 0:
            del self._groups[group]

    # -- vLLM's RequestQueue interface ---------------------------------------------------
    # vLLM's ``schedule()`` calls these on every admission attempt: each is one tight body
    # (the group counts kept inline, no helper calls on the hot path).
    def add_request(self, request: Request) -> None:
        tokens = getattr(request, "num_tokens", 0)
        key = self._key(request)
        rid = request.request_id
        entry = (key, next(self._tie), rid, tokens)
        live, groups = self._live, self._groups
        old = live.get(rid)
        if old is not None:
            self._count(old, -1)
        live[rid] = entry
        self._requests[rid] = request
        group = key[:2]
        row = groups.get(group)
        if row is None:
            groups[group] = [1, tokens]
        else:
            row[0] += 1
            row[1] += tokens
        heapq.heappush(self._heap, entry)
        self._ordered = None

    def _top(self) -> _Entry:
        heap, live = self._heap, self._live
        while heap:
            entry = heap[0]
            if live.get(entry[2]) is entry:
                return entry
            heapq.heappop(heap)
        raise IndexError("pop from an empty queue")

    def pop_request(self) -> Request:
        entry = self._top()
        heapq.heappop(self._heap)
        rid = entry[2]
        del self._live[rid]
        self._count(entry, -1)
        self._ordered = None
        return self._requests.pop(rid)

    def peek_request(self) -> Request:
        heap = self._heap
        if heap:  # the head is live unless it was removed since (then: drop stale entries)
            rid = heap[0][2]
            if self._live.get(rid) is heap[0]:
                return self._requests[rid]
        return self._requests[self._top()[2]]

    def prepend_request(self, request: Request) -> None:
        self.add_request(request)

    def prepend_requests(self, requests: Iterable[Request]) -> None:
        for r in requests:
            self.add_request(r)

    def remove_request(self, request: Request) -> None:
        entry = self._live.pop(request.request_id, None)
        if entry is not None:
            del self._requests[entry[2]]
            self._count(entry, -1)
            self._ordered = None
        if len(self._heap) > 2 * len(self._live) + 64:
            self._compact()

    def remove_requests(self, requests: Iterable[Request]) -> None:
        for r in requests:
            self.remove_request(r)

    def __bool__(self) -> bool:
        return bool(self._live)

    def __len__(self) -> int:
        return len(self._live)

    def __iter__(self) -> Iterator[Request]:
        return iter(self._in_order())

    # -- beyond the interface ------------------------------------------------------------
    def update(self, request: Request) -> None:
        """Re-key a queued request whose key changed (no-op if it is not queued)."""
        if request.request_id in self._live:
            self.add_request(request)

    def update_many(self, requests: Iterable[Request]) -> None:
        """:meth:`update` each of ``requests``, in order (a re-levelling re-keys hundreds):
        the same entries pushed in the same order, with the same counts, in one tight loop
        (no per-request method calls but the key function). One heap push each: pushing
        entries of random keys costs O(1) comparisons on average, cheaper than
        re-heapifying."""
        live, queued, groups, heap = self._live, self._requests, self._groups, self._heap
        key_of, tie, push = self._key, self._tie, heapq.heappush
        changed = False
        for request in requests:
            rid = request.request_id
            old = live.get(rid)
            if old is None:
                continue
            tokens = getattr(request, "num_tokens", 0)
            key = key_of(request)
            entry = (key, next(tie), rid, tokens)
            group, old_group, old_tokens = key[:2], old[0][:2], old[3]
            if group != old_group or tokens != old_tokens:  # else the counts do not move
                row = groups[old_group]
                row[0] -= 1
                row[1] -= old_tokens
                if row[0] <= 0:
                    del groups[old_group]
                row = groups.get(group)
                if row is None:
                    groups[group] = [1, tokens]
                else:
                    row[0] += 1
                    row[1] += tokens
            live[rid] = entry
            queued[rid] = request
            push(heap, entry)
            changed = True
        if changed:
            self._ordered = None

    def __contains__(self, request: object) -> bool:
        rid = getattr(request, "request_id", None)
        return isinstance(rid, str) and self._requests.get(rid) is request

    def __getitem__(self, index: int | slice) -> Request | list[Request]:
        return self._in_order()[index]

    def smallest(self, n: int) -> list[Request]:
        """The best ``n`` requests, best first: a walk of the heap's top, O(n log n)
        (stale entries on the way are skipped), independent of the queue's length."""
        return list(self.best(n))

    def best(self, n: int) -> Iterator[Request]:
        """:meth:`smallest`, lazily: yields the best ``n`` requests, best first, walking
        only as far into the heap as the caller reads (a caller that stops after the head
        pays for the head). The queue must not change while the iterator is in use."""
        heap, live, requests = self._heap, self._live, self._requests
        if n <= 0 or not heap:
            return
        size, found = len(heap), 0
        frontier = [(heap[0], 0)]
        pop, push = heapq.heappop, heapq.heappush
        while frontier:
            entry, i = pop(frontier)
            if live.get(entry[2]) is entry:
                yield requests[entry[2]]
                found += 1
                if found >= n:
                    return
            child = 2 * i + 1
            if child < size:
                push(frontier, (heap[child], child))
                if child + 1 < size:
                    push(frontier, (heap[child + 1], child + 1))

    def ahead(self, group: tuple) -> tuple[int, int]:
        """Requests, and tokens they hold, waiting in a strictly better (tier, level) than
        ``group``: the work admitted before a request queued at ``group``. O(levels)."""
        calls = tokens = 0
        for g, (n, t) in self._groups.items():
            if g < group:
                calls += n
                tokens += t
        return calls, tokens

    def unordered(self) -> list[Request]:
        """All queued requests, in no particular order (O(len))."""
        return list(self._requests.values())

    def _in_order(self) -> list[Request]:
        if self._ordered is None:
            requests = self._requests
            self._ordered = [requests[e[2]] for e in sorted(self._live.values())]
        return self._ordered

    def _compact(self) -> None:
        self._heap = list(self._live.values())
        heapq.heapify(self._heap)
