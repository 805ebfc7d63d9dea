"""Program identity of a call: which agentic program an LLM call belongs to.

Precedence (documented in docs/programs.md):
1. ``vllm_xargs.program_id`` (OpenAI ``extra_body={"vllm_xargs": {"program_id": ...}}``, which
   vLLM copies into ``SamplingParams.extra_args``);
2. vLLM's session id (``X-Session-ID`` header or ``session_id`` body field);
3. otherwise the call is a program of its own (keyed by its request id).

A program id must be a non-empty string of at most ``max_len`` characters without control
characters. The HTTP middleware (``vllm_nexus.serving.middleware``) rejects a bad id with HTTP 400; inside the
engine a bad id can never crash anything: the call falls back to the next source.

Pure Python, no vLLM import.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

PROGRAM_ID_KEY = "program_id"
THREAD_ID_KEY = "thread_id"
PROGRAM_CLASS_KEY = "program_class"
"""``vllm_xargs.program_class``: the program's agent type (learned program sizes, gittins)."""
SOLO_PREFIX = "call:"
"""Program id of a call that names no program (its own, single-call program)."""


class InvalidProgramId(ValueError):
    """A program id that breaks the documented rules."""


def validate_program_id(value: Any, max_len: int = 256, field: str = PROGRAM_ID_KEY) -> str:
    """Return ``value`` if it is a valid program id, else raise :class:`InvalidProgramId`."""
    if not isinstance(value, str):
        raise InvalidProgramId(f"{field} must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidProgramId(f"{field} must not be empty")
    if len(value) > max_len:
        raise InvalidProgramId(f"{field} is {len(value)} characters long; the limit is {max_len}")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        raise InvalidProgramId(f"{field} must not contain control characters")
    return value


def resolve_program_id(
    extra_args: Mapping[str, Any] | None,
    session_id: Any,
    request_id: str,
    max_len: int = 256,
) -> tuple[str, str | None]:
    """Program id of a call and, if a supplied id was unusable, why it was ignored.

    Never raises: malformed ids fall through to the next source.
    """
    problem = None
    if extra_args and PROGRAM_ID_KEY in extra_args:
        try:
            return validate_program_id(extra_args[PROGRAM_ID_KEY], max_len), None
        except InvalidProgramId as e:
            problem = f"vllm_xargs.{e}"
    if session_id is not None:
        try:
            return validate_program_id(session_id, max_len, "session_id"), problem
        except InvalidProgramId as e:
            problem = problem or str(e)
    return SOLO_PREFIX + request_id, problem


SESSION_HEADER = "x-session-id"


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def http_id_fields(body: Any, headers: Mapping[str, str] | None) -> Iterator[tuple[str, Any]]:
    """(field name, value) of every program-identity field an HTTP request carries, in
    precedence order: ``vllm_xargs.program_id``, ``session_id`` (body), ``X-Session-ID``
    header, then ``vllm_xargs.thread_id`` (observability only, never a program id).
    ``body`` is a JSON object or a parsed request model; header names match case-insensitively.
    """
    xargs = _field(body, "vllm_xargs") if body is not None else None
    if isinstance(xargs, Mapping) and PROGRAM_ID_KEY in xargs:
        yield f"vllm_xargs.{PROGRAM_ID_KEY}", xargs[PROGRAM_ID_KEY]
    session = _field(body, "session_id") if body is not None else None
    if session is not None:
        yield "session_id", session
    for k, v in (headers or {}).items():
        if k.lower() == SESSION_HEADER:
            yield "X-Session-ID header", v
            break
    if isinstance(xargs, Mapping) and THREAD_ID_KEY in xargs:
        yield f"vllm_xargs.{THREAD_ID_KEY}", xargs[THREAD_ID_KEY]


def program_id_of_http(
    body: Any, headers: Mapping[str, str] | None = None, max_len: int = 256
) -> str | None:
    """The program id an HTTP request names (first field by :func:`http_id_fields`'
    precedence), or None. Every identity field is validated: raises
    :class:`InvalidProgramId` for any malformed one (the HTTP edges answer 400)."""
    found = None
    for name, value in http_id_fields(body, headers):
        validate_program_id(value, max_len, name)
        if found is None and name != f"vllm_xargs.{THREAD_ID_KEY}":
            found = value
    return found
