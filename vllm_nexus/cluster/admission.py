"""Overload bound of the cluster endpoint: how many calls may be inside at once.

A call is *inside* from the moment the ingress accepts it until its response (or stream)
ends. At most ``replicas * max_inflight_per_replica + max_queued_requests`` calls are inside:
every replica full plus ``max_queued_requests`` waiting at the router. A call beyond that is
answered HTTP 429 with ``Retry-After`` at once. The count is exact and taken before routing, so
simultaneous calls are never rejected while there is room (Ray Serve's own
``max_queued_requests`` counts calls still being routed as queued and rejects bursts that
would fit: it is left unbounded and this bound replaces it). Pure Python, no Ray import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Admission:
    """Counts calls inside the endpoint against a fixed capacity (thread-safe)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.inside = 0
        self.rejected_total = 0
        self._lock = threading.Lock()

    def enter(self, on_release: Callable[[], None] | None = None) -> Ticket | None:
        """A ticket for one call, or None (answer 429) when the endpoint is full.
        ``on_release`` runs once when the ticket is released."""
        with self._lock:
            if self.inside >= self.capacity:
                self.rejected_total += 1
                return None
            self.inside += 1
        return Ticket(self, on_release)

    def _leave(self) -> None:
        with self._lock:
            self.inside -= 1


class Ticket:
    """One admitted call; :meth:`release` (idempotent) when it has ended, however it ended."""

    __slots__ = ("_admission", "_on_release")

    def __init__(self, admission: Admission, on_release: Callable[[], None] | None = None) -> None:
        self._admission: Admission | None = admission
        self._on_release = on_release

    def release(self) -> None:
        if self._admission is not None:
            self._admission._leave()
            self._admission = None
            if self._on_release is not None:
                self._on_release()
                self._on_release = None

    def __del__(self) -> None:  # a response dropped before it ran: never leak capacity
        self.release()
