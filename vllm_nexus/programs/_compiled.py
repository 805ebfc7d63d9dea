"""Whether the per-step policy modules run compiled (the optional mypyc build).

``make install`` compiles the modules in :data:`COMPILED_MODULES` with mypyc
(``tools/build_compiled.py``): one shared library (:data:`GROUP_LIB`) plus one small extension
per module, beside the ``.py`` files, and ``_compiled_manifest.json`` with each source's
SHA-256. The ``.py`` files stay the source of truth. This module, imported first by
:mod:`vllm_nexus.programs`, decides once per process which of the two Python imports — for
all of the modules together (compiled modules call each other's native classes directly, so
a mix of compiled and Python ones is never used):

- the compiled ones, when the manifest lists every module, every source still has the
  recorded hash, every extension is there and ``VLLM_NEXUS_COMPILED`` is not ``0``;
- otherwise every ``.py`` (a source edited after the build — the build is stale — is
  imported as Python, with a warning: rebuild with ``make compile``).

Both make the same decisions (``tests/test_compiled.py``); the compiled one with fewer
instructions per step. :func:`summary` reports the choice (logged at scheduler startup,
exported as ``vllm_nexus_compiled_modules``). No vLLM import here.
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
from collections.abc import Mapping
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

GROUP = "_step"
"""mypyc's group name (inside this package): the shared library is ``_step__mypyc``."""

GROUP_LIB = f"{GROUP}__mypyc"

ENV = "VLLM_NEXUS_COMPILED"
"""``0`` (or ``false``/``off``/``no``): import every module as Python even when compiled."""

BUILD_ENV = "VLLM_NEXUS_BUILD_COMPILED"
"""``0`` at install time: no compiled build (``tools/build_compiled.py``)."""

_OFF = ("0", "false", "off", "no")
_DIR = Path(__file__).resolve().parent
_PACKAGE = __name__.rpartition(".")[0]
MANIFEST = _DIR / "_compiled_manifest.json"


def disabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(ENV, "1").strip().lower() in _OFF


def build_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(BUILD_ENV, "1").strip().lower() in _OFF


def extension_of(module: str, directory: Path = _DIR) -> Path | None:
    """The extension file of ``module`` in ``directory``, if any."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = directory / f"{module}{suffix}"
        if path.exists():
            return path
    return None


def source_hashes(directory: Path = _DIR) -> dict[str, str]:
    return {
        m: hashlib.sha256((directory / f"{m}.py").read_bytes()).hexdigest()
        for m in COMPILED_MODULES
    }


def choose(
    manifest: Mapping | None, sources: Mapping[str, str], extensions: set[str], off: bool
) -> str:
    """``compiled``, or why every module is imported as Python: ``off``, ``not built``
    (no manifest, or one that lists no build, or an extension missing), ``stale`` (a source
    differs from the one compiled). Pure: the manifest's content, each source's SHA-256 and
    the names of the extension files present (modules and :data:`GROUP_LIB`)."""
    if off:
        return "off"
    built = (manifest or {}).get("modules") or {}
    if set(built) != set(COMPILED_MODULES):
        return "not built"
    if not {*COMPILED_MODULES, GROUP_LIB} <= extensions:
        return "not built"
    if any(built[m] != sources.get(m) for m in COMPILED_MODULES):
        return "stale"
    return "compiled"


def read_manifest(path: Path = MANIFEST) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Imports the listed modules from their ``.py`` although an extension sits beside it
    (and keeps the compiled group library from being imported at all)."""

    def __init__(self) -> None:
        self.names = {f"{_PACKAGE}.{m}": m for m in COMPILED_MODULES}
        self.lib = f"{_PACKAGE}.{GROUP_LIB}"

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001 - the finder protocol
        if fullname == self.lib:
            raise ImportError(f"{fullname}: the compiled modules are not in use ({_CHOICE[0]})")
        module = self.names.get(fullname)
        if module is None:
            return None
        return importlib.util.spec_from_file_location(fullname, _DIR / f"{module}.py")


_CHOICE: list[str] = []


def install() -> str:
    """Decide once per process (before any listed module is imported) and make imports follow."""
    if _CHOICE:
        return _CHOICE[0]
    extensions = {m for m in (*COMPILED_MODULES, GROUP_LIB) if extension_of(m) is not None}
    manifest = read_manifest() if extensions else None
    sources = source_hashes() if manifest and not disabled() else {}
    choice = choose(manifest, sources, extensions, disabled())
    _CHOICE.append(choice)
    if choice != "compiled" and extensions:  # extensions exist that must not be used
        sys.meta_path.insert(0, _SourceFirst())
    if choice == "stale":
        logger.warning(
            "vllm_nexus: the compiled per-step modules are older than their sources: every "
            "one is imported as Python (rebuild with `make compile`, or set %s=0 to silence)",
            ENV,
        )
    return choice


def status() -> dict[str, str]:
    """Per module: ``compiled`` or ``python``, as actually imported (``sys.modules``; a
    module not imported yet: what :func:`install` chose)."""
    choice = install()
    out = {}
    for module in COMPILED_MODULES:
        mod = sys.modules.get(f"{_PACKAGE}.{module}")
        if mod is None:
            out[module] = "compiled" if choice == "compiled" else "python"
        else:
            out[module] = (
                "python" if str(getattr(mod, "__file__", "")).endswith(".py") else "compiled"
            )
    return out


def compiled_count() -> int:
    return sum(1 for c in status().values() if c == "compiled")


def summary() -> str:
    """One line for the startup log: ``compiled (mypyc) 9/9`` or ``python (off)`` etc."""
    n, total = compiled_count(), len(COMPILED_MODULES)
    if n == total:
        return f"compiled (mypyc) {n}/{total}"
    if n == 0:
        return f"python ({install()})"
    python = sorted(m for m, c in status().items() if c != "compiled")
    return f"compiled {n}/{total} (python: {', '.join(python)}; imported before the choice)"


def report() -> str:
    """``make install``'s last line: the choice and the build's note."""
    note = (read_manifest() or {}).get("note", "no build manifest")
    return f"vllm-nexus per-step modules: {summary()} (build: {note})"
