"""ProgramRequestQueue: vLLM's waiting-queue interface over a keyed heap."""

from __future__ import annotations

import random

from sched_harness import make_request

from vllm_nexus.programs.request_queue import ProgramRequestQueue


def queue_with(keys: dict[str, tuple]) -> tuple[ProgramRequestQueue, dict]:
    q = ProgramRequestQueue(lambda r: keys[r.request_id])
    reqs = {rid: make_request(rid, prompt_len=4) for rid in keys}
    for r in reqs.values():
        q.add_request(r)
    return q, reqs


def test_iteration_indexing_and_smallest_follow_the_key_order():
    rng = random.Random(0)
    keys = {f"r{i}": (rng.randrange(4), rng.random()) for i in range(300)}
    q, reqs = queue_with(keys)
    for rid in rng.sample(sorted(keys), 100):  # stale heap entries on the way
        q.remove_request(reqs[rid])
    order = sorted((k, rid) for rid, k in keys.items() if reqs[rid] in q)
    expected = [reqs[rid] for _, rid in order]
    assert list(q) == expected and len(q) == 200
    assert q[0] is expected[0] and q[-1] is expected[-1] and q[3:6] == expected[3:6]
    for n in (0, 1, 7, 50, 500):
        assert q.smallest(n) == expected[:n]
    assert q.peek_request() is expected[0]
    assert [q.pop_request() for _ in range(3)] == expected[:3]


def test_best_is_smallest_read_lazily():
    """``best(n)`` yields what ``smallest(n)`` returns, in order, and walks the heap only as
    far as it is read (the preemption pick usually reads the head alone)."""
    rng = random.Random(1)
    keys = {f"r{i}": (rng.randrange(3), rng.random()) for i in range(200)}
    q, reqs = queue_with(keys)
    for rid in rng.sample(sorted(keys), 80):  # stale heap entries on the way
        q.remove_request(reqs[rid])
    for n in (0, 1, 4, 119, 120, 121, 500):
        assert list(q.best(n)) == q.smallest(n)
    expected = q.smallest(5)
    it = q.best(5)
    assert next(it) is expected[0] and next(it) is expected[1]  # stop early: no error
    assert list(it) == expected[2:]
    assert list(ProgramRequestQueue(lambda r: (0,)).best(3)) == []


def test_update_rekeys_one_request_and_contains_checks_identity():
    keys = {"a": (1,), "b": (2,), "c": (3,)}
    q, reqs = queue_with(keys)
    keys["c"] = (0,)
    q.update(reqs["c"])
    assert [r.request_id for r in q] == ["c", "a", "b"] and len(q) == 3
    assert reqs["a"] in q and make_request("a") not in q
    q.update(make_request("zzz"))  # not queued: no-op
    assert len(q) == 3


def test_prepend_reinserts_with_its_key():
    keys = {"a": (1,), "b": (2,)}
    q, reqs = queue_with(keys)
    b = q.pop_request() and q.pop_request()
    q.prepend_request(b)
    q.prepend_requests([reqs["a"]])
    assert list(q) == [reqs["a"], reqs["b"]]


def test_update_many_pops_as_one_update_per_request():
    """Re-keying many requests at once (a re-levelling) leaves the queue popping in the same
    order, with the same per-level counts, as one :meth:`update` per request (many re-keyed
    and a few), beside stale entries and requests that are not queued."""
    for moved_share in (0.6, 0.05):
        rng = random.Random(7)
        keys = {f"r{i}": (0, rng.randrange(4), rng.random()) for i in range(400)}
        one, reqs = queue_with(keys)
        many = ProgramRequestQueue(one._key)  # the same key function (reads `keys`)
        for r in reqs.values():
            many.add_request(r)
        for rid in rng.sample(sorted(keys), 50):  # stale heap entries on the way
            one.remove_request(reqs[rid])
            many.remove_request(reqs[rid])
        moved = rng.sample(sorted(keys), int(moved_share * len(keys)))
        for rid in moved:
            keys[rid] = (0, rng.randrange(4), rng.random())
        batch = [reqs[rid] for rid in moved] + [make_request("not-queued")]
        for r in batch:
            one.update(r)
        many.update_many(batch)
        assert len(many) == len(one) == 350
        assert many._groups == one._groups
        assert many.ahead((0, 2)) == one.ahead((0, 2))
        assert list(many) == list(one)
        assert [many.pop_request() for _ in range(350)] == [one.pop_request() for _ in range(350)]


def test_heap_entries_hold_nothing_the_collector_tracks():
    """Entries name their request by id (the requests live in a dict): after one collection
    the heap's tuples, live and stale, are untracked and cost no collector time."""
    import gc

    rng = random.Random(3)
    keys = {f"r{i}": (rng.randrange(3), rng.random()) for i in range(50)}
    q, reqs = queue_with(keys)
    for rid in list(keys)[:20]:  # re-keyed: stale entries stay in the heap
        keys[rid] = (0, rng.random())
        q.update(reqs[rid])
    gc.collect()
    assert len(q._heap) == 70
    assert not any(gc.is_tracked(e) for e in q._heap)
    order = sorted((k, rid) for rid, k in keys.items())
    assert list(q) == [reqs[rid] for _, rid in order]
    assert all(r in q for r in reqs.values())
    q.remove_request(reqs["r0"])
    assert reqs["r0"] not in q and "r0" not in q._requests
    assert q.pop_request() is reqs[order[0][1] if order[0][1] != "r0" else order[1][1]]
