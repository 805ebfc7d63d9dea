"""The thread-local forward-context patch (``vllm_nexus.split.forward_context``) against the pinned
vLLM 0.32: it applies, isolates threads, is undone cleanly, and fails loudly when vLLM's code
changes."""

from __future__ import annotations

import hashlib
import inspect
import re
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("vllm")

import vllm.forward_context as fc  # noqa: E402

from vllm_nexus.split import forward_context as patch  # noqa: E402

# sha256 (first 16 hex) of the patched functions' source in vLLM 0.32.0. A mismatch means
# vLLM changed them: re-read vllm/forward_context.py and update the patch, then these.
PINNED_SOURCE = {
    "get_forward_context": "c33b4934b17bde74",
    "is_forward_context_available": "32f6d709d17202ad",
    "override_forward_context": "96a30187fd05b912",
}


@pytest.fixture
def patched() -> Iterator[None]:
    was = patch.is_applied()
    patch.apply()
    try:
        yield
    finally:
        if not was:
            patch.undo()


def _src(name: str) -> str:
    fn = getattr(fc, name)
    fn = getattr(fn, "__wrapped__", fn)
    code = patch._originals.get(name)
    if code is not None:  # patched in this process: hash the original source
        fn = types.FunctionType(code, fn.__globals__)
    return inspect.getsource(fn)


@pytest.mark.parametrize("name", sorted(PINNED_SOURCE))
def test_patched_functions_are_the_pinned_vllm_code(name: str) -> None:
    digest = hashlib.sha256(_src(name).encode()).hexdigest()[:16]
    assert digest == PINNED_SOURCE[name], (
        f"vllm.forward_context.{name} changed: review vllm_nexus/forward_context.py"
    )


def test_check_passes_on_pinned_vllm() -> None:
    patch.check()


def test_no_vllm_module_reads_the_global_directly() -> None:
    """Code that reads/writes ``vllm.forward_context._forward_context`` itself bypasses the
    patch. In 0.32 only DBO micro-batching does (``v1/worker/ubatching.py``), and
    ``split=concurrent`` refuses DBO at startup (``resolve_execution``)."""
    root = Path(fc.__file__).parent
    pat = re.compile(r"forward_context\._forward_context\b|import[^\n]*\b_forward_context\b")
    hits = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "forward_context.py" and pat.search(p.read_text(errors="ignore"))
    ]
    assert hits == ["v1/worker/ubatching.py"]


def test_threads_see_their_own_context(patched: None) -> None:
    from vllm.model_executor.layers.attention import attention

    # Modules that imported the accessor by name see the patched function (same object).
    assert attention.get_forward_context is fc.get_forward_context
    barrier = threading.Barrier(2)
    seen: dict[str, object] = {}

    def run(tag: str) -> None:
        with fc.override_forward_context(tag):
            barrier.wait()  # both contexts are set at this point
            seen[tag] = attention.get_forward_context()
            barrier.wait()
        seen[tag + "-after"] = fc.is_forward_context_available()

    threads = [threading.Thread(target=run, args=(t,)) for t in ("prefill", "decode")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {
        "prefill": "prefill",
        "decode": "decode",
        "prefill-after": False,
        "decode-after": False,
    }
    assert not fc.is_forward_context_available()
    with pytest.raises(AssertionError, match="Forward context is not set"):
        fc.get_forward_context()


def test_nesting_restores_previous_context(patched: None) -> None:
    with fc.override_forward_context("outer"):
        with fc.override_forward_context("inner"):
            assert fc.get_forward_context() == "inner"
        assert fc.get_forward_context() == "outer"
    assert not fc.is_forward_context_available()


def test_apply_is_idempotent_and_undo_restores() -> None:
    was = patch.is_applied()
    if was:
        pytest.skip("patch applied by another test in this process")
    original = fc.get_forward_context.__code__
    patch.apply()
    patched_code = fc.get_forward_context.__code__
    patch.apply()
    assert fc.get_forward_context.__code__ is patched_code is not original
    patch.undo()
    assert fc.get_forward_context.__code__ is original
    assert not hasattr(fc, patch.TLS_NAME)
    with fc.override_forward_context("x"):
        assert fc._forward_context == "x"  # module global again


FAKE = """
from contextlib import contextmanager
_forward_context = None
def get_forward_context():
    return _forward_context
def is_forward_context_available():
    return _forward_context is not None
@contextmanager
def override_forward_context(ctx):
    global _forward_context
    prev = _forward_context
    _forward_context = ctx
    try:
        yield
    finally:
        _forward_context = prev
"""


def _fake(extra: str = "") -> types.ModuleType:
    mod = types.ModuleType("fake_forward_context")
    exec(FAKE + extra, mod.__dict__)  # noqa: S102 - test fixture code
    return mod


def test_check_accepts_the_expected_shape() -> None:
    patch.check(_fake())


def test_check_fails_loudly_on_a_new_reader() -> None:
    extra = "\ndef peek():\n    return _forward_context\n"
    with pytest.raises(patch.ForwardContextPatchError, match="peek"):
        patch.check(_fake(extra))


def test_check_fails_loudly_without_the_global() -> None:
    mod = _fake()
    del mod._forward_context
    with pytest.raises(patch.ForwardContextPatchError, match="no global"):
        patch.check(mod)


def test_check_fails_when_override_is_not_a_generator() -> None:
    mod = _fake()
    mod.override_forward_context = lambda ctx: _forward_context  # noqa: F821
    mod.override_forward_context.__module__ = mod.__name__
    with pytest.raises(patch.ForwardContextPatchError):
        patch.check(mod)
