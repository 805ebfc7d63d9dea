"""``scheduler.profile``: which defaults a key takes when the config leaves it unset (pure)."""

import dataclasses

import pytest

from vllm_nexus.config import (
    GPU_PROFILE,
    ConfigError,
    NexusConfig,
    SchedulerConfig,
    profile_choice,
    resolve_profile,
)


@pytest.mark.parametrize(
    ("requested", "platform", "profile"),
    [
        ("auto", "cuda", "gpu"),
        ("auto", "rocm", "gpu"),
        ("auto", "cpu", "cpu"),
        ("auto", "xpu", "cpu"),
        ("auto", None, "cpu"),
        ("cpu", "cuda", "cpu"),
        ("gpu", "cpu", "gpu"),
    ],
)
def test_resolution(requested, platform, profile) -> None:
    got, why = resolve_profile(requested, platform)
    assert got == profile
    assert ("set explicitly" in why) == (requested != "auto")
    if requested == "auto":
        assert str(platform or "not known") in why


def test_gpu_profile_changes_only_its_keys() -> None:
    cpu = NexusConfig.from_dict({}, platform="cpu")
    gpu = NexusConfig.from_dict({}, platform="cuda")
    assert cpu.scheduler.profile == "cpu" and gpu.scheduler.profile == "gpu"
    for k, v in GPU_PROFILE.items():
        assert getattr(gpu.scheduler, k) == v and getattr(cpu.scheduler, k) != v
    differ = {
        f.name
        for f in dataclasses.fields(SchedulerConfig)
        if getattr(cpu.scheduler, f.name) != getattr(gpu.scheduler, f.name)
    }
    assert differ == set(GPU_PROFILE) | {"profile"}
    assert cpu.partition == gpu.partition and cpu.tenants == gpu.tenants


def test_cpu_defaults_are_the_dataclass_defaults() -> None:
    """The cpu profile is the defaults written in SchedulerConfig, on every path."""
    want = dataclasses.replace(NexusConfig().scheduler, profile="cpu")
    assert NexusConfig.from_dict({}, platform="cpu").scheduler == want
    assert NexusConfig.from_additional_config(None).scheduler == want  # platform not known
    cfg = NexusConfig.from_dict({"scheduler": {"profile": "cpu"}}, platform="cuda")
    assert cfg.scheduler == want


def test_explicit_keys_win_over_either_profile() -> None:
    section = {"scheduler": {"num_queues": 7, "fanout_weight_preempts": True}}
    gpu = NexusConfig.from_dict(section, platform="cuda").scheduler
    assert gpu.num_queues == 7 and gpu.fanout_weight_preempts is True
    assert gpu.fanout_service_weight == GPU_PROFILE["fanout_service_weight"]
    choice = profile_choice(section, "cuda")
    assert choice.explicit == ("num_queues", "fanout_weight_preempts")
    assert set(choice.applied) == set(GPU_PROFILE) - {"num_queues", "fanout_weight_preempts"}
    cpu = NexusConfig.from_dict({"scheduler": {"num_queues": 12}}, platform="cpu").scheduler
    assert cpu.num_queues == 12
    # an explicit gpu profile on a CPU platform
    forced = NexusConfig.from_dict({"scheduler": {"profile": "gpu"}}, platform="cpu").scheduler
    assert forced.num_queues == GPU_PROFILE["num_queues"] and forced.profile == "gpu"


def test_resolved_config_round_trips() -> None:
    cfg = NexusConfig.from_dict({"scheduler": {"num_queues": 9}}, platform="rocm")
    assert NexusConfig.from_dict(cfg.to_dict(), platform="cpu") == cfg


def test_describe_says_which_profile_and_why() -> None:
    text = profile_choice({"scheduler": {"num_queues": 8}}, "cuda").describe()
    assert text.startswith("profile=gpu (auto: vLLM platform cuda)")
    assert "fanout_service_weight=8" in text and "set explicitly: num_queues" in text
    assert profile_choice({}, "cpu").describe() == "profile=cpu (auto: vLLM platform cpu)"


@pytest.mark.parametrize("value", ["GPU", "tpu", 1, None, True])
def test_bad_profile_names_the_key(value) -> None:
    with pytest.raises(ConfigError, match=r"vllm_nexus\.scheduler\.profile"):
        NexusConfig.from_dict({"scheduler": {"profile": value}}, platform="cuda")
