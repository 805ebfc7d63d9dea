"""The ``kv_offload`` step of ``vllm-nexus validate-gpu``: preempted calls load their KV from host.

Two in-process engines on the offline tiny model (float32, eager, synchronous scheduling,
``vllm_nexus.Scheduler``), each in its own child process, in a KV-bound setting (a KV cache of
:data:`KV_BLOCKS` blocks of 16 tokens for :data:`NUM_PROMPTS` concurrent calls of
:data:`PROMPT_TOKENS` + :data:`MAX_TOKENS` tokens: vLLM must preempt):

- ``recompute``: no host tier (vLLM V1 recomputes a preempted request's KV);
- ``offload``: ``vllm_nexus.kv_offload.host_gib`` = 1 with the engine keyword arguments
  :func:`vllm_nexus.kv_offload.engine_kwargs` gives (vLLM's ``OffloadingConnector``).

Pass: both preempted, and the offload run recomputed at most half the tokens the recompute
run did (vllm_nexus's ``recomputed_tokens`` counter: tokens scheduled again after a
preemption dropped them; KV loaded from the host is not scheduled). Whether the greedy tokens
agree is reported (the two runs batch differently, so float reductions may differ).
Never run on a GPU by its authors (none was available).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from vllm_nexus.config import KVOffloadConfig

Result = tuple[str, str, dict[str, Any]]

MODES = ("recompute", "offload")
NUM_PROMPTS = 24
PROMPT_TOKENS = 600
MAX_TOKENS = 64
KV_BLOCKS = 160
"""2,560 tokens of KV: room for about four of the 24 calls at once."""
HOST_GIB = 1.0
MAX_RECOMPUTE_SHARE = 0.5


def prompts(seed: int = 11) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(10, 4000) for _ in range(PROMPT_TOKENS)] for _ in range(NUM_PROMPTS)]


def engine_args(model: str, mode: str) -> dict[str, Any]:
    """vllm.LLM arguments; identical across modes except the host tier."""
    offload = KVOffloadConfig(host_gib=HOST_GIB if mode == "offload" else 0.0)
    from vllm_nexus.kv_offload import engine_kwargs

    args: dict[str, Any] = dict(
        model=model,
        dtype="float32",
        enforce_eager=True,
        async_scheduling=False,
        max_model_len=2048,
        max_num_batched_tokens=512,
        max_num_seqs=NUM_PROMPTS,
        block_size=16,
        num_gpu_blocks_override=KV_BLOCKS,
        seed=0,
        gpu_memory_utilization=0.3,
        scheduler_cls="vllm_nexus.Scheduler",
        additional_config={
            "vllm_nexus": {"kv_offload": {"host_gib": offload.host_gib}} if offload.host_gib else {}
        },
        **engine_kwargs(offload),
    )
    return args


def generate(model: str, mode: str, out: Path) -> None:
    """Child process body: run the prompts, write tokens and the scheduler's counters."""
    from vllm import LLM, SamplingParams

    llm = LLM(**engine_args(model, mode))
    sp = SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS, ignore_eos=True)
    t0 = time.perf_counter()
    res = llm.generate([{"prompt_token_ids": p} for p in prompts()], sp, use_tqdm=False)
    gen_s = time.perf_counter() - t0
    # In-process engine (VLLM_ENABLE_V1_MULTIPROCESSING=0): the scheduler object itself.
    sched = llm.llm_engine.engine_core.engine_core.scheduler
    m = sched.nexus_metrics
    counters = {
        "preemptions": m.preemptions_proactive + m.preemptions_kv,
        "preempted_tokens": m.preempted_tokens,
        "recomputed_tokens": m.recomputed_tokens,
        "kv_offload": bool(getattr(sched, "kv_offload", False)),
    }
    out.write_text(
        json.dumps(
            {
                "mode": mode,
                "generate_s": gen_s,
                "outputs": [list(r.outputs[0].token_ids) for r in res],
                "counters": counters,
            }
        )
    )


def compare(results: dict[str, dict]) -> Result:
    """Verdict from the modes that produced output."""
    figures: dict[str, Any] = {
        m: {**r["counters"], "generate_s": round(r["generate_s"], 2)} for m, r in results.items()
    }
    missing = [m for m in MODES if m not in results]
    if missing:
        return "fail", f"no output from {', '.join(missing)} (see log)", figures
    base, off = results["recompute"]["counters"], results["offload"]["counters"]
    same = results["recompute"]["outputs"] == results["offload"]["outputs"]
    figures["same_tokens"] = same
    if not off["kv_offload"]:
        return "fail", "the offload run's scheduler did not see the host tier", figures
    if base["preemptions"] == 0 or off["preemptions"] == 0:
        return "fail", "the KV-bound setting did not preempt (no evidence either way)", figures
    share = off["recomputed_tokens"] / max(1, base["recomputed_tokens"])
    figures["recomputed_share_of_baseline"] = round(share, 3)
    summary = (
        f"recomputed tokens {off['recomputed_tokens']} with the host tier vs "
        f"{base['recomputed_tokens']} without ({off['preemptions']} vs {base['preemptions']} "
        f"preemptions); same greedy tokens: {same}"
    )
    return ("pass" if share <= MAX_RECOMPUTE_SHARE else "fail"), summary, figures


def run_child(model: str, mode: str, out: Path, timeout_s: float, log: Any) -> str:
    """Run one mode in a child process; returns '' or what went wrong."""
    from vllm_nexus.validation.engine import CHILD_ENV

    cmd = [sys.executable, "-m", "vllm_nexus.validation.offload", "generate",
           "--model", model, "--mode", mode, "--out", str(out)]  # fmt: skip
    try:
        proc = subprocess.run(
            cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **CHILD_ENV},
            timeout=max(1.0, timeout_s),
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"{mode}: timed out after {timeout_s:.0f} s"
    if proc.returncode != 0 or not out.exists():
        return f"{mode}: exit status {proc.returncode}"
    return ""


def step_kv_offload(work: Path, model: str, deadline: float, log: Any) -> Result:
    from vllm_nexus.validation.engine import run_modes

    def one(mode: str, out: Path, timeout: float) -> str:
        return run_child(model, mode, out, timeout, log)

    return run_modes(work, "kv-offload", MODES, one, compare, deadline)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="child process of vllm-nexus validate-gpu")
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--model", required=True)
    g.add_argument("--mode", choices=MODES, required=True)
    g.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    generate(a.model, a.mode, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
