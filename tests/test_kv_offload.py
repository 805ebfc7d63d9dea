"""The host KV tier option (``vllm_nexus.kv_offload``, GPU only): its translation to vLLM's
``kv_transfer_config``, the startup checks on this CPU host, the launchers that add it, and
the verdict of the ``kv_offload`` step of ``validate-gpu``. Nothing here runs on a GPU."""

from __future__ import annotations

import json
import re
import shlex
from types import SimpleNamespace

import pytest

from vllm_nexus import kv_offload
from vllm_nexus.cli import main as cli_main
from vllm_nexus.config import ConfigError, KVOffloadConfig, NexusConfig
from vllm_nexus.validation import offload as validate_offload

GIB = 1 << 30


def test_off_by_default_adds_nothing() -> None:
    cfg = NexusConfig().kv_offload
    assert cfg.host_gib == 0
    assert kv_offload.transfer_config(cfg) is None
    assert kv_offload.engine_args(cfg) == [] and kv_offload.engine_kwargs(cfg) == {}
    # off: no check at all, whatever the platform and engine
    assert kv_offload.check_engine(cfg, None, is_cuda=False, platform="cpu") is False


def test_translation_is_what_vllms_own_kv_offloading_size_sets_up() -> None:
    from vllm.config import VllmConfig

    spec = kv_offload.transfer_config(KVOffloadConfig(host_gib=2.5))
    assert spec == {
        "kv_connector": "OffloadingConnector",
        "kv_role": "kv_both",
        "kv_connector_extra_config": {"cpu_bytes_to_use": int(2.5 * GIB)},
    }
    # vLLM's --kv-offloading-size 2.5 (native backend), through its own code path
    fake = SimpleNamespace(
        cache_config=SimpleNamespace(kv_offloading_size=2.5, kv_offloading_backend="native"),
        kv_transfer_config=None,
    )
    VllmConfig._post_init_kv_transfer_config(fake)
    theirs = fake.kv_transfer_config
    assert theirs.kv_connector == spec["kv_connector"] and theirs.kv_role == spec["kv_role"]
    assert theirs.kv_connector_extra_config["cpu_bytes_to_use"] == pytest.approx(2.5 * GIB)


def test_engine_args_build_a_valid_vllm_kv_transfer_config() -> None:
    from vllm.config import KVTransferConfig

    cfg = KVOffloadConfig(host_gib=1, connector="simple-cpu")
    flag, value = kv_offload.engine_args(cfg)
    assert flag == "--kv-transfer-config"
    ktc = KVTransferConfig(**json.loads(value))
    assert ktc.kv_connector == "SimpleCPUOffloadConnector" and ktc.is_kv_transfer_instance
    assert ktc.kv_connector_extra_config == {"cpu_bytes_to_use": GIB}
    assert kv_offload.engine_kwargs(cfg) == {"kv_transfer_config": json.loads(value)}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"host_gib": -1}, "vllm_nexus.kv_offload.host_gib=-1.0 is invalid"),
        ({"host_gib": "8"}, "vllm_nexus.kv_offload.host_gib='8' is invalid"),
        ({"connector": "lmcache"}, "vllm_nexus.kv_offload.connector='lmcache' is invalid"),
        ({"host_gb": 8}, "unknown option vllm_nexus.kv_offload.host_gb"),
    ],
)
def test_bad_values_name_the_option(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        NexusConfig.from_dict({"kv_offload": section})


def test_startup_checks_name_the_option() -> None:
    cfg = KVOffloadConfig(host_gib=8)
    spec = kv_offload.transfer_config(cfg)
    with pytest.raises(
        ConfigError, match=r"vllm_nexus\.kv_offload\.host_gib=8 needs a CUDA GPU.*'cpu'"
    ):
        kv_offload.check_engine(cfg, spec, is_cuda=False, platform="cpu")
    with pytest.raises(ConfigError, match=r"host_gib=8 is set but the engine has no KV connector"
                       r".*--kv-transfer-config '\{"):  # fmt: skip
        kv_offload.check_engine(cfg, None, is_cuda=True, platform="cuda")
    other = {"kv_connector": "NixlConnector", "kv_role": "kv_both"}
    with pytest.raises(ConfigError, match="wants vLLM's OffloadingConnector.*'NixlConnector'"):
        kv_offload.check_engine(cfg, other, is_cuda=True, platform="cuda")
    assert kv_offload.check_engine(cfg, spec, is_cuda=True, platform="cuda") is True


def test_the_scheduler_refuses_the_option_on_this_cpu_host() -> None:
    from vllm_nexus.perf.hardware import HARDWARE
    from vllm_nexus.perf.models import MODELS
    from vllm_nexus.sim.engine import EngineSpec, Simulator

    spec = EngineSpec(
        HARDWARE["cpu-here"], MODELS["tiny"], scheduler="vllm_nexus",
        additional_config={"vllm_nexus": {"kv_offload": {"host_gib": 1}}},
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"vllm_nexus\.kv_offload\.host_gib=1 needs a CUDA GPU"):
        Simulator(spec)
    off = EngineSpec(HARDWARE["cpu-here"], MODELS["tiny"], scheduler="vllm_nexus")
    assert Simulator(off).scheduler.kv_offload is False


def test_cluster_adds_the_connector_on_gpus_and_refuses_cpus(tmp_path) -> None:
    from vllm_nexus.cluster.app import ClusterArgError, resolve

    extra = {"vllm_nexus": {"kv_offload": {"host_gib": 4}}}
    r = resolve({"model": str(tmp_path), "device": "gpu", "additional_config": extra})
    assert r["engine_kwargs"]["kv_transfer_config"]["kv_connector"] == "OffloadingConnector"
    with pytest.raises(ClusterArgError, match=r"vllm_nexus\.kv_offload\.host_gib needs device gpu"):
        resolve({"model": str(tmp_path), "device": "cpu", "additional_config": extra})
    plain = resolve({"model": str(tmp_path), "device": "gpu"})
    assert "kv_transfer_config" not in plain["engine_kwargs"]


def test_cli_prints_the_vllm_serve_arguments(capsys: pytest.CaptureFixture) -> None:
    extra = json.dumps({"vllm_nexus": {"kv_offload": {"host_gib": 64}}})
    assert cli_main(["kv-offload-args", "--additional-config", extra]) == 0
    flag, value = shlex.split(capsys.readouterr().out)
    assert flag == "--kv-transfer-config"
    assert json.loads(value)["kv_connector_extra_config"]["cpu_bytes_to_use"] == 64 * GIB
    bad = json.dumps({"vllm_nexus": {"kv_offload": {"host_gib": -2}}})
    assert cli_main(["kv-offload-args", "--additional-config", bad]) == 2
    assert "vllm_nexus.kv_offload.host_gib=-2.0 is invalid" in capsys.readouterr().err


def _result(mode: str, preempt: int, recomputed: int, outputs=((1, 2),), on=True) -> dict:
    counters = {"preemptions": preempt, "preempted_tokens": 10 * preempt,
                "recomputed_tokens": recomputed, "kv_offload": on and mode == "offload"}  # fmt: skip
    return {"mode": mode, "generate_s": 1.0, "outputs": [list(o) for o in outputs],
            "counters": counters}  # fmt: skip


def test_validate_step_verdict() -> None:
    ok = {"recompute": _result("recompute", 12, 4000), "offload": _result("offload", 11, 300)}
    status, summary, figures = validate_offload.compare(ok)
    assert status == "pass" and "300 with the host tier vs 4000 without" in summary
    assert figures["same_tokens"] is True and figures["recomputed_share_of_baseline"] == 0.075
    worse = {"recompute": _result("recompute", 12, 4000), "offload": _result("offload", 12, 3000)}
    assert validate_offload.compare(worse)[0] == "fail"
    calm = {"recompute": _result("recompute", 0, 0), "offload": _result("offload", 0, 0)}
    assert "did not preempt" in validate_offload.compare(calm)[1]
    missing = {"recompute": _result("recompute", 5, 100)}
    assert validate_offload.compare(missing)[:2] == ("fail", "no output from offload (see log)")
    unseen = {
        "recompute": _result("recompute", 5, 100),
        "offload": _result("offload", 5, 0, on=False),
    }
    assert "did not see the host tier" in validate_offload.compare(unseen)[1]


def test_validate_step_engine_arguments_differ_only_in_the_host_tier() -> None:
    a = validate_offload.engine_args("m", "recompute")
    b = validate_offload.engine_args("m", "offload")
    diff = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
    assert diff == {"kv_transfer_config", "additional_config"}
    assert b["kv_transfer_config"]["kv_connector"] == "OffloadingConnector"
    assert NexusConfig.from_additional_config(b["additional_config"]).kv_offload.host_gib == 1
    # KV-bound: the calls need far more KV than the cache holds
    need = validate_offload.NUM_PROMPTS * (
        validate_offload.PROMPT_TOKENS + validate_offload.MAX_TOKENS
    )
    assert need > 4 * a["num_gpu_blocks_override"] * a["block_size"]
