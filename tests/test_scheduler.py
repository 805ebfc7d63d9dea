"""vllm_nexus.Scheduler around vLLM's real scheduler, driven with synthetic model outputs."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sched_harness import (
    FakeClock,
    finished_ids,
    make_request,
    make_scheduler,
    output_for,
    run_until_idle,
    sampling_ids,
    step,
)
from vllm.v1.request import RequestStatus

from vllm_nexus.config import ConfigError

SMALL = {
    "scheduler": {
        "policy": "plas",
        "first_boundary": 16,
        "first_quantum": 16,
        "starvation_beta": 0,
    }
}


def free_blocks(s) -> int:
    return s.kv_cache_manager.block_pool.get_num_free_blocks()


def serve_program(s, clock, pid, tokens, rid=None):
    """Run one call of ``pid`` to completion so the program accumulates service."""
    s.add_request(make_request(rid or f"{pid}-warm", program_id=pid, max_tokens=tokens))
    run_until_idle(s, clock)


def demoted_long_call():
    """A scheduler whose one call "long" (program A) has run far past the first quanta."""
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=1, clock=clock)
    s.add_request(make_request("long", program_id="A", prompt_len=64, max_tokens=200))
    for _ in range(40):
        step(s, clock)
    return s, clock


@pytest.mark.parametrize("policy,first", [("atlas", "b1"), ("plas", "b1"), ("fcfs", "a2")])
def test_short_program_overtakes_long_program(policy, first):
    clock = FakeClock()
    s = make_scheduler(
        nexus={"scheduler": {**SMALL["scheduler"], "policy": policy}}, max_num_seqs=1, clock=clock
    )
    serve_program(s, clock, "A", 100)  # program A has attained a lot of service
    s.add_request(make_request("a2", program_id="A", max_tokens=4))
    clock.advance(0.01)
    s.add_request(make_request("b1", program_id="B", max_tokens=4))
    order = run_until_idle(s, clock)
    assert order[0] == first


def test_session_id_identifies_the_program():
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=1, clock=clock)
    s.add_request(make_request("x1", session_id="sess-1", max_tokens=60))
    run_until_idle(s, clock)
    prog = s.mlq.programs.get("sess-1")
    assert prog is not None and prog.service > 16
    assert s.mlq.add("probe", "sess-1", clock()).level > 0


def test_proactive_preemption_reports_victim_and_reuses_prefix_cache():
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=1, clock=clock)
    s.add_request(make_request("long", program_id="A", prompt_len=64, max_tokens=200))
    for _ in range(40):  # prefill + decodes: far past the first quanta -> demoted
        step(s, clock)
    call = s.mlq.calls["long"]
    assert call.level >= 2 and call.running
    s.add_request(make_request("short", program_id="B", max_tokens=3))
    out, _ = step(s, clock)
    assert "long" in out.preempted_req_ids
    assert "short" in out.num_scheduled_tokens and "long" not in out.num_scheduled_tokens
    assert s.requests["long"].status == RequestStatus.PREEMPTED
    assert s.nexus_metrics.preemptions_proactive == 1 and call.preemptions == 1
    order = run_until_idle(s, clock)
    assert order == ["short", "long"]


def test_preempted_call_resumes_from_prefix_cache():
    s, clock = demoted_long_call()
    s.add_request(make_request("short", program_id="B", max_tokens=2))
    while "short" in s.requests:
        step(s, clock)
    # next step resumes "long": most of its 64 + 39 tokens come from the prefix cache
    out, _ = step(s, clock)
    req = s.requests["long"]
    assert "long" in out.num_scheduled_tokens
    assert out.num_scheduled_tokens["long"] < req.num_tokens - 64


def test_recompute_after_preemption_is_counted_exactly():
    """Dropped KV = computed tokens at preemption; recomputed = dropped - prefix-cache hit."""
    s, clock = demoted_long_call()
    frontier = s.requests["long"].num_computed_tokens
    s.add_request(make_request("short", program_id="B", max_tokens=2))
    step(s, clock)
    m = s.nexus_metrics
    assert m.preemptions_proactive == 1 and m.preempted_tokens == frontier
    assert m.recomputed_tokens == 0
    while "short" in s.requests:
        step(s, clock)
    out, _ = step(s, clock)  # resumes "long" from the prefix cache
    n = out.num_scheduled_tokens["long"]
    cached = s.requests["long"].num_computed_tokens - n
    assert 0 < cached < frontier and cached % 16 == 0  # whole blocks only
    assert m.recomputed_tokens == frontier - cached
    run_until_idle(s, clock)
    assert m.recomputed_tokens == frontier - cached  # decoding new tokens is not recompute
    assert s._dropped_kv == {} and s._recomputing == set()


def test_remove_running_finds_the_request_by_its_key_even_after_a_demotion():
    """``running`` is kept in (tier, level, admission) order; removal bisects at the key the
    request was placed with (a demoted call's level has already moved) and checks identity,
    falling back to a scan: the list left is the one ``list.remove`` leaves."""
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=8, clock=clock)
    for i in range(6):
        s.add_request(make_request(f"r{i}", program_id=f"P{i}", max_tokens=50))
    step(s, clock)
    assert len(s.running) == 6
    key = s._running_key
    assert [key(r) for r in s.running] == sorted(key(r) for r in s.running)
    for victim, bump in (("r3", 0), ("r1", 2), ("r5", 1)):
        request = s.requests[victim]
        s.mlq.calls[victim].level += bump  # as a demotion leaves it before the move
        expected = [r for r in s.running if r is not request]
        s._remove_running(request)
        assert s.running == expected
        s._insert_running([request])
    unknown = s.requests["r0"]
    unknown._nexus_running_key = (1, 0, 0)  # not the key it was placed with: the scan finds it
    expected = [r for r in s.running if r is not unknown]
    s._remove_running(unknown)
    assert s.running == expected
    with pytest.raises(ValueError):
        s._remove_running(unknown)
    placed_by_vllm = s.requests["r2"]  # no carried key (placed by vLLM, not by us)
    del placed_by_vllm._nexus_running_key
    expected = [r for r in s.running if r is not placed_by_vllm]
    s._remove_running(placed_by_vllm)
    assert s.running == expected


def test_insert_and_remove_running_beside_a_request_without_a_carried_key():
    """The bisections read the carried keys in C; a request in ``running`` that carries none
    (placed by vLLM before our ``__init__`` finished, a test) makes them fall back to its
    current key, with the same result."""
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=8, clock=clock)
    for i in range(5):
        s.add_request(make_request(f"r{i}", program_id=f"P{i}", max_tokens=50))
    step(s, clock)
    key = s._running_key
    bare = s.requests["r2"]
    del bare._nexus_running_key
    moved = s.requests["r4"]
    s._remove_running(moved)  # bisects past `bare`: the fallback, found by its key
    assert moved not in s.running and len(s.running) == 4
    s.mlq.calls["r4"].level += 1
    s._insert_running([moved])
    assert s.running[-1] is moved
    assert [key(r) for r in s.running] == sorted(key(r) for r in s.running)


def test_two_calls_demoted_in_one_step_keep_running_sorted():
    """Regression (a hash-seed-dependent failure of the lazy-vs-loop lockstep test): when two
    running calls are demoted in one charge, both keys change before either moves; moving
    them one at a time inserted the first into a list the second still left unsorted."""
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=8, clock=clock)
    for i in range(4):
        s.add_request(make_request(f"r{i}", program_id=f"P{i}", max_tokens=50))
    step(s, clock)
    calls, key = s.mlq.calls, s._running_key
    # running: a (0, 0, 3), b (0, 0, 4), c (0, 1, 1), d (0, 1, 2)
    for rid, level, admitted in (("r0", 0, 3), ("r1", 0, 4), ("r2", 1, 1), ("r3", 1, 2)):
        calls[rid].level, calls[rid].admitted = level, admitted
    placed = list(s.running)
    s.running.clear()
    s._insert_running(placed)  # each request carries the key it is placed with
    assert [r.request_id for r in s.running] == ["r0", "r1", "r2", "r3"]
    calls["r1"].level, calls["r2"].level = 1, 2  # demoted together, b first
    s._move_demoted([calls["r1"], calls["r2"]])
    assert [r.request_id for r in s.running] == ["r0", "r3", "r1", "r2"]
    assert [key(r) for r in s.running] == sorted(key(r) for r in s.running)


def test_recompute_bookkeeping_is_dropped_when_a_preempted_call_aborts():
    s, clock = demoted_long_call()
    s.add_request(make_request("short", program_id="B", max_tokens=2))
    step(s, clock)
    assert "long" in s._dropped_kv
    s.finish_requests("long", RequestStatus.FINISHED_ABORTED)
    run_until_idle(s, clock)
    assert s._dropped_kv == {} and s.nexus_metrics.recomputed_tokens == 0
    assert s._recomputing == set()


def test_no_preemption_within_the_same_level_or_when_disabled():
    for cfg in (
        {"scheduler": {**SMALL["scheduler"], "preemption": False}},
        {"scheduler": {**SMALL["scheduler"], "first_quantum": 1e9}},
    ):
        clock = FakeClock()
        s = make_scheduler(nexus=cfg, max_num_seqs=1, clock=clock)
        s.add_request(make_request("long", program_id="A", max_tokens=100))
        for _ in range(30):
            step(s, clock)
        s.add_request(make_request("short", program_id="B", max_tokens=2))
        out, _ = step(s, clock)
        assert not out.preempted_req_ids
        assert run_until_idle(s, clock) == ["long", "short"]


def kv_bound(cost_factor):
    """20 usable blocks of 16 tokens; "long" (up to 220 tokens) holds 10 after 60 steps."""
    clock = FakeClock()
    cfg = {"scheduler": {**SMALL["scheduler"], "preemption_cost_factor": cost_factor}}
    s = make_scheduler(nexus=cfg, max_num_seqs=4, num_blocks=21, clock=clock)
    s.add_request(make_request("long", program_id="A", prompt_len=100, max_tokens=120))
    for _ in range(60):
        step(s, clock)
    assert s.mlq.calls["long"].level >= 2
    s.add_request(make_request("big", program_id="B", prompt_len=200, max_tokens=4))
    return s, clock


def test_kv_pressure_preempts_worse_level_call_when_cost_is_ignored():
    s, clock = kv_bound(cost_factor=0)  # Autellix Alg. 1: any worse level is displaced
    out, _ = step(s, clock)
    assert "long" in out.preempted_req_ids and "big" in out.num_scheduled_tokens
    assert s.nexus_metrics.preemptions_proactive == 1
    order = run_until_idle(s, clock)
    assert order[0] == "big" and set(order) == {"big", "long"}


def test_kv_preemption_weighs_what_the_victim_would_recompute():
    """ "long" would recompute its ~160 tokens (~40 service units) for a priority gap of its
    level's floor (32 units at level 2): not worth it, "big" waits for the blocks. Once
    "long" is demoted to level 3 (floor 64) the gap outweighs the cost and it yields."""
    s, clock = kv_bound(cost_factor=1.0)
    steps = 0
    while s.mlq.calls["long"].level == 2:
        out, _ = step(s, clock)
        assert not out.preempted_req_ids and "long" in out.num_scheduled_tokens
        steps += 1
    assert steps > 0 and s.mlq.calls["long"].level == 3
    out, _ = step(s, clock)
    assert "long" in out.preempted_req_ids and s.nexus_metrics.preemptions_proactive == 1


def test_aborts_free_kv_and_charge_their_programs():
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=2, clock=clock)
    initial = free_blocks(s)
    for i in range(5):
        s.add_request(make_request(f"r{i}", program_id=f"P{i % 2}", prompt_len=40, max_tokens=50))
    for _ in range(10):
        step(s, clock)
    assert any(r.status == RequestStatus.RUNNING for r in s.requests.values())
    served = {f"P{i}": 0.0 for i in range(2)}
    for i in range(5):
        served[f"P{i % 2}"] += s.call_service(f"r{i}")
    s.finish_requests([f"r{i}" for i in range(5)], RequestStatus.FINISHED_ABORTED)
    step(s, clock)
    assert s.mlq.calls == {} and s.mlq.programs.active_programs == 0
    # the aborted calls' service stays charged to their programs (abort-and-resend buys
    # nothing); the programs are idle and leave with their TTL
    assert sum(served.values()) > 0
    for pid, service in served.items():
        assert s.mlq.programs.get(pid).service == pytest.approx(service)
    assert not s.requests and not s.running and not s.waiting
    assert free_blocks(s) == initial
    assert s.nexus_metrics.calls_aborted == 5


def test_completed_programs_stay_until_ttl_and_blocks_return():
    clock = FakeClock()
    s = make_scheduler(nexus={"scheduler": {"program_ttl_s": 5}}, clock=clock)
    initial = free_blocks(s)
    s.add_request(make_request("a", program_id="A", max_tokens=5))
    run_until_idle(s, clock)
    assert "A" in s.mlq.programs and free_blocks(s) == initial
    clock.advance(10)
    s.add_request(make_request("b", program_id="B", max_tokens=1))
    assert "A" not in s.mlq.programs
    run_until_idle(s, clock)


def test_malformed_program_id_never_breaks_the_engine():
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, clock=clock)
    s.add_request(make_request("r1", program_id=12345, session_id="fallback", max_tokens=2))
    s.add_request(make_request("r2", program_id="x" * 5000, max_tokens=2))
    s.add_request(make_request("r3", program_id="bad\nid", max_tokens=2))
    assert s.mlq.calls["r1"].program.program_id == "fallback"
    assert s.mlq.calls["r2"].program.program_id == "call:r2"
    assert s.nexus_metrics.invalid_program_ids == 3
    assert sorted(run_until_idle(s, clock)) == ["r1", "r2", "r3"]


def test_bad_config_stops_startup_with_the_key_named():
    with pytest.raises(ConfigError, match="vllm_nexus.scheduler.num_queue"):
        make_scheduler(nexus={"scheduler": {"num_queue": 3}})


def test_time_service_unit_charges_executor_time():
    clock = FakeClock()
    s = make_scheduler(
        nexus={
            "scheduler": {"service_unit": "time", "first_boundary": 0.05, "first_quantum": 0.05}
        },
        clock=clock,
    )
    s.add_request(make_request("a", program_id="A", max_tokens=10))
    run_until_idle(s, clock)  # 11 steps of 10 ms (prefill + 10 decodes)
    assert s.mlq.programs.get("A").service == pytest.approx(0.11, abs=0.011)


def test_starvation_promotion_in_the_scheduler():
    clock = FakeClock()
    cfg = {
        "scheduler": {
            "first_boundary": 16,
            "first_quantum": 16,
            "starvation_beta": 1.0,
            "starvation_min_wait_s": 0.0,
        }
    }
    s = make_scheduler(nexus=cfg, max_num_seqs=1, clock=clock)
    serve_program(s, clock, "old", 60)
    s.add_request(make_request("old2", program_id="old", max_tokens=2))
    for i in range(200):  # a steady stream of fresh short programs
        if len(s.waiting) < 3:
            s.add_request(make_request(f"f{i}", program_id=f"F{i}", max_tokens=2))
        _, eco = step(s, clock)
        if "old2" in finished_ids(eco):
            break
    else:
        pytest.fail("old2 starved")
    assert s.mlq.promotions_total >= 1


class AsyncDriver:
    """Engine-core-like async loop: step N+1 is scheduled before step N's output returns."""

    def __init__(self, s, clock):
        self.s, self.clock, self.inflight = s, clock, []

    def run(self, max_steps=5000, until_idle=True):
        s, order = self.s, []
        for _ in range(max_steps):
            if s.has_requests():
                out = s.schedule()
                self.inflight.append((out, sampling_ids(s, out)))
            if not self.inflight:
                return order
            if len(self.inflight) == 2 or not s.has_requests():
                prev, ids = self.inflight.pop(0)
                self.clock.advance(0.01)
                eco = s.update_from_output(prev, output_for(prev, ids))
                order.extend(sorted(finished_ids(eco)))
        if until_idle:
            raise AssertionError("async scheduler did not drain")
        return order


def test_async_mode_orders_preempts_and_drains():
    from vllm_nexus.programs.scheduler import AsyncScheduler

    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=1, async_scheduling=True, clock=clock)
    assert isinstance(s, AsyncScheduler)
    initial = free_blocks(s)
    s.add_request(make_request("long", program_id="A", prompt_len=64, max_tokens=120))
    driver = AsyncDriver(s, clock)
    driver.run(max_steps=40, until_idle=False)  # "long" runs a while, is demoted
    assert s.mlq.calls["long"].level >= 2
    s.add_request(make_request("short", program_id="B", max_tokens=3))
    order = driver.run()
    assert order == ["short", "long"]
    assert s.nexus_metrics.preemptions_proactive >= 1
    assert s.mlq.calls == {} and free_blocks(s) == initial
    assert s.requests == {}


def test_metrics_snapshot_reaches_prometheus(tmp_path, monkeypatch):
    from vllm_nexus.programs.metrics import METRICS_DIR_ENV, SnapshotCollector

    monkeypatch.setenv(METRICS_DIR_ENV, str(tmp_path))
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=1, clock=clock)
    serve_program(s, clock, "A", 60)
    s.add_request(make_request("a2", program_id="A", max_tokens=50))
    for _ in range(5):
        step(s, clock)
    s.add_request(make_request("b", program_id="B", max_tokens=2))
    run_until_idle(s, clock)
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(tmp_path))
    text = generate_latest(reg).decode()
    assert 'vllm_nexus_preemptions_total{engine="0",reason="proactive"} 1.0' in text
    assert 'vllm_nexus_calls_finished_total{engine="0",outcome="completed"} 3.0' in text
    assert 'vllm_nexus_active_programs{engine="0"} 0.0' in text
    assert 'vllm_nexus_known_programs{engine="0"} 2.0' in text
    assert 'vllm_nexus_program_service_count{engine="0"} 3.0' in text
    assert 'vllm_nexus_calls{engine="0",level="0",state="waiting"} 0.0' in text
    dropped = s.nexus_metrics.preempted_tokens
    assert dropped > 0
    assert f'vllm_nexus_preempted_tokens_total{{engine="0"}} {float(dropped)}' in text
    recomputed = float(s.nexus_metrics.recomputed_tokens)
    assert f'vllm_nexus_recomputed_tokens_total{{engine="0"}} {recomputed}' in text
    assert 'vllm_nexus_level_first_boundary{engine="0"} 16.0' in text
    assert 'vllm_nexus_size_samples{engine="0"} 0.0' in text
    assert "vllm_nexus_starvation_threshold" in text


def test_program_class_from_xargs_or_first_prompt_tokens():
    s = make_scheduler(nexus={"scheduler": {"policy": "gittins"}})
    system = list(range(3, 131))  # a 128-token "system prompt"
    s.add_request(make_request("a", program_id="A", prompt=system + [7] * 20,
                               extra={"program_class": "coder"}))  # fmt: skip
    s.add_request(make_request("b", program_id="B", prompt=system + [8] * 30))
    s.add_request(make_request("c", program_id="C", prompt=system + [9] * 5))
    s.add_request(make_request("d", program_id="D", prompt_len=20))  # shorter than 128
    s.add_request(make_request("b2", program_id="B", prompt=[5] * 200))  # not its first call
    cls = {p: s.mlq.programs.get(p).program_class for p in "ABCD"}
    assert cls["A"] == "x:coder"
    assert cls["B"] == cls["C"] and cls["B"].startswith("h:")
    assert cls["D"] is None
    # plas learns sizes (per class) only for preemption_size_check (on by default)
    plas = make_scheduler(nexus={"scheduler": {"policy": "plas", "preemption_size_check": False}})
    plas.add_request(make_request("a", program_id="A", prompt=system))
    assert plas.mlq.programs.get("A").program_class is None  # no size model: no classes
    on = {"policy": "plas", "preemption_size_check": True}
    plas = make_scheduler(nexus={"scheduler": on})
    plas.add_request(make_request("a", program_id="A", prompt=system))
    assert plas.mlq.programs.get("A").program_class == cls["B"]


def test_prefill_order_is_spf_with_aging_inside_a_level_when_split_is_on():
    clock = FakeClock()
    nexus = {
        "scheduler": {"first_quantum": 1e6, "starvation_beta": 0},  # no demotion here
        "partition": {"split": "sequential", "spf_aging_per_s": 15},
    }
    s = make_scheduler(nexus=nexus, max_num_seqs=1, clock=clock)
    s.add_request(make_request("blocker", program_id="Z", max_tokens=3))
    step(s, clock)
    s.add_request(make_request("long", program_id="A", prompt_len=200, max_tokens=2))
    clock.advance(1.0)
    s.add_request(make_request("short", program_id="B", prompt_len=20, max_tokens=2))
    assert run_until_idle(s, clock) == ["blocker", "short", "long"]
    # aging: a long prompt that has waited long enough goes first (200 - 15*20 < 20)
    s.add_request(make_request("blocker2", program_id="Z2", max_tokens=3))
    step(s, clock)
    s.add_request(make_request("old-long", program_id="C", prompt_len=200, max_tokens=2))
    clock.advance(20.0)
    s.add_request(make_request("new-short", program_id="D", prompt_len=20, max_tokens=2))
    assert run_until_idle(s, clock) == ["blocker2", "old-long", "new-short"]


def test_priority_tiers_come_first_then_program_order():
    """--scheduling-policy priority: a better tier goes first whatever its program's service;
    inside a tier, program order (the fresh program before the one with service)."""
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=1, clock=clock, policy="priority")
    assert s.priority_tiers
    serve_program(s, clock, "A", 100)  # program A: a lot of service, a worse level
    s.add_request(make_request("b-low", program_id="B", max_tokens=2, priority=1))
    s.add_request(make_request("a-high", program_id="A", max_tokens=2, priority=0))
    s.add_request(make_request("a-low", program_id="A", max_tokens=2, priority=1))
    s.add_request(make_request("c-low", program_id="C", max_tokens=2, priority=1))
    assert [r.request_id for r in s.waiting] == ["a-high", "b-low", "c-low", "a-low"]
    assert run_until_idle(s, clock) == ["a-high", "b-low", "c-low", "a-low"]


def test_preemption_respects_priority_tiers():
    """A better tier displaces a running call of a worse tier; a fresh program of a worse
    tier never displaces a better tier's call, however much service that one has used."""
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=1, clock=clock, policy="priority")
    serve_program(s, clock, "A", 100)
    s.add_request(make_request("a-high", program_id="A", max_tokens=30, priority=0))
    step(s, clock)
    s.add_request(make_request("fresh-low", program_id="F", max_tokens=2, priority=5))
    for _ in range(3):
        step(s, clock)
    assert [r.request_id for r in s.running] == ["a-high"]
    assert s.nexus_metrics.preemptions_proactive == 0
    s.add_request(make_request("urgent", program_id="U", max_tokens=2, priority=-1))
    out, _ = step(s, clock)
    assert "urgent" in out.num_scheduled_tokens and "a-high" not in out.num_scheduled_tokens
    assert s.nexus_metrics.preemptions_proactive == 1
    assert run_until_idle(s, clock) == ["urgent", "a-high", "fresh-low"]


def test_running_stays_in_queue_order_without_sorting():
    """Admissions and demotions are placed by binary search: running is always sorted by
    (tier, level, admission) — the order vLLM's KV-pressure victim (running[-1]) relies on."""
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=8, clock=clock)
    serve_program(s, clock, "A", 40)
    for i in range(6):
        pid = "A" if i % 2 else f"N{i}"
        s.add_request(make_request(f"r{i}", program_id=pid, max_tokens=40))
    for _ in range(30):
        step(s, clock)
        keys = [s._running_key(r) for r in s.running]
        assert keys == sorted(keys)
        # the key each request was placed with (what removal bisects on) is the current one
        assert [r._nexus_running_key for r in s.running] == keys
    assert s.mlq.demotions_total > 0


def test_kv_watermark_is_set_unless_the_user_chose_one():
    s = make_scheduler(nexus={"scheduler": {"kv_watermark": 0.1}}, num_blocks=100)
    assert s.kv_cache_manager.watermark_blocks == 10
    off = make_scheduler(nexus={"scheduler": {"kv_watermark": 0}}, num_blocks=100)
    assert off.kv_cache_manager.watermark_blocks == 0
    fcfs = make_scheduler(nexus={"scheduler": {"policy": "fcfs"}}, num_blocks=100)
    assert fcfs.kv_cache_manager.watermark_blocks == 0  # the stock A/B baseline


def test_gittins_learns_program_sizes_from_finished_programs():
    """gittins ranks by PLAS until programs have ended, then by the Gittins rank of the learned
    sizes: on equal-size programs an older, half-done program outranks a new one (FCFS-like),
    which PLAS would do the other way round."""
    clock = FakeClock()
    cfg = {
        "scheduler": {
            "policy": "gittins",
            "size_end_idle_s": 0.5,
            "gittins_min_samples": 20,
            "level_scale_fraction": 0.5,  # re-rank after half a typical call
        }
    }
    s = make_scheduler(nexus=cfg, max_num_seqs=8, clock=clock)
    for i in range(40):
        s.add_request(make_request(f"p{i}", program_id=f"P{i}", prompt_len=16, max_tokens=40))
        run_until_idle(s, clock)
        clock.advance(1.0)  # idle past size_end_idle_s: the program counts as ended
    table = s.mlq.sizes.global_table
    assert table is not None and table.samples >= 20
    assert s.nexus_metrics.calls_completed == 40
    old = s.mlq.add("old", "OLD", clock())
    new = s.mlq.add("new", "NEW", clock())
    assert old.level == new.level
    s.mlq.charge(old, 34.0)  # three quarters of the usual program size (~44 units)
    assert s.mlq.quanta[0] <= 34.0  # a quantum used up: re-ranked
    assert old.level < new.level


def test_waiting_calls_are_relevelled_when_the_levels_tune_themselves():
    """Self-tuning levels: when the first boundary moves (every 32 completed calls, not per
    step), queued calls that have not run yet take the level of their program's service under
    the new boundaries, and the waiting queue is re-keyed."""
    clock = FakeClock()
    cfg = {"scheduler": {"policy": "plas", "first_boundary": 1000, "first_quantum": 1000,
                         "starvation_beta": 0}}  # fmt: skip
    s = make_scheduler(nexus=cfg, max_num_seqs=1, clock=clock)
    serve_program(s, clock, "A", 100)  # ~100 units: level 0 under a boundary of 1000
    s.add_request(make_request("blocker", program_id="X", max_tokens=50))
    step(s, clock)
    s.add_request(make_request("a", program_id="A", max_tokens=2))
    s.add_request(make_request("b", program_id="B", max_tokens=2))
    assert s.mlq.calls["a"].level == s.mlq.calls["b"].level == 0
    assert [r.request_id for r in s.waiting] == ["a", "b"]  # FCFS inside level 0
    for _ in range(32):  # completed calls of ~20 units: first boundary -> 20
        s.mlq.levels.observe(20.0)
    assert s.mlq.levels.first == 20.0
    step(s, clock)
    assert s.mlq.calls["a"].level > 0 == s.mlq.calls["b"].level
    assert [r.request_id for r in s.waiting] == ["b", "a"]


def test_waiting_key_is_the_calls_own_order_key():
    # _request_key builds Call.order_key()'s tuple inline (hot path): they must not drift
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, max_num_seqs=2, clock=clock)
    for i in range(6):
        s.add_request(make_request(f"r{i}", program_id=f"P{i % 3}", prompt_len=40, max_tokens=30))
    checked = 0
    for _ in range(12):
        step(s, clock)
        for rid, request in s.requests.items():
            call = s.mlq.calls.get(rid)
            if call is not None:
                assert s._request_key(request) == call.order_key()
                checked += 1
    assert checked > 0 and {c.level for c in s.mlq.calls.values()} != {0}


@pytest.mark.parametrize("rerank,first", [("off", "m0"), ("width", "q1")])
def test_a_fan_out_is_relevelled_in_the_waiting_queue_as_it_grows(rerank, first):
    """``stage_rerank``: when more siblings of a stage arrive, its queued calls that have not
    run move to the stage's level (by its width) and the waiting queue is re-keyed at the next
    step, so another program's call that arrived between them goes first."""
    clock = FakeClock()
    cfg = {"scheduler": {**SMALL["scheduler"], "preemption": False, "stage_rerank": rerank}}
    s = make_scheduler(nexus=cfg, max_num_seqs=1, clock=clock)
    s.add_request(make_request("blocker", program_id="X", max_tokens=50))
    step(s, clock)
    s.add_request(make_request("m0", program_id="P", max_tokens=2))
    s.add_request(make_request("q1", program_id="Q", max_tokens=2))
    for i in (1, 2, 3):
        s.add_request(make_request(f"m{i}", program_id="P", max_tokens=2))
    step(s, clock)
    assert [r.request_id for r in s.waiting][0] == first
    levels = {rid: s.mlq.calls[rid].level for rid in ("m0", "m1", "m2", "m3")}
    if rerank == "width":
        assert len(set(levels.values())) == 1 and levels["m0"] > s.mlq.calls["q1"].level
    assert s.mlq.take_moved() == []  # drained by the step


def test_program_service_histogram_buckets_by_the_first_bound_at_or_above():
    from vllm_nexus.programs.metrics import SERVICE_BUCKETS, SchedulerMetrics

    m = SchedulerMetrics()
    values = [0.0, 64, 64.5, 256, 1e6, 262144, 262145, float("inf"), float("nan")]
    for v in values:
        m.observe_program_service(v)
    expected = [0] * len(SERVICE_BUCKETS)
    for v in values:  # the loop this replaced: the first bound >= v (none for NaN)
        for i, bound in enumerate(SERVICE_BUCKETS):
            if v <= bound:
                expected[i] += 1
                break
    assert m.program_service_buckets == expected == [2, 2, 0, 0, 0, 0, 1, 3]
    assert m.program_service_count == len(values)


@pytest.mark.parametrize(
    ("cuda", "rocm", "want"), [(True, False, "cuda"), (False, True, "rocm"), (False, False, "cpu")]
)
def test_vllm_platform_reads_vllms_current_platform(monkeypatch, cuda, rocm, want):
    from vllm.platforms import current_platform

    from vllm_nexus.programs import scheduler as mod

    monkeypatch.setattr(current_platform, "is_cuda", lambda: cuda)
    monkeypatch.setattr(current_platform, "is_rocm", lambda: rocm)
    assert mod.vllm_platform() == (want if want != "cpu" else current_platform.device_type)


def test_profile_auto_takes_the_gpu_defaults_on_a_gpu_platform(monkeypatch, caplog):
    from vllm_nexus.config import GPU_PROFILE
    from vllm_nexus.programs import scheduler as mod

    cpu = make_scheduler(nexus=SMALL)  # this machine: vLLM's CPU platform
    assert cpu.nexus_cfg.scheduler.profile == "cpu" and cpu.mlq.num_levels == 7
    monkeypatch.setattr(mod, "vllm_platform", lambda: "cuda")
    gpu = make_scheduler(nexus=SMALL)
    assert gpu.nexus_cfg.scheduler.profile == "gpu"
    assert gpu.mlq.num_levels == GPU_PROFILE["num_queues"]
    for k, v in GPU_PROFILE.items():
        assert getattr(gpu.nexus_cfg.scheduler, k) == v
    assert gpu.nexus_profile.describe().startswith("profile=gpu (auto: vLLM platform cuda)")
    pinned = make_scheduler(nexus={"scheduler": {**SMALL["scheduler"], "profile": "cpu"}})
    assert pinned.mlq.num_levels == 7
    assert pinned.nexus_profile.reason == "set explicitly"
