"""HTTP edge: reject malformed program ids with HTTP 400 before they reach the engine, and
carry the agent-harness session headers to it.

Enable with ``vllm serve ... --middleware vllm_nexus.api.ProgramIdMiddleware``. It inspects
POST requests to the OpenAI generation endpoints, checks every identity field
(``vllm_xargs.program_id``/``thread_id``/``program_end``/``program_size_hint``, ``session_id``, ``X-Session-ID`` and
the harness headers of :data:`vllm_nexus.programs.identity.HARNESS_HEADERS`) with
:func:`vllm_nexus.programs.identity.http_identity`, and answers a bad one with an OpenAI-style
error body. vLLM reads no harness header, so when one of them names the program (or
``x-dynamo-session-final`` ends it) the middleware writes it into the JSON body's
``vllm_xargs`` (which vLLM copies into ``SamplingParams.extra_args``). Every other request
passes through with its body replayed unchanged.

Without the middleware the engine still never fails on a bad id: the scheduler ignores it and
falls back to the next id source (see :mod:`vllm_nexus.programs.identity`).

The length limit is ``scheduler.max_program_id_length`` from the server's
``--additional-config`` (read from ``app.state.vllm_config`` on the first request).

Tenants: the middleware also names the request's tenant (trusted header, else API key, else
the default tenant) and stamps it, signed, into ``vllm_xargs`` (:mod:`vllm_nexus.serving.tenancy`);
a malformed tenant header is answered with HTTP 400 as well.
"""

from __future__ import annotations

import json
from typing import Any

from vllm_nexus.config import NexusConfig, SchedulerConfig
from vllm_nexus.programs.identity import (
    InvalidProgramId,
    InvalidSizeHint,
    SessionTree,
    http_identity,
)
from vllm_nexus.programs.tenant_identity import InvalidTenantId
from vllm_nexus.serving.tenancy import TenantEdge, with_content_length

CHECKED_PATHS = ("/v1/completions", "/v1/chat/completions", "/v1/responses")
MAX_BODY_BYTES = 64 * 1024 * 1024
"""Bodies larger than this are passed through unchecked (the server applies its own limits)."""


def check_request(body: Any, headers: dict[str, str], max_len: int) -> str | None:
    """The problem with a request's program identity, or None if it is acceptable."""
    try:
        http_identity(body if isinstance(body, dict) else None, headers, max_len)
    except InvalidProgramId as e:
        return str(e)
    return None


def _max_len_of(scope: dict) -> int | None:
    """``scheduler.max_program_id_length`` from the server's own ``--additional-config``
    (vLLM keeps the config on ``app.state.vllm_config``), or None before the app has it."""
    state = getattr(scope.get("app"), "state", None)
    vllm_config = getattr(state, "vllm_config", None)
    if vllm_config is None:
        return None
    cfg = NexusConfig.from_additional_config(getattr(vllm_config, "additional_config", None))
    return cfg.scheduler.max_program_id_length


class ProgramIdMiddleware:
    """ASGI middleware (``--middleware vllm_nexus.api.ProgramIdMiddleware``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.max_len: int | None = None  # read from the server's config on the first request
        self.sessions = SessionTree()  # subagent session -> root session (harness headers)
        self.tenants: TenantEdge | None = None  # from the server (app.state), first request

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") != "POST"
            or scope.get("path", "").rstrip("/") not in CHECKED_PATHS
        ):
            await self.app(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > MAX_BODY_BYTES:
                await self.app(scope, _replay(chunks, None, receive, more), send)
                return
        body_bytes = b"".join(chunks)
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])
        }
        try:
            body = json.loads(body_bytes) if body_bytes else None
        except ValueError:
            body = None  # not JSON: let vLLM produce its own error
        if self.max_len is None:
            self.max_len = _max_len_of(scope)
        max_len = self.max_len or SchedulerConfig().max_program_id_length
        try:
            ident = http_identity(
                body if isinstance(body, dict) else None, headers, max_len, self.sessions
            )
        except InvalidSizeHint as e:
            await _send_error(send, str(e), "program size hint", "program_size_hint")
            return
        except InvalidProgramId as e:
            await _send_error(send, str(e))
            return
        if isinstance(body, dict):  # not JSON: vLLM answers the error itself
            xargs = body.get("vllm_xargs")
            if ident.inject and (xargs is None or isinstance(xargs, dict)):
                # harness headers never reach the engine: carry the program in vllm_xargs
                body = {**body, "vllm_xargs": {**(xargs or {}), **ident.inject}}
            if self.tenants is None:
                self.tenants = TenantEdge.from_state(getattr(scope.get("app"), "state", None))
            try:
                stamped = self.tenants.stamp_body(body, headers)
            except InvalidTenantId as e:
                await _send_error(send, str(e), "tenant id", "tenant_id")
                return
            if stamped is not None:
                body_bytes, scope = stamped, with_content_length(scope, len(stamped))
        await self.app(scope, _replay([body_bytes], None, receive), send)


def _replay(chunks: list[bytes], final: dict | None, receive: Any, more: bool = False):
    """A ``receive`` callable that first returns the buffered messages, then defers to
    ``receive`` (so later disconnect notifications still reach the app)."""
    pending: list[dict] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1 or more}
        for i, c in enumerate(chunks)
    ]
    if final is not None:
        pending.append(final)

    async def replay() -> dict:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _send_error(
    send: Any, message: str, what: str = "program id", param: str = "program_id"
) -> None:
    payload = json.dumps(
        {
            "error": {
                "message": f"invalid {what}: {message}",
                "type": "BadRequestError",
                "param": param,
                "code": 400,
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
