"""The optional compiled build of the per-step policy modules (``setup.py``,
``vllm_nexus.programs._compiled``): which modules are imported compiled, the off switch, the
stale-source fallback, and that the compiled and the Python modules decide alike."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vllm_nexus.programs import _compiled

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = _compiled.MANIFEST
BUILT = json.loads(MANIFEST.read_text()).get("modules", {}) if MANIFEST.exists() else {}


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


def test_makefile_compiles_the_listed_modules() -> None:
    line = re.search(r"^COMPILED_SRC := .*,(.*)\)$", (ROOT / "Makefile").read_text(), re.M)
    assert line is not None
    assert tuple(line.group(1).split()) == _compiled.COMPILED_MODULES


def test_choose() -> None:
    mods = _compiled.COMPILED_MODULES
    src = {m: f"source of {m}".encode() for m in mods}
    digest = {m: hashlib.sha256(src[m]).hexdigest() for m in mods}
    exts = dict.fromkeys(mods, True)
    manifest = {"modules": digest}
    assert set(_compiled.choose(manifest, src, exts, off=False).values()) == {"compiled"}
    assert set(_compiled.choose(manifest, src, exts, off=True).values()) == {"off"}
    assert set(_compiled.choose(None, src, exts, off=False).values()) == {"not built"}
    edited = {**src, "queues": b"edited"}
    got = _compiled.choose(manifest, edited, exts, off=False)
    assert got["queues"] == "stale"
    assert {c for m, c in got.items() if m != "queues"} == {"compiled"}
    missing = {**exts, "tenants": False}  # listed in the manifest, extension deleted
    assert _compiled.choose(manifest, src, missing, off=False)["tenants"] == "not built"


def test_imported_modules_follow_the_choice() -> None:
    """What runs in this test session: the compiled extension exactly where the choice says
    so (every other test then exercises it), the .py elsewhere."""
    status = _compiled.status()
    for module, choice in status.items():
        mod = importlib.import_module(f"vllm_nexus.programs.{module}")
        assert mod.__file__.endswith(".py") == (choice != "compiled"), (module, choice)
    if BUILT and not _compiled.disabled():
        # a build that compiled modules: all of them are in use (none stale or shadowed)
        assert status == dict.fromkeys(_compiled.COMPILED_MODULES, "compiled")


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="CI's make install must compile")
def test_ci_runs_the_compiled_modules() -> None:
    """CI (``make install`` on a machine with a C compiler) runs the suite on the compiled
    modules: a build that silently fell back to Python fails here."""
    n = len(_compiled.COMPILED_MODULES)
    assert _compiled.summary() == f"compiled {n}/{n}"


def test_off_switch_imports_python() -> None:
    out = _run(
        "from vllm_nexus.programs import _compiled as c, queues, tenants; "
        "print(queues.__file__, tenants.__file__); print(c.summary())",
        VLLM_NEXUS_COMPILED="0",
    )
    files, summary = out.strip().splitlines()
    assert all(f.endswith(".py") for f in files.split())
    assert summary == "python (off)"


DECISIONS = """
import argparse, hashlib, sys
sys.path.insert(0, "examples")
import sched_overhead as so
from vllm_nexus.programs import _compiled
args = argparse.Namespace(running=16, waiting=48, programs=2000, policy="plas", prompt_len=64,
    max_tokens=256, max_num_batched_tokens=8192, nexus={})
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
print(_compiled.summary(), m.compiled_modules, m.preemptions_proactive, m.demotions, h.hexdigest())
"""


@pytest.mark.skipif(not BUILT, reason="no compiled build here (make install compiles)")
def test_compiled_and_python_decide_alike() -> None:
    """The same scheduler stream (vLLM's scheduler with ours, synthetic outputs, preemptions
    and demotions on) through the compiled modules and through Python: identical steps."""
    compiled = _run(DECISIONS, VLLM_NEXUS_COMPILED="1", PYTHONHASHSEED="0").split()
    python = _run(DECISIONS, VLLM_NEXUS_COMPILED="0", PYTHONHASHSEED="0").split()
    n = str(len(_compiled.COMPILED_MODULES))
    assert compiled[:3] == ["compiled", f"{n}/{n}", n]
    assert python[:3] == ["python", "(off)", "0"]
    assert int(compiled[3]) > 0 and int(compiled[4]) > 0  # the stream exercises both rules
    assert compiled[3:] == python[3:]
