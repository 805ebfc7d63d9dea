"""Program table: PLAS/ATLAS service rules, abort cleanup, TTL and capacity eviction."""

from vllm_nexus.programs.table import ProgramTable, atlas_update, plas_update


def test_plas_sums_completed_calls():
    t = ProgramTable(plas_update)
    for i, svc in enumerate([10.0, 5.0, 7.0]):
        t.call_started("p", now=i)
        t.call_finished(
            "p", now=i + 0.5, start_priority=0, call_service=svc, call_wait_s=1, call_run_s=2
        )
    p = t.get("p")
    assert p.service == 22.0 and p.completed_calls == 3
    assert (p.wait_s, p.run_s) == (3, 6)


def test_atlas_parallel_calls_take_critical_path():
    # Three parallel calls start at program service 10; the longest (8) defines the path.
    t = ProgramTable(atlas_update)
    t.call_started("p", 0)
    t.call_finished("p", 0, start_priority=0, call_service=10, call_wait_s=0, call_run_s=0)
    for _ in range(3):
        t.call_started("p", 1)
    for svc in (3, 8, 5):
        t.call_finished("p", 2, start_priority=10, call_service=svc, call_wait_s=0, call_run_s=0)
    assert t.get("p").service == 18  # not 10 + 3 + 8 + 5 (PLAS would give 26)


def test_atlas_equals_plas_for_sequential_program():
    a, p = ProgramTable(atlas_update), ProgramTable(plas_update)
    for t in (a, p):
        for svc in (4.0, 6.0, 1.5):
            prog = t.call_started("x", 0)
            start = prog.service
            t.call_finished(
                "x", 0, start_priority=start, call_service=svc, call_wait_s=0, call_run_s=0
            )
    assert a.get("x").service == p.get("x").service == 11.5


def test_abort_charges_service_and_keeps_program_until_ttl():
    t = ProgramTable(plas_update, ttl_s=10)
    t.call_started("p", 0)
    t.call_started("p", 0)
    t.call_aborted("p", 1, start_priority=0, call_service=30, call_wait_s=1, call_run_s=2)
    assert t.get("p").active_calls == 1
    t.call_aborted("p", 2, start_priority=0, call_service=12, call_wait_s=0, call_run_s=1)
    p = t.get("p")
    assert p is not None and p.service == 42 and p.aborted_calls == 2 and p.active_calls == 0
    assert (p.wait_s, p.run_s) == (1, 3)
    assert t.evict(now=11) == []  # idle for 9 s < TTL
    assert t.evict(now=12) == ["p"]


def test_idle_ttl_eviction_keeps_active_programs():
    t = ProgramTable(ttl_s=10)
    t.call_started("idle", 0)
    t.call_finished("idle", 1, 0, 1, 0, 0)
    t.call_started("busy", 0)
    t.evict(now=5)
    assert "idle" in t
    assert t.evict(now=12) == ["idle"]
    assert "busy" in t  # active programs are never evicted
    assert t.evicted_total == 1


def test_capacity_evicts_least_recently_seen_idle_program():
    t = ProgramTable(ttl_s=1e9, max_programs=3)
    for i, pid in enumerate("abc"):
        t.call_started(pid, i)
        t.call_finished(pid, i, 0, 1, 0, 0)
    t.call_started("a", 10)  # a is active again and most recent
    t.call_finished("a", 10, 0, 1, 0, 0)
    t.call_started("d", 11)
    assert set(p.program_id for p in t.programs()) == {"a", "c", "d"}


def test_memory_stays_flat_under_many_distinct_programs():
    t = ProgramTable(ttl_s=1e9, max_programs=1000)
    for i in range(50_000):
        pid = f"p{i}"
        t.call_started(pid, i)
        t.call_finished(pid, i, 0, 1, 0, 0)
    assert len(t) == 1000 and t.evicted_total == 49_000


def test_end_program_releases_after_the_last_active_call_with_service_charged():

    ended = []
    t = ProgramTable(plas_update, ttl_s=100)
    t.on_end = lambda p, why: ended.append((p.program_id, p.service, why))
    t.call_started("P", 0.0)
    t.call_started("P", 0.0)
    assert t.end_program("P", 1.0) and "P" in t
    t.call_finished("P", 2.0, 0.0, 5.0, 0.0, 0.0)
    assert "P" in t  # one call still active
    t.call_finished("P", 3.0, 0.0, 7.0, 0.0, 0.0)
    assert "P" not in t and ended == [("P", 12.0, "final")] and t.ended_total == 1
    assert not t.end_program("unknown", 4.0)
    t.call_started("Q", 5.0)
    t.call_finished("Q", 6.0, 0.0, 1.0, 0.0, 0.0)
    assert t.end_program("Q", 7.0) and "Q" not in t  # idle program: released at once
    t.call_started("R", 8.0)
    t.call_finished("R", 9.0, 0.0, 1.0, 0.0, 0.0)
    t.evict(200.0)
    assert ended[-1] == ("R", 1.0, "idle") and t.ended_total == 2


def test_a_call_after_the_end_marker_keeps_the_program():

    t = ProgramTable()
    t.call_started("P", 0.0)
    t.end_program("P", 0.5)
    t.call_started("P", 1.0)  # the client went on after all
    t.call_finished("P", 2.0, 0.0, 1.0, 0.0, 0.0)
    t.call_finished("P", 3.0, 0.0, 1.0, 0.0, 0.0)
    assert "P" in t
