"""``MultiLevelQueue.relevel_all``: re-levels only the calls a boundary move can affect, with
exactly the effects of the walk of every call (``relevel(calls.values())``)."""

import random

import pytest

from vllm_nexus.config import SchedulerConfig, TenantConfig
from vllm_nexus.programs.queues import MultiLevelQueue


def pair(tenant_cfg=None, **kw):
    """Two queues of one config: ``fast`` uses the index, ``walk`` the walk of every call."""
    base = dict(policy="plas", first_boundary=10, first_quantum=10, num_queues=6)
    base.update(kw)
    fast = MultiLevelQueue(SchedulerConfig(**base), tenant_cfg)
    walk = MultiLevelQueue(SchedulerConfig(**base), tenant_cfg)
    walk._indexed = False  # before any call: it never files one in the index
    return fast, walk


def state(q):
    calls = {
        cid: (c.level, c.level_service, c.seq, c.enter, c.deadline_token, c.start_priority)
        for cid, c in q.calls.items()
    }
    heap = sorted(q._deadlines)
    return calls, heap, q.starvation_threshold


def drive(fast, walk, seed, steps=4000, tenants=("t0",), phases=(30.0, 4.0, 60.0, 8.0)):
    """Random arrivals, admissions, charges, preemptions (some before any charge),
    completions (which move the self-tuning levels), starvation promotions; both queues get
    the same events; at each level change ``fast`` re-levels with the index and ``walk``
    with the walk. Returns (fast re-levellings, candidates the fast path looked at, calls
    tracked then) summed."""
    rng = random.Random(seed)
    version = fast.version
    n = relevels = looked = tracked = 0
    seen = []
    orig = fast.relevel

    def spy(waiting, now):
        seen.append(waiting if isinstance(waiting, list) else None)
        return orig(waiting, now)

    fast.relevel = spy
    for step in range(steps):
        now = step * 0.01
        scale = phases[(step * len(phases)) // steps]
        ev = rng.random()
        waiting = [cid for cid, c in fast.calls.items() if not c.running]
        running = [cid for cid, c in fast.calls.items() if c.running]
        if ev < 0.35 or not fast.calls:
            cid, pid = f"c{n}", f"p{rng.randrange(40)}"
            tenant = rng.choice(tenants)
            n += 1
            for q in (fast, walk):
                q.add(cid, pid, now, tenant_id=tenant)
        elif ev < 0.55 and waiting:
            cid = rng.choice(waiting)
            for q in (fast, walk):
                q.set_running(q.calls[cid], now)
        elif ev < 0.75 and running:
            cid, cost = rng.choice(running), rng.expovariate(1 / scale)
            for q in (fast, walk):
                q.charge(q.calls[cid], cost, now)
        elif ev < 0.82 and running:  # preempted (sometimes before its first charge)
            cid = rng.choice(running)
            for q in (fast, walk):
                q.set_waiting(q.calls[cid], now, preempted=True)
        elif ev < 0.97 and running:
            cid = rng.choice(running)
            c = fast.calls[cid]
            if not c.service:
                cost = rng.expovariate(1 / scale)
                for q in (fast, walk):
                    q.charge(q.calls[cid], cost, now)
            for q in (fast, walk):
                q.finish(cid, now, output_tokens=3)
        else:
            a = [c.call_id for c in fast.promote_due(now)]
            b = [c.call_id for c in walk.promote_due(now)]
            assert a == b
        assert fast.version == walk.version
        if fast.version != version:
            version = fast.version
            seen.clear()
            moved_fast = [c.call_id for c in fast.relevel_all(now)]
            moved_walk = [c.call_id for c in walk.relevel(walk.calls.values(), now)]
            assert moved_fast == moved_walk, step
            assert state(fast) == state(walk), step
            if not seen or seen[0] is not None:  # the index was used
                relevels += 1
                looked += len(seen[0]) if seen else 0
                tracked += len(fast.calls)
        else:
            assert state(fast)[0] == state(walk)[0]
    fast.relevel = orig
    return relevels, looked, tracked


@pytest.mark.parametrize("seed", range(6))
def test_relevel_all_matches_the_walk_of_every_call(seed):
    fast, walk = pair(starvation_beta=2, starvation_min_wait_s=0.05)
    relevels, looked, tracked = drive(fast, walk, seed)
    assert relevels >= 3  # the levels moved, and the index answered
    assert looked < tracked  # ... looking at fewer calls than the walk


@pytest.mark.parametrize("seed", range(3))
def test_relevel_all_with_stage_reranking_and_defaults(seed):
    # default stage handling (spread, stage re-ranking: start priorities change in place)
    fast, walk = pair(first_quantum=10)
    relevels, _, _ = drive(fast, walk, seed + 10)
    assert relevels >= 3


@pytest.mark.parametrize("seed", range(3))
def test_relevel_all_walks_every_call_when_a_lift_may_apply(seed):
    # two tenants active: a fair-share lift may shift levels, so the index is not used
    # while it can apply; the results match throughout either way
    fast, walk = pair(TenantConfig(), starvation_beta=2, starvation_min_wait_s=0.05)
    drive(fast, walk, seed + 20, tenants=("a", "b"))


@pytest.mark.parametrize("kw", [dict(policy="mlfq"), dict(policy="gittins")])
def test_relevel_all_other_policies_walk_every_call(kw):
    fast, walk = pair(**kw)
    assert not fast._indexed
    drive(fast, walk, 7, steps=1500)


def test_a_call_levelled_while_running_is_looked_at_when_it_returns():
    """A call admitted before its first charge is skipped by a re-levelling (running);
    preempted before any service, it waits at its old level: the next re-levelling must
    look at it even if the latest boundary move alone would not reach it."""
    q = MultiLevelQueue(SchedulerConfig(policy="plas", first_boundary=10, num_queues=4))
    walk = MultiLevelQueue(SchedulerConfig(policy="plas", first_boundary=10, num_queues=4))
    walk._indexed = False

    def both(f):
        return f(q), f(walk)

    def complete_many(service, start, n=32):
        for i in range(n):
            for m in (q, walk):
                c = m.add(f"d{start + i}", f"done{start + i}", 0.0)
                m.set_running(c, 0.0)
                m.charge(c, service)
                m.finish(c.call_id, 0.0)

    def grow(m, pid, service):
        c = m.add(f"g-{pid}", pid, 0.0)
        m.set_running(c, 0.0)
        m.charge(c, service)
        m.finish(c.call_id, 0.0)

    both(lambda m: grow(m, "P", 15.0))  # program P has 15 units of service
    x, xw = both(lambda m: m.add("x", "P", 0.0))
    assert x.level == xw.level == 1  # boundaries 10, 20, 40
    both(lambda m: m.set_running(m.calls["x"], 0.0))
    complete_many(30.0, 0)  # first boundary 30: x (15) would go to level 0, but it runs
    assert q.boundaries[0] == 30.0
    assert q.relevel_all(1.0) == [] and x.level == 1
    assert walk.relevel(walk.calls.values(), 1.0) == []
    both(lambda m: m.set_waiting(m.calls["x"], 1.0, preempted=True))  # no service yet
    complete_many(25.0, 100, 64)  # first boundary 25: 15 is below both 30 and 25
    assert q.boundaries[0] == 25.0
    assert [c.call_id for c in q.relevel_all(2.0)] == ["x"] and x.level == 0
    assert [c.call_id for c in walk.relevel(walk.calls.values(), 2.0)] == ["x"]
    assert state(q) == state(walk)


def test_index_follows_calls_and_start_priorities():
    q = MultiLevelQueue(SchedulerConfig(policy="plas"))
    a = q.add("a", "A", 0.0)
    b = q.add("b", "B", 0.0)
    assert [e[2] for e in q._fresh] == [a, b]
    q.finish("a", 1.0)
    assert [e[2] for e in q._fresh] == [b] and a.fresh_key is None
    b.start_priority = 7.0
    q._index(b)  # re-filed: one entry, at its new place
    assert [(e[0], e[2]) for e in q._fresh] == [(7.0, b)]


def test_deadline_entries_name_calls_by_id_and_never_revive():
    """The deadline heap's entries hold (time, tie, token, call id): untracked by the
    collector. Tokens are unique across calls, so the stale entry of a finished call does
    not apply to a new call that reuses its id."""
    import gc

    q = MultiLevelQueue(
        SchedulerConfig(
            policy="plas",
            first_boundary=10,
            first_quantum=10,
            starvation_beta=2,
            starvation_min_wait_s=0,
        )
    )
    old = q.add("x", "P0", 0.0)  # program P0 has no service: level 0, no deadline
    c = q.add("y", "P1", 0.0)
    q.set_running(c, 0.0)
    q.charge(c, 50.0)
    q.set_waiting(c, 1.0, preempted=True)  # level > 0: watched
    assert c.level > 0 and [e[3] for e in q._deadlines] == ["y"]
    token = c.deadline_token
    q.finish("y", 1.5)
    again = q.add("y", "P2", 1.5)  # same id, new call, level 0 (fresh program)
    assert again.deadline_token > token  # a queue-wide counter (a per-call one restarts)
    gc.collect()
    assert not any(gc.is_tracked(e) for e in q._deadlines)
    assert q.promote_due(100.0) == []  # the old entry is stale for the new call
    assert old.level == 0 and again.level == 0
