"""The simulator drives the real vLLM scheduler classes on a virtual clock (no model run)."""

from __future__ import annotations

import pytest

from vllm_nexus.bench.trace import CallSpec, ProgramSpec
from vllm_nexus.bench.workloads import WorkloadOptions, generate
from vllm_nexus.perf.hardware import HARDWARE
from vllm_nexus.perf.models import MODELS
from vllm_nexus.sim.engine import EngineSpec, Simulator, parse_scheduler

SMALL = WorkloadOptions(calls_scale=0.1, tokens_scale=0.5, max_context_tokens=2048)


def _spec(scheduler: str, **kw) -> EngineSpec:
    kw.setdefault("max_num_seqs", 16)
    kw.setdefault("max_num_batched_tokens", 2048)
    return EngineSpec(HARDWARE["a100"], MODELS["llama-3.1-8b"], scheduler=scheduler, **kw)


def _fingerprint(res) -> list[tuple]:
    return sorted(
        (c.program_id, c.call_id, c.send_s, c.first_token_s, c.finish_s, c.prompt_tokens)
        for c in res.calls
    )


@pytest.mark.parametrize(
    "scheduler", ["stock-fcfs", "stock-priority", "vllm_nexus", "vllm_nexus:mlfq", "srpt-oracle"]
)
def test_small_simulation_per_scheduler(scheduler: str) -> None:
    programs = generate("mixed", 9, seed=1, rate=4.0, options=SMALL)
    res = Simulator(_spec(scheduler), seed=1).run(programs)
    n_calls = sum(len(p.calls) for p in programs)
    assert res.unfinished == 0 and len(res.calls) == n_calls
    assert res.steps > 0 and res.virtual_s > 0 and 0 < res.busy_s <= res.virtual_s
    assert 0 < res.scheduler_cpu_s <= res.cpu_s
    records = res.program_records()
    assert all(p.ok for p in records)
    for p in records:
        spec = res.programs[p.program_id]
        for c in p.calls:
            assert c.output_tokens == spec.call(c.call_id).output_tokens
            assert c.send_s <= c.first_token_s <= c.end_s
            parents = [x for x in p.calls if x.call_id in c.after]
            # A call is sent only after its parents finished (plus its think time).
            assert all(x.end_s <= c.send_s + 1e-9 for x in parents)
        assert p.e2e_s > 0


def test_same_seed_same_result() -> None:
    programs = generate("mixed", 9, seed=3, rate=6.0, options=SMALL)
    a = Simulator(_spec("vllm_nexus"), seed=3).run(programs)
    b = Simulator(_spec("vllm_nexus"), seed=3).run(programs)
    assert _fingerprint(a) == _fingerprint(b)
    assert a.steps == b.steps and a.virtual_s == b.virtual_s


def test_context_reuse_hits_the_real_prefix_cache() -> None:
    prog = ProgramSpec(
        "p",
        0.0,
        (
            CallSpec("c0", 1000, 20),
            CallSpec("c1", 100, 20, after=("c0",), think_s=0.5, context_from="c0"),
        ),
    )
    res = Simulator(_spec("stock-fcfs"), seed=0).run([prog])
    calls = {c.call_id: c for c in res.calls}
    assert calls["c1"].prompt_tokens == 1000 + 20 + 100
    block = 16
    assert calls["c0"].cached_tokens == 0
    # Everything but the new tokens (rounded down to whole blocks) comes from the cache.
    assert calls["c1"].cached_tokens >= (1020 // block) * block - block
    assert calls["c1"].send_s == pytest.approx(calls["c0"].finish_s + 0.5)


def test_kv_pressure_moves_the_real_schedulers_preemption_counters() -> None:
    # 40 concurrent long calls, KV for ~2k tokens: vLLM must preempt (recompute).
    progs = [ProgramSpec(f"p{i}", 0.01 * i, (CallSpec("c0", 300, 200),)) for i in range(40)]
    for scheduler in ("stock-fcfs", "vllm_nexus"):
        sim = Simulator(_spec(scheduler, num_gpu_blocks=140, max_num_seqs=32), seed=0)
        res = sim.run(progs)
        assert res.unfinished == 0
        assert res.preemptions > 0
        assert sum(c.preemptions for c in res.calls) == res.preemptions
        assert sim.scheduler.kv_cache_manager.block_pool.get_num_free_blocks() > 0
        assert 0 < res.recomputed_tokens <= res.dropped_tokens
        # each call computes its prompt and all outputs but the last once, plus the recompute
        assert res.computed_tokens == len(progs) * (300 + 199) + res.recomputed_tokens
        if scheduler == "vllm_nexus":
            m = sim.scheduler.nexus_metrics
            assert m.preemptions_kv + m.preemptions_proactive > 0
            # the simulator's count agrees with the scheduler's own counters
            assert (res.recomputed_tokens, res.dropped_tokens) == (
                m.recomputed_tokens,
                m.preempted_tokens,
            )
    big = Simulator(_spec("stock-fcfs", max_num_seqs=32), seed=0).run(progs)
    assert big.preemptions == 0 and big.virtual_s < res.virtual_s


def test_program_aware_scheduler_helps_short_programs_behind_a_long_one() -> None:
    # A long program runs rounds of 8 parallel calls (fan-out, fan-in) filling the batch;
    # short programs arrive during its later rounds. FCFS queues them behind the long
    # program's calls; program-level service (ATLAS) puts them first.
    calls, prev = [], []
    for r in range(4):
        ids = [f"r{r}c{i}" for i in range(8)]
        calls += [CallSpec(cid, 200, 300, after=tuple(prev)) for cid in ids]
        prev = ids
    progs = [ProgramSpec("long", 0.0, tuple(calls), "long")]
    progs += [
        ProgramSpec(f"s{i}", 6.0 + 0.5 * i, (CallSpec("c0", 200, 20),), "short") for i in range(8)
    ]

    def short_latency(scheduler: str) -> float:
        res = Simulator(_spec(scheduler, max_num_seqs=8), seed=0).run(progs)
        recs = [p for p in res.program_records() if p.kind == "short"]
        return sum(p.e2e_s for p in recs) / len(recs)

    fcfs, nexus = short_latency("stock-fcfs"), short_latency("vllm_nexus")
    assert nexus < 0.5 * fcfs


def test_scheduler_names_are_validated() -> None:
    assert parse_scheduler("vllm_nexus:plas") == ("vllm_nexus", "plas")
    assert parse_scheduler("stock-fcfs") == ("stock-fcfs", None)
    with pytest.raises(ValueError, match="unknown scheduler"):
        parse_scheduler("round-robin")
    with pytest.raises(ValueError, match="unknown vllm_nexus policy"):
        parse_scheduler("vllm_nexus:srpt")


def test_frontend_fifo_caps_the_chunk_rate_and_merges_tokens_behind_it() -> None:
    progs = [ProgramSpec(f"p{i}", 0.0, (CallSpec("c0", 64, 50),)) for i in range(4)]
    fast = Simulator(_spec("stock-fcfs"), seed=0).run(progs)

    def run(front_tok: float):
        hw = HARDWARE["a100"].with_updates(frontend_token_s=front_tok)
        spec = EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=16, max_num_batched_tokens=2048)
        return Simulator(spec).run(progs)

    end_fast = max(c.finish_s for c in fast.calls)
    assert end_fast < 1.0
    # a frontend far faster than the engine: every token is its own chunk, nothing waits
    quick = run(1e-5)
    assert max(c.finish_s for c in quick.calls) == pytest.approx(end_fast, abs=1e-3)
    # 10 ms per chunk, 4 streams, ~7 ms steps: the frontend falls behind, so a stream's tokens
    # merge into its queued chunk (vLLM's RequestOutputCollector) instead of queueing 200
    # chunks (2 s of frontend work): the last token leaves shortly after the engine's
    slow = run(0.01)
    end_slow = max(c.finish_s for c in slow.calls)
    assert end_fast < end_slow < end_fast + 0.1
    assert all(c.first_token_s <= c.finish_s for c in slow.calls)


def test_tokens_merge_only_into_a_chunk_the_frontend_has_not_started() -> None:
    # one stream, a frontend that takes 1 s per chunk: the first token's chunk starts at
    # once; the second token (one step later) starts a chunk after it, and every later
    # token arrives before that chunk starts and leaves with it
    progs = [ProgramSpec("p", 0.0, (CallSpec("c0", 64, 10),))]
    hw = HARDWARE["a100"].with_updates(frontend_token_s=1.0)
    (call,) = Simulator(EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=16)).run(progs).calls
    assert call.finish_s - call.first_token_s == pytest.approx(1.0)


def test_frontend_beside_a_busy_engine_runs_slower_and_slows_the_engine() -> None:
    # "a" keeps the engine busy; "b" is sent meanwhile, "c" after everything is done
    progs = [
        ProgramSpec("a", 0.0, (CallSpec("c0", 64, 400),)),
        ProgramSpec("b", 0.05, (CallSpec("c0", 64, 4),)),
        ProgramSpec("c", 60.0, (CallSpec("c0", 64, 4),)),
    ]
    base = HARDWARE["a100"].with_updates(request_overhead_s=0.01, frontend_token_s=1e-3)

    def run(**kw):
        spec = EngineSpec(base.with_updates(**kw), MODELS["llama-3.1-8b"], max_num_seqs=16)
        return {c.program_id: c for c in Simulator(spec).run(progs).calls}

    plain, slow_front = run(), run(frontend_busy_speed=0.5)
    # a call ingested while the engine is busy takes 1 / speed as long; an idle engine: as is
    assert plain["a"].arrival_s - plain["a"].send_s == pytest.approx(0.01)
    assert slow_front["a"].arrival_s - slow_front["a"].send_s == pytest.approx(0.01)
    assert slow_front["c"].arrival_s - slow_front["c"].send_s == pytest.approx(0.01)
    assert slow_front["b"].arrival_s - slow_front["b"].send_s >= 0.02 - 1e-9
    # 400 streamed tokens at 1 ms of frontend CPU each, at half speed: >= 0.8 s
    assert slow_front["a"].finish_s >= 0.8 and plain["a"].finish_s < slow_front["a"].finish_s
    # steps stretch only while the frontend has work: between 1x and 2x overall
    stretched = run(frontend_engine_stretch=2.0)
    engine_a = plain["a"].finish_s - plain["a"].arrival_s
    assert engine_a < stretched["a"].finish_s - stretched["a"].arrival_s <= 2 * engine_a + 1e-9
    # a wait per step while the frontend has work: at most 400 decode steps + the prefill
    delayed = run(frontend_step_delay_s=0.01)
    delayed_a = delayed["a"].finish_s - delayed["a"].arrival_s
    assert engine_a + 0.01 < delayed_a <= engine_a + 0.01 * 401 + 1e-9


def test_frontend_step_delay_has_a_fixed_part_and_a_part_per_stream() -> None:
    # 4 streams of 50 tokens, sent together: every decode step streams 4 tokens
    progs = [ProgramSpec(f"p{i}", 0.0, (CallSpec("c0", 64, 50),)) for i in range(4)]

    def run(**kw):
        hw = HARDWARE["a100"].with_updates(**kw)
        return Simulator(EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=16)).run(progs)

    # not streamed (no frontend cost per token): no delay, whatever the profile says
    assert run(frontend_step_delay_s=0.01, frontend_stream_delay_s=0.001).busy_s == (
        pytest.approx(run().busy_s)
    )
    plain = run(frontend_token_s=1e-6)
    fixed = run(frontend_token_s=1e-6, frontend_step_delay_s=0.01)
    per_stream = run(frontend_token_s=1e-6, frontend_stream_delay_s=0.001)
    both = run(frontend_token_s=1e-6, frontend_step_delay_s=0.01, frontend_stream_delay_s=0.001)
    assert plain.steps == fixed.steps == per_stream.steps == both.steps
    # 50 steps stream (the prefill step samples each stream's first token, then 49 decodes),
    # each with 4 streams: 10 ms each, and 4 x 1 ms each
    assert fixed.busy_s - plain.busy_s == pytest.approx(50 * 0.01)
    assert per_stream.busy_s - plain.busy_s == pytest.approx(50 * 4 * 0.001)
    assert both.busy_s - plain.busy_s == pytest.approx(50 * (0.01 + 4 * 0.001))


def _extra_busy(n: int, max_num_seqs: int = 16, **kw) -> float:
    """Busy seconds that profile changes ``kw`` add to ``n`` streamed 20-token calls sent
    together (A100 preset, a frontend that streams)."""
    progs = [ProgramSpec(f"p{i}", 0.0, (CallSpec("c0", 64, 20),)) for i in range(n)]
    base = HARDWARE["a100"].with_updates(frontend_token_s=1e-6)
    spec = lambda hw: EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=max_num_seqs)  # noqa: E731
    plain = Simulator(spec(base)).run(progs)
    return Simulator(spec(base.with_updates(**kw))).run(progs).busy_s - plain.busy_s


def test_frontend_step_delay_scales_with_the_streams_of_the_step() -> None:
    # one stream vs eight: the per-stream part grows eightfold, the fixed part does not
    extra = _extra_busy
    assert extra(8, frontend_stream_delay_s=1e-3) == pytest.approx(
        8 * extra(1, frontend_stream_delay_s=1e-3)
    )
    assert extra(8, frontend_step_delay_s=1e-3) == pytest.approx(
        extra(1, frontend_step_delay_s=1e-3)
    )


def test_prefill_steps_stretch_beside_a_streaming_frontend() -> None:
    # frontend_prefill_stretch: a step with a prefill chunk takes that multiple of the model
    # when the frontend streams; decode steps and unstreamed runs are untouched
    progs = [ProgramSpec(f"p{i}", 0.0, (CallSpec("c0", 512, 20),)) for i in range(2)]

    def run(**kw):
        hw = HARDWARE["a100"].with_updates(**kw)
        sim = Simulator(EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=4))
        return sim, sim.run(progs)

    sim, plain = run(frontend_token_s=1e-6)
    _, stretched = run(frontend_token_s=1e-6, frontend_prefill_stretch=1.5)
    assert stretched.steps == plain.steps
    prefill = sim.latency.step_time(*sim.latency.aggregate([(512, 0), (512, 0)]), 0, 0.0)
    assert stretched.busy_s - plain.busy_s == pytest.approx(0.5 * prefill, rel=1e-6)
    _, quiet = run(frontend_prefill_stretch=1.5)  # not streamed: no stretch
    assert quiet.busy_s == pytest.approx(run()[1].busy_s)


def test_a_batch_size_new_to_the_server_pays_its_cost_once() -> None:
    # new_shape_s: a step whose scheduled tokens the simulated server has not run before
    progs = [ProgramSpec("a", 0.0, (CallSpec("c0", 64, 30),)),
             ProgramSpec("b", 5.0, (CallSpec("c0", 64, 30),))]  # fmt: skip

    def run(**kw):
        hw = HARDWARE["a100"].with_updates(**kw)
        return Simulator(EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=4)).run(progs)

    plain, warm = run(), run(new_shape_s=0.5)
    assert warm.steps == plain.steps
    # sizes run: 64 (a's prefill) and 1 (its decodes); b repeats both: two new sizes in all
    assert warm.busy_s - plain.busy_s == pytest.approx(2 * 0.5)


def test_per_stream_delay_stops_growing_past_the_knee() -> None:
    # frontend_stream_delay_cap: a step pays the per-stream part for at most that many streams
    def extra(n: int, **kw) -> float:
        return _extra_busy(n, max_num_seqs=32, **kw)

    d = {"frontend_stream_delay_s": 1e-3}
    one = extra(1, **d)
    assert extra(4, frontend_stream_delay_cap=8, **d) == pytest.approx(4 * one)  # below it
    assert extra(24, frontend_stream_delay_cap=8, **d) == pytest.approx(8 * one)  # capped
    assert extra(24, **d) == pytest.approx(24 * one)  # 0: no cap


def test_per_stream_delay_can_be_paid_per_call_in_the_engine_with_a_cap() -> None:
    # frontend_delay_calls_cap > 0 (opt-in): the per-stream part counts the calls in the
    # engine, waiting ones too, at most the cap and at least the step's streams
    def run(n: int, seqs: int, **kw):
        progs = [ProgramSpec(f"p{i}", 0.0, (CallSpec("c0", 64, 20),)) for i in range(n)]
        hw = HARDWARE["a100"].with_updates(frontend_token_s=1e-6, **kw)
        return Simulator(EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=seqs)).run(progs)

    d = {"frontend_stream_delay_s": 1e-3}
    # nothing waits (every call runs): the same as paying per stream
    assert run(4, 16, frontend_delay_calls_cap=32, **d).busy_s == pytest.approx(
        run(4, 16, **d).busy_s
    )
    # six calls, two run at a time: a cap at or below the streams changes nothing; a cap of
    # 32 pays for the waiting calls too, at most 6 / 2 = 3x the per-stream part
    plain, per_stream = run(6, 2), run(6, 2, **d)
    assert run(6, 2, frontend_delay_calls_cap=1, **d).busy_s == pytest.approx(per_stream.busy_s)
    per_call = run(6, 2, frontend_delay_calls_cap=32, **d)
    assert per_call.steps == per_stream.steps
    base = per_stream.busy_s - plain.busy_s
    assert base < per_call.busy_s - plain.busy_s <= 3 * base + 1e-9
    capped = run(6, 2, frontend_delay_calls_cap=4, **d)
    assert per_stream.busy_s < capped.busy_s < per_call.busy_s


def test_a_call_reaching_the_busy_engine_delays_its_next_step() -> None:
    # "a" streams alone; "b" and "c" reach the engine while it is busy with "a", "d" after
    # everything is done (an idle engine: nothing waits for its arrival)
    progs = [
        ProgramSpec("a", 0.0, (CallSpec("c0", 64, 200),)),
        ProgramSpec("b", 0.05, (CallSpec("c0", 64, 4),)),
        ProgramSpec("c", 0.1, (CallSpec("c0", 64, 4),)),
        ProgramSpec("d", 60.0, (CallSpec("c0", 64, 4),)),
    ]

    def run(**kw):
        hw = HARDWARE["a100"].with_updates(frontend_token_s=1e-6, **kw)
        return Simulator(EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=16)).run(progs)

    plain, delayed = run(), run(frontend_call_delay_s=0.01)
    assert delayed.steps == plain.steps
    # two calls received while busy: 10 ms each, once
    assert delayed.busy_s - plain.busy_s == pytest.approx(0.02)
    # not streamed: no frontend delays at all
    hw = HARDWARE["a100"].with_updates(frontend_call_delay_s=0.01)
    quiet = Simulator(EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=16)).run(progs)
    assert quiet.busy_s == pytest.approx(
        Simulator(EngineSpec(HARDWARE["a100"], MODELS["llama-3.1-8b"], max_num_seqs=16))
        .run(progs)
        .busy_s
    )


def test_without_program_ids_the_scheduler_infers_programs_from_lineage() -> None:
    programs = generate("mixed", 9, seed=1, rate=4.0, options=SMALL)
    sim = Simulator(_spec("vllm_nexus", program_ids=False), seed=1)
    res = sim.run(programs)
    assert res.unfinished == 0
    counts = sim.scheduler.assigner.counts
    fresh = sum(1 for p in programs for c in p.calls if c.context_from is None)
    assert counts["explicit"] == 0 and counts["solo"] == fresh
    assert counts["inferred"] == sum(len(p.calls) for p in programs) - fresh


def test_time_outside_the_engine_grows_with_the_prompt_and_queues_in_the_frontend() -> None:
    hw = HARDWARE["a100"].with_updates(request_overhead_s=0.01, request_token_overhead_s=1e-4)
    progs = [
        ProgramSpec("short", 0.0, (CallSpec("c0", 100, 4),)),
        ProgramSpec("long", 5.0, (CallSpec("c0", 3000, 4), CallSpec(
            "c1", 100, 4, after=("c0",), context_from="c0"))),
        ProgramSpec("burst-a", 10.0, (CallSpec("c0", 100, 4),)),
        ProgramSpec("burst-b", 10.0, (CallSpec("c0", 100, 4),)),
    ]  # fmt: skip
    spec = EngineSpec(hw, MODELS["llama-3.1-8b"], max_num_seqs=16, max_num_batched_tokens=4096)
    calls = {(c.program_id, c.call_id): c for c in Simulator(spec).run(progs).calls}
    outside = {k: c.arrival_s - c.send_s for k, c in calls.items()}
    assert outside[("short", "c0")] == pytest.approx(0.01 + 100e-4)
    assert outside[("long", "c0")] == pytest.approx(0.01 + 3000e-4)
    assert outside[("long", "c1")] == pytest.approx(0.01 + (3000 + 4 + 100) * 1e-4)  # full prompt
    # two calls sent at once: the frontend serves the second after the first
    assert outside[("burst-a", "c0")] == pytest.approx(0.02)
    # (added to the scheduler at the first step boundary after that)
    assert outside[("burst-b", "c0")] == pytest.approx(0.04, abs=2e-3)


def test_only_the_queued_share_of_ingress_makes_calls_sent_together_wait() -> None:
    # a lone call, then a fan-out of four calls sent at once
    progs = [ProgramSpec("lone", 0.0, (CallSpec("c0", 100, 4),))] + [
        ProgramSpec(f"fan{i}", 10.0, (CallSpec("c0", 100, 4),)) for i in range(4)
    ]
    base = HARDWARE["a100"].with_updates(request_overhead_s=0.01, request_token_overhead_s=1e-4)

    def arrivals(**kw):
        spec = EngineSpec(base.with_updates(**kw), MODELS["llama-3.1-8b"], max_num_seqs=16)
        res = Simulator(spec).run(progs)
        assert res.unfinished == 0
        return {c.program_id: c.arrival_s - c.send_s for c in res.calls}

    whole = arrivals()  # 0: the whole ingress (0.02 s) occupies the FIFO, calls queue behind it
    part = arrivals(frontend_ingress_queued_s=0.002)
    # a lone call takes the same time outside the engine either way
    assert part["lone"] == pytest.approx(whole["lone"]) == pytest.approx(0.02)
    fan_whole = sorted(whole[f"fan{i}"] for i in range(4))
    fan_part = sorted(part[f"fan{i}"] for i in range(4))
    # the whole ingress queued: ~0.02 s apart; only the queued share: ~0.002 s apart (the
    # engine adds them at its next step boundary, which rounds the later ones up)
    assert fan_whole[-1] - fan_whole[0] > 0.05
    assert fan_part[0] == pytest.approx(0.02)
    assert fan_part[-1] - fan_part[0] < 0.02
    # a share above the whole ingress queues the whole ingress: as 0
    assert arrivals(frontend_ingress_queued_s=1.0) == pytest.approx(whole)


def test_each_request_resumed_after_preemption_costs_its_step_the_profiles_delay() -> None:
    # 40 long calls sent at once, KV for ~2k tokens: stock vLLM preempts and resumes; with
    # every call there from the start its decisions do not depend on the step times
    progs = [ProgramSpec(f"p{i}", 0.0, (CallSpec("c0", 300, 200),)) for i in range(40)]

    def run(**kw):
        spec = EngineSpec(
            HARDWARE["a100"].with_updates(**kw),
            MODELS["llama-3.1-8b"],
            num_gpu_blocks=140,
            max_num_seqs=32,
        )
        res = Simulator(spec, seed=0).run(progs)
        assert res.unfinished == 0
        return res

    plain, slow = run(), run(resumed_call_delay_s=0.003)
    assert plain.preemptions > 0
    assert (slow.preemptions, slow.steps) == (plain.preemptions, plain.steps)
    # every preempted call finished, so each preemption was followed by one resume
    assert slow.busy_s == pytest.approx(plain.busy_s + 0.003 * plain.preemptions)


def test_replayed_send_times_send_each_call_then_or_when_released() -> None:
    # p: c0, then c1 after it (think 0.1 s); q: one call
    progs = [
        ProgramSpec("p", 0.0, (CallSpec("c0", 100, 20), CallSpec(
            "c1", 100, 4, after=("c0",), think_s=0.1, context_from="c0"))),
        ProgramSpec("q", 0.0, (CallSpec("c0", 100, 4),)),
    ]  # fmt: skip
    spec = EngineSpec(HARDWARE["a100"], MODELS["llama-3.1-8b"], max_num_seqs=16)
    # p/c0 and q/c0 as recorded; p/c1 "recorded" before p/c0 could have finished
    send_at = {("p", "c0"): 0.5, ("p", "c1"): 0.5001, ("q", "c0"): 2.0}
    res = Simulator(spec).run(progs, send_at=send_at)
    calls = {(c.program_id, c.call_id): c for c in res.calls}
    assert calls[("p", "c0")].send_s == 0.5
    assert calls[("q", "c0")].send_s == 2.0
    # released late: parent's end + think time, as in the closed loop, and counted
    p0 = calls[("p", "c0")]
    assert calls[("p", "c1")].send_s == pytest.approx(p0.finish_s + 0.1)
    assert res.late_sends == 1
    # q's call, sent after p has finished, runs on an empty engine
    assert 2.0 < calls[("q", "c0")].first_token_s < calls[("q", "c0")].finish_s


def test_send_and_return_latencies_delay_calls_but_occupy_neither_frontend_nor_engine() -> None:
    # p: a call, then after 1 s of think time a call continuing it; q: two calls sent at once
    progs = [
        ProgramSpec("p", 0.0, (CallSpec("c0", 100, 4), CallSpec(
            "c1", 100, 4, after=("c0",), think_s=1.0, context_from="c0"))),
        ProgramSpec("q", 10.0, (CallSpec("c0", 100, 4),)),
        ProgramSpec("r", 10.0, (CallSpec("c0", 100, 4),)),
    ]  # fmt: skip
    base = HARDWARE["a100"].with_updates(request_overhead_s=0.01)

    def run(**kw):
        spec = EngineSpec(base.with_updates(**kw), MODELS["llama-3.1-8b"], max_num_seqs=16)
        res = Simulator(spec).run(progs)
        return res, {(c.program_id, c.call_id): c for c in res.calls}

    plain_res, plain = run()
    res, lat = run(call_send_latency_s=0.02, call_return_latency_s=0.03)
    p0, p1 = lat[("p", "c0")], lat[("p", "c1")]
    # a call reaches the scheduler the send latency + the FIFO's work after it was sent
    assert p0.send_s == 0.0
    assert p0.arrival_s == pytest.approx(0.02 + 0.01, abs=1e-3)
    # the engine's time is unchanged; the client sees the end the return latency later
    assert p0.finish_s - p0.arrival_s == pytest.approx(
        plain[("p", "c0")].finish_s - plain[("p", "c0")].arrival_s + 0.03, abs=1e-3
    )
    assert p0.first_token_s > p0.arrival_s + 0.03
    # the dependant is sent think time after the client saw its parent end
    assert p1.send_s == pytest.approx(p0.finish_s + 1.0)
    # two calls at once: the latency does not queue (the FIFO work does, once each)
    gap = lat[("r", "c0")].arrival_s - lat[("q", "c0")].arrival_s
    plain_gap = plain[("r", "c0")].arrival_s - plain[("q", "c0")].arrival_s
    assert gap == pytest.approx(plain_gap, abs=1e-3)
    # the engine does the same work
    assert res.steps == plain_res.steps and res.busy_s == pytest.approx(plain_res.busy_s)


def test_host_kv_tier_keeps_a_programs_context_across_its_tool_call() -> None:
    # p's second call continues its first after a 5 s tool call; meanwhile 30 other calls
    # pass through a KV cache of 140 blocks and evict p's context from the GPU prefix cache
    p = ProgramSpec("p", 0.0, (CallSpec("c0", 1000, 20), CallSpec(
        "c1", 50, 20, after=("c0",), think_s=5.0, context_from="c0")))  # fmt: skip
    others = [ProgramSpec(f"o{i}", 1.0 + 0.1 * i, (CallSpec("c0", 600, 100),)) for i in range(30)]

    def run(**kw):
        spec = _spec("stock-fcfs", num_gpu_blocks=140, max_num_seqs=8, **kw)
        res = Simulator(spec, seed=0).run([p, *others])
        return res, {(c.program_id, c.call_id): c for c in res.calls}[("p", "c1")]

    plain, c1 = run()
    assert c1.cached_tokens < 100  # evicted: the context is computed again
    kept, c1_kept = run(host_kv_tokens=100_000)
    assert c1_kept.cached_tokens >= 1000  # loaded from the host tier instead
    assert kept.host_loaded_tokens >= 1000
    assert kept.computed_tokens <= plain.computed_tokens - 900
    with pytest.raises(ValueError, match="needs prefix caching"):
        _spec("stock-fcfs", host_kv_tokens=10, enable_prefix_caching=False)


@pytest.mark.parametrize(
    ("hardware", "section", "profile", "levels"),
    [
        ("a100", None, "gpu", 10),
        ("h100", {"scheduler": {"num_queues": 7}}, "gpu", 7),
        ("a100", {"scheduler": {"profile": "cpu"}}, "cpu", 7),
        ("cpu-here", None, "cpu", 7),
    ],
)
def test_simulator_resolves_profile_auto_for_the_simulated_device(
    hardware, section, profile, levels
) -> None:
    """The scheduler runs on this machine's vLLM (CPU); the simulator resolves
    ``scheduler.profile: auto`` as the engine would on the simulated device."""
    from vllm_nexus.perf.hardware import get_hardware

    hw = get_hardware(hardware)
    assert hw.platform == ("cpu" if hardware == "cpu-here" else "cuda")
    model = MODELS["tiny" if hardware == "cpu-here" else "llama-3.1-8b"]
    extra = {"vllm_nexus": section} if section else None
    sim = Simulator(EngineSpec(hw, model, scheduler="vllm_nexus", additional_config=extra))
    cfg = sim.scheduler.nexus_cfg.scheduler
    assert cfg.profile == profile and sim.scheduler.mlq.num_levels == levels


def test_simulated_clients_send_size_hints_when_asked() -> None:
    programs = generate("coding-agent", 6, seed=2, rate=2.0, options=SMALL)
    plain = Simulator(_spec("vllm_nexus"), seed=2)
    plain.run(programs)
    assert plain.scheduler.mlq.hinted_calls == 0
    sim = Simulator(_spec("vllm_nexus", size_hint_sigma=0.0), seed=2)
    seen = []
    add = sim.scheduler.add_request

    def spy(request):
        seen.append(request.sampling_params.extra_args["program_size_hint"])
        add(request)

    sim.scheduler.add_request = spy
    res = sim.run(programs)
    assert res.unfinished == 0
    calls = {p.program_id: len(p.calls) for p in programs}
    assert sorted(set(seen)) == sorted({float(n) for n in calls.values()})  # sigma 0: exact
    assert sim.scheduler.mlq.hinted_programs == len(programs)
    assert sim.scheduler.mlq.hinted_calls == sum(calls.values())
    assert sim.scheduler.mlq.hint_overruns == 0
