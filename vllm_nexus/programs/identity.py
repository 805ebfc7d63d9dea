"""Program identity of a call: which agentic program an LLM call belongs to.

Precedence (documented in docs/programs.md):
1. ``vllm_xargs.program_id`` (OpenAI ``extra_body={"vllm_xargs": {"program_id": ...}}``, which
   vLLM copies into ``SamplingParams.extra_args``);
2. vLLM's session id (``X-Session-ID`` header or ``session_id`` body field);
3. the session headers agent harnesses send (Claude Code, Codex, OpenCode, Dynamo:
   :data:`HARNESS_HEADERS`); vLLM does not read them, so the HTTP edge (middleware, cluster
   ingress) resolves them here and writes the result into ``vllm_xargs`` (:func:`http_identity`);
4. otherwise the scheduler may infer the program from the call's prompt
   (:mod:`vllm_nexus.programs.lineage`), else the call is a program of its own.

A program id must be a non-empty string of at most ``max_len`` characters without control
characters. The HTTP middleware (``vllm_nexus.serving.middleware``) rejects a bad id with HTTP 400; inside the
engine a bad id can never crash anything: the call falls back to the next source.

Pure Python, no vLLM import.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

PROGRAM_ID_KEY = "program_id"
THREAD_ID_KEY = "thread_id"
PROGRAM_CLASS_KEY = "program_class"
"""``vllm_xargs.program_class``: the program's agent type (learned program sizes, gittins)."""
PROGRAM_SIZE_HINT_KEY = "program_size_hint"
"""``vllm_xargs.program_size_hint``: the client's expected total number of LLM calls of the
program, this call and those before it included (:func:`validate_size_hint`)."""
MAX_SIZE_HINT = 1_000_000.0
"""Largest accepted ``program_size_hint`` (calls): far beyond any agent's step budget, small
enough that ``hint x service per call`` stays an ordinary float."""
SOLO_PREFIX = "call:"
"""Program id of a call that names no program (its own, single-call program)."""


class InvalidProgramId(ValueError):
    """A program id that breaks the documented rules."""


class InvalidSizeHint(InvalidProgramId):
    """A ``program_size_hint`` that is not a finite number of calls in [1, MAX_SIZE_HINT]."""


def validate_size_hint(value: Any, field: str = f"vllm_xargs.{PROGRAM_SIZE_HINT_KEY}") -> float:
    """Return ``value`` as a float if it is a valid program size hint, else raise
    :class:`InvalidSizeHint`. A hint is the program's expected total number of LLM calls
    (this one and the earlier ones included): a JSON number, or a string holding one (some
    gateways stringify ``vllm_xargs``), finite, in ``[1, MAX_SIZE_HINT]`` (the call itself
    counts, so less than 1 is no estimate of anything). Booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidSizeHint(f"{field} must be a number of calls, got {type(value).__name__}")
    try:
        hint = float(value)
    except (ValueError, OverflowError):
        raise InvalidSizeHint(f"{field} must be a number of calls, got {value!r}") from None
    if not math.isfinite(hint):
        raise InvalidSizeHint(f"{field} must be finite, got {value!r}")
    if not 1.0 <= hint <= MAX_SIZE_HINT:
        raise InvalidSizeHint(
            f"{field} is the program's expected total number of calls and must lie in "
            f"[1, {MAX_SIZE_HINT:.0f}], got {value!r}"
        )
    return hint


def size_hint_of(extra_args: Mapping[str, Any] | None) -> tuple[float | None, str | None]:
    """A call's ``vllm_xargs.program_size_hint`` (None without one) and why a malformed one
    was ignored. Never raises (the HTTP edges answer a malformed hint with 400 before it gets
    here; a call that arrives another way is scheduled as if it carried none)."""
    if not extra_args or PROGRAM_SIZE_HINT_KEY not in extra_args:
        return None, None
    try:
        return validate_size_hint(extra_args[PROGRAM_SIZE_HINT_KEY]), None
    except InvalidSizeHint as e:
        return None, str(e)


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


PROGRAM_END_KEY = "program_end"
"""``vllm_xargs.program_end``: true on a program's last call (see :func:`program_end_of`)."""
SESSION_HEADER = "x-session-id"
"""vLLM's own session header (also what OpenCode sends)."""
OPENCODE_PARENT_HEADER = "x-parent-session-id"
SESSION_FINAL_HEADER = "x-dynamo-session-final"


@dataclass(frozen=True)
class HarnessHeaders:
    """Session headers one agent harness sends on every LLM call (lower case)."""

    harness: str
    session: str
    """Names the session; the program id unless ``parent`` names another one."""
    agent: str | None = None
    """Names a subagent *inside* the session (Claude Code): the call's thread."""
    parent: str | None = None
    """Names the parent session of a child session (subagent): the program is the root's."""


HARNESS_HEADERS: tuple[HarnessHeaders, ...] = (
    HarnessHeaders("dynamo", "x-dynamo-session-id", parent="x-dynamo-parent-session-id"),
    HarnessHeaders(
        "claude-code",
        "x-claude-code-session-id",
        agent="x-claude-code-agent-id",
        parent="x-claude-code-parent-agent-id",
    ),
    HarnessHeaders("codex", "thread-id", parent="x-codex-parent-thread-id"),
    HarnessHeaders("codex-legacy", "session-id"),
)
"""Program-id transports below ``vllm_xargs.program_id`` and vLLM's session id, first present
wins. A subagent is a *thread of its parent's program* (the program is the root of the
session tree), so PLAS sums and ATLAS takes the critical path over the whole tree."""

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SessionTree:
    """Child session -> root session, learned from calls that name a parent; bounded LRU.

    A grandchild names only its parent (a child); this map resolves it to the root. Per
    process (each API server / ingress keeps its own); unknown parents are taken as roots.
    """

    def __init__(self, max_entries: int = 65_536) -> None:
        self.max_entries = max_entries
        self._root: OrderedDict[str, str] = OrderedDict()

    def root(self, session: str, parent: str | None) -> str:
        """The root of ``session`` whose parent is ``parent`` (None: ``session`` is a root)."""
        if parent is None or parent == session:
            return self._root.get(session, session)
        root = self._root.get(parent, parent)
        self._root[session] = root
        self._root.move_to_end(session)
        while len(self._root) > self.max_entries:
            self._root.popitem(last=False)
        return root


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}


def http_id_fields(body: Any, headers: Mapping[str, str] | None) -> Iterator[tuple[str, Any]]:
    """(field name, value) of every program-identity field an HTTP request carries, in
    precedence order: ``vllm_xargs.program_id``, ``session_id`` (body), ``X-Session-ID``
    header, the agent-harness headers (:data:`HARNESS_HEADERS`, with their subagent and parent
    headers), then ``vllm_xargs.thread_id`` (observability only, never a program id).
    ``body`` is a JSON object or a parsed request model; header names match case-insensitively.
    """
    xargs = _field(body, "vllm_xargs") if body is not None else None
    if isinstance(xargs, Mapping) and PROGRAM_ID_KEY in xargs:
        yield f"vllm_xargs.{PROGRAM_ID_KEY}", xargs[PROGRAM_ID_KEY]
    session = _field(body, "session_id") if body is not None else None
    if session is not None:
        yield "session_id", session
    h = _headers(headers)
    if SESSION_HEADER in h:
        yield "X-Session-ID header", h[SESSION_HEADER]
    if OPENCODE_PARENT_HEADER in h:
        yield f"{OPENCODE_PARENT_HEADER} header", h[OPENCODE_PARENT_HEADER]
    for spec in HARNESS_HEADERS:
        for name in (spec.session, spec.agent, spec.parent):
            if name is not None and name in h:
                yield f"{name} header", h[name]
    if isinstance(xargs, Mapping) and THREAD_ID_KEY in xargs:
        yield f"vllm_xargs.{THREAD_ID_KEY}", xargs[THREAD_ID_KEY]


def parse_flag(value: Any, field: str) -> bool:
    """A boolean marker sent as JSON bool/0/1 or a header string (true/false/1/0/yes/no)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidProgramId(f"{field} must be true or false, got {value!r}")


@dataclass(frozen=True)
class HttpIdentity:
    """What an HTTP request says about its program (see :func:`http_identity`)."""

    program_id: str | None = None
    source: str | None = None
    """The field that named the program (``vllm_xargs.program_id``, ``x-...-id header``)."""
    thread_id: str | None = None
    end: bool = False
    """The request is its program's last call (``program_end`` / ``x-dynamo-session-final``)."""
    inject: dict[str, Any] = field(default_factory=dict)
    """``vllm_xargs`` entries the HTTP edge must add so the engine sees what only headers
    carried (vLLM copies ``vllm_xargs`` into ``SamplingParams.extra_args``; it reads no
    harness header itself)."""


def http_identity(
    body: Any,
    headers: Mapping[str, str] | None = None,
    max_len: int = 256,
    tree: SessionTree | None = None,
) -> HttpIdentity:
    """The program identity of an HTTP request. Every identity field is validated: raises
    :class:`InvalidProgramId` for any malformed one (the HTTP edges answer 400), its subclass
    :class:`InvalidSizeHint` for a malformed ``vllm_xargs.program_size_hint``.

    Precedence: ``vllm_xargs.program_id``; vLLM's session id (``session_id`` body field, then
    the ``X-Session-ID`` header — with ``X-Parent-Session-ID`` (OpenCode's subagents) the
    parent's program); then the harness headers of :data:`HARNESS_HEADERS`.
    """
    for name, value in http_id_fields(body, headers):
        validate_program_id(value, max_len, name)
    xargs = _field(body, "vllm_xargs") if body is not None else None
    xargs = xargs if isinstance(xargs, Mapping) else {}
    h = _headers(headers)
    end = False
    if PROGRAM_END_KEY in xargs:
        end = parse_flag(xargs[PROGRAM_END_KEY], f"vllm_xargs.{PROGRAM_END_KEY}")
    if PROGRAM_SIZE_HINT_KEY in xargs:
        validate_size_hint(xargs[PROGRAM_SIZE_HINT_KEY])
    header_end = False
    if SESSION_FINAL_HEADER in h:
        header_end = parse_flag(h[SESSION_FINAL_HEADER], f"{SESSION_FINAL_HEADER} header")
    inject: dict[str, Any] = {}
    if header_end and PROGRAM_END_KEY not in xargs:
        inject[PROGRAM_END_KEY] = True
    thread = xargs.get(THREAD_ID_KEY)

    pid, source, child_thread = _resolve_http(xargs, _field(body, "session_id"), h, tree)
    if source is not None and source.endswith(" header"):
        # only vLLM's own X-Session-ID (without a parent) reaches the engine by itself
        if source != "X-Session-ID header" or child_thread is not None:
            inject[PROGRAM_ID_KEY] = pid
        if child_thread is not None and thread is None:
            inject[THREAD_ID_KEY] = thread = child_thread
    return HttpIdentity(pid, source, thread, end or header_end, inject)


def _resolve_http(
    xargs: Mapping[str, Any],
    body_session: Any,
    h: dict[str, str],
    tree: SessionTree | None,
) -> tuple[str | None, str | None, str | None]:
    """(program id, source field, subagent thread) by the documented precedence."""
    tree = tree or SessionTree(max_entries=0)
    if PROGRAM_ID_KEY in xargs:
        return xargs[PROGRAM_ID_KEY], f"vllm_xargs.{PROGRAM_ID_KEY}", None
    if body_session is not None:
        return body_session, "session_id", None
    if SESSION_HEADER in h:
        sid, parent = h[SESSION_HEADER], h.get(OPENCODE_PARENT_HEADER)
        if parent is not None and parent != sid:
            return tree.root(sid, parent), "X-Session-ID header", sid
        return tree.root(sid, None), "X-Session-ID header", None
    for spec in HARNESS_HEADERS:
        if spec.session not in h:
            continue
        sid = h[spec.session]
        if spec.agent is not None:  # subagents live inside the session: a thread of it
            agent = h.get(spec.agent)
            return sid, f"{spec.session} header", agent if agent != sid else None
        parent = h.get(spec.parent) if spec.parent else None
        if parent is not None and parent != sid:
            return tree.root(sid, parent), f"{spec.session} header", sid
        return tree.root(sid, None), f"{spec.session} header", None
    return None, None, None


def program_id_of_http(
    body: Any, headers: Mapping[str, str] | None = None, max_len: int = 256
) -> str | None:
    """The program id an HTTP request names (see :func:`http_identity`), or None. Raises
    :class:`InvalidProgramId` for any malformed identity field."""
    return http_identity(body, headers, max_len).program_id


def program_end_of(extra_args: Mapping[str, Any] | None) -> tuple[bool, str | None]:
    """Whether a call is marked as its program's last (``vllm_xargs.program_end``), and why a
    malformed marker was ignored. Never raises."""
    if not extra_args or PROGRAM_END_KEY not in extra_args:
        return False, None
    try:
        return parse_flag(extra_args[PROGRAM_END_KEY], f"vllm_xargs.{PROGRAM_END_KEY}"), None
    except InvalidProgramId as e:
        return False, str(e)
