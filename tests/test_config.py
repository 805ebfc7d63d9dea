"""Config: defaults, validation errors that name the key, JSON from --additional-config."""

import pytest

from vllm_nexus.config import ConfigError, NexusConfig


def test_defaults_without_section():
    cfg = NexusConfig.from_additional_config(None)
    assert cfg.scheduler.policy == "plas" and cfg.scheduler.num_queues == 7
    assert NexusConfig.from_additional_config({"other_plugin": {}}) == cfg


def test_values_are_read_and_coerced():
    cfg = NexusConfig.from_additional_config(
        '{"vllm_nexus": {"scheduler": {"policy": "plas", "first_boundary": 100, "starvation_beta": 0}}}'
    )
    assert cfg.scheduler.policy == "plas"
    assert cfg.scheduler.first_boundary == 100.0 and isinstance(cfg.scheduler.first_boundary, float)
    assert cfg.scheduler.starvation_beta == 0


@pytest.mark.parametrize(
    "section,needle",
    [
        ({"scheduler": {"polcy": "atlas"}}, "vllm_nexus.scheduler.polcy"),
        ({"schedular": {}}, "vllm_nexus.schedular"),
        ({"scheduler": {"policy": "lifo"}}, "vllm_nexus.scheduler.policy='lifo'"),
        ({"scheduler": {"num_queues": 0}}, "vllm_nexus.scheduler.num_queues"),
        ({"scheduler": {"num_queues": 2.5}}, "expected an integer"),
        ({"scheduler": {"preemption": "yes"}}, "expected true or false"),
        ({"scheduler": {"boundary_growth": 1}}, "boundary_growth"),
        ({"scheduler": {"first_quantum": float("nan")}}, "finite"),
        ({"partition": {"decode_slack": 0.5}}, "vllm_nexus.partition.decode_slack"),
        ({"scheduler": []}, "vllm_nexus.scheduler must be a JSON object"),
    ],
)
def test_bad_values_name_the_key(section, needle):
    with pytest.raises(ConfigError, match=None) as e:
        NexusConfig.from_dict(section)
    assert needle in str(e.value)


def test_bad_json():
    with pytest.raises(ConfigError, match="not valid JSON"):
        NexusConfig.from_additional_config("{nope")


def test_roundtrip():
    cfg = NexusConfig.from_dict({"scheduler": {"policy": "mlfq"}})
    assert NexusConfig.from_dict(cfg.to_dict()) == cfg
