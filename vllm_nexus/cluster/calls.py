"""Facts about one OpenAI call that routing needs: its program id and its prompt length.

Program id precedence is the single server's (``vllm_nexus.programs.identity``); prompt tokens come
from the model tokenizer (chat: its chat template) or a documented estimate. No Ray import.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from vllm_nexus.cluster.policy import estimate_tokens

logger = logging.getLogger(__name__)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multi-part content: count the text parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def count_prompt_tokens(body: Any, tokenizer: Any | None) -> int:
    """Prompt tokens of a completion or chat request: the model tokenizer when given (chat:
    its chat template), else :func:`vllm_nexus.cluster.policy.estimate_tokens` (+4 per message)."""
    prompt = getattr(body, "prompt", None)
    if prompt is not None:
        if isinstance(prompt, list) and prompt and isinstance(prompt[0], int):
            return len(prompt)
        if isinstance(prompt, list):
            return sum(count_prompt_tokens(_Prompt(p), tokenizer) for p in prompt)
        if isinstance(prompt, str):
            if tokenizer is not None:
                return len(tokenizer.encode(prompt, add_special_tokens=False))
            return estimate_tokens(prompt)
        return 0
    messages = getattr(body, "messages", None) or []
    msgs = [m if isinstance(m, dict) else dict(m) for m in messages]
    if tokenizer is not None:
        try:
            ids = tokenizer.apply_chat_template(
                [
                    {"role": m.get("role", "user"), "content": _text_of(m.get("content"))}
                    for m in msgs
                ],
                tokenize=True,
                add_generation_prompt=True,
            )
            if isinstance(ids, Mapping):  # BatchEncoding in recent transformers
                ids = ids["input_ids"]
            return len(ids)
        except Exception:  # no/odd chat template: fall back to the estimate
            pass
    return sum(estimate_tokens(_text_of(m.get("content"))) + 4 for m in msgs)


class _Prompt:
    def __init__(self, prompt: Any) -> None:
        self.prompt = prompt


_TOKENIZERS: dict[str, Any] = {}


def load_tokenizer(path: str | None) -> Any | None:
    """The model's tokenizer (cached per process); None (estimate) if it cannot be loaded."""
    if not path:
        return None
    if path not in _TOKENIZERS:
        try:
            from transformers import AutoTokenizer

            _TOKENIZERS[path] = AutoTokenizer.from_pretrained(path)
        except Exception as e:  # noqa: BLE001 - fall back to the documented estimate
            logger.warning("vllm_nexus router: no tokenizer at %s (%s); estimating tokens", path, e)
            _TOKENIZERS[path] = None
    return _TOKENIZERS[path]
