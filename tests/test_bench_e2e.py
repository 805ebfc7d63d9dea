"""One short end-to-end bench run against the shared tiny-model server (``nexus_server``)."""

import json

import pytest

from vllm_nexus import cli
from vllm_nexus.bench import report

pytestmark = pytest.mark.engine


def test_bench_run_and_compare(nexus_server, tmp_path):
    trace = tmp_path / "t.jsonl"
    programs = [
        # a 300-token prompt continued by a follow-up: the follow-up's first 256 tokens
        # (2 KV blocks of 128) must be prefix-cache hits
        {"program_id": "chain", "arrival_s": 0, "kind": "react", "calls": [
            {"id": "c0", "prompt_tokens": 300, "output_tokens": 20},
            {"id": "c1", "after": ["c0"], "think_s": 0.05, "context_from": "c0",
             "prompt_tokens": 10, "output_tokens": 5}]},
        {"program_id": "fan", "arrival_s": 0.1, "kind": "lats", "calls": [
            {"id": "r", "prompt_tokens": 40, "output_tokens": 8},
            {"id": "a", "after": ["r"], "context_from": "r", "prompt_tokens": 9, "output_tokens": 6},
            {"id": "b", "after": ["r"], "context_from": "r", "prompt_tokens": 9, "output_tokens": 7},
            {"id": "f", "after": ["a", "b"], "context_from": "b", "prompt_tokens": 5,
             "output_tokens": 3}]},
    ]  # fmt: skip
    trace.write_text("\n".join(json.dumps(p) for p in programs) + "\n")
    out = tmp_path / "out"
    argv = ["bench", "--base-url", nexus_server.base_url, "--model", nexus_server.model,
            "--trace", str(trace), "--run-salt", "e2e", "--out", str(out), "--label", "nexus",
            "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    res = report.load_result(out / "result.json")
    s = res["runs"][0]["summary"]
    assert s["calls_ok"] == 6 and s["calls_failed"] == 0 and s["programs_ok"] == 2
    assert s["prompt_tokens_within_5pct"] == 1.0  # exact token-id prompts
    assert s["calls_with_wrong_output_length"] == 0  # max_tokens + ignore_eos honoured
    assert s["program_token_latency_s"]["count"] == 2
    server = res["runs"][0]["server"]
    assert server is not None and server["requests"] == 6
    assert server["prefix_cache_hit_rate"] > 0  # context_from made real prefix reuse
    for name in ("result.json", "summary.md", "latency_vs_rate.png", "cdf.png"):
        assert (out / name).exists()

    # same trace through the X-Session-ID transport, then compare the two results
    out2 = tmp_path / "out2"
    argv2 = [*argv[:-5], "--out", str(out2), "--label", "session", "--no-progress",
             "--id-transport", "session-header", "--no-plots"]  # fmt: skip
    assert cli.main(argv2) == 0
    assert cli.main(["bench", "compare", str(out / "result.json"), str(out2 / "result.json")]) == 0
