"""Lazy decode charging: the same service, levels and tenant charges as a per-step loop."""

from __future__ import annotations

import random

import pytest
from sched_harness import (
    FakeClock,
    finished_ids,
    make_request,
    make_scheduler,
    output_for,
    sampling_ids,
)

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.decode_charge import DecodeCharges
from vllm_nexus.programs.queues import MultiLevelQueue


def mlq(**kw) -> MultiLevelQueue:
    base = dict(policy="plas", first_boundary=10, first_quantum=10, num_queues=4)
    base.update(kw, starvation_beta=0, adaptive_levels=False)
    return MultiLevelQueue(SchedulerConfig(**base))


def running_call(q, cid, pid="P", tenant="t"):
    c = q.add(cid, pid, 0.0, tenant_id=tenant)
    q.set_running(c, 0.0)
    return c


def test_service_is_the_frontier_past_the_mark():
    q = mlq()
    c = running_call(q, "a")
    d = DecodeCharges(q)
    d.start(c, mark=40)
    assert c.service == 0 and "a" in d
    d.settle("a", 43, 1.0)
    assert c.service == c.level_service == 3
    assert d.stop("a", 45, 2.0) == (c, False)
    assert c.service == 5 and "a" not in d and len(d) == 0


@pytest.mark.parametrize("skip", [set(), {3, 4, 11, 12, 13, 25}])
def test_demotion_on_the_step_a_per_step_loop_demotes(skip):
    """One token per scheduled step; steps in ``skip`` schedule the call not at all."""
    q, ref = mlq(), mlq()
    c, r = running_call(q, "a"), running_call(ref, "a")
    d = DecodeCharges(q)
    d.start(c, mark=0)
    frontier = 0
    for i in range(1, 80):
        d.next_step()
        if i not in skip:
            frontier += 1
            ref.charge(r, 1.0, float(i), charge_tenant=False)
        d.due(lambda call, f=frontier: f, float(i))
        assert c.level == r.level, i  # demoted on the same step, before any read
        d.settle("a", frontier, float(i))  # a read settles what is behind the frontier
        assert (c.level, c.level_service) == (r.level, pytest.approx(r.level_service)), i
    assert c.level == 3 and ref.demotions_total == q.demotions_total == 3


def test_last_level_and_fcfs_are_never_filed():
    q = mlq()
    c = running_call(q, "a")
    c.level = q.num_levels - 1
    d = DecodeCharges(q)
    d.start(c, mark=0)
    assert d._heap == []
    f = mlq(policy="fcfs")
    d2 = DecodeCharges(f)
    d2.start(running_call(f, "b"), mark=0)
    assert d2._heap == []


def test_refile_settles_and_demotes_when_quanta_shrink():
    q = mlq(first_quantum=100, first_boundary=100)
    c = running_call(q, "a")
    d = DecodeCharges(q)
    d.start(c, mark=0)
    for _ in range(30):
        d.next_step()
    assert d.due(lambda call: 30, 1.0) == []  # quantum 100: not due before step 100
    q.levels.quanta[0] = 20.0  # the levels re-tuned themselves
    assert d.refile(lambda call: 30, 1.0) == [c]
    assert c.level == 1 and c.service == 30 and c.level_service == 0


def test_tenant_counts_follow_start_and_stop():
    q = mlq()
    a, b, c = running_call(q, "a", tenant="x"), running_call(q, "b", tenant="x"), None
    c = running_call(q, "c", tenant="y")
    d = DecodeCharges(q)
    for call in (a, b, c):
        d.start(call, mark=0)
    assert sorted((t.tenant_id, n) for t, n in d.tenant_counts().values()) == [("x", 2), ("y", 1)]
    assert [(t.tenant_id, n) for t, n in d.tenant_counts(["c", "zz"]).values()] == [("y", 1)]
    d.stop("a", 1, 0.0)
    d.stop("c", None, 0.0)  # request gone: nothing to settle
    assert [(t.tenant_id, n) for t, n in d.tenant_counts().values()] == [("x", 1)]
    assert c.service == 0 and a.service == 1


def test_counts_handed_out_do_not_change_afterwards():
    """The live counts are handed out without a copy per step: a start or stop after that
    copies them first, so what a step recorded stays what it was."""
    q = mlq()
    a, b = running_call(q, "a", tenant="x"), running_call(q, "b", tenant="y")
    d = DecodeCharges(q)
    d.start(a, mark=0)
    first = d.step_counts({"a": 1})
    assert d.step_counts({"a": 1}) is first  # nothing changed: the same counts, no copy
    d.start(b, mark=0)
    second = d.step_counts({"a": 1, "b": 1})
    d.stop("a", 0, 0.0)
    assert [(t.tenant_id, n) for t, n in first.values()] == [("x", 1)]
    assert sorted((t.tenant_id, n) for t, n in second.values()) == [("x", 1), ("y", 1)]
    assert [(t.tenant_id, n) for t, n in d.step_counts({"b": 1}).values()] == [("y", 1)]
    # a step that left a decoding call out is counted over its batch (a new dict)
    d.start(a, mark=0)
    assert [(t.tenant_id, n) for t, n in d.step_counts({"b": 1}).values()] == [("y", 1)]
    assert d.step_counts({"b": 1, "p": 9}, explicit=1) is not d.step_counts({"a": 1, "b": 1})


# -- the scheduler: lazy charging against the per-step loop, in lockstep ------------------------


class Engine:
    """Drives a scheduler one tick at a time, sync or engine-core-like async (step N+1 is
    scheduled before step N's output is processed)."""

    def __init__(self, s, clock, async_mode):
        self.s, self.clock, self.async_mode, self.inflight = s, clock, async_mode, []
        self.finished: list[str] = []

    def tick(self):
        s = self.s
        if s.has_requests():
            out = s.schedule()
            self.inflight.append((out, sampling_ids(s, out)))
        if self.inflight and (
            not self.async_mode or len(self.inflight) == 2 or not s.has_requests()
        ):
            prev, ids = self.inflight.pop(0)
            self.clock.advance(0.01)
            eco = s.update_from_output(prev, output_for(prev, ids))
            self.finished.extend(sorted(finished_ids(eco)))

    def busy(self):
        return self.s.has_requests() or bool(self.inflight)


def state(s):
    calls = s.mlq.calls
    return (
        [r.request_id for r in s.running],
        sorted((rid, c.level, c.running, c.preemptions) for rid, c in calls.items()),
    )


@pytest.mark.parametrize("async_mode", [False, True])
@pytest.mark.parametrize("policy", ["plas", "mlfq", "atlas"])
def test_lazy_charging_matches_the_per_step_loop(async_mode, policy):
    nexus = {
        "scheduler": {
            "policy": policy,
            "first_boundary": 12,
            "first_quantum": 12,
            "starvation_beta": 0,
            "preemption_cost_factor": 0,
            # re-tuned levels apply at once when lazy, at the next charge in the loop
            "adaptive_levels": False,
        },
        "tenants": {"fair_share": True},
    }
    engines = []
    for lazy in (True, False):
        clock = FakeClock()
        s = make_scheduler(
            nexus=nexus,
            max_num_seqs=4,
            max_num_batched_tokens=64,
            num_blocks=40,
            async_scheduling=async_mode,
            clock=clock,
        )
        assert s._decode is not None
        if not lazy:
            s._decode = None  # the per-step loop over the batch
        s._tenant_of = lambda extra: "t" + extra["program_id"][-1:] if extra else "default"
        engines.append(Engine(s, clock, async_mode))
    rng = random.Random(7)
    added = 0
    for tick in range(2000):
        if added < 60 and len(engines[0].s.waiting) < 5 and rng.random() < 0.5:
            pid = f"P{rng.randrange(6)}"
            plen, mt = rng.randint(8, 70), rng.randint(1, 60)
            for e in engines:
                e.s.add_request(make_request(f"r{added}", plen, mt, program_id=pid))
            added += 1
        for e in engines:
            e.tick()
        lazy, loop = engines
        assert state(lazy.s) == state(loop.s), tick
        assert lazy.finished == loop.finished, tick
        if added >= 60 and not lazy.busy() and not loop.busy():
            break
    else:
        pytest.fail("did not drain")
    lazy, loop = (e.s for e in engines)
    assert lazy.nexus_metrics.preemptions_proactive + lazy.nexus_metrics.preemptions_kv > 0
    assert lazy.mlq.demotions_total == loop.mlq.demotions_total > 0
    assert lazy.nexus_metrics.demotions == loop.nexus_metrics.demotions
    assert lazy.nexus_metrics.service_total == pytest.approx(loop.nexus_metrics.service_total)
    for pid in {f"P{i}" for i in range(6)}:
        a, b = lazy.mlq.programs.get(pid), loop.mlq.programs.get(pid)
        assert (a is None) == (b is None)
        if a is not None:
            assert a.service == pytest.approx(b.service), pid
    for tid in ("t0", "t1", "t2", "t3", "t4", "t5"):
        ta, tb = lazy.mlq.tenants.get(tid), loop.mlq.tenants.get(tid)
        assert (ta is None) == (tb is None)
        if ta is not None:
            assert ta.service_total == pytest.approx(tb.service_total), tid
            assert ta.decayed == pytest.approx(tb.decayed), tid


def test_lazy_charging_is_off_where_it_cannot_be_exact():
    for sched in ({"service_unit": "time"}, {"policy": "gittins"}):
        assert make_scheduler(nexus={"scheduler": sched})._decode is None
    assert make_scheduler(nexus={"scheduler": {"policy": "plas"}})._decode is not None


def test_has_due_tells_whether_due_has_work():
    q = mlq()
    c = running_call(q, "a")
    d = DecodeCharges(q)
    assert not d.has_due()
    d.start(c, mark=0)  # quantum 10: can cross at step 10 at the earliest
    for _ in range(9):
        d.next_step()
        assert not d.has_due() and d.due(lambda call: 9, 1.0) == []
    d.next_step()
    assert d.has_due()
    assert d.due(lambda call: 10, 1.0) == [c]
    assert not d.has_due()  # filed again at its next level's crossing


def _old_refile(d: DecodeCharges, frontier_of, now: float) -> list:
    """``refile`` as it was: each call pushed onto the existing heap (stale entries kept)."""
    demoted = []
    for call_id, entry in list(d._marks.items()):
        frontier = frontier_of(entry[0])
        if frontier is not None and d._settle_entry(entry, frontier, now):
            demoted.append(entry[0])
        d._file(call_id)
    return demoted


def test_refile_rebuilds_the_heap_and_pops_as_before():
    """``refile`` files every decoding call into a new heap (heapified once): the same live
    entries as pushing each onto the old heap, none stale, so the same calls come due on the
    same steps in the same order; and the same demotions. Beside calls at the last level
    (never filed) and calls whose request is gone at the refile (not settled)."""
    sides = []
    for _ in range(2):
        rng = random.Random(3)
        q = mlq(first_quantum=100, first_boundary=100)
        d = DecodeCharges(q)
        calls = [running_call(q, f"c{i}", pid=f"P{i}") for i in range(60)]
        for call in calls[50:55]:
            call.level = q.num_levels - 1
        marks = {}
        for call in calls:
            marks[call.call_id] = rng.randrange(0, 50)
            d.start(call, mark=marks[call.call_id])
        for call in calls[:20]:  # filed again: stale entries in the heap
            d.file(call.call_id)
        ran = {call.call_id: rng.randrange(0, 90) for call in calls}  # tokens decoded so far
        for _ in range(10):
            d.next_step()
        q.levels.quanta[0] = 45.0  # re-tuned: some calls are past it already
        sides.append((q, d, marks, ran))
    (q1, new, marks, ran), (q2, old, _, _) = sides
    gone = {"c3", "c41", "c52"}

    def frontier(call):
        return None if call.call_id in gone else marks[call.call_id] + ran[call.call_id]

    demoted_new = [c.call_id for c in new.refile(frontier, 1.0)]
    demoted_old = [c.call_id for c in _old_refile(old, frontier, 1.0)]
    assert demoted_new == demoted_old and demoted_new  # some were past the new quantum
    live_old = [e for e in old._heap if old._marks[e[3]][2] == e[2]]
    assert sorted(new._heap) == sorted(live_old) and len(new._heap) == len(new) - 5  # last level
    for step in range(11, 120):  # the same calls come due, step by step
        new.next_step()
        old.next_step()
        f = lambda call, s=step: marks[call.call_id] + ran[call.call_id] + s  # noqa: E731
        assert [c.call_id for c in new.due(f, float(step))] == [
            c.call_id for c in old.due(f, float(step))
        ], step
    assert [(c.level, c.service) for c in q1.calls.values()] == [
        (c.level, c.service) for c in q2.calls.values()
    ]


def test_start_unfiled_then_filed_crosses_where_start_would_have_filed():
    """``start(file=False)`` (the scheduler files the call once its last prompt chunk is
    charged): no heap entry until :meth:`file`, then the same crossing as a filed start."""
    q, ref = mlq(), mlq()
    c, r = running_call(q, "a"), running_call(ref, "a")
    d, e = DecodeCharges(q), DecodeCharges(ref)
    d.start(c, mark=0, file=False)
    e.start(r, mark=0)
    assert d._heap == [] and not d.has_due() and "a" in d and len(d) == 1
    d.file("a")
    assert [h[0] for h in d._heap] == [h[0] for h in e._heap] == [10]
    assert [h[2] for h in d._heap] == [d._marks["a"][2]]  # live


def _steps_filed(s):
    """Decoding call ids with a live heap entry."""
    marks = s._decode._marks
    return {h[3] for h in s._decode._heap if h[3] in marks and marks[h[3]][2] == h[2]}


def test_a_started_call_is_filed_when_its_step_is_charged():
    s = make_scheduler(nexus={"scheduler": {"policy": "plas", "starvation_beta": 0}})
    s.add_request(make_request("a", 20, 40, program_id="P"))
    out = s.schedule()  # the whole prompt: decoding from the next step on
    assert "a" in s._decode and _steps_filed(s) == set()  # not filed before the charge
    s.update_from_output(out, output_for(out, sampling_ids(s, out)))
    assert _steps_filed(s) == {"a"}
    out = s.schedule()  # a decode-only step: nothing charged per call
    _, costs, extra, tally, lazy_total, _ = s._steps[id(out)]
    assert costs == {} and extra == {} and lazy_total == 1
    assert [n for _, n in tally.values()] == [1]
    before = s.nexus_metrics.service_total
    s.update_from_output(out, output_for(out, sampling_ids(s, out)))
    assert s.nexus_metrics.service_total == before + 1
    assert s._steps == {} and _steps_filed(s) == {"a"}


def test_a_started_call_of_a_step_never_charged_is_filed_when_the_step_is_dropped():
    """An output that never came back (engine reset): the oldest recorded steps beyond 16 are
    dropped, and a call that started decoding in one is filed then (else it would never be
    demoted while decoding)."""
    s = make_scheduler(nexus={"scheduler": {"policy": "plas", "starvation_beta": 0}})
    s.add_request(make_request("a", 20, 40, program_id="P"))
    s.schedule()
    assert _steps_filed(s) == set() and len(s._steps) == 1
    for i in range(16):  # outputs of other steps that never came back either
        s._steps[-1 - i] = (0.0, {}, {}, None, 0, {})
    s._drop_uncharged_steps()
    assert len(s._steps) == 16 and _steps_filed(s) == {"a"}
