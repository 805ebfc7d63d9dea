"""Offline stand-ins for the hub models vLLM's scheduler tests name (``make conformance``).

The tests build ``ModelConfig(model="facebook/opt-125m")`` and a few multimodal configs; nothing
is ever loaded onto a device, so a model is its ``config.json`` plus, for the multimodal ones,
a tokenizer and processor configs (vLLM runs the processor once on dummy inputs to size the
encoder budget). These are written into a private Hugging Face cache (``HF_HOME``) used with
``HF_HUB_OFFLINE=1``. Shapes follow the public configs of the named checkpoints so that
the derived numbers the tests check (tokens per image, max model length) are the real ones.
Tokenizers are word-level with the checkpoints' special-token ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_REVISION = "0" * 40
_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def _opt(hidden: int, layers: int, heads: int, ffn: int, proj: int) -> dict[str, Any]:
    return {
        "architectures": ["OPTForCausalLM"],
        "model_type": "opt",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "ffn_dim": ffn,
        "word_embed_proj_dim": proj,
        "max_position_embeddings": 2048,
        "vocab_size": 50272,
        "do_layer_norm_before": proj == hidden,
        "activation_function": "relu",
        "enable_bias": True,
        "torch_dtype": "float16",
        "bos_token_id": 2,
        "eos_token_id": 2,
        "pad_token_id": 1,
    }


def _tokenizer_json(vocab_size: int, specials: dict[str, int]) -> str:
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

    vocab = {f"t{i}": i for i in range(vocab_size)}
    for tok, i in specials.items():
        vocab.pop(f"t{i}", None)
        vocab[tok] = i
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=next(iter(specials))))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([AddedToken(s, special=True) for s in specials])
    return tok.to_str()


def _tokenizer_files(
    vocab_size: int, specials: dict[str, int], bos: str | None, eos: str, pad: str
) -> dict[str, Any]:
    cfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": eos,
        "pad_token": pad,
        "model_max_length": 32768,
        "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}",
    }
    if bos is not None:
        cfg["bos_token"] = bos
    return {
        "tokenizer.json": _tokenizer_json(vocab_size, specials),
        "tokenizer_config.json": cfg,
    }


def _llava() -> dict[str, Any]:
    specials = {"<unk>": 0, "<s>": 1, "</s>": 2, "<image>": 32000, "<pad>": 32001}
    config = {
        "architectures": ["LlavaForConditionalGeneration"],
        "model_type": "llava",
        "image_token_index": 32000,
        "pad_token_id": 32001,
        "projector_hidden_act": "gelu",
        "vision_feature_layer": -2,
        "vision_feature_select_strategy": "default",
        "image_seq_length": 576,
        "torch_dtype": "float16",
        "vocab_size": 32064,
        "text_config": {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": 4096,
            "intermediate_size": 11008,
            "num_attention_heads": 32,
            "num_hidden_layers": 32,
            "num_key_value_heads": 32,
            "max_position_embeddings": 4096,
            "rms_norm_eps": 1e-05,
            "vocab_size": 32064,
            "torch_dtype": "float16",
        },
        "vision_config": {
            "model_type": "clip_vision_model",
            "hidden_size": 1024,
            "image_size": 336,
            "intermediate_size": 4096,
            "num_attention_heads": 16,
            "num_hidden_layers": 24,
            "patch_size": 14,
            "projection_dim": 768,
            "vocab_size": 32000,
        },
    }
    return {
        "config.json": config,
        **_tokenizer_files(32064, specials, "<s>", "</s>", "<pad>"),
        # The PIL backend: torchvision is only a stand-in here.
        "preprocessor_config.json": {
            "image_processor_type": "CLIPImageProcessorPil",
            "processor_class": "LlavaProcessor",
            "crop_size": {"height": 336, "width": 336},
            "size": {"shortest_edge": 336},
            "do_center_crop": True,
            "do_normalize": True,
            "do_rescale": True,
            "do_resize": True,
            "do_convert_rgb": True,
            "image_mean": _CLIP_MEAN,
            "image_std": _CLIP_STD,
            "resample": 3,
            "rescale_factor": 1 / 255,
        },
        "processor_config.json": {
            "processor_class": "LlavaProcessor",
            "patch_size": 14,
            "vision_feature_select_strategy": "default",
            "num_additional_image_tokens": 1,
            "image_token": "<image>",
        },
        "generation_config.json": {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 32001},
    }


def _qwen25_vl() -> dict[str, Any]:
    specials = {
        "<|endoftext|>": 151643,
        "<|im_start|>": 151644,
        "<|im_end|>": 151645,
        "<|vision_start|>": 151652,
        "<|vision_end|>": 151653,
        "<|vision_pad|>": 151654,
        "<|image_pad|>": 151655,
        "<|video_pad|>": 151656,
    }
    config = {
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "model_type": "qwen2_5_vl",
        "hidden_size": 2048,
        "intermediate_size": 11008,
        "num_attention_heads": 16,
        "num_hidden_layers": 36,
        "num_key_value_heads": 2,
        "max_position_embeddings": 128000,
        "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0,
        "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
        "vocab_size": 151936,
        "tie_word_embeddings": True,
        "torch_dtype": "bfloat16",
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "image_token_id": 151655,
        "video_token_id": 151656,
        "vision_start_token_id": 151652,
        "vision_end_token_id": 151653,
        "vision_token_id": 151654,
        "vision_config": {
            "depth": 32,
            "hidden_act": "silu",
            "hidden_size": 1280,
            "intermediate_size": 3420,
            "num_heads": 16,
            "in_chans": 3,
            "out_hidden_size": 2048,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "spatial_patch_size": 14,
            "window_size": 112,
            "fullatt_block_indexes": [7, 15, 23, 31],
            "tokens_per_second": 2,
            "temporal_patch_size": 2,
        },
    }
    # The checkpoint allows 12845056 pixels; vLLM sizes the encoder budget by running the
    # processor on a dummy input of that size, which takes minutes with the PIL backend. The
    # tests' multimodal items are 10 tokens long, so a smaller maximum changes nothing they
    # check and keeps each scheduler construction fast.
    image = {
        "min_pixels": 3136,
        "max_pixels": 256 * 28 * 28,
        "patch_size": 14,
        "temporal_patch_size": 2,
        "merge_size": 2,
        "image_mean": _CLIP_MEAN,
        "image_std": _CLIP_STD,
    }
    return {
        "config.json": config,
        **_tokenizer_files(151936, specials, None, "<|im_end|>", "<|endoftext|>"),
        "preprocessor_config.json": {
            **image,
            "image_processor_type": "Qwen2VLImageProcessorPil",
            "processor_class": "Qwen2_5_VLProcessor",
        },
        "video_preprocessor_config.json": {
            **image,
            "video_processor_type": "Qwen2VLVideoProcessor",
            "processor_class": "Qwen2_5_VLProcessor",
        },
        "generation_config.json": {"bos_token_id": 151643, "eos_token_id": 151645},
    }


MODELS = {
    "facebook/opt-125m": lambda: {"config.json": _opt(768, 12, 12, 3072, 768)},
    "facebook/opt-350m": lambda: {"config.json": _opt(1024, 24, 16, 4096, 512)},
    "llava-hf/llava-1.5-7b-hf": _llava,
    "Qwen/Qwen2.5-VL-3B-Instruct": _qwen25_vl,
}
"""Hub id -> files of its stand-in."""


def build_hf_cache(hf_home: Path) -> Path:
    """Write every stand-in into ``hf_home/hub`` (the layout huggingface_hub reads offline)."""
    for repo, make in MODELS.items():
        root = hf_home / "hub" / ("models--" + repo.replace("/", "--"))
        (root / "refs").mkdir(parents=True, exist_ok=True)
        (root / "refs" / "main").write_text(_REVISION)
        snapshot = root / "snapshots" / _REVISION
        snapshot.mkdir(parents=True, exist_ok=True)
        for name, content in make().items():
            text = content if isinstance(content, str) else json.dumps(content, indent=1)
            (snapshot / name).write_text(text)
    return hf_home
