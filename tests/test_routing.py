"""Unit tests of the program-affine routing policy (Autellix Alg. 2). No vLLM, no Ray."""

from __future__ import annotations

import pytest

from vllm_nexus.cluster.policy import NoReplicaError, ProgramRouter, estimate_tokens


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def make(strategy: str = "program-affine", **kw) -> tuple[ProgramRouter, Clock]:
    clock = Clock()
    router = ProgramRouter(strategy=strategy, long_prompt_tokens=100, clock=clock, **kw)
    router.set_replicas(["a", "b", "c"])
    return router, clock


def test_short_calls_go_to_least_used_and_spread():
    r, _ = make()
    chosen = [r.choose(f"c{i}", "p", 10).replica for i in range(6)]
    # in-flight reservations spread a burst evenly
    assert sorted(chosen) == ["a", "a", "b", "b", "c", "c"]
    assert r.num_pins == 0
    assert r.decisions["short"] == 6


def test_threshold_is_inclusive_for_short():
    r, _ = make()
    assert r.choose("c1", "p", 100).reason == "short"
    assert r.choose("c2", "p", 101).reason == "new-pin"


def test_long_calls_of_a_program_stick_even_when_busy():
    r, _ = make()
    first = r.choose("c0", "p1", 500)
    assert first.reason == "new-pin"
    # load the pinned replica heavily with other calls
    for i in range(10):
        r._inflight[first.replica] += 1  # simulate others' calls
        d = r.choose(f"c{i + 1}", "p1", 500)
        assert d.replica == first.replica
        assert d.reason == "pinned"
    assert r.pin_of("p1") == first.replica


def test_new_pins_go_to_least_used():
    r, _ = make()
    busy = {r.choose("x1", None, 10).replica, r.choose("x2", None, 10).replica}
    d = r.choose("c", "p", 500)
    assert d.replica not in busy and d.reason == "new-pin"


def test_release_frees_inflight_and_is_idempotent():
    r, _ = make()
    d = r.choose("c1", "p", 10)
    assert r.inflight(d.replica) == 1
    assert r.release("c1") == d.replica
    assert r.inflight(d.replica) == 0
    assert r.release("c1") is None
    assert r.inflight(d.replica) == 0


def test_retry_of_same_call_does_not_double_count():
    r, _ = make()
    r.choose("c1", "p", 10)
    r.choose("c1", "p", 10)
    assert sum(r.inflight(x) for x in "abc") == 1


def test_pin_expires_after_program_ttl():
    r, clock = make(pin_ttl_s=60)
    d = r.choose("c1", "p", 500)
    r.release("c1")
    clock.t = 59
    assert r.choose("c2", "p", 500).replica == d.replica
    r.release("c2")
    clock.t = 59 + 60
    r.choose("other", "q", 10)  # any routing call expires stale pins
    assert r.pin_of("p") is None
    assert r.expired_pins_total == 1


def test_short_calls_keep_the_pin_alive():
    r, clock = make(pin_ttl_s=60)
    d = r.choose("c1", "p", 500)
    for t in (50, 100, 150):
        clock.t = t
        r.choose(f"s{t}", "p", 10)
    assert r.pin_of("p") == d.replica


def test_dead_replica_pins_move_on_next_call_and_count_reroutes():
    r, _ = make()
    d = r.choose("c1", "p", 500)
    other = r.choose("c2", "q", 500)
    assert other.replica != d.replica
    orphaned = r.set_replicas([x for x in "abc" if x != d.replica])
    assert orphaned == ["p"]
    assert r.inflight(d.replica) == 0  # reservations on the dead replica are dropped
    moved = r.choose("c3", "p", 500)
    assert moved.reason == "reroute" and moved.replica != d.replica
    assert r.reroutes_total == 1
    assert r.choose("c4", "p", 500).reason == "pinned"
    # the unaffected program keeps its replica
    assert r.choose("c5", "q", 500).replica == other.replica
    assert r.reroutes_total == 1


def test_pinned_replica_not_among_candidates_reroutes():
    r, _ = make()
    d = r.choose("c1", "p", 500)
    rest = [x for x in "abc" if x != d.replica]
    assert r.choose("c2", "p", 500, candidates=rest).reason == "reroute"


def test_capacity_evicts_least_recently_used_pin():
    r, _ = make(max_pins=2)
    r.choose("c1", "p1", 500)
    r.choose("c2", "p2", 500)
    r.choose("c3", "p1", 500)  # p1 used again -> p2 is least recent
    r.choose("c4", "p3", 500)
    assert r.pin_of("p2") is None and r.pin_of("p1") and r.pin_of("p3")


def test_call_without_program_is_never_pinned():
    r, _ = make()
    assert r.choose("c1", None, 500).reason == "no-program"
    assert r.num_pins == 0


def test_round_robin_and_least_used_baselines_ignore_programs():
    rr, _ = make("round-robin")
    assert [rr.choose(f"c{i}", "p", 500).replica for i in range(6)] == list("abcabc")
    assert rr.num_pins == 0
    lu, _ = make("least-used")
    lu._inflight["a"] = 5
    lu._inflight["b"] = 5
    assert lu.choose("c", "p", 500).replica == "c"
    assert lu.num_pins == 0


def test_least_used_ties_rotate():
    r, _ = make()
    picks = set()
    for i in range(3):
        d = r.choose(f"c{i}", None, 10)
        picks.add(d.replica)
        r.release(f"c{i}")
    assert picks == {"a", "b", "c"}


def test_stale_reservations_are_purged():
    r, clock = make(reservation_ttl_s=10)
    d = r.choose("lost", None, 10)
    clock.t = 11
    r.choose("new", None, 10)
    assert "lost" not in r._calls
    assert r.inflight(d.replica) in (0, 1)
    assert sum(r.inflight(x) for x in "abc") == 1


def test_errors():
    with pytest.raises(ValueError, match="vllm_nexus.router.strategy"):
        ProgramRouter(strategy="random")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ProgramRouter(long_prompt_tokens=-1)
    r = ProgramRouter()
    with pytest.raises(NoReplicaError):
        r.choose("c", "p", 10)


def test_stats_shape():
    r, _ = make()
    r.choose("c1", "p", 500)
    s = r.stats()
    assert s["pins"] == 1 and sum(s["pins_per_replica"].values()) == 1
    assert s["decisions"] == {"new-pin": 1}


def test_estimate_tokens():
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd" * 100) == 100


def test_a_retry_moves_the_reservation_and_is_not_another_decision():
    r, _ = make()
    first = r.choose("c0", "p", 10).replica
    again = r.choose("c0", "p", 10).replica  # the call still waits for room: chosen again
    assert sum(r.inflight(x) for x in r.replicas) == 1 and r.inflight(again) == 1
    assert r.decisions["short"] == 1
    assert first in r.replicas and r.routed == {}  # chosen, not yet handed to a replica


def test_a_call_is_counted_on_the_replica_that_took_it():
    r, _ = make()
    chosen = r.choose("c0", "p", 10).replica
    r.assigned("c0", chosen)
    assert r.inflight(chosen) == 1 and r.routed == {chosen: 1}
    other = next(x for x in r.replicas if x != chosen)
    r.assigned("c1", other)  # taken without a reservation: held there until released
    assert r.inflight(other) == 1 and r.routed == {chosen: 1, other: 1}
    r.release("c0")
    r.release("c1")
    assert sum(r.inflight(x) for x in r.replicas) == 0


def test_a_call_cancelled_while_waiting_frees_its_reservation():
    r, _ = make()
    for i in range(5):
        r.choose(f"c{i}", "p", 10)
    for i in range(5):  # cancelled before any replica took them: released, never routed
        assert r.release(f"c{i}") is not None
    assert sum(r.inflight(x) for x in r.replicas) == 0 and r.routed == {}
    assert r.release("c0") is None  # idempotent


def test_reservations_of_calls_the_endpoint_no_longer_holds_are_freed():
    r, _ = make()
    held = {"req-a", "req-b"}
    a = r.choose("c0", "p", 10, key="req-a").replica
    r.assigned("c0", a, key="req-a")
    r.choose("c1", "p", 10, key="req-b")
    b = r.choose("c1", "p", 10, key="req-b").replica  # a retry keeps its key
    r.assigned("c2", a, key="req-c")  # handed over, never sent, its end never reported
    r.choose("c3", None, 10)  # unkeyed: left to the stale purge
    assert r.reservations == 4
    assert r.release_ended(held.__contains__) == ["c2"]
    assert r.reservations == 3 and r.ended_released_total == 1
    held.discard("req-b")
    assert r.release_ended(held.__contains__) == ["c1"]
    assert r.inflight(a) >= 1 and r.release("c1") is None
    assert r.release_ended(lambda key: False) == ["c0"]
    assert r.reservations == 1 and r.ended_released_total == 3
    assert b in r.replicas
