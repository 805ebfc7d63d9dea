"""The package layout of docs/architecture.md, checked on the sources (no import is executed).

- Every module of ``programs/`` and ``split/`` has a row in its folder's table, and the ones
  marked ``policy`` import no vLLM, torch or CUDA package anywhere (not even inside a function).
- Dependencies point inward: the product (``programs``, ``split``, ``serving``, ``perf`` and the
  top-level modules) never imports a tool folder (``bench``, ``sim``, ``cluster``,
  ``validation``); ``split`` imports nothing of ``programs`` or ``serving``; the one
  cross-folder import of ``programs`` into ``split`` is ``split.plan`` (the step plan).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "vllm_nexus"
TOOLS = ("bench", "sim", "cluster", "validation")
PRODUCT_FOLDERS = ("programs", "split", "serving", "perf")
ENGINE_PACKAGES = {"vllm", "torch", "triton", "cuda"}


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module name an ``import`` / ``from ... import`` in ``path`` names (absolute form;
    ``root`` is the directory the top-level package sits in)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _rows(folder: str) -> dict[str, str]:
    """Module -> ring, from the table under ``## `folder/` ...`` in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = re.search(rf"^## `{folder}/`.*?(?=^## )", text, re.S | re.M)
    assert section, f"docs/architecture.md has no section for {folder}/"
    rings: dict[str, str] = {}
    for modules, ring in re.findall(r"^\| ([^|]+) \| (policy|adapter|tool) \|", section[0], re.M):
        for name in re.findall(r"`(\w+)`", modules):
            rings[name] = ring
    return rings


def _modules(folder: str) -> list[str]:
    return sorted(p.stem for p in (PKG / folder).glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("folder", ["programs", "split"])
def test_every_module_has_a_row_in_the_architecture_doc(folder: str) -> None:
    rows = _rows(folder)
    assert set(_modules(folder)) == set(rows), (
        f"docs/architecture.md's {folder}/ table and the folder differ: "
        f"undocumented {sorted(set(_modules(folder)) - set(rows))}, "
        f"gone {sorted(set(rows) - set(_modules(folder)))}"
    )


@pytest.mark.parametrize("folder", ["programs", "split"])
def test_policy_modules_import_no_engine_package(folder: str) -> None:
    policy = [m for m, ring in _rows(folder).items() if ring == "policy"]
    assert policy
    for module in policy:
        engine = {
            n for n in _imports(PKG / folder / f"{module}.py") if n.split(".")[0] in ENGINE_PACKAGES
        }
        assert not engine, f"vllm_nexus/{folder}/{module}.py is policy but imports {sorted(engine)}"


def _product_files() -> list[Path]:
    files = [p for f in PRODUCT_FOLDERS for p in (PKG / f).glob("*.py")]
    return files + [p for p in PKG.glob("*.py") if p.stem != "cli"]


def test_the_product_never_imports_a_tool() -> None:
    for path in _product_files():
        bad = {n for n in _imports(path) if n.split(".")[:2] in [["vllm_nexus", t] for t in TOOLS]}
        assert not bad, f"{path.relative_to(ROOT)} imports the tool(s) {sorted(bad)}"


def test_split_and_programs_depend_one_way() -> None:
    for path in (PKG / "split").glob("*.py"):
        bad = {
            n for n in _imports(path) if n.startswith(("vllm_nexus.programs", "vllm_nexus.serving"))
        }
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
    for path in (PKG / "programs").glob("*.py"):
        into_split = {n.split(".")[2] for n in _imports(path) if n.startswith("vllm_nexus.split.")}
        assert into_split <= {"plan"}, (
            f"{path.relative_to(ROOT)} imports split.{sorted(into_split)}"
        )


def test_the_import_reader_sees_relative_and_nested_imports(tmp_path: Path) -> None:
    """The checks above are only as good as :func:`_imports`: a function-level ``import vllm``
    and a relative import must both be seen."""
    probe = tmp_path / "vllm_nexus" / "programs" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "def f():\n    import vllm.v1\n    from ..bench import trace\n    from . import table\n"
    )
    names = _imports(probe, root=tmp_path)
    assert "vllm.v1" in names
    assert "vllm_nexus.bench.trace" in names
    assert "vllm_nexus.programs.table" in names
