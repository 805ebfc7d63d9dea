"""The optional compiled build of the per-step policy modules (mypyc;
``vllm_nexus.programs._build`` and ``_compiled``): which modules are imported compiled, the off
switch, the stale-source fallback, and that the compiled and the pure-Python modules make the
same decisions."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vllm_nexus.programs import _build, _compiled

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = _compiled.read_manifest() or {}
BUILT = bool(MANIFEST.get("modules"))
"""This tree has a compiled build (``make install`` could compile)."""


def _run(code: str, **env: str) -> str:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_build_requirement_is_pinned() -> None:
    """The build installs the ``compile`` extra: mypy at one version (the generated code)."""
    assert _build._pinned_version(_build.requirements()) is not None


def test_choose() -> None:
    mods = _compiled.COMPILED_MODULES
    src = {m: f"sha of {m}" for m in mods}
    exts = {*mods, _compiled.GROUP_LIB}
    manifest = {"modules": dict(src)}
    assert _compiled.choose(manifest, src, exts, off=False) == "compiled"
    assert _compiled.choose(manifest, src, exts, off=True) == "off"
    assert _compiled.choose(None, src, exts, off=False) == "not built"
    assert _compiled.choose({"modules": {}}, src, exts, off=False) == "not built"
    # one source edited after the build: every module is imported as Python
    assert _compiled.choose(manifest, {**src, "queues": "edited"}, exts, off=False) == "stale"
    # an extension (or the shared library) deleted
    assert _compiled.choose(manifest, src, exts - {"tenants"}, off=False) == "not built"
    assert _compiled.choose(manifest, src, exts - {_compiled.GROUP_LIB}, off=False) == "not built"
    # a manifest from a build of fewer modules (an older compile set)
    partial = {"modules": {m: src[m] for m in mods[:-1]}}
    assert _compiled.choose(partial, src, exts, off=False) == "not built"


def test_imported_modules_follow_the_choice() -> None:
    """What runs in this test session: all modules compiled when the choice says so (every
    other test then exercises them), all ``.py`` otherwise, never a mix."""
    choice = _compiled.install()
    files = [
        importlib.import_module(f"vllm_nexus.programs.{m}").__file__
        for m in _compiled.COMPILED_MODULES
    ]
    assert all(f.endswith(".py") != (choice == "compiled") for f in files), (choice, files)
    if BUILT and not _compiled.disabled():
        # a build: in use (not stale), unless a source was edited since (make compile)
        assert choice in ("compiled", "stale")


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI's make install must compile")
def test_ci_runs_the_compiled_modules() -> None:
    """CI (``make install`` on a machine with a C compiler and the package index) runs the
    suite on the compiled modules: a build that silently fell back to Python fails here."""
    n = len(_compiled.COMPILED_MODULES)
    assert _compiled.summary() == f"compiled (mypyc) {n}/{n}", MANIFEST.get("note")


def test_off_switch_imports_python() -> None:
    out = _run(
        "from vllm_nexus.programs import _compiled as c, queues, tenants; "
        "print(queues.__file__, tenants.__file__); print(c.summary())",
        VLLM_NEXUS_COMPILED="0",
    )
    files, summary = out.strip().splitlines()
    assert all(f.endswith(".py") for f in files.split())
    assert summary == "python (off)"


def test_stale_build_imports_python(tmp_path: Path) -> None:
    """A copy of the package whose manifest records another hash for one source: every
    module is imported from its ``.py`` and the extensions (if any) are not loaded."""
    pkg = tmp_path / "vllm_nexus"
    subprocess.run(["cp", "-r", str(ROOT / "vllm_nexus"), str(pkg)], check=True)
    mf = pkg / "programs" / "_compiled_manifest.json"
    sources = _compiled.source_hashes()
    stale = {**sources, "queues": "0" * 64}
    mf.write_text(__import__("json").dumps({"modules": stale, "sources": stale}))
    for m in (*_compiled.COMPILED_MODULES, _compiled.GROUP_LIB):  # make sure extensions exist
        (pkg / "programs" / f"{m}.cpython-311-x86_64-linux-gnu.so").touch(exist_ok=True)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from vllm_nexus.programs import _compiled as c, queues, charging; "
            "print(c.install(), queues.__file__.endswith('.py'), charging.__file__.endswith('.py'),"
            " any(k.endswith('__mypyc') for k in sys.modules))",
        ],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["stale", "True", "True", "False"]
    assert "older than their sources" in out.stderr


def test_build_disabled_writes_a_manifest_without_modules(tmp_path: Path, monkeypatch) -> None:
    """``VLLM_NEXUS_BUILD_COMPILED=0``: the build compiles nothing, says why, exits 0."""
    pkg = tmp_path / "vllm_nexus"
    subprocess.run(["cp", "-r", str(ROOT / "vllm_nexus"), str(pkg)], check=True)
    subprocess.run(["cp", str(ROOT / "pyproject.toml"), str(tmp_path)], check=True)
    out = subprocess.run(
        [sys.executable, "-m", "vllm_nexus.programs._build"],
        env={**os.environ, "PYTHONPATH": str(tmp_path), "VLLM_NEXUS_BUILD_COMPILED": "0"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "disabled" in out.stderr
    mf = _compiled.read_manifest(pkg / "programs" / "_compiled_manifest.json")
    assert mf is not None and mf["modules"] == {} and mf["note"].startswith("disabled")
    assert not list((pkg / "programs").glob("*.so"))


DECISIONS = """
import argparse, hashlib, sys
sys.path.insert(0, "examples")
import sched_overhead as so
from vllm_nexus.programs import _compiled
args = argparse.Namespace(running=16, waiting=48, programs=2000, policy="plas", prompt_len=64,
    max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), 48)
s = d.sched
t = [1000.0]
s.clock = lambda: t[0]  # a virtual clock: time-based rules see the same times in both runs
so.prefill_programs(s, 2000, 0)
h = hashlib.sha256()
for _ in range(150):
    t[0] += 0.003
    d.top_up()
    out = s.schedule()
    h.update(repr((sorted(out.num_scheduled_tokens.items()), sorted(out.preempted_req_ids),
                   [r.request_id for r in s.running])).encode())
    s.update_from_output(out, so.fake_output(s, out))
m = s.nexus_metrics
print(_compiled.summary().split(" (")[0], m.compiled_modules, m.preemptions_proactive,
      m.demotions, h.hexdigest())
"""


@pytest.mark.skipif(not BUILT, reason="no compiled build here (make install compiles)")
def test_compiled_and_python_decide_alike() -> None:
    """The same scheduler stream (vLLM's scheduler with ours, synthetic outputs, preemptions
    and demotions on) through the compiled modules and through Python: identical steps."""
    compiled = _run(DECISIONS, VLLM_NEXUS_COMPILED="1", PYTHONHASHSEED="0").split()
    python = _run(DECISIONS, VLLM_NEXUS_COMPILED="0", PYTHONHASHSEED="0").split()
    assert compiled[:2] == ["compiled", str(len(_compiled.COMPILED_MODULES))]
    assert python[:2] == ["python", "0"]
    assert int(compiled[2]) > 0 and int(compiled[3]) > 0  # the stream exercises both rules
    assert compiled[2:] == python[2:]
