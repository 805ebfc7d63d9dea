"""The embedded tiny model: build, determinism, idempotence, tokenizer, chat template, loading."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pytest

from vllm_nexus.serving import tiny_model
from vllm_nexus.serving.tiny_model import IM_END, IM_START, build_tiny_model


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_writes_a_complete_float32_llama(tiny_model_dir: Path) -> None:
    assert tiny_model.is_built(tiny_model_dir)
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["model_type"] == "llama"
    assert config["dtype"] == "float32"
    assert config["max_position_embeddings"] >= 8192
    assert config["hidden_size"] == 128 and config["num_hidden_layers"] == 2
    assert config["vocab_size"] == 4096
    gen = json.loads((tiny_model_dir / "generation_config.json").read_text())
    assert len(gen["eos_token_id"]) == 2  # <|endoftext|> and <|im_end|>


def test_tokenizer_round_trips_and_has_chatml_tokens(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert len(tok) == 4096
    text = 'The agent calls search("Paris") at 12:30; naïve café 😀\n\tdone.'
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert len(ids) < len(text)  # merges were learned
    for special in (IM_START, IM_END, tok.eos_token):
        assert len(tok.encode(special)) == 1
    assert tok.decode(tok.encode(f"{IM_START}user\nhi{IM_END}"), skip_special_tokens=True) == (
        "user\nhi"
    )


def test_chat_template(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "what time is it"}]},
    ]
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text == (
        f"{IM_START}system\nbe brief{IM_END}\n"
        f"{IM_START}user\nwhat time is it{IM_END}\n"
        f"{IM_START}assistant\n"
    )
    no_prompt = tok.apply_chat_template(messages, tokenize=False)
    assert not no_prompt.endswith("assistant\n")


def test_loads_with_transformers_and_runs(tiny_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert next(model.parameters()).dtype == torch.float32
    with torch.no_grad():
        logits = model(torch.tensor([[1, 5, 9, 2]])).logits
    assert logits.shape == (1, 4, 4096)
    assert torch.isfinite(logits).all()


def test_deterministic_for_a_seed_and_idempotent(tiny_model_dir: Path, tmp_path: Path) -> None:
    again = build_tiny_model(tmp_path / "again")
    for name in ("tokenizer.json", "model.safetensors", "config.json"):
        assert _digest(again / name) == _digest(tiny_model_dir / name), name
    mtime = (again / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_model(tmp_path / "again") == again  # skipped: same params
    assert (again / "model.safetensors").stat().st_mtime_ns == mtime


def test_other_seed_and_params_rebuild(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path / "m", seed=1, vocab_size=1024, hidden=64, layers=1)
    first = _digest(path / "model.safetensors")
    config = json.loads((path / "config.json").read_text())
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]) == (
        1024,
        64,
        1,
    )
    rebuilt = build_tiny_model(path, seed=2, vocab_size=1024, hidden=64, layers=1)
    assert rebuilt == path and _digest(path / "model.safetensors") != first
    assert json.loads((path / tiny_model.STAMP).read_text())["seed"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_refuses_foreign_directory_and_bad_params(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a tiny model"):
        build_tiny_model(foreign)
    with pytest.raises(FileExistsError, match="not a tiny model"):
        build_tiny_model(foreign, force=True)
    assert (foreign / "notes.txt").read_text() == "keep me"
    with pytest.raises(ValueError, match="hidden"):
        build_tiny_model(tmp_path / "x", hidden=100)
    with pytest.raises(ValueError, match="vocab_size"):
        build_tiny_model(tmp_path / "x", vocab_size=10)
    with pytest.raises(ValueError, match="max_positions"):
        build_tiny_model(tmp_path / "x", max_positions=1024)


def test_cli_subcommand(tiny_model_dir: Path, tmp_path: Path, capsys) -> None:
    from vllm_nexus.cli import build_parser

    args = build_parser().parse_args(["tiny-model", str(tiny_model_dir)])
    assert args._run(args) == 0
    assert str(tiny_model_dir) in capsys.readouterr().out
    bad = argparse.Namespace(
        dir=tmp_path, force=False, vocab_size=4096, hidden=100, layers=2, seed=0,
        max_positions=32768,
    )  # fmt: skip
    assert tiny_model.run(bad) == 2
    assert "hidden" in capsys.readouterr().err
