"""Virtual-time simulation of the real vLLM schedulers (issue 3).

Pure modules (no vLLM import): :mod:`hardware` (GPU/CPU presets), :mod:`models` (model
shapes), :mod:`latency` (roofline step-latency model with SM-fraction saturation). The
vLLM-facing driver lives in :mod:`engine`; the command line in :mod:`cli`.
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
