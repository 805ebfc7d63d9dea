"""Process-wide state shared by the routers and the ingress of one ingress replica.

Ray Serve pickles the request-router class *by value* (its module is registered with
``cloudpickle.register_pickle_by_value``), so anything the router shares with the ingress must
live in another module, which is pickled by reference: this one.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from typing import Any

# Routers created in this process (the ingress replica), for its /metrics endpoint.
ROUTERS: list[Any] = []
# OpenAI request id -> replica id of the engine that took it; read by the ingress to charge
# per-replica prefix-cache statistics. Bounded; entries are popped when calls end.
_ROUTES: OrderedDict[str, str] = OrderedDict()
_ROUTES_MAX = 100_000
_LOCK = threading.RLock()  # the router runs in its own event-loop thread; re-entrant because
# a dropped Ticket releases (call_left) from a garbage collection that may run under the lock
STRATEGY_OVERRIDE: list[str] = []
"""Set by the ingress's strategy switch (benchmarks); routers created later start with it."""
# OpenAI request ids of the calls the ingress holds (admitted, not ended) -> how many calls
# use that id. The routers free reservations of calls not held here (``held_calls``).
_INSIDE: Counter[str] = Counter()
_TRACKING: list[bool] = []
"""Non-empty once an ingress of this process tracks its calls: routers in a process with no
such ingress (another app's handle) never take a missing id for an ended call."""


def track_calls() -> None:
    """The ingress of this process reports every call it admits and ends."""
    _TRACKING[:] = [True]


def call_entered(request_id: str) -> None:
    """The ingress admitted a call; called before the call is routed."""
    with _LOCK:
        _INSIDE[request_id] += 1


def call_left(request_id: str) -> None:
    """A call the ingress admitted has ended, however it ended."""
    with _LOCK:
        if _INSIDE[request_id] > 1:
            _INSIDE[request_id] -= 1
        else:
            _INSIDE.pop(request_id, None)


def held_calls() -> frozenset[str] | None:
    """The request ids of the calls the ingress holds, or None when no ingress tracks."""
    if not _TRACKING:
        return None
    with _LOCK:
        return frozenset(_INSIDE)


def set_strategy(strategy: str) -> int:
    """Switch every router of this process to ``strategy``; returns how many were switched."""
    STRATEGY_OVERRIDE[:] = [strategy]
    n = 0
    for router in ROUTERS:
        policy = getattr(router, "policy", None)
        if policy is not None:
            policy.strategy = strategy
            n += 1
    return n


def replica_of(request_id: str) -> str | None:
    """Pop the engine replica a request went to (None if unknown)."""
    with _LOCK:
        return _ROUTES.pop(request_id, None)


def peek_replica(request_id: str) -> str | None:
    """The engine replica a request went to, without forgetting it."""
    with _LOCK:
        return _ROUTES.get(request_id)


def record_route(request_id: str, replica: str) -> None:
    """Remember which replica took an OpenAI request (bounded)."""
    with _LOCK:
        _ROUTES[request_id] = replica
        _ROUTES.move_to_end(request_id)
        while len(_ROUTES) > _ROUTES_MAX:
            _ROUTES.popitem(last=False)
