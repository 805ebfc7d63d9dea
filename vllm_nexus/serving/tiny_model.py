"""The embedded default model: a locally trained tokenizer plus a random-weight Llama.

No downloads: the tokenizer is a byte-level BPE (``tokenizers``) trained on English-like text
generated here from a seed, with ChatML special tokens and a chat template; the model is a
``LlamaConfig`` with random weights saved in float32 (vLLM's bf16 AMX kernels can die with
SIGILL on some CPUs; serve it with ``--dtype float32``, which ``VllmServer`` does on CPU).
Its outputs are gibberish: tests and benchmarks control lengths with ``max_tokens`` and
``ignore_eos``. Builds in seconds, deterministic for a seed, idempotent.

CLI: ``vllm-nexus tiny-model DIR [--force]``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
STAMP = "vllm_nexus_tiny_model.json"
BOS = "<|endoftext|>"  # also eos and pad
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = [BOS, IM_START, IM_END]

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['content'] is string -%}{{- message['content'] -}}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

_WORDS = (
    "the of and to a in is it you that he was for on are with as his they be at one have "
    "this from or had by hot word but what some we can out other were all there when up use "
    "your how said an each she which do their time if will way about many then them write "
    "would like so these her long make thing see him two has look more day could go come did "
    "number sound no most people my over know water than call first who may down side been "
    "now find any new work part take get place made live where after back little only round "
    "man year came show every good me give our under name very through just form sentence "
    "great think say help low line differ turn cause much mean before move right boy old too "
    "same tell does set three want air well also play small end put home read hand port large "
    "spell add even land here must big high such follow act why ask men change went light "
    "kind off need house picture try us again animal point mother world near build self earth "
    "father head stand own page should country found answer school grow study still learn "
    "plant cover food sun four between state keep eye never last let thought city tree cross "
    "farm hard start might story saw far sea draw left late run while press close night real "
    "life few north open seem together next white children begin got walk example ease paper "
    "group always music those both mark often letter until mile river car feet care second "
    "book carry took science eat room friend began idea fish mountain stop once base hear "
    "horse cut sure watch color face wood main enough plain girl usual young ready above ever "
    "red list though feel talk bird soon body dog family direct pose leave song measure door "
    "product black short numeral class wind question happen complete ship area half rock order "
    "fire south problem piece told knew pass since top whole king space heard best hour better "
    "true during hundred five remember step early hold west ground interest reach fast verb "
    "sing listen six table travel less morning ten simple several vowel toward war lay against "
    "pattern slow center love person money serve appear road map rain rule govern pull cold "
    "notice voice unit power town fine certain fly fall lead cry dark machine note wait plan "
    "figure star box noun field rest correct able pound done beauty drive stood contain front "
    "teach week final gave green oh quick develop ocean warm free minute strong special mind "
    "behind clear tail produce fact street inch multiply nothing course stay wheel full force "
    "blue object decide surface deep moon island foot system busy test record boat common gold "
    "possible plane stead dry wonder laugh thousand ago ran check game shape equate miss "
    "brought heat snow tire bring yes distant fill east paint language among agent tool call "
    "search query result function model request program server token answer plan step"
).split()
_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pl st sh ch th tr".split()
_VOWELS = "a e i o u ai ea ou io ee oo".split()
_CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt"]
_TOOLS = ("search", "lookup", "calculate", "get_weather", "read_file", "send_email", "browse")


def _pseudo_words(rng: random.Random, n: int) -> list[str]:
    words = set()
    while len(words) < n:
        k = rng.choice((1, 2, 2, 3, 3, 4))
        words.add(
            "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(k))
            + rng.choice(_CODAS)
        )
    return sorted(words)


def corpus(seed: int = 0, n_chars: int = 600_000) -> list[str]:
    """Deterministic English-like training text (sentences, numbers, chat turns, tool calls)."""
    rng = random.Random(seed)
    lexicon = _WORDS + _pseudo_words(rng, 6000)
    # Zipf-like weights: frequent real words first, a long tail of invented ones.
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(lexicon))]
    docs: list[str] = []
    total = 0
    while total < n_chars:
        kind = rng.random()
        if kind < 0.7:
            sents = []
            for _ in range(rng.randint(1, 6)):
                words = rng.choices(lexicon, weights, k=rng.randint(4, 18))
                if rng.random() < 0.15:
                    words.insert(rng.randrange(len(words)), str(rng.randint(0, 99999)))
                s = " ".join(words)
                sents.append(s[0].upper() + s[1:] + rng.choice(".....?!;:"))
            doc = " ".join(sents)
        elif kind < 0.85:
            role = rng.choice(("user", "assistant", "system", "tool"))
            text = " ".join(rng.choices(lexicon, weights, k=rng.randint(5, 30)))
            doc = f"{IM_START}{role}\n{text}{IM_END}\n"
        else:
            args = {
                rng.choice(_WORDS): rng.choice(
                    (rng.randint(0, 1000), " ".join(rng.choices(lexicon, weights, k=3)))
                )
                for _ in range(rng.randint(1, 3))
            }
            doc = json.dumps({"name": rng.choice(_TOOLS), "arguments": args})
        docs.append(doc)
        total += len(doc)
    return docs


def _params(vocab_size: int, hidden: int, layers: int, seed: int, max_positions: int) -> dict:
    return {
        "format": FORMAT_VERSION,
        "vocab_size": vocab_size,
        "hidden": hidden,
        "layers": layers,
        "seed": seed,
        "max_positions": max_positions,
    }


def _validate(vocab_size: int, hidden: int, layers: int, max_positions: int) -> None:
    if vocab_size < 512:
        raise ValueError(f"vocab_size must be >= 512 (byte alphabet + merges), got {vocab_size}")
    if hidden < 64 or hidden % 32:
        raise ValueError(f"hidden must be a multiple of 32 and >= 64, got {hidden}")
    if layers < 1:
        raise ValueError(f"layers must be >= 1, got {layers}")
    if max_positions < 8192:
        raise ValueError(f"max_positions must be >= 8192, got {max_positions}")


def is_built(path: str | Path, params: dict[str, Any] | None = None) -> bool:
    """True if ``path`` holds a complete tiny model (built with ``params`` when given)."""
    path = Path(path)
    stamp = path / STAMP
    if not stamp.is_file():
        return False
    try:
        built = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    if params is not None and built != params:
        return False
    needed = ("config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors")
    return all((path / f).is_file() for f in needed)


def _build_tokenizer(vocab_size: int, seed: int, max_positions: int) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(seed), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=BOS,
        pad_token=BOS,
        additional_special_tokens=[IM_START, IM_END],
        chat_template=CHAT_TEMPLATE,
        model_max_length=max_positions,
        clean_up_tokenization_spaces=False,
    )


def _build_model(tokenizer: Any, vocab_size: int, hidden: int, layers: int, seed: int,
                 max_positions: int) -> Any:  # fmt: skip
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    heads = hidden // 32  # head_dim 32: supported by vLLM's CPU attention
    config = LlamaConfig(
        vocab_size=max(vocab_size, len(tokenizer)),
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.convert_tokens_to_ids(BOS),
        eos_token_id=tokenizer.convert_tokens_to_ids(BOS),
        pad_token_id=tokenizer.convert_tokens_to_ids(BOS),
        tie_word_embeddings=False,
    )
    config.dtype = torch.float32
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).to(torch.float32).eval()
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=[config.eos_token_id, tokenizer.convert_tokens_to_ids(IM_END)],
        pad_token_id=config.pad_token_id,
    )
    return model


def build_tiny_model(
    path: str | Path,
    *,
    vocab_size: int = 4096,
    hidden: int = 128,
    layers: int = 2,
    seed: int = 0,
    max_positions: int = 32768,
    force: bool = False,
) -> Path:
    """Build the tiny model into ``path`` (skipped if already built with the same params).

    Never overwrites a non-empty directory that is not a tiny model (even with ``force``).
    Built in a temporary sibling directory and renamed, so a crash leaves no half-built model.
    """
    _validate(vocab_size, hidden, layers, max_positions)
    path = Path(path).expanduser().resolve()
    params = _params(vocab_size, hidden, layers, seed, max_positions)
    if not force and is_built(path, params):
        return path
    if path.exists():
        if not path.is_dir():
            raise FileExistsError(f"{path} exists and is not a directory")
        if any(path.iterdir()) and not (path / STAMP).is_file():
            raise FileExistsError(
                f"{path} is a non-empty directory that is not a tiny model: choose another path"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tokenizer = _build_tokenizer(vocab_size, seed, max_positions)
        model = _build_model(tokenizer, vocab_size, hidden, layers, seed, max_positions)
        tokenizer.save_pretrained(tmp)
        model.save_pretrained(tmp, safe_serialization=True)
        (tmp / STAMP).write_text(json.dumps(params, indent=2) + "\n")
        tmp.chmod(0o755)  # mkdtemp makes it private; the files are plain data
        for f in tmp.iterdir():
            f.chmod(0o644)
        if is_built(path, params):  # another process finished the same build meanwhile
            shutil.rmtree(tmp)
            return path
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="output directory")
    parser.add_argument("--force", action="store_true", help="rebuild even if already built")
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-positions", type=int, default=32768)


def run(args: argparse.Namespace) -> int:
    try:
        path = build_tiny_model(
            args.dir,
            vocab_size=args.vocab_size,
            hidden=args.hidden,
            layers=args.layers,
            seed=args.seed,
            max_positions=args.max_positions,
            force=args.force,
        )
    except (ValueError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(path)
    print(f"serve it: vllm serve {path} --dtype float32 --scheduler-cls vllm_nexus.Scheduler")
    return 0
