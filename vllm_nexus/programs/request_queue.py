"""vLLM's waiting-queue interface ordered by program (adapter for Autellix §4.2's queues)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator

from vllm.v1.core.sched.request_queue import RequestQueue
from vllm.v1.request import Request


class ProgramRequestQueue(RequestQueue):
    """vLLM waiting queue ordered by a key function (queue level first, then FCFS).

    A heap with lazy deletion: O(log n) add/pop, O(1) remove; :meth:`reorder` re-keys every
    entry after priorities changed (starvation promotions). ``prepend`` means "re-insert with
    its key": a preempted call returns to its level's order, not to the queue's head.
    """

    def __init__(self, key: Callable[[Request], tuple]) -> None:
        self._key = key
        self._heap: list[tuple[tuple, int, Request]] = []
        self._live: dict[str, tuple[tuple, int, Request]] = {}
        self._tie = itertools.count()

    def add_request(self, request: Request) -> None:
        entry = (self._key(request), next(self._tie), request)
        self._live[request.request_id] = entry
        heapq.heappush(self._heap, entry)

    def _top(self) -> tuple[tuple, int, Request]:
        while self._heap:
            entry = self._heap[0]
            if self._live.get(entry[2].request_id) is entry:
                return entry
            heapq.heappop(self._heap)
        raise IndexError("pop from an empty queue")

    def pop_request(self) -> Request:
        entry = self._top()
        heapq.heappop(self._heap)
        del self._live[entry[2].request_id]
        return entry[2]

    def peek_request(self) -> Request:
        return self._top()[2]

    def prepend_request(self, request: Request) -> None:
        self.add_request(request)

    def prepend_requests(self, requests: Iterable[Request]) -> None:
        for r in requests:
            self.add_request(r)

    def remove_request(self, request: Request) -> None:
        self._live.pop(request.request_id, None)
        if len(self._heap) > 2 * len(self._live) + 64:
            self.reorder()

    def remove_requests(self, requests: Iterable[Request]) -> None:
        for r in requests:
            self.remove_request(r)

    def reorder(self) -> None:
        """Rebuild the heap with fresh keys (and without stale entries)."""
        self._heap = [(self._key(e[2]), e[1], e[2]) for e in self._live.values()]
        self._live = {e[2].request_id: e for e in self._heap}
        heapq.heapify(self._heap)

    def unordered(self) -> list[Request]:
        """All queued requests, in no particular order (O(len))."""
        return [e[2] for e in self._live.values()]

    def smallest(self, n: int) -> list[Request]:
        """The best ``n`` requests, best first (O(len))."""
        return [e[2] for e in heapq.nsmallest(n, self._live.values())]

    def __bool__(self) -> bool:
        return bool(self._live)

    def __len__(self) -> int:
        return len(self._live)

    def __iter__(self) -> Iterator[Request]:
        return iter([e[2] for e in sorted(self._live.values())])
