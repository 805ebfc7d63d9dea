"""The measured profile records the batches it ran (issue 19, defect 1), on CPU with the tiny
model: the profiler's batch driver runs real prefill/decode sub-steps through the model
runner, and every recorded sample is checked against the ``SchedulerOutput`` objects the runner
actually executed (captured by a spy, with their context lengths), not against the driver's
own bookkeeping."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.engine

PREFILL = [(64, 0), (48, 200)]
DECODE = [(4, 100), (8, 300), (64, 10)]  # the last one exceeds max_num_seqs: skipped
REPEATS = 2


def _measure(worker: Any) -> dict[str, Any]:
    """Runs in the engine (in-process executor): spy on the runner, measure, report both."""
    from vllm_nexus.split.profile_batches import BatchDriver, Layout, measure

    runner = worker.model_runner
    executed: list[list[tuple[int, int]]] = []
    sampled: list[int] = []
    real_execute, real_sample = runner.execute_model, runner.sample_tokens

    def execute(so: Any) -> Any:
        step = [
            (so.num_scheduled_tokens[r.req_id], r.num_computed_tokens)
            for r in so.scheduled_new_reqs
        ]
        cached = so.scheduled_cached_reqs
        step += [
            (so.num_scheduled_tokens[rid], cached.num_computed_tokens[i])
            for i, rid in enumerate(cached.req_ids)
        ]
        if step:
            executed.append(step)
        return real_execute(so)

    def sample(grammar: Any) -> Any:
        out = real_sample(grammar)
        sampled.append(sum(1 for t in out.sampled_token_ids if t))
        return out

    runner.execute_model, runner.sample_tokens = execute, sample
    try:
        driver = BatchDriver(runner)
        rows, skipped = measure(driver, [Layout(1)], REPEATS, PREFILL, DECODE)
    finally:
        runner.execute_model, runner.sample_tokens = real_execute, real_sample
    return {
        "rows": rows,
        "skipped": skipped,
        "executed": executed,
        "sampled": sampled,
        "requests_left": len(runner.requests),
        "free_blocks": len(driver.free_blocks),
        "pool": int(runner.kv_cache_config.num_blocks) - 1,
    }


@pytest.fixture(scope="module")
def measured(tiny_model_dir: Any) -> dict[str, Any]:
    mp = pytest.MonkeyPatch()
    mp.setenv("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    mp.setenv("VLLM_CPU_KVCACHE_SPACE", "1")
    from vllm import LLM

    llm = LLM(
        model=str(tiny_model_dir),
        dtype="float32",
        enforce_eager=True,
        max_model_len=2048,
        max_num_seqs=16,
        max_num_batched_tokens=512,
    )
    try:
        return llm.collective_rpc(_measure)[0]
    finally:
        del llm
        mp.undo()


def test_prefill_samples_are_the_batches_that_ran(measured: dict[str, Any]) -> None:
    rows = [r for r in measured["rows"] if r["phase"] == "prefill"]
    assert len(rows) == len(PREFILL)
    for (n, ctx), row in zip(PREFILL, rows, strict=True):
        # One request of n new tokens after ctx cached ones, as recorded ...
        assert (row["tokens"], row["reqs"], row["attn_work"]) == (n, 1, n * (ctx + n))
        # ... and that is what the runner executed (warm-up + repeats), context included.
        ran = [s for s in measured["executed"] if s == [(n, ctx)]]
        assert len(ran) == 1 + REPEATS
        assert row["latency_s"] > 0


def test_decode_samples_are_the_batches_that_ran(measured: dict[str, Any]) -> None:
    rows = [r for r in measured["rows"] if r["phase"] == "decode"]
    assert len(rows) == 2
    for (b, ctx), row in zip(DECODE, rows, strict=False):
        timed = [
            s
            for s in measured["executed"]
            if len(s) == b and all(n == 1 for n, _ in s) and s[0][1] > ctx
        ]
        # warm-up decode + repeats, each one token for each of b requests at context > ctx
        assert len(timed) == 1 + REPEATS
        for step in timed:
            assert len({c for _, c in step}) == 1  # the whole batch at the same context
        work = [sum(n * (c + n) for n, c in s) for s in timed[1:]]
        assert (row["tokens"], row["reqs"]) == (b, b)
        assert row["attn_work"] == round(sum(work) / len(work))
        assert row["attn_work"] >= b * (ctx + 2)  # never recorded as context 1


def test_unfit_points_are_skipped_not_approximated(measured: dict[str, Any]) -> None:
    assert measured["skipped"] == [
        {"phase": "decode", "n": 64, "context": 10, "reason": "64 requests > max_num_seqs 16"}
    ]
    assert not any(len(s) == 64 for s in measured["executed"])


def test_every_step_sampled_and_nothing_leaked(measured: dict[str, Any]) -> None:
    assert all(n > 0 for n in measured["sampled"])
    assert measured["requests_left"] == 0
    assert measured["free_blocks"] == measured["pool"]
