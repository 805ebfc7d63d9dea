"""End to end on CPU: greedy outputs with the split forced on (``partition.split=sequential``,
``--worker-cls vllm_nexus.Worker``) are token-for-token those of the stock worker.

Two short server runs (ports 18400-18401), same scheduler and config, only the worker differs.
The workload mixes long prompts (chunked over several steps), short prompts and concurrent
decodes; a small KV cache (``--num-gpu-blocks-override``) forces preemptions; a second wave
re-sends long prefixes for prefix-cache hits. The test checks that each of those really
happened (server metrics, worker log), not just that outputs match.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

PORTS = {"stock": 18400, "split": 18401}
CONFIG = {"vllm_nexus": {"partition": {"split": "sequential"}}}
MAX_TOKENS = 40


def _workload(seed: int = 7) -> tuple[list[list[int]], list[list[int]]]:
    rng = random.Random(seed)

    def toks(n: int) -> list[int]:
        return [rng.randrange(10, 4000) for _ in range(n)]

    longs = [toks(n) for n in (1400, 1100, 900, 1250)]
    wave1 = longs + [toks(rng.choice([3, 8, 20, 60, 150])) for _ in range(12)]
    # Second wave: long prefixes again (prefix-cache hits) with new suffixes, plus shorts.
    wave2 = [p + toks(30) for p in longs[:2]] + [toks(12) for _ in range(4)]
    return wave1, wave2


def _post(port: int, body: dict) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read())


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _run_server(kind: str, model: Path, log: Path) -> dict:
    port = PORTS[kind]
    cmd = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model), "--served-model-name", "tiny", "--port", str(port),
        "--host", "127.0.0.1", "--dtype", "float32", "--enforce-eager",
        "--max-model-len", "2048", "--max-num-batched-tokens", "512", "--max-num-seqs", "16",
        "--num-gpu-blocks-override", "36", "--block-size", "128",
        "--scheduler-cls", "vllm_nexus.Scheduler", "--additional-config", json.dumps(CONFIG),
    ]  # fmt: skip
    if kind == "split":
        cmd += ["--worker-cls", "vllm_nexus.Worker"]
    # e.g. "--no-async-scheduling" on CUDA (examples/gpu_validate.sh)
    cmd += os.environ.get("NEXUS_E2E_EXTRA_ARGS", "").split()
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE="1", VLLM_USE_V2_MODEL_RUNNER="0")
    with open(log, "w") as logf:
        proc = subprocess.Popen(
            cmd, stdout=logf, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.time() + 600  # a loaded 2-core machine can take minutes
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{kind} server exited:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"{kind} not ready:\n{log.read_text()[-3000:]}") from None
                time.sleep(1)
        wave1, wave2 = _workload()

        def one(prompt: list[int]) -> list[int]:
            body = {
                "model": "tiny", "prompt": prompt, "max_tokens": MAX_TOKENS, "temperature": 0,
                "ignore_eos": True, "logprobs": 0, "return_tokens_as_token_ids": True,
            }  # fmt: skip
            r = _post(port, body)
            toks = r["choices"][0]["logprobs"]["tokens"]
            return [int(t.removeprefix("token_id:")) for t in toks]

        with ThreadPoolExecutor(len(wave1)) as ex:
            out1 = list(ex.map(one, wave1))
            out2 = list(ex.map(one, wave2))
        return {
            "outputs": out1 + out2,
            "preemptions": _metric(port, "vllm:num_preemptions_total"),
            "prefix_hits": _metric(port, "vllm:prefix_cache_hits_total"),
            "log": log.read_text(),
        }
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from vllm_nexus.tiny_model import build_tiny_model

    d = tmp_path_factory.mktemp("split_e2e")
    build_tiny_model(d / "model")
    return {k: _run_server(k, d / "model", d / f"{k}.log") for k in ("stock", "split")}


def test_split_outputs_identical_to_stock(runs: dict) -> None:
    stock, split = runs["stock"]["outputs"], runs["split"]["outputs"]
    assert len(stock) == len(split) == 22
    assert all(len(o) == MAX_TOKENS for o in stock + split)
    diffs = [i for i, (a, b) in enumerate(zip(stock, split, strict=True)) if a != b]
    assert not diffs, f"requests {diffs} differ between stock and split workers"


def test_split_really_ran_with_preemption_and_prefix_hits(runs: dict) -> None:
    split_log = runs["split"]["log"]
    assert "partition.split=sequential" in split_log
    m = re.search(r"first split step: (\d+) prefill \+ (\d+) decode", split_log)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0, split_log[-2000:]
    for kind in ("stock", "split"):
        assert runs[kind]["preemptions"] > 0, f"{kind}: no preemption happened"
        assert runs[kind]["prefix_hits"] > 0, f"{kind}: no prefix-cache hit"
