"""End to end on CPU: greedy outputs with the split forced on (``partition.split=sequential``,
``vllm serve ... --worker-cls vllm_nexus.Worker``) are token-for-token those of the stock worker.

Reference: the session's shared ``nexus_server`` (stock worker, ``vllm_nexus.Scheduler``).
One extra server (a free port in 18400-18499) runs the split worker with chunked prefill (token
budget 512), a small KV cache (``--num-gpu-blocks-override``) that forces preemptions, and a
second wave that re-sends long prefixes for prefix-cache hits. The test checks that split
steps, preemptions and prefix-cache hits really happened on the split server, not just that
outputs match.
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

SPLIT_PORTS = (18400, 18499)  # helper D's range; a free one is picked (concurrent runs)
CONFIG = {"vllm_nexus": {"partition": {"split": "sequential"}}}
SPLIT_ARGS = [
    "--scheduler-cls", "vllm_nexus.Scheduler", "--worker-cls", "vllm_nexus.Worker",
    "--additional-config", json.dumps(CONFIG),
    "--max-model-len", "2048", "--max-num-batched-tokens", "512", "--max-num-seqs", "16",
    "--num-gpu-blocks-override", "36", "--block-size", "128",
]  # fmt: skip
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


def _metric(base_url: str, name: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=30) as r:
        text = r.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


def _generate(base_url: str, model: str) -> list[list[int]]:
    """Greedy token ids for both waves; each wave sent concurrently."""

    def one(prompt: list[int]) -> list[int]:
        body = {
            "model": model, "prompt": prompt, "max_tokens": MAX_TOKENS, "temperature": 0,
            "ignore_eos": True, "logprobs": 0, "return_tokens_as_token_ids": True,
        }  # fmt: skip
        req = urllib.request.Request(
            f"{base_url}/v1/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=600) as r:
            toks = json.loads(r.read())["choices"][0]["logprobs"]["tokens"]
        return [int(t.removeprefix("token_id:")) for t in toks]

    wave1, wave2 = _workload()
    with ThreadPoolExecutor(len(wave1)) as ex:
        return list(ex.map(one, wave1)) + list(ex.map(one, wave2))


@pytest.fixture(scope="module")
def runs(nexus_server, tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from vllm_nexus.launcher import VllmServer, free_port

    stock = _generate(nexus_server.base_url, nexus_server.model)
    log = tmp_path_factory.mktemp("split_e2e") / "split-server.log"
    # e.g. "--no-async-scheduling" on CUDA (examples/gpu_validate.sh)
    extra = os.environ.get("NEXUS_E2E_EXTRA_ARGS", "").split()
    with VllmServer(
        str(tiny_model_dir),
        port=free_port(*SPLIT_PORTS),
        args=SPLIT_ARGS + extra,
        env={"VLLM_USE_V2_MODEL_RUNNER": "0"},
        log_path=log,
        startup_timeout_s=900,  # a loaded 2-core machine can take minutes
    ) as server:
        split = _generate(server.base_url, server.model)
        return {
            "stock": stock,
            "split": split,
            "preemptions": _metric(server.base_url, "vllm:num_preemptions_total"),
            "prefix_hits": _metric(server.base_url, "vllm:prefix_cache_hits_total"),
            "log": server.log_text(),
        }


def test_split_outputs_identical_to_stock(runs: dict) -> None:
    stock, split = runs["stock"], runs["split"]
    assert len(stock) == len(split) == 22
    assert all(len(o) == MAX_TOKENS for o in stock + split)
    diffs = [i for i, (a, b) in enumerate(zip(stock, split, strict=True)) if a != b]
    assert not diffs, f"requests {diffs} differ between stock and split workers"


def test_split_really_ran_with_preemption_and_prefix_hits(runs: dict) -> None:
    log = runs["log"]
    assert "partition.split=sequential" in log
    m = re.search(r"first split step: (\d+) prefill \+ (\d+) decode", log)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0, log[-2000:]
    assert runs["preemptions"] > 0, "no preemption happened on the split server"
    assert runs["prefix_hits"] > 0, "no prefix-cache hit on the split server"
