"""The cluster's OpenAI-compatible HTTP ingress: Ray Serve LLM's ``OpenAiIngress`` plus the
program-id check, overload and replica-failure answers, and ``/metrics``, ``/health``.

- A malformed program id (``vllm_xargs.program_id``, ``session_id``, ``X-Session-ID``, the
  agent-harness session headers) or program size hint (``vllm_xargs.program_size_hint``) is
  rejected with HTTP 400 before routing, as on a single server with the middleware; a program
  named only by harness headers is written into the body's ``vllm_xargs`` (the engines never
  see those headers), before routing.
- Overload: at most ``replicas * max_inflight_per_replica + max_queued_requests`` calls are
  inside the endpoint at once (:mod:`vllm_nexus.cluster.admission`); a call beyond that is
  answered HTTP 429 with ``Retry-After`` at once.
- A replica that dies under a call: HTTP 503 with a clear message if nothing was sent yet, an
  SSE ``error`` event then end of stream if streaming had started. Never a hang: Ray raises
  as soon as the actor is gone; a call with no first token within ``first_token_timeout_s``
  answers 504.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError
from ray.serve.exceptions import BackPressureError
from ray.serve.llm.ingress import OpenAiIngress, make_fastapi_ingress

from vllm_nexus.cluster import registry
from vllm_nexus.cluster.admission import Admission, Ticket
from vllm_nexus.cluster.engine_metrics import read_published_off_loop
from vllm_nexus.cluster.metrics import ClusterStats, make_registry, render
from vllm_nexus.cluster.policy import STRATEGIES
from vllm_nexus.cluster.registry import ROUTERS, peek_replica, replica_of, set_strategy
from vllm_nexus.programs.identity import (
    InvalidProgramId,
    InvalidSizeHint,
    SessionTree,
    http_identity,
)

logger = logging.getLogger(__name__)

REPLICA_HEADER = "X-Vllm-Nexus-Replica"
"""Response header naming the engine replica that served the call (debugging, tests)."""
REPLICA_ERRORS = (ActorDiedError, ActorUnavailableError, RayActorError)


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": status}}
    return JSONResponse(body, status_code=status, headers=headers)


def _sse(item: Any) -> str:
    if isinstance(item, list):
        return "".join(_sse(i) for i in item)
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return f"data: {json.dumps(item)}\n\n"
    return f"data: {item.model_dump_json()}\n\n"


def usage_of(item: Any) -> tuple[int, int] | None:
    """(prompt_tokens, cached_tokens) from a response object or SSE text, if it has usage."""
    if isinstance(item, list):
        found = [u for u in map(usage_of, item) if u is not None]
        return found[-1] if found else None
    if isinstance(item, str):
        if '"usage"' not in item:
            return None
        for line in reversed(item.splitlines()):
            if line.startswith("data: {") and '"usage"' in line:
                try:
                    return usage_of(json.loads(line[6:]))
                except json.JSONDecodeError:
                    return None
        return None
    usage = item.get("usage") if isinstance(item, dict) else getattr(item, "usage", None)
    if not usage:
        return None
    if not isinstance(usage, dict):
        usage = usage.model_dump()
    details = usage.get("prompt_tokens_details") or {}
    return int(usage.get("prompt_tokens") or 0), int(details.get("cached_tokens") or 0)


class NexusIngress(OpenAiIngress):
    """OpenAI endpoint in front of the engine replicas (``ProgramAffineRouter`` routes)."""

    def __init__(
        self,
        llm_deployments: dict[str, Any],
        model_cards: dict[str, Any],
        *,
        lora_paths: dict[str, str] | None = None,
        retry_after_s: int = 1,
        max_program_id_length: int = 256,
        first_token_timeout_s: float = 600.0,
        allow_strategy_switch: bool = False,
        capacity: int = 1_000_000,
    ) -> None:
        super().__init__(llm_deployments, model_cards, lora_paths=lora_paths)
        self._retry_after_s = retry_after_s
        self._max_id_len = max_program_id_length
        self._first_token_timeout_s = first_token_timeout_s
        self._allow_switch = allow_strategy_switch
        self._admission = Admission(capacity)
        self._stats = ClusterStats(self._admission)
        self._engine_snapshots: list[tuple[str, dict[str, Any]]] = []
        """The engines' published snapshots, fetched off the loop before each scrape."""
        self._registry = make_registry(
            self._stats, lambda: list(ROUTERS), lambda: self._engine_snapshots
        )
        self._sessions = SessionTree()
        registry.track_calls()

    async def _process_llm_request(
        self, body: Any, call_method: str, raw_request: Request | None = None
    ) -> Response:
        headers = dict(raw_request.headers) if raw_request is not None else None
        try:
            ident = http_identity(body, headers, self._max_id_len, self._sessions)
        except InvalidProgramId as e:
            self._stats.count("invalid_program_ids_total")
            what = "program size hint" if isinstance(e, InvalidSizeHint) else "program id"
            return _error(400, f"invalid {what}: {e}", "BadRequestError")
        if ident.inject:  # harness headers do not reach the engine replicas: carry them
            body.vllm_xargs = {**(getattr(body, "vllm_xargs", None) or {}), **ident.inject}
        request_id = getattr(body, "request_id", None)
        # the call's end frees what the routers still hold for it (``registry.held_calls``)
        left = None if request_id is None else functools.partial(registry.call_left, request_id)
        ticket = self._admission.enter(left)
        if ticket is None:
            return self._overloaded(f"{self._admission.capacity} calls in progress")
        if request_id is not None:  # before routing: the routers free what ended calls hold
            registry.call_entered(request_id)
        try:
            response = await self._route(body, call_method, raw_request, ticket)
        except BaseException:  # e.g. cancelled: the client went away
            ticket.release()
            self._forget(getattr(body, "request_id", None))
            raise
        if not isinstance(response, StreamingResponse):
            ticket.release()  # complete or failed: the call is over
        return response

    def _overloaded(self, why: str) -> Response:
        self._stats.count("rejected_total")
        return _error(
            429,
            f"cluster overloaded, retry later ({why})",
            "RateLimitError",
            {"Retry-After": str(self._retry_after_s)},
        )

    async def _route(
        self, body: Any, call_method: str, raw_request: Request | None, ticket: Ticket
    ) -> Response:
        """Send an admitted call to its engine replica (routing: ``ProgramAffineRouter``)."""
        request_id = getattr(body, "request_id", None)
        gen = self._get_response(body=body, call_method=call_method, raw_request=raw_request)
        try:
            async with asyncio.timeout(self._first_token_timeout_s):
                first = await gen.__anext__()
        except BackPressureError as e:  # only if Ray Serve's own queue bound is set
            return self._overloaded(e.message)
        except REPLICA_ERRORS as e:
            self._stats.count("replica_failures_total")
            logger.warning("vllm_nexus ingress: engine replica failed under a call: %s", e)
            return _error(
                503,
                "the engine replica serving this call died; retry the call (its program "
                "moves to a live replica)",
                "ServiceUnavailableError",
                {"Retry-After": str(self._retry_after_s)},
            )
        except TimeoutError:
            return _error(504, "no response from the engine replica in time", "TimeoutError")
        except StopAsyncIteration:
            return _error(500, "the engine returned an empty response", "InternalServerError")
        head = first[0] if isinstance(first, list) and first else first
        err = getattr(head, "error", None)
        if err is not None and hasattr(err, "code"):
            self._forget(request_id)
            return _error(int(err.code), err.message, getattr(err, "type", "Error"))
        replica = peek_replica(request_id) if request_id else None
        route = {REPLICA_HEADER: replica} if replica else None
        if not isinstance(first, list | str):  # a complete (non-streaming) response
            self._charge(request_id, first)
            return JSONResponse(content=first.model_dump(), headers=route)
        stream = self._stream(first, gen, request_id, ticket)
        return StreamingResponse(stream, media_type="text/event-stream", headers=route)

    async def _stream(
        self, first: Any, gen: AsyncIterator[Any], request_id: str | None, ticket: Ticket
    ) -> AsyncIterator[str]:
        item = first
        done = False
        try:
            while True:
                self._charge(request_id, item)
                text = _sse(item)
                done = done or "data: [DONE]" in text
                yield text
                item = await gen.__anext__()
        except StopAsyncIteration:
            if not done:
                yield "data: [DONE]\n\n"
        except REPLICA_ERRORS as e:
            self._stats.count("replica_failures_total")
            logger.warning("vllm_nexus ingress: engine replica died mid-stream: %s", e)
            msg = "the engine replica serving this call died mid-stream; retry the call"
            err = {"error": {"message": msg, "type": "ServiceUnavailableError", "code": 503}}
            yield f"data: {json.dumps(err)}\n\n"
        finally:
            self._forget(request_id)
            ticket.release()

    def _charge(self, request_id: str | None, item: Any) -> None:
        usage = usage_of(item)
        if usage is None or request_id is None:
            return
        replica = replica_of(request_id)
        if replica is not None:
            self._stats.charge(replica, *usage)

    def _forget(self, request_id: str | None) -> None:
        if request_id is not None:
            replica_of(request_id)

    async def nexus_metrics(self) -> Response:
        # the Ray key-value reads block: in a thread, so the calls on this loop keep flowing
        self._engine_snapshots = await read_published_off_loop()
        return Response(render(self._registry), media_type="text/plain; version=0.0.4")

    async def nexus_router(self, request: Request) -> Response:
        """``POST /admin/router {"strategy": "least-used"}``: switch the routing strategy of
        the running router (benchmarks compare strategies on the same engines). Off unless
        the app is started with ``allow_strategy_switch``."""
        if not self._allow_switch:
            return _error(403, "strategy switch disabled (allow_strategy_switch)", "Forbidden")
        try:
            strategy = (await request.json())["strategy"]
        except (ValueError, KeyError, TypeError):
            return _error(400, 'expected a JSON body {"strategy": ...}', "BadRequestError")
        if strategy not in STRATEGIES:
            return _error(400, f"strategy must be one of {list(STRATEGIES)}", "BadRequestError")
        switched = set_strategy(strategy)
        return JSONResponse({"strategy": strategy, "routers": switched})

    async def nexus_health(self) -> Response:
        replicas = max(
            (len(r.policy.replicas) for r in ROUTERS if hasattr(r, "policy")), default=None
        )
        if replicas == 0:
            return _error(503, "no engine replica is running", "ServiceUnavailableError")
        return JSONResponse({"status": "ok", "engine_replicas": replicas})


ENDPOINTS = {
    "models": lambda app: app.get("/v1/models"),
    "model_data": lambda app: app.get("/v1/models/{model:path}"),
    "completions": lambda app: app.post("/v1/completions"),
    "chat": lambda app: app.post("/v1/chat/completions"),
    "nexus_metrics": lambda app: app.get("/metrics"),
    "nexus_health": lambda app: app.get("/health"),
    "nexus_router": lambda app: app.post("/admin/router"),
}


def make_ingress_class(app: Any = None) -> type:
    """The FastAPI-wrapped Serve ingress class (routes above) on ``app`` (default: Ray Serve
    LLM's own FastAPI app; tests pass theirs to send requests to it without Ray)."""
    return make_fastapi_ingress(NexusIngress, endpoint_map=ENDPOINTS, app=app)
