"""Per-step CPU cost of ``vllm_nexus.Scheduler`` against vLLM's own scheduler.

Builds both schedulers as vLLM's EngineCore does (``scheduler_config.get_scheduler_cls()``
on ``--scheduler-cls``, the same constructor arguments) around a small model config, feeds
both the same seeded synthetic request stream, and drives each with synthetic
``ModelRunnerOutput`` (one sampled token per request whose prompt is computed; no forward
pass). Requests finish at their ``max_tokens`` and new ones arrive so that, in steady state,
``--running`` calls run and ``--waiting`` wait. ``--programs`` program ids are in use: the
program table is pre-filled with that many programs of varied attained service, and every
request belongs to one of them.

Timing is the CPU time (``time.thread_time``) of ``schedule()`` + ``update_from_output()``
only; building the synthetic outputs and new requests is not timed. Stock and ours step
alternately in one process (ABBA order, so neither always goes first; the box is shared and
noisy). Printed: CPU per step of each, the ratio of the summed times, and the median and
quartiles of the per-step ratios (the median is the robust figure on a noisy machine).
``--control`` runs a second stock scheduler in place of ours: the noise floor.
``--isolated N`` instead runs each side alone in its own process, N rounds, the order flipped
each round, and prints each round's ratio: in one process vLLM's code runs on two scheduler
types and CPython's per-call-site caches keep switching between them, which slows both sides
alike and dilutes the in-process ratio by about 1.5 points at 64 / 256
(docs/results/sched-overhead-2026-12-04b/). Production runs one scheduler per process, so
the isolated ratio is the production figure; the in-process one is steadier on a noisy box.
``--stock-policy priority`` runs the stock side with vLLM's own ``priority`` policy (every
request gets its program's priority, ``program number % 8``; ours ignores priorities unless
it runs with that policy too), and ``--control --control-policy priority`` compares stock
FCFS with stock priority: what serving requests out of arrival order costs vLLM's own code.

    python examples/sched_overhead.py --running 512 --waiting 4096 --programs 100000
    python examples/sched_overhead.py --running 64 --waiting 256 --programs 100000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BLOCK_SIZE = 16
TOKEN = 7


def model_dir() -> str:
    d = Path(tempfile.mkdtemp(prefix="sched_overhead_"))
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 4096,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "max_position_embeddings": 8192,
        "torch_dtype": "float32",
        "eos_token_id": 2,
        "bos_token_id": 1,
    }
    (d / "config.json").write_text(json.dumps(cfg))
    return str(d)


def build(
    scheduler_cls: str | None, args: argparse.Namespace, model: str, policy: str = "fcfs"
) -> Any:
    """A scheduler built the way ``vllm.v1.engine.core.EngineCore`` builds it."""
    import torch
    from vllm.config import CacheConfig, ModelConfig, SchedulerConfig, VllmConfig
    from vllm.v1.kv_cache_interface import FullAttentionSpec, KVCacheConfig, KVCacheGroupSpec
    from vllm.v1.structured_output import StructuredOutputManager

    sched_opts = args.nexus.get("scheduler", {})
    sched_cfg = SchedulerConfig(
        max_num_seqs=args.running,
        max_num_batched_tokens=args.max_num_batched_tokens,
        max_model_len=4096,
        enable_chunked_prefill=True,
        policy=policy,
        is_encoder_decoder=False,
        scheduler_cls=scheduler_cls,
    )
    vllm_config = VllmConfig(
        scheduler_config=sched_cfg,
        model_config=ModelConfig(
            model=model, skip_tokenizer_init=True, dtype="float32", max_model_len=4096
        ),
        cache_config=CacheConfig(block_size=BLOCK_SIZE, enable_prefix_caching=True),
        additional_config=(
            {"vllm_nexus": {**args.nexus, "scheduler": {"policy": args.policy, **sched_opts}}}
            if scheduler_cls
            else {}
        ),
    )
    num_blocks = args.running * (-(-(args.prompt_len + args.max_tokens) // BLOCK_SIZE) + 2)
    vllm_config.cache_config.num_gpu_blocks = num_blocks
    kv_cache_config = KVCacheConfig(
        num_blocks=num_blocks,
        kv_cache_tensors=[],
        kv_cache_groups=[
            KVCacheGroupSpec(
                ["layer"],
                FullAttentionSpec(
                    block_size=BLOCK_SIZE, num_kv_heads=1, head_size=1, dtype=torch.float32
                ),
            )
        ],
    )
    cls = vllm_config.scheduler_config.get_scheduler_cls()
    return cls(
        vllm_config=vllm_config,
        kv_cache_config=kv_cache_config,
        structured_output_manager=StructuredOutputManager(vllm_config),
        include_finished_set=False,
        log_stats=True,
        block_size=BLOCK_SIZE,
        hash_block_size=BLOCK_SIZE,
    )


class Stream:
    """The seeded request stream one scheduler sees (identical for stock and ours)."""

    def __init__(self, args: argparse.Namespace, seed: int) -> None:
        from vllm.sampling_params import SamplingParams
        from vllm.utils.hashing import sha256
        from vllm.v1.core.kv_cache_utils import get_request_block_hasher, init_none_hash

        init_none_hash(sha256)
        self.hasher = get_request_block_hasher(BLOCK_SIZE, sha256)
        self.SamplingParams = SamplingParams
        self.rng = random.Random(seed)
        self.args = args
        self.n = 0

    def request(self) -> Any:
        from vllm.v1.request import Request

        a, rng = self.args, self.rng
        self.n += 1
        program = rng.randrange(a.programs)
        pid = f"p{program}"
        params = self.SamplingParams(
            max_tokens=rng.randint(a.max_tokens // 4, a.max_tokens),
            ignore_eos=True,
            extra_args={"program_id": pid},
        )
        prompt = [rng.randrange(3, 4000) for _ in range(a.prompt_len)]
        return Request(
            request_id=f"r{self.n}",
            prompt_token_ids=prompt,
            sampling_params=params,
            pooling_params=None,
            block_hasher=self.hasher,
            priority=program % 8,
        )


def fake_output(sched: Any, out: Any) -> Any:
    from vllm.v1.outputs import ModelRunnerOutput

    req_ids = list(out.num_scheduled_tokens)
    requests = sched.requests
    sampled = []
    for rid in req_ids:
        req = requests.get(rid)
        done = req is not None and req.num_computed_tokens >= req.num_tokens
        sampled.append([TOKEN] if done else [])
    return ModelRunnerOutput(
        req_ids=req_ids,
        req_id_to_index={r: i for i, r in enumerate(req_ids)},
        sampled_token_ids=sampled,
    )


class Driver:
    def __init__(self, name: str, sched: Any, stream: Stream, waiting: int) -> None:
        self.name, self.sched, self.stream, self.waiting = name, sched, stream, waiting
        self.cpu = 0.0
        self.steps = 0
        self.tokens = 0
        self.preempted = 0

    def top_up(self) -> None:
        s = self.sched
        while len(s.waiting) + len(s.kv_holding_waiting) < self.waiting:
            s.add_request(self.stream.request())

    def step(self, timed: bool) -> float:
        self.top_up()
        s = self.sched
        t0 = time.thread_time()
        out = s.schedule()
        t1 = time.thread_time()
        mro = fake_output(s, out)
        t2 = time.thread_time()
        s.update_from_output(out, mro)
        t3 = time.thread_time()
        dt = (t1 - t0) + (t3 - t2)
        if timed:
            self.cpu += dt
            self.steps += 1
            self.tokens += out.total_num_scheduled_tokens
            self.preempted += len(out.preempted_req_ids)
        return dt


def prefill_programs(sched: Any, n: int, seed: int) -> None:
    """Put ``n`` idle programs of varied attained service into the program table."""
    rng = random.Random(seed)
    table = sched.mlq.programs
    now = sched.clock()
    for i in range(n):
        pid = f"p{i}"
        table.call_started(pid, now)
        table.call_finished(pid, now, 0.0, rng.expovariate(1 / 300.0), 1.0, 1.0)


def run_alone(args: argparse.Namespace) -> None:
    """``--side``: one scheduler alone in this process; print its CPU per step as JSON."""
    ours = args.side == "ours"
    cls, policy = ("vllm_nexus.Scheduler", "fcfs") if ours else (None, args.stock_policy)
    d = Driver(
        args.side,
        build(cls, args, model_dir(), policy),
        Stream(args, args.seed),
        args.waiting,
    )
    if ours:
        prefill_programs(d.sched, args.programs, args.seed)
    for _ in range(args.warmup):
        d.step(timed=False)
    for _ in range(args.steps):
        d.step(timed=True)
    print(json.dumps({"side": args.side, "ms_per_step": 1e3 * d.cpu / d.steps,
                      "tokens_per_step": d.tokens / d.steps, "preempted": d.preempted}))  # fmt: skip


def run_isolated(args: argparse.Namespace, argv: list[str]) -> None:
    """``--isolated N``: N rounds of stock and ours, each alone in a fresh process."""
    base = [sys.executable, __file__, *argv]
    ratios = []
    print(
        f"running={args.running} waiting={args.waiting} programs={args.programs} "
        f"policy={args.policy} steps={args.steps} per process, each side alone, "
        f"{args.isolated} rounds (order flipped each round)"
    )
    for i in range(args.isolated):
        sides = ("stock", "ours") if i % 2 == 0 else ("ours", "stock")
        got = {}
        for side in sides:
            out = subprocess.run([*base, "--side", side], capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"--side {side} failed:\n{out.stderr[-2000:]}")
            got[side] = json.loads(out.stdout.strip().splitlines()[-1])["ms_per_step"]
        ratios.append(got["ours"] / got["stock"])
        print(f"  round {i + 1}: stock {got['stock']:.3f} ours {got['ours']:.3f} ms CPU per "
              f"step, ratio {ratios[-1]:.3f}")  # fmt: skip
    print(
        f"  ratio      mean {statistics.mean(ratios):.3f}, worst {max(ratios):.3f}, best "
        f"{min(ratios):.3f} over {len(ratios)} rounds"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--running", type=int, default=512, help="max_num_seqs (steady running)")
    ap.add_argument("--waiting", type=int, default=4096, help="waiting calls kept queued")
    ap.add_argument("--programs", type=int, default=100_000)
    ap.add_argument("--policy", default="plas", help="vllm_nexus policy")
    ap.add_argument("--prompt-len", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--max-num-batched-tokens", type=int, default=8192)
    ap.add_argument("--warmup", type=int, default=60, help="untimed steps first")
    ap.add_argument("--steps", type=int, default=400, help="timed steps per scheduler")
    ap.add_argument(
        "--control",
        action="store_true",
        help="A/A control: a second stock scheduler in place of vllm_nexus (noise floor)",
    )
    ap.add_argument(
        "--stock-policy",
        choices=("fcfs", "priority"),
        default="fcfs",
        help="vLLM's scheduling policy on the stock side (priority: program number %% 8)",
    )
    ap.add_argument(
        "--control-policy",
        choices=("fcfs", "priority"),
        default=None,
        help="with --control: the second stock scheduler's policy (default: --stock-policy)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--nexus", type=json.loads, default={}, help="vllm_nexus config JSON (additional_config)"
    )
    ap.add_argument(
        "--isolated",
        type=int,
        default=0,
        metavar="N",
        help="N rounds with each side alone in its own process (the production figure)",
    )
    ap.add_argument("--side", choices=("stock", "ours"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.isolated < 0:
        ap.error("--isolated must be >= 0")
    if args.isolated and args.control:
        ap.error("--isolated compares stock with ours; --control is the in-process noise floor")

    import logging

    logging.getLogger("vllm").setLevel(logging.WARNING)
    if args.side:
        run_alone(args)
        return
    if args.isolated:
        argv = list(sys.argv[1:])
        i = argv.index("--isolated") if "--isolated" in argv else -1
        if i >= 0:
            del argv[i : i + 2]
        else:
            argv = [a for a in argv if not a.startswith("--isolated=")]
        run_isolated(args, argv)
        return
    model = model_dir()
    ours_cls = None if args.control else "vllm_nexus.Scheduler"
    second_policy = (args.control_policy or args.stock_policy) if args.control else "fcfs"
    drivers = [
        Driver(
            "stock",
            build(None, args, model, args.stock_policy),
            Stream(args, args.seed),
            args.waiting,
        ),
        Driver(
            "stock-2" if args.control else "vllm_nexus",
            build(ours_cls, args, model, second_policy),
            Stream(args, args.seed),
            args.waiting,
        ),
    ]
    if not args.control:
        prefill_programs(drivers[1].sched, args.programs, args.seed)
    for d in drivers:
        for _ in range(args.warmup):
            d.step(timed=False)
    ratios = []
    for i in range(args.steps):
        pair = drivers if i % 2 == 0 else drivers[::-1]  # ABBA: neither always goes first
        dt = {d.name: d.step(timed=True) for d in pair}
        ratios.append(dt[drivers[1].name] / max(dt[drivers[0].name], 1e-9))
    stock, ours = drivers
    per_stock = 1e3 * stock.cpu / stock.steps
    per_ours = 1e3 * ours.cpu / ours.steps
    s, o = stock.sched, ours.sched
    known = f", {len(o.mlq.programs)} programs known" if hasattr(o, "mlq") else ""
    print(
        f"running={args.running} waiting={args.waiting} programs={args.programs} "
        f"policy={args.policy} stock-policy={args.stock_policy} steps={stock.steps} per "
        "scheduler, alternating (ABBA)"
    )
    print(
        f"  state at end: stock {len(s.running)} running / {len(s.waiting)} waiting; "
        f"{ours.name} {len(o.running)} running / {len(o.waiting)} waiting{known}"
    )
    for d, per in ((stock, per_stock), (ours, per_ours)):
        m = getattr(d.sched, "nexus_metrics", None)
        proactive = f", {m.preemptions_proactive} proactive" if m is not None else ""
        print(
            f"  {d.name:<10} {per:8.3f} ms CPU per step  ({d.tokens / d.steps:.0f} tokens/step, "
            f"{d.preempted} preemptions{proactive})"
        )
    q = statistics.quantiles(ratios, n=4)
    print(
        f"  ratio      {per_ours / per_stock:8.3f}x of summed CPU time; per-step ratio median "
        f"{q[1]:.3f} (quartiles {q[0]:.3f}-{q[2]:.3f})"
    )


if __name__ == "__main__":
    main()
