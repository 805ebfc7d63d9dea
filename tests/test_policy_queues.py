"""Multi-level queue (Autellix Alg. 1): entry level, demotion, anti-starvation, victims."""

import math

import pytest

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.queues import MultiLevelQueue


def mlq(**kw) -> MultiLevelQueue:
    base = dict(
        policy="plas",
        first_boundary=10,
        first_quantum=10,
        num_queues=4,
        starvation_beta=2,
        starvation_min_wait_s=0,
        stage_rerank="off",  # the stage modes alone; re-ranking has its own tests below
    )
    base.update(kw)
    return MultiLevelQueue(SchedulerConfig(**base))


def complete(q, cid, pid, service, now=0.0):
    c = q.add(cid, pid, now)
    q.set_running(c, now)
    q.charge(c, service)
    q.finish(cid, now)


def test_levels_are_geometric_and_last_is_unbounded():
    q = mlq()
    assert q.boundaries == [10, 20, 40]
    assert q.quanta == [10, 20, 40, 80]
    assert [q.level_for_service(s) for s in (0, 9.9, 10, 25, 40, 1e12)] == [0, 0, 1, 2, 3, 3]


@pytest.mark.parametrize("policy,level", [("atlas", 2), ("plas", 2), ("mlfq", 0), ("fcfs", 0)])
def test_new_call_enters_level_of_its_programs_service(policy, level):
    q = mlq(policy=policy, first_quantum=1e9)
    complete(q, "c1", "p", 25)
    assert q.add("c2", "p", 1).level == level
    assert q.add("c3", "fresh", 1).level == 0


def test_demotion_after_quantum_and_fcfs_inside_level():
    q = mlq()
    a = q.add("a", "A", 0)
    b = q.add("b", "B", 0)
    assert (a.level, a.seq) < (b.level, b.seq)  # FCFS within the level
    q.set_running(a, 0)
    assert not q.charge(a, 9)
    assert q.charge(a, 1)  # 10 >= quantum 10
    assert a.level == 1 and a.level_service == 0
    assert (b.level, b.seq) < (a.level, a.seq)
    for _ in range(10):
        q.charge(a, 1000)
    assert a.level == 3  # never beyond the last level


def test_fcfs_policy_never_demotes_or_preempts():
    q = mlq(policy="fcfs")
    a = q.add("a", "A", 0)
    q.charge(a, 1e6)
    assert a.level == 0 and q.num_levels == 1
    assert q.pick_victims([q.add("b", "B", 0)], [a], free_slots=0) == []


def test_program_level_anti_starvation_promotes_and_resets_call_counters():
    q = mlq(starvation_beta=2.0)
    complete(q, "c0", "P", 100)  # program P: T_p = 0 so far
    c = q.add("c1", "P", 0.0)
    assert c.level == 3
    q.set_running(c, 0.0)
    q.set_waiting(c, 1.0)  # ran 1 s -> T_c = 1
    assert q.promote_starving([c], now=2.5) == []  # W=1.5, T=1 -> 1.5 < 2
    promoted = q.promote_starving([c], now=3.0)  # W=2, T=1 -> 2 >= 2
    assert promoted == [c] and c.level == 0
    assert (c.wait_s, c.run_s) == (0, 0) and c.total_run_s == 1
    assert q.promotions_total == 1


def test_starvation_uses_program_history_not_only_the_call():
    # A call-level check would not fire (the call itself waited little); the program's
    # accumulated waiting does.
    q = mlq(starvation_beta=2.0)
    c0 = q.add("c0", "P", 0)
    q.set_running(c0, 10)  # waited 10 s
    q.charge(c0, 100)
    q.finish("c0", 11)  # ran 1 s
    c1 = q.add("c1", "P", 11)
    assert c1.level == 3
    assert math.isclose(q.starvation_ratio(c1, 11.5), 10.5 / 1)
    assert q.promote_starving([c1], 11.5) == [c1]


def test_anti_starvation_bounds_waiting_in_a_simulated_overload():
    """A long program competing with a stream of fresh programs still finishes: its waiting
    stays within about beta x its own execution time (Autellix §4.3)."""
    beta = 3.0
    q = mlq(starvation_beta=beta, first_boundary=5, first_quantum=5)
    complete(q, "old0", "old", 1000)
    victim = q.add("old1", "old", 0.0)
    now, run_time, fresh = 0.0, 0.0, 0
    for _ in range(10_000):
        waiting = [victim] + [q.add(f"f{fresh}", f"F{fresh}", now)]
        fresh += 1
        q.promote_starving([victim], now)
        best = min(waiting, key=lambda c: (c.level, c.seq))
        q.set_running(best, now)
        now += 0.1
        q.set_waiting(best, now)
        q.charge(best, 1)
        if best is victim:
            run_time += 0.1
            if run_time >= 0.5:
                break
        else:
            q.finish(best.call_id, now)
    else:
        pytest.fail("the long program starved")
    assert victim.total_wait_s <= beta * run_time + 1.0


def test_pick_victims_displaces_only_strictly_worse_levels():
    q = mlq(max_preemptions_per_step=2)
    running = []
    for i, lvl in enumerate([0, 1, 3, 3]):
        c = q.add(f"r{i}", f"R{i}", 0)
        c.level = lvl
        running.append(c)
    running.sort(key=lambda c: (c.level, c.seq))
    waiting = [q.add(f"w{i}", f"W{i}", 1) for i in range(3)]  # all level 0
    victims = q.pick_victims(waiting, running, free_slots=0)
    assert [v.call_id for v in victims] == ["r3", "r2"]  # worst first, capped at 2
    # with one free slot the first waiting call needs no victim
    assert len(q.pick_victims(waiting[:1], running, free_slots=1)) == 0
    # equal levels never preempt each other
    for c in running:
        c.level = 0
    assert q.pick_victims(waiting, running, free_slots=0) == []


def test_pick_victims_reads_waiting_lazily():
    """``waiting`` may be an iterator (the adapter walks the waiting heap lazily): the same
    victims as from the list, and it stops at the first waiting call that finds none."""
    q = mlq(max_preemptions_per_step=4)
    running = []
    for i, lvl in enumerate([0, 2, 3]):
        c = q.add(f"r{i}", f"R{i}", 0)
        c.level = lvl
        running.append(c)
    running.sort(key=lambda c: (c.level, c.seq))
    waiting = [q.add(f"w{i}", f"W{i}", 1) for i in range(6)]  # all level 0
    read = []

    def lazily():
        for w in waiting:
            read.append(w.call_id)
            yield w

    for free in (0, 1, 2):
        read.clear()
        got = q.pick_victims(lazily(), running, free_slots=free)
        assert got == q.pick_victims(waiting, running, free_slots=free)
        assert [v.call_id for v in got] == ["r2", "r1"]
        # free slots skipped, one waiting call per victim, then the one that found none
        assert read == [w.call_id for w in waiting[: free + 3]]


def test_preemption_disabled():
    q = mlq(preemption=False)
    r = q.add("r", "R", 0)
    r.level = 3
    assert q.pick_victims([q.add("w", "W", 0)], [r], 0) == []


def test_abort_charges_service_and_program_outlives_it_until_ttl():
    q = mlq()
    a = q.add("a", "A", 0)
    q.add("b", "A", 0)
    q.charge(a, 100.0, now=0.5)
    q.finish("a", 1, aborted=True)
    q.finish("b", 1, aborted=True)
    assert q.calls == {}
    prog = q.programs.get("A")
    assert prog is not None and prog.service == 100.0 and prog.aborted_calls == 2
    # a resent call continues where the aborted one left off (no fresh start at level 0)
    again = q.add("c", "A", 2)
    assert again.start_priority == 100.0
    q.finish("c", 3)
    assert q.programs.active_programs == 0
    q.programs.evict(now=3 + q.cfg.program_ttl_s)
    assert len(q.programs) == 0  # gone after its idle TTL, like any program
    assert q.finish("unknown", 1) is None


def test_duplicate_call_id_rejected():
    q = mlq()
    q.add("a", "A", 0)
    with pytest.raises(ValueError):
        q.add("a", "A", 0)


def test_starving_call_of_a_lifted_tenant_goes_only_to_its_tenants_top_level():
    """Anti-starvation by deadline promotes to the tenant's top level (fair share); a call
    already there is not promoted, is looked at again later, and promotes once the lift
    drops (no loop over a due deadline that cannot fire)."""
    q = mlq(starvation_beta=2.0)
    complete(q, "c0", "P", 100)
    c = q.add("c1", "P", 0.0)
    q.set_running(c, 0.0)
    q.set_waiting(c, 1.0)  # T_c = 1, starving from t = 3
    assert c.level == 3
    lift = {"levels": 3}
    q.tenant_lift = lambda tenant, now: lift["levels"]  # tenant over its share by 3 levels
    assert q.promote_due(5.0) == [] and c.level == 3  # already at the tenant's top
    lift["levels"] = 1
    assert q.promote_due(5.0) == []  # not due again before the recheck delay
    assert q.promote_due(7.0) == [c] and c.level == 1
    assert q.promotions_total == 1


def _random_run(q, rng, check, steps=400, programs=8):
    """Random arrivals, runs, preemptions and completions over ``programs`` programs;
    ``check`` is called every step with (q, now, waiting calls) and returns the promoted
    calls."""
    now, waiting, running, n = 0.0, [], [], 0
    promoted_log = []
    for _ in range(steps):
        now += rng.uniform(0.01, 0.5)
        if rng.random() < 0.5:
            n += 1
            waiting.append(q.add(f"c{n}", f"P{rng.randrange(programs)}", now))
        if waiting and rng.random() < 0.6:
            c = waiting.pop(rng.randrange(len(waiting)))
            q.set_running(c, now)
            running.append(c)
        if running and rng.random() < 0.3:
            c = running.pop(rng.randrange(len(running)))
            q.charge(c, rng.uniform(1, 30), now)
            if rng.random() < 0.5:
                q.finish(c.call_id, now)
            else:
                q.set_waiting(c, now, preempted=True)
                waiting.append(c)
        promoted_log.append(sorted(c.call_id for c in check(q, now, list(waiting))))
    return promoted_log


@pytest.mark.parametrize("relative", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_deadline_heap_promotes_exactly_what_a_full_scan_promotes(seed, relative):
    """``promote_due`` (heap of starvation deadlines, O(due log n)) makes the same
    promotions, at the same steps, as checking every waiting call (Alg. 1 as written), also
    when the relative threshold rises and falls with the load between steps."""
    import random

    kw = dict(
        starvation_beta=1.5,
        starvation_min_wait_s=0.3,
        first_boundary=5,
        first_quantum=5,
        adaptive_levels=False,
        starvation_relative=relative,
    )

    def loaded(check):
        def run(q, now, waiting):
            # the load swings between light and 6 waiting per running call every ~20 s
            q.observe_load(len(waiting) * (6 if int(now / 20) % 2 else 0), 1, now)
            return check(q, now, waiting)

        return run

    scan = _random_run(
        mlq(**kw), random.Random(seed), loaded(lambda q, now, w: q.promote_starving(w, now))
    )
    heap = _random_run(mlq(**kw), random.Random(seed), loaded(lambda q, now, w: q.promote_due(now)))
    assert heap == scan
    assert sum(map(len, scan)) > 5  # the run does exercise promotions
    if relative:  # and the threshold did move both ways
        q = mlq(**kw)
        seen = set()
        _random_run(q, random.Random(seed), loaded(lambda q, now, w: seen.add(
            q.starvation_threshold) or []))  # fmt: skip
        assert max(seen) > 1.5 * 1.25 and min(seen) == 1.5


def test_promotion_deadline_moves_when_the_program_history_changes():
    """A sibling's completion adds to W_program: the waiting call's deadline comes earlier."""
    q = mlq(starvation_beta=2.0)
    complete(q, "c0", "P", 100)
    waiter = q.add("w", "P", 0.0)
    q.set_running(waiter, 0.0)
    q.set_waiting(waiter, 1.0)  # T = 1: would starve at W >= 2, i.e. at t = 3
    sibling = q.add("s", "P", 1.0)
    q.set_running(sibling, 2.5)  # sibling waited 1.5 s
    q.finish("s", 2.5)  # W_program += 1.5 -> the waiter starves from t = 2.25
    assert q.promote_due(2.4) == [waiter]


def test_fcfs_inside_a_level_follows_arrival_times_and_moves_join_the_back():
    q = mlq(first_quantum=1e9, starvation_beta=0)
    late = q.add("late", "A", 0.0, arrival_time=3.0)
    early = q.add("early", "B", 0.0, arrival_time=1.0)
    assert sorted([late, early], key=lambda c: c.order_key()) == [early, late]
    tiered = q.add("tier", "C", 0.0, arrival_time=9.0, tier=-1)
    assert min([late, early, tiered], key=lambda c: c.order_key()) is tiered


def test_pick_victims_respects_priority_tiers():
    q = mlq()
    low = q.add("low", "L", 0, tier=5)
    high = q.add("high", "H", 0, tier=0)
    low.level = high.level = 0
    assert q.pick_victims([high], [low], free_slots=0) == [low]  # better tier displaces
    high.level = 3  # a better tier wins whatever the levels
    assert q.pick_victims([high], [low], free_slots=0) == [low]
    assert q.pick_victims([low], [high], free_slots=0) == []  # never the other way


def test_preemption_weighs_recompute_against_the_priority_gap():
    q = mlq(num_queues=5, preemption_cost_factor=1)  # floors 0, 10, 20, 40, 80
    victim, head = q.add("v", "V", 0), q.add("h", "H", 0)
    victim.level, head.level = 3, 0
    # gap 40 service units; 100 tokens to recompute x prefill weight 0.25 = 25
    assert q.worth_preempting(victim, head, recompute_tokens=100)
    assert not q.worth_preempting(victim, head, recompute_tokens=200)  # 50 > 40
    victim.preemptions = 1  # each earlier preemption of the call makes the next one dearer
    assert not q.worth_preempting(victim, head, recompute_tokens=100)  # 2 x 25 > 40
    head.level = 3
    assert not q.worth_preempting(victim, head, recompute_tokens=0)  # same level: never
    q0 = mlq(num_queues=5, preemption_cost_factor=0)  # Alg. 1: any worse level
    v, h = q0.add("v", "V", 0), q0.add("h", "H", 0)
    v.level = 1
    assert q0.worth_preempting(v, h, recompute_tokens=1e9)
    # pick_victims skips a dear victim for a cheap one further up the running list
    running = [q.add("cheap", "C", 0), q.add("dear", "D", 0)]
    running[0].level, running[1].level = 3, 4
    costs = {"cheap": 0.0, "dear": 1e6}
    got = q.pick_victims([q.add("w", "W", 0)], running, 0, lambda c: costs[c.call_id])
    assert [c.call_id for c in got] == ["cheap"]


def test_relative_anti_starvation_scales_beta_with_the_queueing_ratio():
    q = mlq(starvation_beta=8.0)
    for t in range(100):  # 80 waiting per 8 running for 100 s: ratio 10
        q.observe_load(80, 8, float(t))
    # beta x 10, within the hysteresis band (the threshold moves only past a 25% change)
    assert 80.0 / 1.25 <= q.starvation_threshold <= 80.0 * 1.25
    for t in range(100, 200):  # light load: back to beta itself
        q.observe_load(1, 8, float(t))
    assert q.starvation_threshold == pytest.approx(8.0)
    absolute = mlq(starvation_beta=8.0, starvation_relative=False)
    absolute.observe_load(80, 8, 1.0)
    assert absolute.starvation_threshold == 8.0


def test_unproven_calls_take_free_slots_but_never_preempt():
    """``unproven_preemption`` off: a call of an unproven program (``may_preempt`` False)
    displaces no running call, nor do the calls queued behind it (the freed slot would be
    its); it still takes free slots, and a denial is counted once per call."""
    q = mlq(preemption_cost_factor=0)
    r = q.add("r", "R", 0)
    r.level = 3
    unproven, proven = q.add("u", "call:u", 1), q.add("p", "P", 1)
    unproven.may_preempt = False
    assert not q.worth_preempting(r, unproven, recompute_tokens=0)
    assert q.pick_victims([unproven], [r], free_slots=0) == []
    assert q.pick_victims([unproven, proven], [r], free_slots=0) == []  # behind it: blocked
    assert q.preemptions_withheld == 1  # once per call, however many steps it waits
    assert q.pick_victims([proven, unproven], [r], free_slots=0) == [r]
    assert q.pick_victims([unproven, proven], [r], free_slots=1) == [r]  # u takes the slot
    # nothing withheld when the preemption would not have been made anyway (same level)
    same = q.add("s", "call:s", 1)
    same.may_preempt, r.level = False, 0
    assert q.pick_victims([same], [r], free_slots=0) == [] and q.preemptions_withheld == 1


def _fan_out_and_in(q, service=(5, 8, 40, 3)):
    """plan -> maps m1, m2, m3 (m3 arrives after m1 finished) -> reduce -> next: the calls'
    start priorities and levels."""
    plan_s, m1_s, m2_s, m3_s = service
    complete(q, "plan", "P", plan_s, now=0)
    m1, m2 = q.add("m1", "P", 1), q.add("m2", "P", 1.1)
    for c, s in ((m1, m1_s), (m2, m2_s)):
        q.set_running(c, 1.2)
        q.charge(c, s)
    q.finish("m1", 2)
    m3 = q.add("m3", "P", 2.5)  # m2 still in flight: the same stage
    q.set_running(m3, 2.5)
    q.charge(m3, m3_s)
    q.finish("m2", 3)
    q.finish("m3", 3)
    reduce = q.add("reduce", "P", 4)
    q.set_running(reduce, 4)
    q.charge(reduce, 1)
    q.finish("reduce", 5)
    after = q.add("next", "P", 6)
    return m1, m2, m3, reduce, after


@pytest.mark.parametrize("policy", ["plas", "atlas"])
def test_parallel_stages_off_ranks_each_call_by_the_service_at_its_arrival(policy):
    q = mlq(policy=policy, first_quantum=1e9, parallel_stages="off", stage_order=False)
    m1, m2, m3, reduce, after = _fan_out_and_in(q)
    assert (m1.start_priority, m2.start_priority, m3.start_priority) == (5, 5, 13)
    # the reduce waits behind its own maps' service (plas: the sum, atlas: the longest)
    assert reduce.start_priority == (56 if policy == "plas" else 45)
    assert reduce.level == 3


@pytest.mark.parametrize("policy", ["plas", "atlas", "gittins"])
def test_gang_stage_shares_the_priority_of_its_first_call(policy):
    q = mlq(policy=policy, first_quantum=1e9, parallel_stages="gang")
    m1, m2, m3, reduce, after = _fan_out_and_in(q)
    assert m1.start_priority == m2.start_priority == m3.start_priority == 5
    assert m3.level == m1.level == 0
    assert reduce.start_priority == (45 if policy == "atlas" else 56)  # a new stage


@pytest.mark.parametrize("policy", ["plas", "atlas"])
def test_join_call_belongs_to_the_fan_out_it_closes(policy):
    q = mlq(policy=policy, first_quantum=1e9, parallel_stages="join")
    m1, m2, m3, reduce, after = _fan_out_and_in(q)
    assert reduce.start_priority == 5 and reduce.level == 0
    # the call after the join starts a new stage at the program's full service
    full = 57 if policy == "plas" else 45  # atlas: max(45, 5 + 1)
    assert after.start_priority == full and after.level == 3


def test_stages_leave_sequential_programs_and_call_level_policies_alone():
    for mode in ("off", "gang", "join"):
        q = mlq(first_quantum=1e9, parallel_stages=mode, stage_order=True)
        for i, s in enumerate((5, 12, 30)):
            c = q.add(f"c{i}", "S", i)
            assert c.start_priority == sum((5, 12, 30)[:i]) and c.enter == i
            q.set_running(c, i)
            q.charge(c, s)
            q.finish(f"c{i}", i + 0.5)
    q = mlq(policy="mlfq", first_quantum=1e9, parallel_stages="join")
    m1, m2, m3, reduce, after = _fan_out_and_in(q)
    assert {c.start_priority for c in (m1, m2, m3, reduce, after)} == {0}


def test_stage_order_keeps_a_fan_out_together_inside_its_level():
    q = mlq(first_quantum=1e9, parallel_stages="join", stage_order=True)
    complete(q, "plan", "P", 5, now=0)
    m1 = q.add("m1", "P", 1)
    other = q.add("o1", "Q", 1.5)  # another program's call arrives between P's siblings
    m2 = q.add("m2", "P", 2)
    assert m2.enter == m1.enter == 1
    assert m1.order_key() < m2.order_key() < other.order_key()
    for c in (m1, m2):
        q.set_running(c, 2)
        q.finish(c.call_id, 3)
    reduce = q.add("reduce", "P", 4)
    assert reduce.enter == 1 and reduce.order_key() < other.order_key()


def test_parallel_stages_option_is_validated():
    from vllm_nexus.config import ConfigError, NexusConfig

    with pytest.raises(ConfigError, match="parallel_stages"):
        NexusConfig.from_dict({"scheduler": {"parallel_stages": "maybe"}})
    with pytest.raises(ConfigError, match="stage_order"):
        NexusConfig.from_dict({"scheduler": {"stage_order": 1}})


def test_spread_ranks_siblings_as_if_those_in_flight_ran_first():
    q = mlq(first_quantum=1e9, parallel_stages="spread")
    typical = q.levels.typical  # median call service (here implied by first_boundary 10)
    assert typical == 10
    m1, m2, m3, reduce, after = _fan_out_and_in(q)
    assert m1.start_priority == 5
    assert m2.start_priority == m3.start_priority == 5 + typical  # one sibling in flight
    assert reduce.start_priority == 5 and after.start_priority == 57


def test_parallel_stages_default_is_spread_with_stage_order():
    # the default (docs/benchmarks.md, "Parallel stages on the real engine, interleaved")
    cfg = SchedulerConfig()
    assert (cfg.parallel_stages, cfg.stage_order) == ("spread", True)
    q = mlq(first_quantum=1e9)
    m1, m2, m3, reduce, after = _fan_out_and_in(q)
    assert m2.start_priority == 5 + q.levels.typical and reduce.start_priority == 5
    assert reduce.enter == m1.enter  # stage_order: the join keeps the stage's FCFS position


@pytest.mark.parametrize("mode", ["join", "spread"])
def test_a_stage_with_an_aborted_call_has_no_join(mode):
    q = mlq(first_quantum=1e9, parallel_stages=mode, stage_order=True)
    a, b = q.add("a", "A", 0), q.add("b", "A", 0)
    q.charge(a, 60.0, now=0.5)
    q.charge(b, 40.0, now=0.5)
    q.finish("a", 1, aborted=True)
    q.finish("b", 1)
    # the resend after an abort starts a new stage at the program's full service
    again = q.add("c", "A", 2)
    assert again.start_priority == 100.0 and again.enter == 2
    # a later, clean fan-out closes with a join again
    q.finish("c", 3)
    d, e = q.add("d", "A", 4), q.add("e", "A", 4)
    for c in (d, e):
        q.charge(c, 5.0, now=4.5)
        q.finish(c.call_id, 5)
    join = q.add("f", "A", 6)
    assert join.start_priority == 100.0 and join.enter == 4


def _stage_of_four(q):
    """Program P: a plan (service 5), then four parallel maps queued (none ran)."""
    complete(q, "plan", "P", 5, now=0)
    return [q.add(f"m{i}", "P", 1 + 0.01 * i) for i in range(4)]


@pytest.mark.parametrize("rerank", ["width", "remaining"])
def test_stage_rerank_levels_a_queued_fan_out_by_its_width(rerank):
    q = mlq(first_quantum=1e9, num_queues=6, stage_rerank=rerank)
    typical = q.levels.typical  # 10: levels [0,10) [10,20) [20,40) [40,80) ...
    maps = _stage_of_four(q)
    # every queued sibling takes the level of the stage's rank: its start + (calls in flight
    # - 1) x typical (spread alone: 5, 15, 25, 35 -> levels 0, 1, 2, 2)
    assert q.level_for_service(5 + 3 * typical) == 2
    assert [m.level for m in maps] == [2, 2, 2, 2]
    assert maps[0].start_priority == 5 + 2 * typical  # moved when the stage reached level 2
    assert {c.call_id for c in q.take_moved()} == {"m0", "m1"}  # later ones entered there
    assert q.take_moved() == []


def test_stage_rerank_remaining_lifts_the_rest_of_a_stage_as_it_drains():
    q = mlq(first_quantum=1e9, num_queues=6, stage_rerank="remaining")
    maps = _stage_of_four(q)
    q.take_moved()
    for m in maps[:3]:
        q.set_running(m, 2)
        q.charge(m, 10, now=2)
        q.finish(m.call_id, 3)
    # one call left in flight: it ranks at the stage's start again (level 0), reported moved
    # (m2 moved up once as well, while it still waited behind m1)
    assert maps[3].start_priority == 5 and maps[3].level == 0
    assert {c.call_id for c in q.take_moved()} == {"m2", "m3"}


def test_stage_rerank_width_keeps_the_stage_rank_while_it_drains():
    q = mlq(first_quantum=1e9, num_queues=6, stage_rerank="width")
    maps = _stage_of_four(q)
    q.take_moved()
    for m in maps[:3]:
        q.set_running(m, 2)
        q.finish(m.call_id, 3)
    assert maps[3].level == 2 and q.take_moved() == []


def test_stage_rerank_never_moves_a_call_that_ran_nor_sequential_programs():
    q = mlq(first_quantum=1e9, num_queues=6, stage_rerank="remaining")
    complete(q, "plan", "P", 5, now=0)
    first = q.add("m0", "P", 1)
    q.set_running(first, 1)  # admitted at once: it keeps the level it entered with
    rest = [q.add(f"m{i}", "P", 1 + 0.01 * i) for i in range(1, 4)]
    assert first.level == 0 and first.start_priority == 5
    assert {m.level for m in rest} == {2}
    assert "m0" not in {c.call_id for c in q.take_moved()}
    # a program with one call in flight at a time is never re-ranked
    for i, s in enumerate((5, 12, 30)):
        c = q.add(f"s{i}", "S", 5 + i)
        assert c.start_priority == sum((5, 12, 30)[:i])
        q.set_running(c, 5 + i)
        q.charge(c, s)
        q.finish(c.call_id, 5.5 + i)
    assert q.take_moved() == []


def test_stage_rerank_is_validated_and_off_changes_nothing():
    from vllm_nexus.config import ConfigError, NexusConfig

    with pytest.raises(ConfigError, match="stage_rerank"):
        NexusConfig.from_dict({"scheduler": {"stage_rerank": "sometimes"}})
    q = mlq(first_quantum=1e9, num_queues=6, stage_rerank="off")
    maps = _stage_of_four(q)
    assert [m.start_priority for m in maps] == [5, 15, 25, 35]  # spread, unchanged
    assert q.take_moved() == []


def test_stage_rerank_default_is_width_with_anti_starvation_beta_32():
    # the default since 2026-12-03 (docs/benchmarks.md, "2026-12-03")
    cfg = SchedulerConfig()
    assert (cfg.stage_rerank, cfg.starvation_beta) == ("width", 32.0)
    q = MultiLevelQueue(cfg)
    assert q._stage_rerank == "width"
    q = MultiLevelQueue(SchedulerConfig(parallel_stages="off"))
    assert q._stage_rerank == "off"  # re-ranking needs stages


def test_fanout_service_weight_sinks_programs_that_fanned_out_only():
    from vllm_nexus.config import ConfigError, NexusConfig

    with pytest.raises(ConfigError, match="fanout_service_weight"):
        NexusConfig.from_dict({"scheduler": {"fanout_service_weight": 0.5}})
    q = mlq(first_quantum=1e9, num_queues=8, stage_rerank="width", fanout_service_weight=4)
    # levels [0,10) [10,20) [20,40) [40,80) [80,160) ...
    # a sequential program at service 25 (level 2) keeps its level
    complete(q, "s0", "S", 25, now=0)
    assert q.add("s1", "S", 1).level == 2
    # a program with the same service that fanned out once (two calls in flight together)
    a, b = q.add("t0", "T", 0), q.add("t1", "T", 0)
    assert q.programs.get("T").fanouts
    for c in (a, b):
        q.set_running(c, 0)
        q.charge(c, 12.5, now=0)
        q.finish(c.call_id, 1)
    # join (the call closing the fan-out) and the next stage: its service (25) counts 4x -> 100
    join = q.add("t2", "T", 2)
    assert join.start_priority == 0  # the join keeps the stage's start: level 0 either way
    q.set_running(join, 2)
    q.finish("t2", 3)
    nxt = q.add("t3", "T", 3)
    assert nxt.start_priority == 25 and nxt.level == q.level_for_service(100) == 4
    # re-levelling after a level rebuild applies the weight too
    nxt.level = 0
    assert q.relevel([nxt], 4) == [nxt] and nxt.level == 4
    # weight 1 (the default): the fanned-out program ranks by its service alone
    q1 = mlq(first_quantum=1e9, num_queues=8, stage_rerank="width")
    assert SchedulerConfig().fanout_service_weight == 1.0
    complete(q1, "u0", "U", 25, now=0)
    stage = [q1.add(f"u{i}", "U", 1) for i in (1, 2, 3)]
    assert q1.programs.get("U").fanouts
    assert [c.level for c in stage] == [q1.level_for_service(c.start_priority) for c in stage]
    assert [c.level for c in stage] == [3, 3, 3]  # 25 + 2 x typical (stage re-rank: width)


def test_fanout_min_stages_and_sequential_service_weight():
    from vllm_nexus.config import ConfigError, NexusConfig

    for bad in ({"sequential_service_weight": 0}, {"sequential_service_weight": 1.5}):
        with pytest.raises(ConfigError, match="sequential_service_weight"):
            NexusConfig.from_dict({"scheduler": bad})
    with pytest.raises(ConfigError, match="fanout_min_stages"):
        NexusConfig.from_dict({"scheduler": {"fanout_min_stages": 0}})

    def fan_out_once(q, pid, now):
        """One stage of two parallel calls of 12.5 each, then its join (no service)."""
        a, b = q.add(f"{pid}a", pid, now), q.add(f"{pid}b", pid, now)
        for c in (a, b):
            q.set_running(c, now)
            q.charge(c, 12.5, now=now)
            q.finish(c.call_id, now)
        j = q.add(f"{pid}j", pid, now)
        q.set_running(j, now)
        q.finish(j.call_id, now)

    # levels [0,10) [10,20) [20,40) [40,80) [80,160) ...
    q = mlq(first_quantum=1e9, num_queues=8, fanout_service_weight=4, fanout_min_stages=2)
    fan_out_once(q, "M", 0)  # one fan-out (a map-reduce job): not weighted yet
    assert q.programs.get("M").fanouts == 1 and q.add("M1", "M", 1).level == 2
    q.finish("M1", 1)
    fan_out_once(q, "M", 2)  # a second fan-out (a tree search's next round): weighted 4x
    assert q.programs.get("M").fanouts == 2
    assert q.add("M2", "M", 3).level == q.level_for_service(4 * 50) == 5

    # sequential_service_weight: a sequential program at 25 rises a level, a fanned-out one
    # at 25 keeps its level (their own ladder is untouched)
    q = mlq(first_quantum=1e9, num_queues=8, sequential_service_weight=0.5)
    complete(q, "s0", "S", 25, now=0)
    assert q.add("s1", "S", 1).level == q.level_for_service(12.5) == 1
    fan_out_once(q, "T", 0)
    assert q.add("t", "T", 1).level == q.level_for_service(25) == 2


def test_output_weight_exponent_ranks_programs_by_output_per_call():
    from vllm_nexus.config import ConfigError, NexusConfig
    from vllm_nexus.programs.queues import OUTPUT_WARMUP

    for bad in (-1, 5):
        with pytest.raises(ConfigError, match="output_weight_exponent"):
            NexusConfig.from_dict({"scheduler": {"output_weight_exponent": bad}})
    assert SchedulerConfig().output_weight_exponent == 0.0

    def finish(q, cid, pid, service, out, now=0.0):
        c = q.add(cid, pid, now)
        q.set_running(c, now)
        q.charge(c, service)
        q.finish(cid, now, output_tokens=out)

    # levels [0,10) [10,20) [20,40) [40,80) [80,160) [160,320) ...
    q = mlq(first_quantum=1e9, num_queues=8, adaptive_levels=False, output_weight_exponent=1)
    # before OUTPUT_WARMUP completed calls: no weight (the typical output is unknown)
    finish(q, "f0", "F", 25, out=4)
    assert q.add("f1", "F", 1).level == q.level_for_service(25) == 2
    q.finish("f1", 1, output_tokens=16)  # the typical output: geometric mean 8 of 4 and 16
    for i in range(OUTPUT_WARMUP - 2):
        finish(q, f"w{i}", f"W{i}", 1, out=8)
    assert q._out_samples >= OUTPUT_WARMUP
    assert math.isclose(math.exp(q._log_out), 8.0)
    # a program writing 2 tokens a call (1/4 of typical) at service 25 rises two levels
    finish(q, "a0", "A", 25, out=2)
    assert q.add("a1", "A", 2).level == q.level_for_service(25 / 4) == 0
    # one writing 32 a call (4x typical) at the same service sinks two levels
    finish(q, "b0", "B", 25, out=32)
    assert q.add("b1", "B", 2).level == q.level_for_service(100) == 4
    # a program that has fanned out (two calls in flight at once) is not weighted: its
    # stages keep the ranking of parallel_stages / stage_rerank
    fa, fb = q.add("g0", "G", 2), q.add("g1", "G", 2)
    assert q.programs.get("G").fanouts == 1
    for c in (fa, fb):
        q.set_running(c, 2)
        q.charge(c, 12.5)
        q.finish(c.call_id, 2, output_tokens=2)
    join = q.add("g2", "G", 2)
    q.set_running(join, 2)
    q.finish("g2", 2, output_tokens=2)
    assert q.add("g3", "G", 2).level == q.level_for_service(25) == 2
    # re-levelling applies it too
    b1 = q.calls["b1"]
    b1.level = 0
    assert q.relevel([b1], 3) == [b1] and b1.level == 4
    # a new program (no completed call) and a typical one are unaffected
    assert q.add("n0", "N", 2).level == 0
    finish(q, "c0", "C", 25, out=8)
    assert q.add("c1", "C", 2).level == 2
    # the weight is bounded (1/16 .. 16)
    finish(q, "d0", "D", 25, out=8 * 10_000)
    assert q.add("d1", "D", 2).level == q.level_for_service(25 * 16) == 6
    # exponent 0 (the default) and call-level policies: program service alone
    for q0 in (
        mlq(first_quantum=1e9, num_queues=8),
        mlq(first_quantum=1e9, num_queues=8, policy="mlfq", output_weight_exponent=1),
    ):
        for i in range(OUTPUT_WARMUP):
            finish(q0, f"w{i}", f"W{i}", 1, out=8)
        finish(q0, "a0", "A", 25, out=2)
        expect = 2 if q0.policy == "plas" else 0
        assert q0.add("a1", "A", 1).level == expect


def test_program_order_queues_a_programs_calls_at_its_first_arrival():
    assert SchedulerConfig().program_order is False
    for on in (False, True):
        q = mlq(first_quantum=1e9, num_queues=4, adaptive_levels=False, program_order=on)
        old = q.add("a0", "A", 0.0)  # an older program's first call
        q.set_running(old, 0.0)
        q.finish("a0", 0.5)  # no service: its next call stays in level 0
        young = q.add("b0", "B", 1.0)  # a younger program's first call, waiting
        nxt = q.add("a1", "A", 2.0)  # the older program's next call
        assert young.level == nxt.level == 0
        # on: FCFS among programs (A arrived first); off: among calls (b0 arrived first)
        assert (nxt.order_key() < young.order_key()) is on
        # a call demoted at its quantum joins the back of its level either way
        q2 = mlq(first_quantum=10, num_queues=4, adaptive_levels=False, program_order=on)
        c = q2.add("c0", "C", 0.0)
        later = q2.add("d0", "D", 3.0)
        q2.set_running(c, 0.0)
        assert q2.charge(c, 10, now=4.0) and c.level == 1
        q2.charge(later, 10, now=5.0)
        assert later.level == 1 and c.order_key() < later.order_key()
    # call-level policies keep call FCFS
    q = mlq(policy="mlfq", program_order=True)
    q.add("a0", "A", 0.0)
    q.finish("a0", 0.5)
    young, nxt = q.add("b0", "B", 1.0), q.add("a1", "A", 2.0)
    assert young.order_key() < nxt.order_key()


def test_starvation_fast_rise_follows_a_burst_at_once_and_decays_slowly():
    assert SchedulerConfig().starvation_fast_rise is False
    slow, fast = mlq(starvation_beta=8.0), mlq(starvation_beta=8.0, starvation_fast_rise=True)
    for q in (slow, fast):
        for t in range(21):  # light load
            q.observe_load(1, 8, float(t))
        assert q.starvation_threshold == 8.0
        q.observe_load(80, 8, 20.5)  # a burst: 10 waiting per running call
    assert slow.starvation_threshold == 8.0  # the 5 s average has hardly moved
    assert fast.starvation_threshold == pytest.approx(80.0)  # at once, no hysteresis wait
    fast.observe_load(160, 8, 20.6)  # it keeps rising with the queue
    assert fast.starvation_threshold == pytest.approx(160.0)
    fast.observe_load(1, 8, 21.0)  # the queue drains: the threshold falls back slowly
    assert fast.starvation_threshold == pytest.approx(160.0)
    for t in range(22, 80):
        fast.observe_load(1, 8, float(t))
    assert fast.starvation_threshold == pytest.approx(8.0)


def test_output_weight_turns_the_relevel_index_off():
    """The service index of ``relevel_all`` assumes one weight for every program; the output
    weight differs per program and moves with the typical output, so it walks every call."""
    assert mlq()._indexed
    assert not mlq(output_weight_exponent=1)._indexed


def test_fanout_weight_preempts_false_keeps_preemption_on_unweighted_levels():
    from vllm_nexus.config import ConfigError, NexusConfig

    with pytest.raises(ConfigError, match="fanout_weight_preempts"):
        NexusConfig.from_dict({"scheduler": {"fanout_weight_preempts": 1}})
    assert SchedulerConfig().fanout_weight_preempts is True

    # levels [0,10) [10,20) [20,40) [40,80) [80,160) [160,320) ...
    def setup(preempts):
        q = mlq(
            first_quantum=1e9,
            num_queues=10,
            adaptive_levels=False,
            fanout_service_weight=8,
            fanout_weight_preempts=preempts,
            preemption_min_level_gap=1,
            preemption_cost_factor=0,
            stage_rerank="width",
        )
        complete(q, "r", "T", 25, now=0)  # a tree search: root (25), then a fan-out
        a = q.add("a", "T", 1)
        q.add("b", "T", 1)
        assert q.programs.get("T").fanouts == 1
        q.set_running(a, 1)
        complete(q, "s0", "S", 150, now=1)  # a sequential program at 150 (level 4)
        head = q.add("s1", "S", 2)
        return q, a, head

    q, victim, head = setup(True)
    # the fan-out's first call: stage start 25 + 1 x typical, weighted 8x -> a low level
    assert victim.level == 5 and head.level == 4 and victim.weight_levels == 0
    assert q.worth_preempting(victim, head, recompute_tokens=0)
    q, victim, head = setup(False)
    # same queue order (the weight still sinks the search) ...
    assert victim.level == 5 and head.level == 4
    # ... but without the weight the running call ranks above the head: not displaced
    assert victim.level - victim.weight_levels < 4 and head.weight_levels == 0
    assert not q.worth_preempting(victim, head, recompute_tokens=0)
    # a head that is worse without the weight too still displaces it
    complete(q, "x0", "X", 0.5, now=2)
    head0 = q.add("x1", "X", 3)
    assert head0.level == 0
    assert q.worth_preempting(victim, head0, recompute_tokens=0) == (
        victim.level - victim.weight_levels > 0
    )
    # without a weight the option records nothing (and preemption is the level rule alone)
    q = mlq(first_quantum=1e9, num_queues=10, fanout_weight_preempts=False)
    fan = [q.add(f"f{i}", "F", 0) for i in range(3)]
    assert q.programs.get("F").fanouts and all(c.weight_levels == 0 for c in fan)
