"""Deterministic, fresh prompt content of exact token length.

Default (``ids`` format): prompts are sent as token-id lists (the OpenAI completions API
accepts them; vLLM returns the generated ids with ``return_token_ids``), so lengths are exact
and ``context_from`` reuses the parent's exact prompt and output ids: real prefix-cache hits.
Ids are drawn from a *pool* of ordinary tokens: the ids of a pseudo-English word corpus,
tokenized by the served model's tokenizer (local ``--tokenizer`` / model directory, or the
server's ``/tokenize`` endpoint), so special tokens never appear.

``text`` format (for servers without token-id prompts): words sized with the corpus's measured
tokens-per-word ratio; lengths are approximate (the server's ``usage`` reports the real ones).

Content is a pure function of (seed, run salt, program id, call id): a new salt gives fresh
prompts, so a prefix cache never carries over between runs. No vLLM import.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence

_SYLLABLES = (
    "ka lo mi ne su ta ri po an el in on us er ar or te de ba co ve fi ga hu ja "
    "li mo nu pe qu ro sa ti un vo we xi yo ze st th ch sh pr tr gr bl cl fl"
).split()
_COMMON = (
    "the of and to in is that for it as with was on be by at this from or have an they "
    "which one you were all we can her has there been if more when will would who so no "
    "tool call result search answer question agent step observe action thought value"
).split()


def corpus_words(n: int = 6000, seed: int = 0) -> list[str]:
    """A deterministic pseudo-English word list (common words mixed with made-up ones)."""
    rng = random.Random(f"vllm-nexus/corpus/{seed}")
    words = []
    for _ in range(n):
        if rng.random() < 0.45:
            words.append(rng.choice(_COMMON))
        else:
            words.append("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return words


def corpus_text(n: int = 6000, seed: int = 0) -> str:
    words = corpus_words(n, seed)
    lines = [" ".join(words[i : i + 12]) + "." for i in range(0, len(words), 12)]
    return "\n".join(lines)


def _rng(seed: int, salt: int | str, *parts: str) -> random.Random:
    key = "/".join([str(seed), str(salt), *parts]).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big"))


class PromptFactory:
    """Builds the new-token part of every call's prompt.

    ``pool``: candidate token ids (``ids`` format). ``tokens_per_word``: for ``text`` format.
    """

    def __init__(
        self,
        seed: int,
        salt: int | str,
        pool: Sequence[int] | None = None,
        tokens_per_word: float = 1.5,
    ):
        if pool is not None and len(pool) < 16:
            raise ValueError("token pool too small (need >= 16 distinct ids)")
        self.seed, self.salt = seed, salt
        self.pool = list(pool) if pool is not None else None
        self.tokens_per_word = tokens_per_word
        self._words = corpus_words(2000, 1)

    def ids(self, program_id: str, call_id: str, n: int) -> list[int]:
        """``n`` token ids, deterministic from (seed, salt, program, call)."""
        if self.pool is None:
            raise ValueError("no token pool: ids format needs a tokenizer")
        rng = _rng(self.seed, self.salt, program_id, call_id)
        return rng.choices(self.pool, k=n)

    def text(self, program_id: str, call_id: str, n_tokens: int) -> str:
        """About ``n_tokens`` tokens of text (approximate)."""
        rng = _rng(self.seed, self.salt, program_id, call_id)
        n_words = max(1, round(n_tokens / self.tokens_per_word))
        return " " + " ".join(rng.choices(self._words, k=n_words))


def pool_from_tokenizer(encode: Callable[[str], list[int]]) -> tuple[list[int], float]:
    """Token pool and tokens-per-word ratio from an ``encode(text) -> ids`` function."""
    text = corpus_text()
    ids = encode(text)
    pool = sorted(set(ids))
    return pool, len(ids) / max(1, len(text.split()))


def load_local_tokenizer(path: str) -> Callable[[str], list[int]]:
    """``encode`` function of a local Hugging Face tokenizer (no special tokens added)."""
    from transformers import AutoTokenizer  # heavy import, only when needed

    tok = AutoTokenizer.from_pretrained(path)
    return lambda text: list(tok.encode(text, add_special_tokens=False))
