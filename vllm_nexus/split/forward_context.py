"""Thread-local forward context for overlapped prefill/decode sub-steps (Nexus §4.1).

vLLM 0.32 keeps the forward context (attention metadata, slot mapping, batch descriptor of
the running forward pass) in ONE module global, ``vllm.forward_context._forward_context``.
``split=concurrent`` runs the prefill and the decode sub-step of a step on two threads at
once, so each thread needs its own context: otherwise the decode forward would read the
prefill batch's attention metadata (and vice versa).

Why a patch, and why this one. About a hundred vLLM modules bind the accessor by name
(``from vllm.forward_context import get_forward_context``), so replacing the module
attributes would miss them, and the global itself cannot be made per-thread (a module
global is a plain dict entry). The three functions that read or write the global —
``get_forward_context``, ``is_forward_context_available`` and ``override_forward_context``
(the latter via ``set_forward_context``) — therefore keep their identity and get new code
objects that use a ``threading.local`` instead. Nothing else changes: same signatures, same
assertion message, same nesting semantics (the previous context is restored on exit).

:func:`apply` checks before patching that the pinned vLLM still has exactly these readers of
``_forward_context`` (structurally: names referenced by each function's code) and raises
:class:`ForwardContextPatchError` otherwise, so a vLLM upgrade fails at startup instead of
racing silently. Outside this module only DBO micro-batching (``v1/worker/ubatching.py``)
touches the global directly; ``split=concurrent`` refuses DBO at startup, and a test pins
that list. It is applied only for ``partition.split=concurrent``; threads that never
set a context (e.g. the engine's main thread between steps) see "no context", as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import CodeType, FunctionType
from typing import Any

TLS_NAME = "_vllm_nexus_tls"  # the attribute added to vllm.forward_context
GLOBAL_NAME = "_forward_context"
PATCHED = ("get_forward_context", "is_forward_context_available", "override_forward_context")

_vllm_nexus_tls = threading.local()  # the replacement bodies resolve this name globally
_lock = threading.Lock()
_originals: dict[str, CodeType] = {}


class ForwardContextPatchError(RuntimeError):
    """The installed vLLM does not look like the one this patch was written for."""


# Replacement bodies. Their globals are vllm.forward_context's once swapped in, where
# ``_vllm_nexus_tls`` is set by apply(); in this module they work on our own thread-local.
def _tls_get_forward_context() -> Any:
    ctx = getattr(_vllm_nexus_tls, "ctx", None)
    assert ctx is not None, (
        "Forward context is not set. Please use `set_forward_context` to set the forward context."
    )
    return ctx


def _tls_is_forward_context_available() -> bool:
    return getattr(_vllm_nexus_tls, "ctx", None) is not None


def _tls_override_forward_context(forward_context: Any) -> Iterator[None]:
    prev_context = getattr(_vllm_nexus_tls, "ctx", None)
    _vllm_nexus_tls.ctx = forward_context
    try:
        yield
    finally:
        _vllm_nexus_tls.ctx = prev_context


_REPLACEMENTS = {
    "get_forward_context": _tls_get_forward_context,
    "is_forward_context_available": _tls_is_forward_context_available,
    "override_forward_context": _tls_override_forward_context,
}


def _target(module: Any, name: str) -> FunctionType:
    """The plain function behind ``module.name`` (unwrapping ``@contextmanager``)."""
    obj = getattr(module, name, None)
    fn = getattr(obj, "__wrapped__", obj)
    if not isinstance(fn, FunctionType):
        raise ForwardContextPatchError(
            f"vllm.forward_context.{name} is missing or not a Python function"
        )
    return fn


def _names(code: CodeType) -> set[str]:
    """Global/attribute names used by ``code`` and its nested code objects."""
    out = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            out |= _names(const)
    return out


def check(module: Any | None = None) -> None:
    """Raise ForwardContextPatchError unless ``module`` (default vllm.forward_context) has
    exactly the expected readers/writers of its global forward context."""
    if module is None:
        import vllm.forward_context as module
    if not hasattr(module, GLOBAL_NAME):
        raise ForwardContextPatchError(
            f"vllm.forward_context has no global {GLOBAL_NAME!r}: the thread-local patch "
            "needs updating for this vLLM version (partition.split=concurrent)"
        )
    users = set()
    for name, obj in vars(module).items():
        fn = getattr(obj, "__wrapped__", obj)
        if isinstance(fn, FunctionType) and fn.__module__ == module.__name__:
            code = _originals.get(name, fn.__code__)
            if GLOBAL_NAME in _names(code):
                users.add(name)
    if users != set(PATCHED):
        raise ForwardContextPatchError(
            f"vllm.forward_context: functions using {GLOBAL_NAME!r} are {sorted(users)}, "
            f"expected {sorted(PATCHED)}: the thread-local patch needs updating for this "
            "vLLM version (partition.split=concurrent)"
        )
    for name in PATCHED:
        fn = _target(module, name)
        if name not in _originals and (fn.__code__.co_freevars or fn.__closure__):
            raise ForwardContextPatchError(f"vllm.forward_context.{name} became a closure")
    if not _target(module, "override_forward_context").__code__.co_flags & 0x20:
        raise ForwardContextPatchError(
            "vllm.forward_context.override_forward_context is no longer a generator"
        )


def is_applied(module: Any | None = None) -> bool:
    if module is None:
        import vllm.forward_context as module
    return bool(_originals) and hasattr(module, TLS_NAME)


def apply(module: Any | None = None) -> None:
    """Make vLLM's forward context thread-local (idempotent). The calling thread keeps the
    context it had (normally none)."""
    if module is None:
        import vllm.forward_context as module
    with _lock:
        if is_applied(module):
            return
        check(module)
        tls = _vllm_nexus_tls
        current = getattr(module, GLOBAL_NAME)
        if current is not None:
            tls.ctx = current
        setattr(module, TLS_NAME, tls)
        for name in PATCHED:
            fn = _target(module, name)
            _originals[name] = fn.__code__
            fn.__code__ = _REPLACEMENTS[name].__code__


def undo(module: Any | None = None) -> None:
    """Restore vLLM's original code (tests)."""
    if module is None:
        import vllm.forward_context as module
    with _lock:
        if not _originals:
            return
        for name, code in _originals.items():
            _target(module, name).__code__ = code
        _originals.clear()
        if hasattr(module, TLS_NAME):
            delattr(module, TLS_NAME)
