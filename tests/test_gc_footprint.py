"""What per-program state costs CPython's cyclic collector: counted, not timed.

vLLM freezes its startup heap (``freeze_gc_heap``); everything vllm_nexus keeps afterwards is
walked by every full collection, at up to ``max_programs`` (100k) programs and
``program_inference_max_calls`` (32k) remembered calls (docs/benchmarks.md, "the collector
at 100k programs"). Cold programs (idle for ``program_pack_after_s``) are stored packed and
remembered calls as plain tuples, so neither leaves objects the collector tracks; these tests
count them.
"""

from __future__ import annotations

import gc
import random
from types import SimpleNamespace

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.assignment import ProgramAssigner
from vllm_nexus.programs.identity import SOLO_PREFIX
from vllm_nexus.programs.lineage import LineageIndex
from vllm_nexus.programs.queues import MultiLevelQueue
from vllm_nexus.programs.table import IdQueue, ProgramTable, plas_update


def tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


def serve_programs(q: MultiLevelQueue, assigner: ProgramAssigner, first: int, n: int, rng):
    """``n`` new id-less programs of one call each, through the assigner (lineage) and the
    queue, as the scheduler runs them: arrive, run, complete, remembered by lineage; 20 a
    second (program ``i`` at ``i / 20`` s)."""
    for i in range(first, first + n):
        rid = f"r{i}"
        req = SimpleNamespace(
            request_id=rid,
            prompt_token_ids=[rng.randrange(3, 4000) for _ in range(48)],
            output_token_ids=[rng.randrange(3, 4000) for _ in range(8)],
        )
        now = i * 0.05
        pid = assigner.assign(req, SOLO_PREFIX + rid, now)
        call = q.add(rid, pid, now)
        q.set_running(call, now)
        q.charge(call, rng.expovariate(1 / 50))
        q.finish(rid, now, output_tokens=8)
        assigner.finished(req, pid, True, now)


def test_idle_programs_and_remembered_calls_leave_no_tracked_objects():
    """Default scheduler config (plas, the size check's model of recent programs, lineage).
    After a warm-up that fills every bounded window (the size model's 1000 recent programs,
    lineage's batch), 6000 more programs of one call each: the objects the collector tracks
    grow by < 0.01 per program (measured: 3 objects in all). Before this layout: 4 per program
    (the program, and the remembered call's entry, pair and list). What may remain: the size
    model's windows hold a fixed number of recent programs (as objects, replaced by newer
    ones), and the programs of the last ``program_pack_after_s`` (60 s: 1200 here) are warm,
    packed once cold: a fixed number too."""
    cfg = SchedulerConfig()
    assert cfg.program_inference == "lineage" and cfg.preemption_size_check
    q, assigner, rng = MultiLevelQueue(cfg), ProgramAssigner(cfg), random.Random(0)
    serve_programs(q, assigner, 0, 3000, rng)
    before = tracked()
    serve_programs(q, assigner, 3000, 6000, rng)
    grown = tracked() - before
    assert len(q.programs) == 9000 and assigner.remembered_calls == 9000
    assert grown < 0.01 * 6000, f"{grown / 6000:.3f} tracked objects per program"
    warm = 60 * 20 + 1  # released within the last minute
    assert q.programs.packed_programs >= 9000 - warm - 100  # all but those (and a few held)


def test_remembered_calls_are_not_tracked_and_still_match():
    idx = LineageIndex(max_calls=2000, ttl_s=1e9)
    rng = random.Random(1)
    calls = []
    for i in range(3000):  # past capacity: expiry runs too; every 10th prompt shared
        prompt = [5, 6, 7] * 8 if i % 10 == 0 else [rng.randrange(3, 4000) for _ in range(24)]
        out = [rng.randrange(3, 4000) for _ in range(12)]
        calls.append((prompt, out))
        idx.defer(idx.prompt(prompt).key, len(prompt), out, f"P{i}", float(i))
    assert len(idx) == 2000
    gc.collect()
    entries = list(idx._order.values())
    assert not any(gc.is_tracked(e) for e in entries)
    shared = [v for v in idx._by_key.values() if type(v) is list]
    assert len(shared) == 1 and len(shared[0]) == 200  # the shared prompt's calls, in order
    assert [e[0] for e in shared[0]][:2] == ["P1000", "P1010"]
    prompt, out = calls[2500]  # a continuation of a remembered call joins its program
    m = idx.match(idx.prompt(prompt + out + [9, 9]), 3000.0)
    assert m is not None and m.program_id == "P2500"


def test_a_program_someone_holds_stays_one_object():
    """Packing is unobservable: a held program is never replaced (updates reach the holder);
    released, it is packed; revived by get(), it has the same fields (and is packed again
    after its next release); evicted packed, it is handed to on_end with its final state."""
    t = ProgramTable(plas_update, ttl_s=100, pack_after_s=0.0)  # packed as soon as idle
    ended = []
    t.on_end = lambda p, why: ended.append((p.program_id, p.service, p.completed_calls, why))

    def one_call(pid: str, now: float, service: float) -> None:
        t.call_started(pid, now)
        t.call_finished(pid, now, 0.0, service, 0.5, 1.0)

    for i in range(10):
        one_call(f"p{i}", float(i), 1.0 + i)
    held = t.get("p3")
    for _ in range(20):  # later releases pack every idle program nothing else refers to
        one_call("other", 20.0, 1.0)
    assert t._programs["p3"] is held
    assert "p4" in t._packed and t.packed_programs == 9  # all but p3, other
    one_call("p3", 21.0, 2.0)
    assert held.service == 6.0 and held.completed_calls == 2 and t.get("p3") is held
    p4 = t.get("p4")  # revived
    assert (p4.service, p4.wait_s, p4.run_s, p4.last_seen) == (5.0, 0.5, 1.0, 4.0)
    assert t._programs["p4"] is p4 and "p4" not in t._packed
    del held, p4
    for _ in range(20):
        one_call("other", 22.0, 1.0)
    assert t.packed_programs == 9  # p4 revived: an object until its next release
    one_call("p4", 22.0, 0.0)
    for _ in range(20):
        one_call("other", 22.0, 1.0)
    assert t.packed_programs == 10
    gc.collect()
    assert list(t._programs) == ["other"] and not gc.is_tracked(t._packed)
    assert not gc.is_tracked(t._idle._number) and not gc.is_tracked(t._idle._id)
    t.evict(104.5)  # p0..p2 idle past the TTL (p3, p4 were seen at 21, 22), packed
    assert ended == [(f"p{i}", 1.0 + i, 1, "idle") for i in (0, 1, 2)]
    assert len(t) == 8 and t.get("p4").completed_calls == 2  # (p5 was seen at 5)


def test_id_queue_keeps_order_and_is_never_tracked():
    q = IdQueue()
    for key in "abcde":
        q.push(key)
    q.push("b")  # to the back
    q.discard("a")
    assert len(q) == 4 and "a" not in q and "c" in q
    assert [q.pop_first() for _ in range(3)] == ["c", "d", "e"] and q.first() == "b"
    assert not gc.is_tracked(q._number) and not gc.is_tracked(q._id)


def test_programs_are_packed_only_once_cold_a_few_per_release():
    """``pack_after_s``: a program whose next call comes within it is never packed (no
    pack/revive per call); a cold one is packed at a later release, at most
    ``PACK_PER_RELEASE`` per release, oldest first; a held one is examined again
    ``pack_after_s`` later; pack_cold(now) packs every due one at once."""
    t = ProgramTable(plas_update, ttl_s=1000, pack_after_s=60)

    def one_call(pid: str, now: float) -> None:
        t.call_started(pid, now)
        t.call_finished(pid, now, 0.0, 1.0, 0.0, 0.0)

    for i in range(10):
        one_call(f"p{i}", float(i))
    one_call("p5", 30.0)  # called again before it went cold
    one_call("x", 59.0)
    assert t.packed_programs == 0  # nothing idle for a minute yet
    one_call("x", 65.5)  # p0..p4 are cold (p5 ran at 30): 4 examined per release
    assert sorted(t._packed) == ["p0", "p1", "p2", "p3"]
    held = t.get("p6")
    one_call("x", 70.0)  # p4, then p6 (held: again at 130), p7, p8
    assert sorted(t._packed) == ["p0", "p1", "p2", "p3", "p4", "p7", "p8"]
    assert t._programs["p6"] is held and "p5" in t._programs
    del held
    assert t.pack_cold(89.0) == 1 and "p9" in t._packed  # due at 69: packed at once
    assert t.pack_cold(90.0) == 1 and "p5" in t._packed  # due at 90 (its last call at 30)
    assert "p6" in t._programs and t.pack_cold(130.0) == 2  # p6, and x (last call at 70)
    assert not t._programs and t.packed_programs == len(t) == 11
    revived = t.get("p0")  # revived by its next call: an object until cold again
    assert revived.completed_calls == 1 and revived.last_seen == 0.0
    del revived
    one_call("p0", 200.0)
    assert t.pack_cold(259.0) == 0 and "p0" in t._programs
    assert t.pack_cold(260.0) == 1 and t.get("p0").completed_calls == 2
    assert not t._to_pack and not t._entry  # every entry consumed (stale ones skipped)


def test_eviction_is_one_comparison_until_the_oldest_idle_program_is_due():
    """The eviction check is skipped while nothing can be past the TTL (a lower bound on
    the oldest idle program's expiry), and still evicts at the right time and capacity."""
    t = ProgramTable(plas_update, ttl_s=10, max_programs=3)
    for i, pid in enumerate("abc"):
        t.call_started(pid, float(i))
        t.call_finished(pid, float(i), 0.0, 1.0, 0.0, 0.0)
    assert t._evict_at == 10.0  # a, idle since 0
    t.call_started("a", 5.0)  # the oldest idle program leaves the idle queue
    assert t._evict_at == 10.0 and t.evict(10.5) == [] and t._evict_at == 11.0  # b
    t.call_started("d", 10.6)  # past capacity: the least recently seen idle program goes
    assert "b" not in t and len(t) == 3
    t.call_finished("a", 10.7, 0.0, 1.0, 0.0, 0.0)
    t.call_started("e", 12.5)  # c (idle since 2) is past the TTL at 12.5; a (10.7) is not
    assert "c" not in t and "a" in t and t._evict_at == 20.7
