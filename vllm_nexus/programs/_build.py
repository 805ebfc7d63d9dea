"""The optional compiled build of the per-step policy modules (mypyc): ``make install`` runs
``python -m vllm_nexus.programs._build`` (``make compile`` does only this step).

It compiles :data:`vllm_nexus.programs._compiled.COMPILED_MODULES`, unchanged, with mypyc into
one shared library plus one extension per module, placed beside the ``.py`` files (an editable
install imports them from there), and writes ``_compiled_manifest.json`` with each source's
SHA-256 and the modules built. mypyc comes with mypy, the version pinned by the ``compile``
extra of ``pyproject.toml``; it is installed into ``build/mypyc-tools`` (not into the
environment) unless it is there already. The build is optional: with
``VLLM_NEXUS_BUILD_COMPILED=0``, without mypy from the package index, without a C compiler or
when mypyc rejects a module, the modules stay pure Python, the manifest's ``note`` says why,
and the command exits 0 (``--strict``: 1). ``vllm_nexus.programs._compiled`` then imports the
``.py`` files. No vLLM import.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path

from vllm_nexus.programs import _compiled as c

ROOT = c._DIR.parents[1]
"""The source tree (``pyproject.toml``; ``make`` runs from here)."""

MYPY_OPTIONS = ["--follow-imports=skip", "--python-version", "3.11"]
"""mypy options of the build: modules outside the compile set (vLLM, the config) are typed
``Any`` (not analysed: fast, and their annotations do not constrain the compiled code)."""

BUILD = """
import sys
from setuptools import setup
from mypyc.build import mypycify
files, options, group = sys.argv[1].split(","), sys.argv[2].split(), sys.argv[3]
setup(
    name="vllm-nexus-compiled",
    ext_modules=mypycify(options + files, opt_level="3", debug_level="0", group_name=group,
                         target_dir="build/mypyc"),
    script_args=["build_ext", "--inplace", "--build-temp", "build/mypyc-temp"],
)
"""


def _say(msg: str) -> None:
    print(f"vllm-nexus compile: {msg}", file=sys.stderr, flush=True)


def requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The ``compile`` extra: the build's own requirements (mypy, which ships mypyc)."""
    with open(pyproject, "rb") as f:
        return list(tomllib.load(f)["project"]["optional-dependencies"]["compile"])


def _pinned_version(reqs: list[str]) -> str | None:
    for r in reqs:
        m = re.fullmatch(r"\s*mypy\s*==\s*([\w.]+)\s*", r)
        if m:
            return m.group(1)
    return None


def _tools_env(tools: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tools), env.get("PYTHONPATH")) if p)
    return env


def _mypy_version(env: dict[str, str]) -> str | None:
    out = subprocess.run(
        [sys.executable, "-c", "import mypy.version, mypyc.build; print(mypy.version.__version__)"],
        env=env,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() if out.returncode == 0 else None


def _ensure_mypy(tools: Path) -> str | None:
    """mypy (with mypyc) importable with ``tools`` on the path, at the pinned version:
    ``None`` when ready, else why not."""
    reqs = requirements()
    want = _pinned_version(reqs)
    env = _tools_env(tools)
    have = _mypy_version(env)
    if have is not None and (want is None or have == want):
        return None
    _say(f"installing {' '.join(reqs)} into {tools}")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--target", str(tools)]
    out = subprocess.run([*pip, *reqs], capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["pip failed"]
        return f"mypy not available ({tail[0]})"
    have = _mypy_version(env)
    if have is None or (want is not None and have != want):
        return f"mypy {want} not importable from {tools} (found {have})"
    return None


def remove_extensions(directory: Path = c._DIR) -> list[str]:
    """Delete the compiled build's extension files (a failed or disabled build leaves none)."""
    removed = []
    for m in (*c.COMPILED_MODULES, c.GROUP_LIB):
        path = c.extension_of(m, directory)
        while path is not None:
            path.unlink()
            removed.append(path.name)
            path = c.extension_of(m, directory)
    return removed


def up_to_date(environ: Mapping[str, str] = os.environ) -> bool:
    """The manifest was written by a build of the current sources with the current build
    requirements and build switch (``VLLM_NEXUS_BUILD_COMPILED``), and its extensions are
    all there: ``make install`` rebuilds otherwise."""
    manifest = c.read_manifest()
    if not manifest or manifest.get("sources") != c.source_hashes():
        return False
    if manifest.get("requirements") != requirements():
        return False
    if manifest.get("modules") and any(
        c.extension_of(m) is None for m in (*c.COMPILED_MODULES, c.GROUP_LIB)
    ):
        return False
    return c.build_disabled(environ) == str(manifest.get("note", "")).startswith("disabled")


def write_manifest(note: str, built: bool) -> dict:
    sources = c.source_hashes()
    doc = {
        "builder": "mypyc",
        "note": note,
        "requirements": requirements(),
        "sources": sources,
        "modules": sources if built else {},
    }
    c.MANIFEST.write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def build(tools: Path) -> str:
    """Compile; the manifest's note (``built ...`` or why not)."""
    if c.build_disabled():
        return f"disabled ({c.BUILD_ENV}=0)"
    why = _ensure_mypy(tools)
    if why:
        return f"not built: {why}"
    files = ",".join(f"vllm_nexus/programs/{m}.py" for m in c.COMPILED_MODULES)
    group = f"vllm_nexus.programs.{c.GROUP}"
    _say(f"compiling {len(c.COMPILED_MODULES)} modules with mypyc (about 2 minutes)")
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", BUILD, files, " ".join(MYPY_OPTIONS), group],
        cwd=ROOT,
        env=_tools_env(tools),
        capture_output=True,
        text=True,
    )
    log = ROOT / "build" / "mypyc-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(out.stdout + out.stderr)
    if out.returncode != 0:
        lines = [ln for ln in (out.stdout + out.stderr).splitlines() if "error" in ln.lower()]
        first = lines[0] if lines else f"exit {out.returncode}"
        return f"not built: mypyc failed ({first}; full log: build/mypyc-build.log)"
    missing = [m for m in (*c.COMPILED_MODULES, c.GROUP_LIB) if c.extension_of(m) is None]
    if missing:
        return f"not built: no extension for {', '.join(missing)} (build/mypyc-build.log)"
    return f"built with mypy {_mypy_version(_tools_env(tools))} in {time.monotonic() - t0:.0f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tools", type=Path, default=ROOT / "build" / "mypyc-tools")
    ap.add_argument("--strict", action="store_true", help="exit 1 when nothing was compiled")
    a = ap.parse_args(argv)
    remove_extensions()
    try:
        note = build(a.tools)
    except OSError as e:  # no compiler executable, unwritable tree, ...
        note = f"not built: {type(e).__name__}: {e}"
    built = note.startswith("built")
    if not built:
        remove_extensions()
    write_manifest(note, built)
    _say(note + ("" if built else "; the per-step modules run as pure Python"))
    return 1 if a.strict and not built else 0


if __name__ == "__main__":
    sys.exit(main())
