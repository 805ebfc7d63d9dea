"""``vllm-nexus profile``: write a prefill/decode SM-split cost profile (JSON) for the
:class:`~vllm_nexus.split.cost_model.CostModel` (Nexus §4.2: per-phase latency profiled offline at
several SM shares).

Two sources:

- ``--derive HARDWARE:MODEL`` — computed, runs anywhere: full-GPU latencies from the
  simulator's roofline presets (:mod:`vllm_nexus.perf.latency`) times the published-measurement
  SM scaling of :mod:`vllm_nexus.split.sm_scaling` (``--scaling``). The profile says it is
  derived and names both sources. The shipped ``vllm_nexus/split/profiles/partition-*.json``
  were made this way (``vllm-nexus profile --write-builtin``).
- ``--model PATH`` — measured on a CUDA GPU: loads the model in vLLM (eager), then times real
  prefill and decode sub-steps of the recorded shapes (:mod:`vllm_nexus.split.profile_batches`)
  on the whole device and on each green-context partition of the grid. Without CUDA green
  contexts it exits with a clear message (status 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from vllm_nexus.split import sm_scaling
from vllm_nexus.split.controller import partition_grid
from vllm_nexus.split.cost_model import PROFILE_DIR, Profile, ProfileSample
from vllm_nexus.split.profile_batches import DECODE_POINTS, PREFILL_POINTS

BUILTIN = [
    ("h100", "llama-3.1-8b"),
    ("h200", "llama-3.1-8b"),
    ("a100", "llama-3.1-8b"),
    ("h100", "qwen2.5-14b"),
    ("a100", "qwen2.5-3b"),
]


def _sms_grid(num_sms: int, granularity: int, min_sms: int) -> list[int]:
    return sorted(set(partition_grid(num_sms, granularity, min_sms)) | {num_sms})


def derive_profile(hardware: str, model: str, scaling: str = sm_scaling.DEFAULT) -> Profile:
    """A computed profile (not a measurement): roofline full-GPU latency x published SM scaling."""
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.latency import StepLatencyModel
    from vllm_nexus.perf.models import get_model

    hw, shape = get_hardware(hardware), get_model(model)
    sc = sm_scaling.get_model(scaling)
    lat = StepLatencyModel(hw, shape)
    grid = _sms_grid(hw.num_sms, hw.sm_granularity, hw.min_sms)
    samples = []
    for tokens, ctx in PREFILL_POINTS:
        t1 = lat.prefill_time(tokens, ctx)
        for sms in grid:
            t = t1 * sc.slowdown("prefill", sms / hw.num_sms)
            samples.append(ProfileSample("prefill", tokens, tokens * (ctx + tokens), 1, sms, t))
    for batch, ctx in DECODE_POINTS:
        t1 = lat.decode_time(batch, ctx)
        for sms in grid:
            t = t1 * sc.slowdown("decode", sms / hw.num_sms)
            samples.append(ProfileSample("decode", batch, batch * (ctx + 1), batch, sms, t))
    return Profile(
        gpu=hardware,
        model=model,
        num_sms=hw.num_sms,
        sm_granularity=hw.sm_granularity,
        min_sms=hw.min_sms,
        samples=tuple(samples),
        contention_kappa=sc.contention_kappa,
        contention_context_half=sc.contention_context_half,
        source=(
            f"DERIVED (not measured): full-GPU latency from the roofline preset {hardware} "
            f"({hw.source}) and model shape {model}; SM scaling and decode contention from "
            f"{sc.label()}"
        ),
    )


def _measure_in_worker(worker: Any, granularity: int, min_sms: int, repeats: int) -> dict:
    """Runs inside the vLLM worker process: real sub-steps per SM layout (profile_batches)."""
    import torch

    from vllm_nexus.split import backends as gpu
    from vllm_nexus.split.profile_batches import BatchDriver, Layout, measure

    device = worker.device.index or 0
    support = gpu.probe()
    if not support.disjoint:
        raise RuntimeError(f"no disjoint SM partitions on this device: {support.reason}")
    backend = gpu.make_backend("green_context", support, device_index=device)
    num_sms = backend.num_sms
    inner = partition_grid(num_sms, granularity, min_sms)
    backend.build(inner)
    engine = torch.cuda.current_stream(device)

    def on(phase: str, p: int) -> Any:
        return lambda: backend.phase(phase, p, num_sms - p, engine)

    layouts_by_phase = {
        "prefill": [Layout(num_sms)] + [Layout(p, on("prefill", p)) for p in inner],
        "decode": [Layout(num_sms)] + [Layout(num_sms - p, on("decode", p)) for p in inner],
    }
    driver = BatchDriver(worker.model_runner, sync=lambda: torch.cuda.synchronize(device))
    rows, skipped = [], []
    for phase in ("prefill", "decode"):
        r, s = measure(
            driver,
            layouts_by_phase[phase],
            repeats,
            prefill_points=PREFILL_POINTS if phase == "prefill" else (),
            decode_points=DECODE_POINTS if phase == "decode" else (),
        )
        rows += r
        skipped += s
    return {
        "num_sms": num_sms,
        "rows": rows,
        "skipped": skipped,
        "build_bytes": backend.build_bytes,
    }


def measure_profile(
    model: str,
    granularity: int,
    min_sms: int,
    repeats: int,
    llm_kwargs: dict[str, Any] | None = None,
) -> tuple[Profile, list[dict[str, Any]]]:
    """(measured profile, skipped points). Needs disjoint green contexts on a CUDA GPU."""
    from vllm_nexus.split import backends as gpu

    support = gpu.probe()
    if not support.disjoint:
        raise SystemExit(f"vllm-nexus profile: cannot measure here: {support.reason}")
    import torch
    from vllm import LLM

    # collective_rpc with a function (not a method name) needs pickle-based serialization;
    # the batch driver feeds the V1 model runner (the one vllm_nexus.Worker splits).
    os.environ.setdefault("VLLM_ALLOW_INSECURE_SERIALIZATION", "1")
    os.environ.setdefault("VLLM_USE_V2_MODEL_RUNNER", "0")
    kwargs = {"enforce_eager": True, "max_num_batched_tokens": 8192, "max_num_seqs": 256}
    kwargs.update(llm_kwargs or {})
    llm = LLM(model=model, **kwargs)
    res = llm.collective_rpc(_measure_in_worker, args=(granularity, min_sms, repeats))[0]
    samples = tuple(
        ProfileSample(r["phase"], r["tokens"], r["attn_work"], r["reqs"], r["sms"], r["latency_s"])
        for r in res["rows"]
    )
    name = torch.cuda.get_device_name(0)
    sc = sm_scaling.get_model(sm_scaling.DEFAULT)
    profile = Profile(
        gpu=name,
        model=model,
        num_sms=res["num_sms"],
        sm_granularity=granularity,
        min_sms=min_sms,
        samples=samples,
        contention_kappa=sc.contention_kappa,
        contention_context_half=sc.contention_context_half,
        source=(
            f"MEASURED by vllm-nexus profile on {name}: real prefill/decode sub-steps (eager) "
            f"on green-context partitions, {repeats} repeats; decode contention not measured, "
            f"constants from {sc.label()}"
        ),
    )
    return profile, res["skipped"]


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
        help="regenerate the shipped derived profiles in vllm_nexus/split/profiles/",
    )
    parser.add_argument("-o", "--output", help="output JSON file (default: stdout)")
    parser.add_argument("--sm-granularity", type=int, default=8)
    parser.add_argument("--min-sms", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--scaling",
        default=sm_scaling.DEFAULT,
        choices=sorted(sm_scaling.MODELS),
        help="--derive: published-measurement SM-scaling calibration (sm_scaling.py)",
    )
    parser.add_argument(
        "--llm-args",
        default="{}",
        help='--model: JSON of extra vllm.LLM arguments, e.g. \'{"dtype": "float32"}\'',
    )


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
            profile = derive_profile(hw, model, args.scaling)
        except ValueError as e:
            print(f"vllm-nexus profile: {e}", file=sys.stderr)
            return 2
        _write(profile, args.output)
        return 0
    try:
        llm_kwargs = json.loads(args.llm_args)
        if not isinstance(llm_kwargs, dict):
            raise ValueError("not a JSON object")
    except ValueError as e:
        print(f"vllm-nexus profile: --llm-args: {e}", file=sys.stderr)
        return 2
    try:
        profile, skipped = measure_profile(
            args.model, args.sm_granularity, args.min_sms, args.repeats, llm_kwargs
        )
    except SystemExit as e:
        print(str(e), file=sys.stderr)
        return 2
    for s in skipped:
        print(f"skipped {s['phase']} ({s['n']}, context {s['context']}): {s['reason']}")
    _write(profile, args.output)
    return 0
