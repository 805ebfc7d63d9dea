"""``vllm-nexus profile``: write a prefill/decode SM-split cost profile (JSON) for the
:class:`~vllm_nexus.split.cost_model.CostModel` (Nexus §4.2: per-phase latency profiled offline at
several SM shares).

Two sources:

- ``--derive HARDWARE:MODEL`` — from the simulator's roofline presets
  (:mod:`vllm_nexus.perf.latency`); runs anywhere; the profile says it is derived, not measured.
  The shipped ``vllm_nexus/profiles/partition-*.json`` were made this way
  (``vllm-nexus profile --write-builtin``).
- ``--model PATH`` — measured on a CUDA GPU: loads the model in vLLM, then times prefill and
  decode forward passes (dummy batches) on green-context streams of each SM count of the
  partition grid. Without CUDA green contexts it exits with a clear message (status 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from vllm_nexus.split.controller import partition_grid
from vllm_nexus.split.cost_model import PROFILE_DIR, Profile, ProfileSample

# Reference sub-batches: prefill (tokens, context before them), decode (batch, context).
PREFILL_POINTS = [(256, 0), (1024, 0), (2048, 0), (2048, 4096), (8192, 0)]
DECODE_POINTS = [(8, 1024), (32, 1024), (64, 2048), (128, 1024), (256, 4096)]
BUILTIN = [
    ("h100", "llama-3.1-8b"),
    ("h200", "llama-3.1-8b"),
    ("a100", "llama-3.1-8b"),
    ("h100", "qwen2.5-14b"),
    ("a100", "qwen2.5-3b"),
]


def _sms_grid(num_sms: int, granularity: int, min_sms: int) -> list[int]:
    return sorted(set(partition_grid(num_sms, granularity, min_sms)) | {num_sms})


def derive_profile(hardware: str, model: str) -> Profile:
    """A profile computed from the simulator's roofline latency model (not a measurement)."""
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model

    hw, shape = get_hardware(hardware), get_model(model)
    lat = StepLatencyModel(hw, shape)
    grid = _sms_grid(hw.num_sms, hw.sm_granularity, hw.min_sms)
    samples = []
    for tokens, ctx in PREFILL_POINTS:
        attn = tokens * (ctx + tokens)
        for sms in grid:
            t = lat.prefill_time(tokens, ctx, sm_fraction=sms / hw.num_sms)
            samples.append(ProfileSample("prefill", tokens, attn, 1, sms, t))
    for batch, ctx in DECODE_POINTS:
        for sms in grid:
            t = lat.decode_time(batch, ctx, sm_fraction=sms / hw.num_sms)
            samples.append(ProfileSample("decode", batch, batch * (ctx + 1), batch, sms, t))
    return Profile(
        gpu=hardware,
        model=model,
        num_sms=hw.num_sms,
        sm_granularity=hw.sm_granularity,
        min_sms=hw.min_sms,
        samples=tuple(samples),
        source=(
            f"DERIVED (not measured) from the vllm_nexus.sim roofline preset {hardware} "
            f"({hw.source}) and model shape {model}; decode contention constants from Nexus §4.2"
        ),
    )


def _measure_in_worker(worker: Any, grid: list[int], repeats: int) -> list[dict[str, Any]]:
    """Runs inside the vLLM worker process: time dummy prefill/decode batches per SM count."""
    import torch

    from vllm_nexus.split import backends as gpu

    support = gpu.probe()
    backend = gpu.make_backend("green_context", support)
    inner = [g for g in grid if g < backend.num_sms]
    backend.build(inner)
    runner = worker.model_runner
    rows = []

    def timed(fn: Any, stream: Any) -> float:
        fn()  # warm-up
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(repeats):
            if stream is None:
                fn()
            else:
                with torch.cuda.stream(stream):
                    fn()
        torch.cuda.synchronize()
        return (time.perf_counter() - t0) / repeats

    max_tokens = runner.scheduler_config.max_num_batched_tokens
    for phase, points in (("prefill", PREFILL_POINTS), ("decode", DECODE_POINTS)):
        for n, ctx in points:
            # Dummy runs do not take a context length: only the context-free points are
            # measured, and their attention term is approximate (vLLM's dummy-run layout).
            if n > max_tokens or (phase == "prefill" and ctx):
                continue
            if phase == "prefill":

                def fn(n: int = n) -> Any:
                    return runner._dummy_run(n, force_attention=True)

                attn, reqs = n * (ctx + n), 1
            else:

                def fn(n: int = n) -> Any:
                    return runner._dummy_run(n, uniform_decode=True, force_attention=True)

                attn, reqs = n * (ctx + 1), n
            # (SMs the phase runs on, stream): the whole device, then each layout's side.
            layouts = [(backend.num_sms, None)]
            for p in inner:
                pre, dec = backend.partitions.select(p, backend.num_sms - p)
                layouts.append((p, pre) if phase == "prefill" else (backend.num_sms - p, dec))
            for sms, stream in layouts:
                rows.append(
                    {
                        "phase": phase,
                        "tokens": n,
                        "attn_work": attn,
                        "reqs": reqs,
                        "sms": sms,
                        "latency_s": timed(fn, stream),
                    }
                )
    return rows


def measure_profile(model: str, granularity: int, min_sms: int, repeats: int) -> Profile:
    from vllm_nexus.split import backends as gpu

    support = gpu.probe()
    if not support.green_contexts:
        raise SystemExit(f"vllm-nexus profile: cannot measure here: {support.reason}")
    import torch
    from vllm import LLM

    props = torch.cuda.get_device_properties(0)
    num_sms = int(props.multi_processor_count)
    grid = _sms_grid(num_sms, granularity, min_sms)
    # collective_rpc with a function (not a method name) needs pickle-based serialization.
    os.environ.setdefault("VLLM_ALLOW_INSECURE_SERIALIZATION", "1")
    llm = LLM(model=model, enforce_eager=True, max_num_batched_tokens=8192)
    rows = llm.collective_rpc(_measure_in_worker, args=(grid, repeats))[0]
    samples = tuple(
        ProfileSample(r["phase"], r["tokens"], r["attn_work"], r["reqs"], r["sms"], r["latency_s"])
        for r in rows
    )
    return Profile(
        gpu=props.name,
        model=model,
        num_sms=num_sms,
        sm_granularity=granularity,
        min_sms=min_sms,
        samples=samples,
        source=f"MEASURED by vllm-nexus profile on {props.name} (dummy batches, eager)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="model path/name to measure on this CUDA GPU")
    src.add_argument(
        "--derive",
        metavar="HARDWARE:MODEL",
        help="derive from the simulator presets, e.g. h100:llama-3.1-8b (no GPU needed)",
    )
    src.add_argument(
        "--write-builtin",
        action="store_true",
        help="regenerate the shipped derived profiles in vllm_nexus/profiles/",
    )
    parser.add_argument("-o", "--output", help="output JSON file (default: stdout)")
    parser.add_argument("--sm-granularity", type=int, default=8)
    parser.add_argument("--min-sms", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)


def _write(profile: Profile, output: str | None) -> None:
    text = json.dumps(profile.to_dict(), indent=1) + "\n"
    if output:
        Path(output).write_text(text)
        print(f"wrote {output} ({len(profile.samples)} samples; {profile.source})")
    else:
        sys.stdout.write(text)


def run(args: argparse.Namespace) -> int:
    if args.write_builtin:
        for hw, model in BUILTIN:
            _write(derive_profile(hw, model), str(PROFILE_DIR / f"partition-{hw}-{model}.json"))
        return 0
    if args.derive:
        hw, sep, model = args.derive.partition(":")
        if not sep or not hw or not model:
            print("--derive expects HARDWARE:MODEL, e.g. h100:llama-3.1-8b", file=sys.stderr)
            return 2
        try:
            profile = derive_profile(hw, model)
        except ValueError as e:
            print(f"vllm-nexus profile: {e}", file=sys.stderr)
            return 2
        _write(profile, args.output)
        return 0
    try:
        profile = measure_profile(args.model, args.sm_granularity, args.min_sms, args.repeats)
    except SystemExit as e:
        print(str(e), file=sys.stderr)
        return 2
    _write(profile, args.output)
    return 0
