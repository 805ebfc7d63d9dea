"""Model shapes for the simulator: the dimensions that set FLOPs, weight bytes and KV bytes.

Values are copied from each model's public ``config.json`` (Hugging Face model cards of
meta-llama/Llama-3.1-8B, Llama-3.1-70B, Qwen/Qwen2.5-3B, Qwen2.5-14B). ``tiny`` mirrors the
embedded random-weight model of :mod:`vllm_nexus.serving.tiny_model`. Pure Python, no vLLM import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer (Llama/Qwen2 family: GQA attention, gated MLP)."""

    name: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    head_dim: int = 0
    """0 means hidden // heads."""
    tied_embeddings: bool = False
    dtype_bytes: int = 2
    max_model_len: int = 32768
    architecture: str = "LlamaForCausalLM"
    rope_theta: float = 500000.0
    attention_bias: bool = False

    @property
    def hd(self) -> int:
        return self.head_dim or self.hidden // self.heads

    @property
    def q_dim(self) -> int:
        return self.heads * self.hd

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.hd

    @property
    def attn_proj_params(self) -> int:
        """Per layer: Q, K, V and O projections."""
        return self.hidden * (self.q_dim + 2 * self.kv_dim) + self.q_dim * self.hidden

    @property
    def mlp_params(self) -> int:
        """Per layer: gate, up and down projections."""
        return 3 * self.hidden * self.intermediate

    @property
    def lm_head_params(self) -> int:
        return self.vocab * self.hidden

    @property
    def num_params(self) -> int:
        emb = self.vocab * self.hidden * (1 if self.tied_embeddings else 2)
        return self.layers * (self.attn_proj_params + self.mlp_params) + emb

    @property
    def weight_bytes(self) -> int:
        return self.num_params * self.dtype_bytes

    @property
    def kv_bytes_per_token(self) -> int:
        """K and V of every layer for one token."""
        return 2 * self.layers * self.kv_dim * self.dtype_bytes

    def hf_config(self, dtype: str = "bfloat16") -> dict[str, Any]:
        """A ``config.json`` with these dimensions (for building a vLLM config, no weights)."""
        model_type = "qwen2" if self.architecture.startswith("Qwen2") else "llama"
        cfg: dict[str, Any] = {
            "architectures": [self.architecture],
            "model_type": model_type,
            "hidden_size": self.hidden,
            "intermediate_size": self.intermediate,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_key_value_heads": self.kv_heads,
            "head_dim": self.hd,
            "vocab_size": self.vocab,
            "max_position_embeddings": self.max_model_len,
            "rms_norm_eps": 1e-5,
            "rope_theta": self.rope_theta,
            "tie_word_embeddings": self.tied_embeddings,
            "hidden_act": "silu",
            "torch_dtype": dtype,
            "bos_token_id": 1,
            "eos_token_id": 2,
        }
        if model_type == "llama":
            cfg["attention_bias"] = self.attention_bias
        return cfg


MODELS: dict[str, ModelShape] = {
    m.name: m
    for m in (
        ModelShape("llama-3.1-8b", 4096, 32, 32, 8, 14336, 128256, max_model_len=131072),
        ModelShape("llama-3.1-70b", 8192, 80, 64, 8, 28672, 128256, max_model_len=131072),
        ModelShape(
            "qwen2.5-3b",
            2048,
            36,
            16,
            2,
            11008,
            151936,
            tied_embeddings=True,
            architecture="Qwen2ForCausalLM",
            rope_theta=1e6,
            attention_bias=True,
        ),
        ModelShape(
            "qwen2.5-14b",
            5120,
            48,
            40,
            8,
            13824,
            152064,
            architecture="Qwen2ForCausalLM",
            rope_theta=1e6,
            attention_bias=True,
        ),
        # The embedded random-weight model (vllm_nexus.serving.tiny_model), run in float32 on CPU.
        ModelShape(
            "tiny", 128, 2, 4, 2, 512, 4096, head_dim=32, dtype_bytes=4, max_model_len=32768
        ),
    )
}


def get_model(name: str) -> ModelShape:
    """Look up a model shape by name; a clear error lists the known names."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}: choose one of {sorted(MODELS)}") from None
