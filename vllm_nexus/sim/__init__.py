"""Virtual-time simulation of the real vLLM schedulers (issue 3).

The step-latency model and its presets are in :mod:`vllm_nexus.perf` (pure, re-exported
here). The vLLM-facing driver: :mod:`engine` (configs, scheduler, requests) and :mod:`replay`
(one run on the virtual clock); the command line in :mod:`cli`.
"""

from vllm_nexus.perf.hardware import HARDWARE, HardwarePreset, get_hardware
from vllm_nexus.perf.latency import OpCost, StepCost, StepLatencyModel
from vllm_nexus.perf.models import MODELS, ModelShape, get_model

__all__ = [
    "HARDWARE",
    "MODELS",
    "HardwarePreset",
    "ModelShape",
    "OpCost",
    "StepCost",
    "StepLatencyModel",
    "get_hardware",
    "get_model",
]
