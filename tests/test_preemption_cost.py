"""What a proactive preemption costs (the recompute estimate) and whom unproven calls may
preempt (``unproven_preemption``): the pure rules, the waiting queue's per-level counts, and
the scheduler around vLLM's real one."""

from __future__ import annotations

import random

import pytest
from sched_harness import FakeClock, make_request, make_scheduler, run_until_idle, step
from test_policy_queues import mlq
from test_scheduler import SMALL

from vllm_nexus.config import ConfigError, NexusConfig
from vllm_nexus.programs.preemption import recompute_tokens
from vllm_nexus.programs.request_queue import ProgramRequestQueue


# -- the estimate (pure) -------------------------------------------------------------------
def test_recompute_is_the_partial_block_while_the_free_blocks_cover_the_calls_ahead():
    # 1,000 computed tokens in blocks of 16: 62 full blocks + 8 tokens
    assert recompute_tokens(1000, 16, ahead_calls=0, ahead_tokens=0, free_blocks=0) == 8
    assert recompute_tokens(1000, 16, ahead_calls=4, ahead_tokens=640, free_blocks=100) == 8
    assert recompute_tokens(0, 16, 10, 10_000, 0) == 0


def test_recompute_counts_one_block_per_block_the_calls_ahead_take_beyond_the_free_ones():
    # ahead: 640 tokens in 4 calls ~ 40 + 2 blocks; 32 free -> 10 of its blocks evicted
    assert recompute_tokens(1000, 16, 4, 640, 32) == pytest.approx(8 + 10 * 16)
    # a queue of better calls far larger than the cache: everything is recomputed
    assert recompute_tokens(1000, 16, 2000, 2_000_000, 500) == 1000
    # monotone in the work ahead, bounded by what it computed
    values = [recompute_tokens(1000, 16, n, 160 * n, 50) for n in range(0, 200, 5)]
    assert values == sorted(values) and values[0] == 8 and values[-1] == 1000


# -- the waiting queue's per-level counts ------------------------------------------------
def test_ahead_counts_requests_and_tokens_of_strictly_better_levels_under_churn():
    rng = random.Random(1)
    keys: dict[str, tuple] = {}
    q = ProgramRequestQueue(lambda r: keys[r.request_id])
    reqs = {}
    for i in range(400):
        rid = f"r{i}"
        keys[rid] = (rng.randrange(2), rng.randrange(4), rng.random())
        reqs[rid] = make_request(rid, prompt_len=rng.randrange(1, 60))
        q.add_request(reqs[rid])
        op = rng.random()
        live = [r for r in reqs.values() if r in q]
        if op < 0.2 and live:
            q.remove_request(rng.choice(live))
        elif op < 0.35 and live:
            q.pop_request()
        elif op < 0.5 and live:  # a promotion: re-keyed in place
            r = rng.choice(live)
            keys[r.request_id] = (keys[r.request_id][0], 0, rng.random())
            q.update(r)
    live = [r for r in reqs.values() if r in q]
    assert len(live) == len(q)
    for group in [(t, lv) for t in range(3) for lv in range(5)]:
        better = [r for r in live if keys[r.request_id][:2] < group]
        assert q.ahead(group) == (len(better), sum(r.num_tokens for r in better))
    while q:
        q.pop_request()
    assert q.ahead((9, 9)) == (0, 0)


# -- the scheduler's estimate --------------------------------------------------------------
def demoted_long_call(nexus=SMALL):
    """One call "long" (program A) run far past the first quanta (level >= 2, ~103 tokens
    computed, a partial last block of 7)."""
    clock = FakeClock()
    s = make_scheduler(nexus=nexus, max_num_seqs=1, clock=clock)
    s.add_request(make_request("long", program_id="A", prompt_len=64, max_tokens=200))
    for _ in range(40):
        step(s, clock)
    assert s.mlq.calls["long"].level >= 2
    return s, clock


def test_estimate_is_the_last_block_when_the_victim_comes_back_soon_all_behind_a_queue():
    s, clock = demoted_long_call()
    computed = s.requests["long"].num_computed_tokens
    estimate = s._recompute_estimator()
    assert estimate(s.mlq.calls["long"]) == computed % s.block_size
    s.add_request(make_request("short", program_id="B", max_tokens=2))
    assert s._recompute_estimator()(s.mlq.calls["long"]) == computed % s.block_size
    # better calls whose prompts need more than all free blocks: its blocks will be reused
    free = s.kv_cache_manager.block_pool.get_num_free_blocks()
    for i in range(free * s.block_size // 2000 + 2):
        s.add_request(make_request(f"new{i}", program_id=f"N{i}", prompt_len=2000))
    assert s._recompute_estimator()(s.mlq.calls["long"]) == computed


def test_a_victim_that_would_return_behind_a_queue_is_not_preempted():
    """Under overload (a queue of better calls larger than the KV cache ahead of it) a
    preemption costs the victim's whole context; the cost rule weighs that and keeps it
    running, where one newcomer alone displaces it (its blocks stay cached)."""
    s, clock = demoted_long_call()
    free = s.kv_cache_manager.block_pool.get_num_free_blocks()
    for i in range(free * s.block_size // 2000 + 2):
        s.add_request(make_request(f"new{i}", program_id=f"N{i}", prompt_len=2000, max_tokens=1))
    out, _ = step(s, clock)
    assert not out.preempted_req_ids and "long" in out.num_scheduled_tokens

    s, clock = demoted_long_call()
    s.add_request(make_request("short", program_id="B", max_tokens=2))
    out, _ = step(s, clock)
    assert "long" in out.preempted_req_ids


@pytest.mark.parametrize("mode", ["better", "level"])
def test_level_mode_counts_the_victims_own_level_as_queued_ahead_of_it(mode):
    """``recompute_ahead``: a victim rejoins the back of its level, so under ``level`` the
    calls waiting there take KV before it returns too; under ``better`` only those of a
    strictly better level count."""
    s, clock = demoted_long_call({"scheduler": {**SMALL["scheduler"], "recompute_ahead": mode}})
    long = s.mlq.calls["long"]
    computed = s.requests["long"].num_computed_tokens
    free = s.kv_cache_manager.block_pool.get_num_free_blocks()
    for i in range(free * s.block_size // 2000 + 2):
        rid = f"same{i}"
        s.add_request(make_request(rid, program_id=f"N{i}", prompt_len=2000))
        s.mlq.calls[rid].level = long.level  # queued at the victim's own level
        s.waiting.update(s.requests[rid])
    assert s.waiting.ahead((0, long.level)) == (0, 0)
    expected = computed if mode == "level" else computed % s.block_size
    assert s._recompute_estimator()(long) == expected


def test_recompute_ahead_defaults_to_level_and_rejects_other_values():
    assert NexusConfig().scheduler.recompute_ahead == "level"
    with pytest.raises(ConfigError, match="recompute_ahead"):
        NexusConfig.from_dict({"scheduler": {"recompute_ahead": "all"}})


# -- unproven programs: "long-calls" ------------------------------------------------------
def test_long_calls_rule_ranks_the_victim_by_its_own_call_for_unproven_heads():
    q = mlq(preemption_cost_factor=0, unproven_preemption="long-calls")
    victim = q.add("v", "V", 0)
    victim.level = 3
    unproven, proven = q.add("u", "call:u", 1), q.add("p", "P", 1)
    unproven.may_preempt = False
    # a short call of a program with much service: only the proven head displaces it
    assert q.worth_preempting(victim, proven, 0, victim_call_service=2)
    assert not q.worth_preempting(victim, unproven, 0, victim_call_service=2)
    assert q.preemptions_withheld == 1
    # a call that is long itself: the unproven head displaces it too
    assert q.worth_preempting(victim, unproven, 0, victim_call_service=50)
    assert q.pick_victims([unproven], [victim], 0, call_service=lambda c: 50) == [victim]
    assert q.pick_victims([unproven], [victim], 0, call_service=lambda c: 2) == []
    # off: never, whatever the victim's call
    off = mlq(preemption_cost_factor=0, unproven_preemption=False)
    assert not off.worth_preempting(victim, unproven, 0, victim_call_service=50)


def test_long_calls_rule_weighs_the_recompute_at_the_call_level_gap():
    q = mlq(preemption_cost_factor=1.0, unproven_preemption="long-calls")
    victim = q.add("v", "V", 0)
    victim.level = 3
    unproven = q.add("u", "call:u", 1)
    unproven.may_preempt = False
    # call level 1 (service 15, floor 10): a gap of 10 service units pays for 40 tokens
    assert q.worth_preempting(victim, unproven, 40, victim_call_service=15)
    assert not q.worth_preempting(victim, unproven, 44, victim_call_service=15)


def test_unproven_preemption_accepts_booleans_and_long_calls_only():
    for v in (True, False, "long-calls"):
        cfg = NexusConfig.from_dict({"scheduler": {"unproven_preemption": v}})
        assert cfg.scheduler.unproven_preemption == v
    for bad in (1, 0, "yes", None):
        with pytest.raises(ConfigError, match="unproven_preemption"):
            NexusConfig.from_dict({"scheduler": {"unproven_preemption": bad}})


@pytest.mark.parametrize("mode,preempted", [(False, False), ("long-calls", True), (True, True)])
def test_an_id_less_newcomer_displaces_a_long_running_call_unless_off(mode, preempted):
    s, clock = demoted_long_call({"scheduler": {**SMALL["scheduler"], "unproven_preemption": mode}})
    s.add_request(make_request("anon", max_tokens=2))  # no id, continues nothing: unproven
    assert s.mlq.calls["anon"].may_preempt is (mode is True)
    out, _ = step(s, clock)
    assert ("long" in out.preempted_req_ids) is preempted
    assert set(run_until_idle(s, clock)) == {"long", "anon"}


@pytest.mark.parametrize("mode,preempted", [("long-calls", False), (True, True)])
def test_an_id_less_newcomer_spares_a_short_call_of_a_long_program(mode, preempted):
    """Program A has much service (its calls enter a low level), but its running call is
    short: under ``long-calls`` an unproven newcomer waits for it."""
    clock = FakeClock()
    cfg = {"scheduler": {**SMALL["scheduler"], "unproven_preemption": mode}}
    s = make_scheduler(nexus=cfg, max_num_seqs=1, clock=clock)
    s.add_request(make_request("warm", program_id="A", max_tokens=150))
    run_until_idle(s, clock)
    s.add_request(make_request("a2", program_id="A", prompt_len=16, max_tokens=100))
    for _ in range(3):
        step(s, clock)
    call = s.mlq.calls["a2"]
    assert call.running and call.level >= 2 and s._call_service(call) < 16
    s.add_request(make_request("anon", max_tokens=2))
    out, _ = step(s, clock)
    assert ("a2" in out.preempted_req_ids) is preempted


def test_under_mlfq_an_id_less_call_keeps_its_preemption_rights():
    """Under ``mlfq`` every call enters level 0 whatever its program id, so withholding an
    unproven call's preemption protects nothing; it only stopped the calls queued behind it
    (the simulator's mlfq/noid gaming gain, docs/benchmarks.md)."""
    nexus = {"scheduler": {**SMALL["scheduler"], "policy": "mlfq"}}
    assert NexusConfig.from_dict(nexus).scheduler.unproven_preemption is False  # the default
    s, clock = demoted_long_call(nexus)
    s.add_request(make_request("anon", max_tokens=2))  # no id, continues nothing: unproven
    assert s.mlq.calls["anon"].may_preempt
    out, _ = step(s, clock)
    assert "long" in out.preempted_req_ids
    assert set(run_until_idle(s, clock)) == {"long", "anon"}
