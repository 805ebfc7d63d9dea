"""Real sub-batches for ``vllm-nexus profile --model``: timed steps of the shape recorded.

A profile sample says "a prefill of n tokens after c cached ones took t seconds on s SMs" or
"a decode step of b requests at context c took t seconds". vLLM's ``_dummy_run`` cannot run
those shapes (``uniform_decode`` gives every sequence length 1; a non-uniform dummy spreads n
tokens over up to ``max_num_seqs`` requests), so this module drives the model runner the way
the engine does: it builds ``SchedulerOutput`` objects for requests it invents (distinct KV
blocks from the runner's pool, greedy sampling) and calls ``execute_model`` +
``sample_tokens`` — the same calls a split sub-step makes (``split.worker``). The recorded work
is computed from the ``SchedulerOutput`` that was actually executed, with the cost model's
definitions (``plan.phase_work``): tokens = scheduled tokens, attention work = Σ scheduled ×
(computed before + scheduled), requests.

- prefill point (n, c): one new request with a prompt of c + n tokens of which c are already
  computed (as after a prefix-cache hit or earlier chunks), n scheduled; each repeat is a
  fresh request (a prefill sub-step always starts new work);
- decode point (b, c): b requests are created at context c (one untimed step), then each
  timed repeat is a real decode step of all b (cached requests, one token each; the context
  grows by one per step and the recorded work says so).

Points that do not fit (tokens > ``max_num_batched_tokens``, b > ``max_num_seqs``, KV blocks
or ``max_model_len`` exceeded) are skipped and listed, never approximated. The runner's KV
contents are garbage for these invented requests; compute and memory traffic are those of a
real step. Requires a single KV-cache group (standard decoder models).

vLLM imports are lazy; the module itself imports only the standard library.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

# Reference sub-batches: prefill (tokens, context before them), decode (batch, context).
PREFILL_POINTS: tuple[tuple[int, int], ...] = (
    (256, 0),
    (1024, 0),
    (2048, 0),
    (2048, 4096),
    (8192, 0),
)
DECODE_POINTS: tuple[tuple[int, int], ...] = (
    (8, 1024),
    (32, 1024),
    (64, 2048),
    (128, 1024),
    (256, 4096),
)

_ids = itertools.count()


@dataclass(frozen=True)
class StepShape:
    """What one executed sub-step contained (from its SchedulerOutput)."""

    tokens: int
    attn_work: int
    reqs: int


def shape_of(scheduler_output: Any, computed_before: dict[str, int]) -> StepShape:
    """Work of an executed step; ``computed_before``: request -> tokens computed before it."""
    tokens = attn = 0
    for rid, n in scheduler_output.num_scheduled_tokens.items():
        tokens += n
        attn += n * (computed_before[rid] + n)
    return StepShape(tokens, attn, len(scheduler_output.num_scheduled_tokens))


@dataclass
class Layout:
    """Where a measurement runs: the phase's SM count and a context entering its stream."""

    sms: int
    enter: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext


@dataclass
class BatchDriver:
    """Feeds invented requests to a model runner through real SchedulerOutputs."""

    runner: Any
    sync: Callable[[], None] = lambda: None
    clock: Callable[[], float] = time.perf_counter
    free_blocks: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not hasattr(self.runner, "input_batch") or not hasattr(self.runner, "kv_cache_config"):
            raise ValueError(
                "the profiler drives vLLM's V1 model runner with an initialised KV cache "
                "(set VLLM_USE_V2_MODEL_RUNNER=0)"
            )
        cfg = self.runner.kv_cache_config
        groups = cfg.kv_cache_groups
        if len(groups) != 1:
            raise ValueError(
                f"the profiler supports models with one KV-cache group, this one has {len(groups)}"
            )
        self.block_size = int(groups[0].kv_cache_spec.block_size)
        # Block 0 is vLLM's null block; every other block of the pool is free while we profile.
        self.free_blocks = list(range(1, int(cfg.num_blocks)))
        sc = self.runner.scheduler_config
        self.max_tokens = int(sc.max_num_batched_tokens)
        self.max_seqs = int(sc.max_num_seqs)
        self.max_model_len = int(self.runner.model_config.max_model_len)

    # -- capacity ---------------------------------------------------------------------------
    def blocks_for(self, tokens: int) -> int:
        return -(-tokens // self.block_size)

    def why_not(self, phase: str, n: int, ctx: int, steps: int) -> str | None:
        """None if the point fits this runner, else the reason it is skipped."""
        batch, per_req_tokens = (
            (1, ctx + n + 1) if phase == "prefill" else (n, self.decode_tokens(ctx, steps))
        )
        if n > self.max_tokens:  # prefill: n tokens; decode: one token for each of n requests
            return f"{n} tokens > max_num_batched_tokens {self.max_tokens}"
        if batch > self.max_seqs:
            return f"{batch} requests > max_num_seqs {self.max_seqs}"
        if per_req_tokens - 1 > self.max_model_len:
            return f"{per_req_tokens} tokens per request > max_model_len {self.max_model_len}"
        need = batch * self.blocks_for(per_req_tokens)
        if need > len(self.free_blocks):
            return f"needs {need} KV blocks, the pool has {len(self.free_blocks)}"
        return None

    @staticmethod
    def decode_tokens(ctx: int, steps: int) -> int:
        """KV slots a decode request needs: context, its first token and ``steps`` more."""
        return ctx + steps + 2

    # -- steps ------------------------------------------------------------------------------
    def _new_request(self, prompt_len: int, computed: int, total_tokens: int) -> Any:
        from vllm import SamplingParams
        from vllm.v1.core.sched.output import NewRequestData

        nblocks = self.blocks_for(total_tokens)
        if nblocks > len(self.free_blocks):
            raise RuntimeError(f"{nblocks} KV blocks needed, {len(self.free_blocks)} free")
        blocks, self.free_blocks = self.free_blocks[:nblocks], self.free_blocks[nblocks:]
        return NewRequestData(
            req_id=f"nexus-profile-{next(_ids)}",
            prompt_token_ids=[(7 * i) % 1000 + 3 for i in range(prompt_len)],
            mm_features=[],
            sampling_params=SamplingParams(temperature=0.0, max_tokens=1 << 20, ignore_eos=True),
            pooling_params=None,
            block_ids=(blocks,),
            num_computed_tokens=computed,
            lora_request=None,
        )

    def _output(self, **changes: Any) -> Any:
        from vllm.v1.core.sched.output import CachedRequestData, SchedulerOutput

        base = dict(
            scheduled_new_reqs=[],
            scheduled_cached_reqs=CachedRequestData.make_empty(),
            num_scheduled_tokens={},
            total_num_scheduled_tokens=0,
            scheduled_spec_decode_tokens={},
            scheduled_encoder_inputs={},
            num_common_prefix_blocks=[0],
            finished_req_ids=set(),
            free_encoder_mm_hashes=[],
        )
        base.update(changes)
        base["total_num_scheduled_tokens"] = sum(base["num_scheduled_tokens"].values())
        return SchedulerOutput(**base)

    def run(self, so: Any) -> float:
        """Execute one step as the worker does; seconds from launch to sampled tokens."""
        self.sync()
        t0 = self.clock()
        out = self.runner.execute_model(so)
        if out is None:
            out = self.runner.sample_tokens(None)
        self.sync()
        return self.clock() - t0

    def finish(self, reqs: Sequence[Any]) -> None:
        """Drop the invented requests from the runner and return their blocks."""
        self.runner.execute_model(self._output(finished_req_ids={r.req_id for r in reqs}))
        for r in reqs:
            self.free_blocks.extend(r.block_ids[0])
        self.free_blocks.sort()

    def prefill(self, n: int, ctx: int) -> tuple[float, StepShape]:
        req = self._new_request(ctx + n, ctx, ctx + n + 1)
        so = self._output(scheduled_new_reqs=[req], num_scheduled_tokens={req.req_id: n})
        shape = shape_of(so, {req.req_id: ctx})
        try:
            return self.run(so), shape
        finally:
            self.finish([req])

    @contextlib.contextmanager
    def decoding(self, batch: int, ctx: int, steps: int) -> Iterator[Callable[[], tuple]]:
        """``batch`` requests at context ``ctx`` after one untimed step; yields a function
        running one timed decode step of all of them."""
        reqs = [
            self._new_request(ctx + 1, ctx, self.decode_tokens(ctx, steps)) for _ in range(batch)
        ]
        self.run(
            self._output(scheduled_new_reqs=reqs, num_scheduled_tokens={r.req_id: 1 for r in reqs})
        )
        computed = {r.req_id: ctx + 1 for r in reqs}
        outputs = {r.req_id: 1 for r in reqs}

        def step() -> tuple[float, StepShape]:
            from vllm.v1.core.sched.output import CachedRequestData

            ids = [r.req_id for r in reqs]
            cached = dataclasses.replace(
                CachedRequestData.make_empty(),
                req_ids=ids,
                resumed_req_ids=set(),
                new_token_ids=[[] for _ in ids],
                all_token_ids={},
                new_block_ids=[None for _ in ids],
                num_computed_tokens=[computed[i] for i in ids],
                num_output_tokens=[outputs[i] for i in ids],
            )
            so = self._output(
                scheduled_cached_reqs=cached, num_scheduled_tokens=dict.fromkeys(ids, 1)
            )
            shape = shape_of(so, computed)
            t = self.run(so)
            for i in ids:
                computed[i] += 1
                outputs[i] += 1
            return t, shape

        try:
            yield step
        finally:
            self.finish(reqs)


def measure(
    driver: BatchDriver,
    layouts: Sequence[Layout],
    repeats: int,
    prefill_points: Sequence[tuple[int, int]] = PREFILL_POINTS,
    decode_points: Sequence[tuple[int, int]] = DECODE_POINTS,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, skipped): one row per (point, layout) with the executed work and the mean
    latency of ``repeats`` timed steps after one warm-up."""
    if repeats < 1:
        raise ValueError("repeats must be >= 1")
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for phase, points in (("prefill", prefill_points), ("decode", decode_points)):
        for n, ctx in points:
            reason = driver.why_not(phase, n, ctx, repeats + 1)
            if reason:
                skipped.append({"phase": phase, "n": n, "context": ctx, "reason": reason})
                continue
            for layout in layouts:
                with layout.enter():
                    times, shapes = [], []
                    if phase == "prefill":
                        driver.prefill(n, ctx)  # warm-up
                        for _ in range(repeats):
                            t, s = driver.prefill(n, ctx)
                            times.append(t)
                            shapes.append(s)
                    else:
                        with driver.decoding(n, ctx, repeats + 1) as step:
                            step()  # warm-up
                            for _ in range(repeats):
                                t, s = step()
                                times.append(t)
                                shapes.append(s)
                rows.append(
                    {
                        "phase": phase,
                        "tokens": shapes[0].tokens,
                        "attn_work": round(sum(s.attn_work for s in shapes) / len(shapes)),
                        "reqs": shapes[0].reqs,
                        "sms": layout.sms,
                        "latency_s": sum(times) / len(times),
                    }
                )
    return rows, skipped
