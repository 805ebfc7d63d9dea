"""Engine steps of ``vllm-nexus validate-gpu``: equivalence, graphs (engine part), profile.

All three run vLLM in-process (``vllm.LLM`` with ``VLLM_ENABLE_V1_MULTIPROCESSING=0``) on the
offline tiny model (:mod:`vllm_nexus.serving.tiny_model`, built locally: no network) in
float32. Each engine configuration runs in its own child process (``python -m
vllm_nexus.validation.engine generate ...``) so a crash or hang in one mode still leaves the
others' results, and GPU memory is returned between modes.

Equivalence: identical engine arguments (float32, eager, synchronous scheduling, a 256-token
budget so long prompts are chunked and steps mix prefill and decode, the
``vllm_nexus.Scheduler``) for stock (vLLM's worker) vs ``split=sequential`` vs
``split=concurrent`` (``vllm_nexus.Worker``); greedy, 2 logprobs per position. Sequential and
concurrent must agree token for token and both must have run split steps; against stock the
first divergence and the logprob gap there (how close the tie was) are reported — different
batching changes float reductions, so a divergence there is a finding, not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Result = tuple[str, str, dict[str, Any]]

MODES = ("stock", "sequential", "concurrent")
MAX_TOKENS = 24
CHILD_ENV = {
    "VLLM_ENABLE_V1_MULTIPROCESSING": "0",
    "VLLM_USE_V2_MODEL_RUNNER": "0",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
    "PYTHONUNBUFFERED": "1",
    "VLLM_ALLOW_INSECURE_SERIALIZATION": "1",
}


def prompts(seed: int = 7) -> list[list[int]]:
    """Long prompts (chunked over several steps) and short ones (decoding meanwhile)."""
    rng = random.Random(seed)

    def toks(n: int) -> list[int]:
        return [rng.randrange(10, 4000) for _ in range(n)]

    return [toks(n) for n in (900, 700, 520)] + [toks(rng.choice([4, 9, 20, 60])) for _ in range(9)]


def engine_args(model: str, mode: str, graphs: bool = False) -> dict[str, Any]:
    """vllm.LLM arguments; identical across modes except the worker and the split mode."""
    split = {"split": "off" if mode == "stock" else mode}
    if graphs:
        split["allow_cuda_graphs"] = True
    args: dict[str, Any] = dict(
        model=model,
        dtype="float32",
        enforce_eager=not graphs,
        async_scheduling=False,
        max_model_len=2048,
        max_num_batched_tokens=256,
        max_num_seqs=16,
        seed=0,
        gpu_memory_utilization=0.3,
        scheduler_cls="vllm_nexus.Scheduler",
        additional_config={"vllm_nexus": {"partition": split}},
    )
    if mode != "stock":
        args["worker_cls"] = "vllm_nexus.Worker"
    if graphs:
        # No torch.compile (minutes); full CUDA graphs for decode-only batches, few sizes.
        args["compilation_config"] = {
            "mode": 0,
            "cudagraph_mode": "FULL_DECODE_ONLY",
            "cudagraph_capture_sizes": [1, 2, 4, 8, 16],
        }
    return args


def generate(model: str, mode: str, out: Path, graphs: bool = False) -> None:
    """Child process body: run the prompts, write tokens, logprobs and worker stats."""
    from vllm import LLM, SamplingParams

    t0 = time.perf_counter()
    llm = LLM(**engine_args(model, mode, graphs))
    start_s = time.perf_counter() - t0
    sp = SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS, logprobs=2, ignore_eos=True)
    t0 = time.perf_counter()
    res = llm.generate([{"prompt_token_ids": p} for p in prompts()], sp, use_tqdm=False)
    gen_s = time.perf_counter() - t0
    rows = []
    for r in res:
        c = r.outputs[0]
        rows.append(
            {
                "tokens": list(c.token_ids),
                "logprobs": [{str(t): lp.logprob for t, lp in d.items()} for d in c.logprobs or []],
            }
        )
    stats = None
    if mode != "stock":
        stats = llm.collective_rpc("nexus_stats")[0]
    out.write_text(
        json.dumps(
            {
                "mode": mode,
                "graphs": graphs,
                "start_s": start_s,
                "generate_s": gen_s,
                "outputs": rows,
                "nexus_stats": stats,
            }  # fmt: skip
        )
    )


def run_child(model: str, mode: str, out: Path, timeout_s: float, graphs: bool, log: Any) -> str:
    """Run one mode in a child process; returns '' or what went wrong."""
    cmd = [sys.executable, "-m", "vllm_nexus.validation.engine", "generate",
           "--model", model, "--mode", mode, "--out", str(out)] + (["--graphs"] if graphs else [])  # fmt: skip
    env = {**os.environ, **CHILD_ENV}
    try:
        proc = subprocess.run(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=max(1.0, timeout_s)
        )
    except subprocess.TimeoutExpired:
        return f"{mode}: timed out after {timeout_s:.0f} s"
    if proc.returncode != 0 or not out.exists():
        return f"{mode}: exit status {proc.returncode}"
    return ""


def first_divergence(a: list[dict], b: list[dict]) -> dict[str, Any] | None:
    """First (request, position) where greedy tokens differ, with a's top-2 logprob gap."""
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        for pos, (ta, tb) in enumerate(zip(x["tokens"], y["tokens"], strict=False)):
            if ta != tb:
                lps = x["logprobs"][pos] if pos < len(x["logprobs"]) else {}
                gap = None
                if str(ta) in lps and str(tb) in lps:
                    gap = lps[str(ta)] - lps[str(tb)]
                return {
                    "request": i,
                    "position": pos,
                    "tokens": [ta, tb],
                    "logprob_gap_in_first": gap,
                    "note": None if gap is not None else "second token not in the top-2",
                }
        if len(x["tokens"]) != len(y["tokens"]):
            return {"request": i, "position": min(len(x["tokens"]), len(y["tokens"])),
                    "tokens": None, "note": "different lengths"}  # fmt: skip
    return None


def max_logprob_delta(a: list[dict], b: list[dict]) -> float:
    """Largest |logprob| difference of the same token at the same position before any
    divergence (how far the numbers drift while the tokens still agree)."""
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        for pos, (ta, tb) in enumerate(zip(x["tokens"], y["tokens"], strict=False)):
            if ta != tb:
                break
            la, lb = x["logprobs"][pos].get(str(ta)), y["logprobs"][pos].get(str(tb))
            if la is not None and lb is not None:
                worst = max(worst, abs(la - lb))
    return worst


def compare(results: dict[str, dict]) -> Result:
    """Verdict of the equivalence step from the modes that produced output."""
    figures: dict[str, Any] = {
        "modes_run": sorted(results),
        "start_s": {m: round(r["start_s"], 1) for m, r in results.items()},
        "split_steps": {
            m: (r["nexus_stats"] or {}).get("split_steps")
            for m, r in results.items()
            if m != "stock"
        },
    }
    missing = [m for m in MODES if m not in results]
    if "sequential" in results and "concurrent" in results:
        d = first_divergence(results["sequential"]["outputs"], results["concurrent"]["outputs"])
        figures["sequential_vs_concurrent"] = {
            "identical": d is None,
            "first_divergence": d,
            "max_logprob_delta": max_logprob_delta(
                results["sequential"]["outputs"], results["concurrent"]["outputs"]
            ),
        }
    if "stock" in results:
        for m in ("sequential", "concurrent"):
            if m in results:
                figures[f"stock_vs_{m}"] = {
                    "first_divergence": first_divergence(
                        results["stock"]["outputs"], results[m]["outputs"]
                    ),
                    "max_logprob_delta": max_logprob_delta(
                        results["stock"]["outputs"], results[m]["outputs"]
                    ),
                }
    if missing:
        return "fail", f"no output from {', '.join(missing)} (see log)", figures
    no_split = [m for m, n in figures["split_steps"].items() if not n]
    if no_split:
        return "fail", f"{', '.join(no_split)} ran no split step", figures
    if not figures["sequential_vs_concurrent"]["identical"]:
        return "fail", "sequential and concurrent outputs differ", figures
    return (
        "pass",
        "sequential == concurrent token for token; split steps: "
        + ", ".join(f"{m} {n}" for m, n in figures["split_steps"].items()),
        figures,
    )


def run_modes(
    work: Path,
    stem: str,
    modes: tuple[str, ...],
    run_one: Callable[[str, Path, float], str],
    compare: Callable[[dict[str, Any]], Result],
    deadline: float,
) -> Result:
    """Run one child per mode (``run_one(mode, out, timeout)`` returns an error or ""), share
    the time left fairly between them, then ``compare`` the JSON each child wrote."""
    results: dict[str, Any] = {}
    errors = []
    for i, mode in enumerate(modes):
        out = work / f"{stem}-{mode}.json"
        out.unlink(missing_ok=True)
        err = run_one(mode, out, (deadline - time.monotonic()) / (len(modes) - i))
        if err:
            errors.append(err)
            continue
        results[mode] = json.loads(out.read_text())
    status, summary, figures = compare(results)
    if errors:
        figures["errors"] = errors
    return status, summary, figures


def step_equivalence(work: Path, model: str, deadline: float, log: Any) -> Result:
    def one(mode: str, out: Path, timeout: float) -> str:
        return run_child(model, mode, out, timeout, False, log)

    return run_modes(work, "equivalence", MODES, one, compare, deadline)


def step_graphs(work: Path, model: str, deadline: float, log: Any) -> Result:
    figures: dict[str, Any] = {}
    try:
        from vllm_nexus.validation.device import graph_placement

        figures["graph_replay_probe"] = graph_placement()
    except Exception as e:  # noqa: BLE001 - the engine part still runs
        figures["graph_replay_probe"] = {"error": repr(e)}
    out = work / "graphs-sequential.json"
    out.unlink(missing_ok=True)
    err = run_child(model, "sequential", out, deadline - time.monotonic(), True, log)
    probe = figures["graph_replay_probe"].get("captured_on_ordinary_stream", {})
    figures["partition_kept_for_vllm_graphs"] = probe.get("inside_partition")
    if err:
        figures["engine"] = {"ran": False, "error": err}
        return "fail", f"split=sequential with CUDA graphs did not run: {err}", figures
    r = json.loads(out.read_text())
    eager = work / "equivalence-sequential.json"
    same = None
    if eager.exists():
        same = first_divergence(json.loads(eager.read_text())["outputs"], r["outputs"]) is None
    steps = (r["nexus_stats"] or {}).get("split_steps")
    figures["engine"] = {"ran": True, "split_steps": steps, "same_tokens_as_eager": same,
                         "start_s": round(r["start_s"], 1)}  # fmt: skip
    kept = figures["partition_kept_for_vllm_graphs"]
    summary = (
        f"ran with CUDA graphs ({steps} split steps, tokens as eager: {same}); graph kernels "
        f"captured on an ordinary stream stay in the partition on replay: {kept}"
    )
    # The question is "does it run"; token equality with eager is a figure (graph padding can
    # change float reductions), the partition answer comes from the probe.
    return ("pass" if steps else "fail"), summary, figures


def step_profile(work: Path, model: str, out_dir: Path) -> Result:
    import torch

    from vllm_nexus.split.profiler import measure_profile
    from vllm_nexus.validation.device import granularity

    g, m = granularity(torch.cuda.get_device_capability(0))
    profile, skipped = measure_profile(
        model, g, m, repeats=1,
        llm_kwargs={"dtype": "float32", "max_model_len": 8192, "gpu_memory_utilization": 0.5},
    )  # fmt: skip
    path = out_dir / "profile.json"
    path.write_text(json.dumps(profile.to_dict(), indent=1) + "\n")
    decode: dict[str, dict[int, float]] = {}
    for s in profile.samples:
        if s.phase == "decode":
            key = f"batch {s.reqs}, work {s.attn_work}"
            decode.setdefault(key, {})[s.sms] = round(s.latency_s * 1e3, 3)
    figures = {"profile": str(path), "decode_ms_by_sms": decode, "skipped": skipped,
               "samples": len(profile.samples)}  # fmt: skip
    if not decode or all(len(v) < 2 for v in decode.values()):
        return "fail", "no decode latency at two or more SM counts", figures
    return (
        "pass",
        f"{len(profile.samples)} samples; decode latency at {len(next(iter(decode.values())))} SM counts",
        figures,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="child process of vllm-nexus validate-gpu")
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--model", required=True)
    g.add_argument("--mode", choices=MODES, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--graphs", action="store_true")
    a = p.parse_args(argv)
    generate(a.model, a.mode, a.out, a.graphs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
