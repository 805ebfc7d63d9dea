"""Ray Serve request router for the engine deployment: Autellix Alg. 2 on Ray Serve's
``RequestRouter`` extension point (``request_router_config.request_router_class``).

Ray Serve runs one router per deployment handle, i.e. inside the ingress replica that calls
the engines; the policy (:class:`vllm_nexus.cluster.policy.ProgramRouter`) lives there. For each
call it reads the program id and the prompt length from the OpenAI request the ingress
forwards (``args[0]``) and returns exactly one replica: Ray Serve then sends the call there,
or waits (bounded by ``max_queued_requests``, then HTTP 429 at the ingress) while that
replica is full. Replicas that die or leave drop out of the set through
``update_replicas``/``on_replica_actor_died``; their programs re-pin on the next long call.

A call that waits for room is chosen for again on every retry (Ray Serve hands each call
the replica chosen for it, ``RequestRouter._fulfill_next_pending_request``). The router
watches each call's routing future (``PendingRequest.future``): when it resolves, the call
is counted on the replica that took it; when it is cancelled (the client went away while
the call waited), its reservation is freed, as ``on_request_completed`` frees it for a call
that ran. Without this a cancelled waiting call held its reservation until the 1 h stale
purge and least-used routing avoided its replica meanwhile.

These notices can still miss a call: Ray Serve may hand a waiting call its replica in the
same instant its client goes away, and then the call is never sent and nothing reports its
end. So every reservation also carries the call's OpenAI request id, and once a second
(:data:`RECONCILE_S`) the router frees the reservations of calls the ingress no longer holds
(:func:`vllm_nexus.cluster.registry.held_calls`; ``ProgramRouter.release_ended``).

Tokenizer work never runs on the router's event loop: the model tokenizer loads in a
background thread when the router is created, and prompts are counted in a worker thread
(a blocking ``choose_replicas`` stalls every call the router is placing).

Ray pickles this module by value: shared state lives in :mod:`vllm_nexus.cluster.registry`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import Any

from ray.serve.request_router import PendingRequest, RequestRouter, RunningReplica

from vllm_nexus.cluster import calls, registry
from vllm_nexus.cluster.policy import ProgramRouter
from vllm_nexus.programs import identity
from vllm_nexus.programs.identity import InvalidProgramId

logger = logging.getLogger(__name__)

RECONCILE_S = 1.0
"""How often the router frees reservations of calls that have ended (see the module
docstring). A scan covers only the calls holding a reservation (at most the cluster's
capacity), so once a second costs nothing, and a missed end skews routing for a second."""


class ProgramAffineRouter(RequestRouter):
    """Program-affine routing (Autellix Alg. 2); ``strategy`` also offers the
    ``least-used`` and ``round-robin`` baselines."""

    def initialize_state(
        self,
        strategy: str = "program-affine",
        long_prompt_tokens: int = 2048,
        pin_ttl_s: float = 600.0,
        max_pins: int = 100_000,
        tokenizer: str | None = None,
        max_program_id_length: int = 256,
        **_: Any,
    ) -> None:
        if registry.STRATEGY_OVERRIDE:
            strategy = registry.STRATEGY_OVERRIDE[0]
        self.policy = ProgramRouter(
            strategy=strategy,  # type: ignore[arg-type]
            long_prompt_tokens=long_prompt_tokens,
            pin_ttl_s=pin_ttl_s,
            max_pins=max_pins,
        )
        self.policy.set_replicas(r.replica_id.unique_id for r in self._replicas_list)
        self._max_id_len = max_program_id_length
        self._tokens: dict[str, int] = {}
        self._watched: dict[str, asyncio.Future[Any]] = {}
        """Internal request id -> the routing future watched for it."""
        self._reconciler: asyncio.TimerHandle | None = None
        self.reconcile_s = RECONCILE_S
        """Seconds between two :meth:`reconcile` runs (an attribute: Ray Serve unpickles this
        class by value, which gives its methods their own copy of this module's globals)."""
        # loading a tokenizer takes seconds: start now, off the event loop
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="nexus-tok")
        self._tokenizer = self._pool.submit(calls.load_tokenizer, tokenizer)
        registry.ROUTERS.append(self)
        logger.info("vllm_nexus router: strategy=%s threshold=%d", strategy, long_prompt_tokens)

    # -- replica set changes --------------------------------------------------------------
    def _sync_replicas(self) -> None:
        policy = getattr(self, "policy", None)
        if policy is not None:
            orphaned = policy.set_replicas(r.replica_id.unique_id for r in self._replicas_list)
            if orphaned:
                logger.warning(
                    "vllm_nexus router: %d pinned programs lost their replica; they move on "
                    "their next call",
                    len(orphaned),
                )

    def update_replicas(self, replicas: list[RunningReplica]) -> None:
        super().update_replicas(replicas)
        self._sync_replicas()

    def on_replica_actor_died(self, replica_id: Any) -> None:
        super().on_replica_actor_died(replica_id)
        self._sync_replicas()

    # -- routing ----------------------------------------------------------------------------
    def _count_tokens(self, body: Any) -> int:
        """Prompt tokens of ``body`` (runs in the tokenizer thread)."""
        return calls.count_prompt_tokens(body, self._tokenizer.result())

    async def _call_facts(self, pr: PendingRequest) -> tuple[str | None, int, str | None]:
        body = pr.args[0] if pr.args else None
        headers = getattr(pr.args[1], "headers", None) if len(pr.args) > 1 else None
        try:
            pid = identity.program_id_of_http(body, headers, self._max_id_len)
        except InvalidProgramId:
            pid = None  # the ingress rejects these with HTTP 400 before routing
        if pid is None and pr.metadata.session_id:
            pid = pr.metadata.session_id
        rid = pr.metadata.internal_request_id
        tokens = self._tokens.get(rid)
        if tokens is None:
            loop = asyncio.get_running_loop()
            tokens = await loop.run_in_executor(self._pool, self._count_tokens, body)
            self._tokens[rid] = tokens
        return pid, tokens, getattr(body, "request_id", None)

    async def choose_replicas(
        self,
        candidate_replicas: list[RunningReplica],
        pending_request: PendingRequest | None = None,
    ) -> list[list[RunningReplica]]:
        if pending_request is None or not candidate_replicas:
            return [candidate_replicas]
        by_id = {r.replica_id.unique_id: r for r in candidate_replicas}
        pid, tokens, request_id = await self._call_facts(pending_request)
        self._schedule_reconcile()
        if pending_request.future.done():  # settled while its prompt was counted
            return [candidate_replicas]
        decision = self.policy.choose(
            pending_request.metadata.internal_request_id,
            pid,
            tokens,
            list(by_id),
            key=request_id,
        )
        if request_id:
            registry.record_route(request_id, decision.replica)
        self._watch(pending_request, request_id)
        return [[by_id[decision.replica]]]

    def _watch(self, pr: PendingRequest, request_id: str | None) -> None:
        rid = pr.metadata.internal_request_id
        future = pr.future
        if self._watched.get(rid) is future:
            return
        self._watched[rid] = future
        future.add_done_callback(lambda f: self._on_routed(rid, request_id, f))

    def _on_routed(self, rid: str, request_id: str | None, future: asyncio.Future[Any]) -> None:
        """The call's routing future resolved (a replica took it) or was cancelled."""
        if self._watched.get(rid) is future:
            del self._watched[rid]
        if future.cancelled() or future.exception() is not None:
            self.policy.release(rid)
            self._tokens.pop(rid, None)
            if request_id:
                registry.replica_of(request_id)  # forget its route
            return
        replica = future.result().replica_id.unique_id
        self.policy.assigned(rid, replica, key=request_id)
        if request_id:
            registry.record_route(request_id, replica)

    def on_request_completed(self, replica_id: Any, internal_request_id: str) -> None:
        self.policy.release(internal_request_id)
        self._tokens.pop(internal_request_id, None)

    # -- reservations of calls that ended unseen ------------------------------------------
    def _schedule_reconcile(self) -> None:
        """Run :meth:`reconcile` every :data:`RECONCILE_S` on the router's loop (started
        by the first call; the timer lives as long as the loop)."""
        if self._reconciler is None:
            loop = asyncio.get_running_loop()
            self._reconciler = loop.call_later(self.reconcile_s, self._reconcile_tick, loop)

    def _reconcile_tick(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            self.reconcile()
        finally:
            self._reconciler = loop.call_later(self.reconcile_s, self._reconcile_tick, loop)

    def reconcile(self) -> int:
        """Free the reservations of calls the ingress no longer holds; returns how many."""
        if not self.policy.reservations:
            return 0
        held = registry.held_calls()
        if held is None:  # no ingress of ours in this process: nothing to compare with
            return 0
        freed = self.policy.release_ended(held.__contains__)
        for rid in freed:
            self._tokens.pop(rid, None)
        if freed:
            logger.debug("vllm_nexus router: freed %d reservations of ended calls", len(freed))
        return len(freed)
