"""End to end on CPU: greedy outputs with the split forced on (``partition.split`` =
``sequential`` and ``concurrent``, ``vllm serve ... --worker-cls vllm_nexus.Worker``) are
token-for-token those of the stock worker.

Reference: the session's shared ``nexus_server`` (stock worker, ``vllm_nexus.Scheduler``).
One extra server per mode (a free port: ``$VLLM_NEXUS_PORT_RANGE`` or one the OS picks;
started one after the other) runs the
split worker with chunked prefill (token budget 512), a small KV cache
(``--num-gpu-blocks-override``) that forces preemptions, and a second wave that re-sends long
prefixes for prefix-cache hits. The test checks that split steps, preemptions and prefix-cache
hits really happened on the split server, not just that outputs match. The concurrent server
runs in dev mode so the test can read both runners' batch/state sizes (``nexus_stats`` via
``/collective_rpc``) to check that nothing leaks.
"""

from __future__ import annotations

import json
import os
import random
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

MODES = ("sequential", "concurrent")
SPLIT_ARGS = [
    "--scheduler-cls", "vllm_nexus.Scheduler", "--worker-cls", "vllm_nexus.Worker",
    "--max-model-len", "2048", "--max-num-batched-tokens", "512", "--max-num-seqs", "16",
    "--num-gpu-blocks-override", "36", "--block-size", "128",
]  # fmt: skip


def _config(mode: str) -> list[str]:
    # The scenario must preempt (that is what it checks the split worker survives): admission
    # without the KV watermark and cost-blind proactive preemption, as vLLM and Alg. 1 do; the
    # defaults avoid these preemptions on purpose (docs/configuration.md).
    sched = {"kv_watermark": 0, "preemption_cost_factor": 0}
    cfg = {"vllm_nexus": {"partition": {"split": mode}, "scheduler": sched}}
    return ["--additional-config", json.dumps(cfg)]


MAX_TOKENS = 160  # decode growth past block boundaries makes the KV cache overflow (preemptions)


def _workload(seed: int = 7) -> tuple[list[list[int]], list[list[int]]]:
    rng = random.Random(seed)

    def toks(n: int) -> list[int]:
        return [rng.randrange(10, 4000) for _ in range(n)]

    longs = [toks(n) for n in (1400, 1100, 900, 1250)]
    wave1 = longs + [toks(rng.choice([3, 8, 20, 60, 150])) for _ in range(12)]
    # Second wave: long prefixes again (prefix-cache hits) with new suffixes, plus shorts.
    wave2 = [p + toks(30) for p in longs[:2]] + [toks(12) for _ in range(4)]
    return wave1, wave2


def _metric(base_url: str, name: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=30) as r:
        text = r.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


def _post(base_url: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def _generate(base_url: str, model: str) -> list[list[int]]:
    """Greedy token ids for both waves; each wave sent concurrently."""

    def one(prompt: list[int], max_tokens: int = MAX_TOKENS) -> list[int]:
        body = {
            "model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
            "ignore_eos": True, "logprobs": 0, "return_tokens_as_token_ids": True,
        }  # fmt: skip
        toks = _post(base_url, "/v1/completions", body)["choices"][0]["logprobs"]["tokens"]
        return [int(t.removeprefix("token_id:")) for t in toks]

    wave1, wave2 = _workload()
    with ThreadPoolExecutor(len(wave1)) as ex:
        return list(ex.map(one, wave1)) + list(ex.map(one, wave2))


@pytest.fixture(scope="module")
def stock(nexus_server) -> list[list[int]]:
    return _generate(nexus_server.base_url, nexus_server.model)


def _stats(base_url: str) -> dict:
    return _post(base_url, "/collective_rpc", {"method": "nexus_stats"})["results"][0]


@pytest.fixture(scope="module", params=MODES)
def runs(
    request: pytest.FixtureRequest,
    stock: list[list[int]],
    tiny_model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict:
    from vllm_nexus.serving.launcher import VllmServer, free_port

    mode = request.param
    log = tmp_path_factory.mktemp(f"split_e2e_{mode}") / "split-server.log"
    # e.g. "--no-async-scheduling --enforce-eager" on CUDA (examples/gpu_validate.sh)
    extra = os.environ.get("NEXUS_E2E_EXTRA_ARGS", "").split()
    with VllmServer(
        str(tiny_model_dir),
        port=free_port(),
        args=SPLIT_ARGS + _config(mode) + extra,
        env={"VLLM_USE_V2_MODEL_RUNNER": "0", "VLLM_SERVER_DEV_MODE": "1"},
        log_path=log,
        startup_timeout_s=900,  # a loaded 2-core machine can take minutes
    ) as server:
        split = _generate(server.base_url, server.model)
        after = _stats(server.base_url)
        # One more request: its step delivers the finished ids of the last wave.
        _post(
            server.base_url,
            "/v1/completions",
            {"model": server.model, "prompt": [11, 12], "max_tokens": 1, "temperature": 0},
        )
        flushed = _stats(server.base_url)
        result = {
            "mode": mode,
            "stock": stock,
            "split": split,
            "preemptions": _metric(server.base_url, "vllm:num_preemptions_total"),
            "prefix_hits": _metric(server.base_url, "vllm:prefix_cache_hits_total"),
            "stats": after,
            "flushed": flushed,
            "log": server.log_text(),
        }
    result["shutdown_log"] = server.log_text()  # after stop(): vLLM's shutdown is in it
    return result


def test_split_outputs_identical_to_stock(runs: dict) -> None:
    stock, split = runs["stock"], runs["split"]
    assert len(stock) == len(split) == 22
    assert all(len(o) == MAX_TOKENS for o in stock + split)
    diffs = [i for i, (a, b) in enumerate(zip(stock, split, strict=True)) if a != b]
    assert not diffs, f"{runs['mode']}: requests {diffs} differ between stock and split workers"


def test_split_really_ran_with_preemption_and_prefix_hits(runs: dict) -> None:
    log, mode = runs["log"], runs["mode"]
    assert f"partition.split={mode}" in log
    m = re.search(rf"first split step \({mode}\): (\d+) prefill \+ (\d+) decode", log)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0, log[-2000:]
    assert runs["stats"]["execution"] == mode and runs["stats"]["split_steps"] > 0
    assert runs["preemptions"] > 0, "no preemption happened on the split server"
    assert runs["prefix_hits"] > 0, "no prefix-cache hit on the split server"


def test_concurrent_runners_share_state_and_leak_nothing(runs: dict) -> None:
    if runs["mode"] != "concurrent":
        pytest.skip("two runners only in concurrent mode")
    assert "decode runner bound to the shared KV cache" in runs["log"]
    before, after = runs["stats"]["runners"], runs["flushed"]["runners"]
    # Second runner: the first one's KV storage (no allocation), the layers bound to it.
    assert (
        before["sharing"]
        == {
            "kv_tensors": before["sharing"]["kv_tensors"],
            "same_storage": True,
            "layers_bound_to_shared": True,
            "shared_requests": True,
        }
        and before["sharing"]["kv_tensors"] > 0
    ), before
    # One shared request table; the last wave (6 requests) is finished but its finished ids
    # reach the worker only with the next step.
    assert before["prefill"]["requests"] == before["decode"]["requests"] <= 6
    # After that step only the single new (now finished, not yet reported) request remains,
    # and the decode runner's batch holds nothing (that step was unsplit).
    assert after["prefill"]["requests"] == after["decode"]["requests"] <= 1, after
    assert after["prefill"]["batch"] <= 1 and after["decode"]["batch"] == 0, after


def test_server_stops_cleanly(runs: dict) -> None:
    """The launcher's stop() ends in vLLM's drain shutdown, started by the API server: the
    engine core gets SIGTERM from it (not the terminal's SIGINT), its workers exit
    gracefully, nothing is force-killed, and no traceback is logged except vLLM's own
    output-handler race (see ``VllmServer.stop`` and docs/install.md, "Stopping")."""
    log = runs["shutdown_log"]
    start = log.find("[shutdown] API server: shutdown triggered")
    assert start >= 0, log[-2000:]
    tail = log[start:]
    for good in (
        "mode=drain",
        "EngineCore: trigger received signal=SIGTERM",
        "Executor: all workers exited gracefully",
    ):
        assert good in tail, f"{runs['mode']}: no {good!r} at shutdown:\n{tail[:4000]}"
    assert "force killing" not in tail, tail[:4000]
    # vLLM 0.32's AsyncLLM.shutdown stops the engine core before it cancels its output
    # handler, which may then log the engine's exit as an EngineDeadError traceback (its
    # own logger lines, after the client's shutdown completed). Anything else is ours.
    lines = tail.splitlines()
    done = next((i for i, line in enumerate(lines) if "MPClient: complete" in line), len(lines))
    rest = [line for i, line in enumerate(lines) if i <= done or "[async_llm.py:" not in line]
    for bad in ("EngineDeadError", "Traceback"):
        assert not any(bad in line for line in rest), f"{runs['mode']}: {bad!r}:\n{tail[:4000]}"
