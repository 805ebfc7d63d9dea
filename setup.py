"""Optional compiled build of the scheduler's per-step policy modules (Cython, pure-Python mode).

Everything else is declared in ``pyproject.toml``. The modules listed in
``vllm_nexus/programs/_compiled.py`` (``COMPILED_MODULES``) run on every scheduler step; this
build compiles them, unchanged, into extension modules placed beside their sources, and writes
``vllm_nexus/programs/_compiled_manifest.json`` with each source's SHA-256. At import,
``vllm_nexus.programs`` loads an extension only if its source still has that hash (an edited
source is imported as Python, with a warning) and unless ``VLLM_NEXUS_COMPILED=0``.

The build is optional: without Cython, without a C compiler, with ``VLLM_NEXUS_BUILD_COMPILED=0``
or when a module fails to compile, the package installs as pure Python (a warning says why) and
behaves identically — the same source runs either way (``annotation_typing=False``: type hints
are not turned into C types, so arithmetic and checks are Python's).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
PROGRAMS = ROOT / "vllm_nexus" / "programs"
MANIFEST = PROGRAMS / "_compiled_manifest.json"


def _compile_set() -> tuple[str, ...]:
    ns: dict = {}
    exec((PROGRAMS / "_compiled.py").read_text(), ns)  # no package import (no deps at build time)
    return ns["COMPILED_MODULES"]


def _say(msg: str) -> None:
    print(f"vllm-nexus build: {msg}", file=sys.stderr)


def _manifest(built: list[str], note: str) -> str:
    """``sources``: every module of the compile set with its source hash (what this build saw;
    ``make`` rebuilds when one changes); ``modules``: those compiled, the same hashes."""
    sources = {
        m: hashlib.sha256((PROGRAMS / f"{m}.py").read_bytes()).hexdigest() for m in _compile_set()
    }
    modules = {m: sources[m] for m in built}
    doc = {"builder": "cython", "note": note, "sources": sources, "modules": modules}
    return json.dumps(doc, indent=1) + "\n"


class OptionalBuildExt(build_ext):
    """Builds each extension on its own; one that fails is left out (its .py is used). Writes
    the manifest beside the extensions, listing the ones built."""

    def run(self) -> None:
        self.built: list[str] = []
        note = "built"
        try:
            super().run()
        except Exception as e:  # noqa: BLE001 - no compiler etc.: pure Python
            note = f"not built ({type(e).__name__}: {e})"
            _say(f"compiled modules not built ({type(e).__name__}: {e}); pure Python is used")
        text = _manifest([n.rsplit(".", 1)[1] for n in self.built], NOTE or note)
        out = {MANIFEST}  # the source tree (editable install) and beside the built extensions
        for ext in self.extensions:
            out.add(Path(self.get_ext_fullpath(ext.name)).parent / MANIFEST.name)
        for path in out:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        _say(f"compiled {len(self.built)} module(s): {', '.join(sorted(self.built)) or 'none'}")

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:  # noqa: BLE001
            _say(f"{ext.name} not compiled ({type(e).__name__}: {e}); its .py is used")
            return
        self.built.append(ext.name)


NOTE = ""
"""Why nothing is compiled, when that was decided before building."""


def _extensions() -> list:
    global NOTE
    off = ("0", "false", "no", "off")
    if os.environ.get("VLLM_NEXUS_BUILD_COMPILED", "1").strip().lower() in off:
        NOTE = "disabled (VLLM_NEXUS_BUILD_COMPILED=0)"
    else:
        try:
            from Cython.Build import cythonize
        except ImportError:
            NOTE = "not built (Cython not available)"
    if NOTE:
        _say(f"{NOTE}: pure Python")
        MANIFEST.write_text(_manifest([], NOTE))  # build_ext may not run without extensions
        return []
    sources = [f"vllm_nexus/programs/{m}.py" for m in _compile_set()]
    try:
        return cythonize(
            sources,
            build_dir="build/cython",
            quiet=True,
            compiler_directives={
                "language_level": 3,
                "annotation_typing": False,  # hints stay hints: Python semantics throughout
                "binding": True,  # functions introspect (and patch) like Python's
                "embedsignature": True,
            },
        )
    except Exception as e:  # noqa: BLE001 - a Cython translation error: pure Python
        NOTE = f"not built (Cython: {e})"
        _say(f"{NOTE}: pure Python")
        MANIFEST.write_text(_manifest([], NOTE))
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
