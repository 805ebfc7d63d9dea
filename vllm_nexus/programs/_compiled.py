"""Which per-step policy modules run compiled (the optional Cython build, ``setup.py``).

``make install`` compiles the modules in :data:`COMPILED_MODULES` (unchanged source, Cython's
pure-Python mode) into extension modules beside their ``.py`` files and records each source's
SHA-256 in ``_compiled_manifest.json``. This module, imported first by
:mod:`vllm_nexus.programs`, decides per module which one Python imports:

- the extension, when the manifest lists the module, its source still has the recorded hash,
  and ``VLLM_NEXUS_COMPILED`` is not ``0``;
- otherwise the ``.py`` (an edited source — the extension is stale — is imported as Python,
  with a warning: rebuild with ``make compile``).

Both run the same code; the compiled one runs the scheduler's per-step bookkeeping with fewer
instructions. :func:`status` reports the choice (logged at scheduler startup, exported as
``vllm_nexus_compiled_modules``). No vLLM import here.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

COMPILED_MODULES = (
    "charging",
    "decode_charge",
    "levels",
    "preemption",
    "queues",
    "request_queue",
    "sizes",
    "table",
    "tenants",
)
"""Modules of :mod:`vllm_nexus.programs` the optional build compiles: the code every
scheduler step runs (step record and service charge, decode crossings, levels, the
proactive pick, the multi-level queue, vLLM's waiting-queue view, the learned program sizes
the pick consults, the program table, the tenant ledger)."""

ENV = "VLLM_NEXUS_COMPILED"
"""``0`` (or ``false``/``off``/``no``): import every module as Python even when compiled."""

BUILD_ENV = "VLLM_NEXUS_BUILD_COMPILED"
"""``0`` at install time: no compiled build (``setup.py``)."""

_DIR = Path(__file__).resolve().parent
_PACKAGE = __name__.rpartition(".")[0]
MANIFEST = _DIR / "_compiled_manifest.json"


def disabled(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    return environ.get(ENV, "1").strip().lower() in ("0", "false", "off", "no")


def _extension_of(module: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = _DIR / f"{module}{suffix}"
        if path.exists():
            return path
    return None


def choose(
    manifest: dict | None, sources: dict[str, bytes], extensions: dict[str, bool], off: bool
) -> dict[str, str]:
    """Module -> ``compiled`` or why it is Python (``off``, ``not built``, ``stale``). Pure:
    the inputs are the manifest's content, each source's bytes and which extensions exist."""
    built = (manifest or {}).get("modules", {})
    out = {}
    for module in COMPILED_MODULES:
        if off:
            out[module] = "off"
        elif module not in built or not extensions.get(module):
            out[module] = "not built"
        elif hashlib.sha256(sources[module]).hexdigest() != built[module]:
            out[module] = "stale"
        else:
            out[module] = "compiled"
    return out


def _read_manifest() -> dict | None:
    try:
        return json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return None


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Imports the listed modules from their ``.py`` although an extension sits beside it."""

    def __init__(self, modules: set[str]) -> None:
        self.names = {f"{_PACKAGE}.{m}": m for m in modules}

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 - the finder protocol
        module = self.names.get(fullname)
        if module is None:
            return None
        return importlib.util.spec_from_file_location(fullname, _DIR / f"{module}.py")


_STATUS: dict[str, str] = {}


def install() -> dict[str, str]:
    """Decide once per process (before any listed module is imported) and make imports follow."""
    if _STATUS:
        return _STATUS
    extensions = {m: _extension_of(m) is not None for m in COMPILED_MODULES}
    manifest = _read_manifest() if any(extensions.values()) else None
    sources = {m: (_DIR / f"{m}.py").read_bytes() for m in COMPILED_MODULES} if manifest else {}
    choice = choose(manifest, sources, extensions, disabled())
    python = {m for m, c in choice.items() if c != "compiled" and extensions[m]}
    if python:  # an extension exists that must not be used
        sys.meta_path.insert(0, _SourceFirst(python))
    stale = sorted(m for m, c in choice.items() if c == "stale")
    if stale:
        logger.warning(
            "vllm_nexus: compiled %s older than the source: imported as Python (rebuild with "
            "`make compile`, or set %s=0 to silence)",
            ", ".join(stale),
            ENV,
        )
    _STATUS.update(choice)
    return _STATUS


def status() -> dict[str, str]:
    """Per module: ``compiled`` or why Python (``off``, ``not built``, ``stale``); checks
    what was actually imported (a module imported compiled has an extension ``__file__``)."""
    out = dict(install())
    for module in COMPILED_MODULES:
        mod = sys.modules.get(f"{_PACKAGE}.{module}")
        if mod is not None:
            loaded = str(getattr(mod, "__file__", "")).endswith(".py")
            if out[module] == "compiled" and loaded:
                out[module] = "python (imported before the choice)"
    return out


def up_to_date(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """The manifest was written by a build of the current sources and compile set, with the
    build switch (``VLLM_NEXUS_BUILD_COMPILED``) as it is now: ``make install`` rebuilds
    otherwise."""
    manifest = _read_manifest()
    if not manifest or set(manifest.get("sources", {})) != set(COMPILED_MODULES):
        return False
    for module, digest in manifest["sources"].items():
        if hashlib.sha256((_DIR / f"{module}.py").read_bytes()).hexdigest() != digest:
            return False
    build_off = environ.get(BUILD_ENV, "1").strip().lower() in ("0", "false", "off", "no")
    return build_off == str(manifest.get("note", "")).startswith("disabled")


def summary() -> str:
    """One line for the startup log: ``compiled 8/8`` or ``python (off)`` etc."""
    st = status()
    n = sum(1 for c in st.values() if c == "compiled")
    if n == len(st):
        return f"compiled {n}/{n}"
    if n == 0:
        reasons = sorted(set(st.values()))
        return f"python ({', '.join(reasons)})"
    python = [f"{m}: {c}" for m, c in sorted(st.items()) if c != "compiled"]
    return f"compiled {n}/{len(st)} (python: {'; '.join(python)})"


def report() -> str:
    """``make install``'s last line: the choice and the build's note."""
    note = (_read_manifest() or {}).get("note", "no build manifest")
    return f"vllm-nexus per-step modules: {summary()} (build: {note})"
