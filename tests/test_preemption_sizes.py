"""``preemption_size_check``: proactive preemption asks the learned program sizes (the Gittins
rank of each program's attained service) before displacing a running call. Pure rules on the
multi-level queue, no vLLM."""

from __future__ import annotations

import pytest
from test_policy_queues import complete, mlq

from vllm_nexus.config import ConfigError, NexusConfig


def learned(sizes, classes=None, **kw):
    """A queue whose size model has seen programs of the given sizes end (one call each)."""
    base = dict(
        preemption_cost_factor=0,
        preemption_size_check=True,
        adaptive_levels=False,
        gittins_min_samples=5,
        gittins_objective="latency",
    )
    base.update(kw)
    q = mlq(**base)
    for i, size in enumerate(sizes):
        pid = f"done{i}"
        cls = classes[i] if classes else None
        c = q.add(f"d{i}", pid, 0.0, program_class=cls)
        q.set_running(c, 0.0)
        q.charge(c, size)
        q.finish(f"d{i}", 0.0)
        q.programs.end_program(pid, 0.0)
    q.size_gate.refresh(1.0)
    assert q.size_gate.global_table is not None
    return q


def running(q, cid, pid, attained, level, cls=None):
    """A running call of a program that has attained ``attained`` service so far."""
    c = q.add(cid, pid, 1.0, program_class=cls)
    q.set_running(c, 1.0)
    c.service = attained
    c.level = level
    return c


def test_on_by_default_and_a_size_model_only_where_it_is_asked():
    cfg = NexusConfig().scheduler
    assert cfg.preemption_size_check is True and cfg.preemption_size_margin == 1.0
    assert mlq().size_gate is not None  # plas (the default policy) keeps a size model
    assert mlq(preemption_size_check=False).size_gate is None
    assert mlq(preemption=False).size_gate is None  # nothing to gate
    # fcfs never preempts: no model either; gittins shares its ranking model
    assert mlq(policy="fcfs", preemption_size_check=True).size_gate is None
    g = mlq(policy="gittins", preemption_size_check=True)
    assert g.size_gate is g.sizes is not None


def test_margin_must_be_at_least_one():
    with pytest.raises(ConfigError, match="preemption_size_margin"):
        NexusConfig.from_dict({"scheduler": {"preemption_size_margin": 0.5}})
    cfg = NexusConfig.from_dict(
        {"scheduler": {"preemption_size_check": True, "preemption_size_margin": 2}}
    )
    assert cfg.scheduler.preemption_size_margin == 2.0


def test_even_sizes_a_new_program_does_not_displace_one_closer_to_done():
    q = learned([100, 104, 96, 100, 102, 98, 100, 101])
    victim = running(q, "v", "V", attained=80, level=3)
    head = q.add("h", "H", 2.0)  # a new program: attained 0, level 0
    assert head.level == 0 and victim.level > head.level
    assert not q.worth_preempting(victim, head, 0)
    assert q.preemptions_size_declined == 1
    assert q.pick_victims([head], [victim], 0) == []
    # without the check the level rule alone displaces it
    plain = mlq(preemption_cost_factor=0, adaptive_levels=False)
    v2 = running(plain, "v", "V", attained=80, level=3)
    assert plain.worth_preempting(v2, plain.add("h", "H", 2.0), 0)


def test_heavy_tail_the_level_rule_stands():
    # most programs small, a few very large: a program past the small ones is likely large
    q = learned([10] * 12 + [1000, 1200, 900, 1100, 1000, 950])
    victim = running(q, "v", "V", attained=200, level=3)
    head = q.add("h", "H", 2.0)
    assert q.worth_preempting(victim, head, 0)
    assert q.pick_victims([head], [victim], 0) == [victim]
    assert q.preemptions_size_declined == 0


def test_classes_a_small_class_displaces_a_large_one_not_its_own_kind():
    sizes = [10] * 6 + [1000] * 6
    classes = ["small"] * 6 + ["big"] * 6
    q = learned(sizes, classes)
    victim = running(q, "v", "V", attained=500, level=3, cls="big")
    small = q.add("s", "S", 2.0, program_class="small")
    big = q.add("b", "B", 2.0, program_class="big")
    assert q.worth_preempting(victim, small, 0)  # rank ~10 vs ~500
    assert not q.worth_preempting(victim, big, 0)  # rank ~1000 vs ~500: the victim is nearer done


def test_margin_asks_for_a_clearer_gap():
    sizes = [10] * 6 + [1000] * 6
    classes = ["small"] * 6 + ["big"] * 6
    # sizes snap up to the grid (2**0.25 steps): the big class is 1024, the small 11.3; at
    # 960 attained the victim sits on the grid point 861: rank ~163, 14x the small class's
    victim_attained = 960
    q1 = learned(sizes, classes)
    v1 = running(q1, "v", "V", attained=victim_attained, level=3, cls="big")
    assert q1.worth_preempting(v1, q1.add("s", "S", 2.0, program_class="small"), 0)
    q16 = learned(sizes, classes, preemption_size_margin=16.0)
    v16 = running(q16, "v", "V", attained=victim_attained, level=3, cls="big")
    assert not q16.worth_preempting(v16, q16.add("s", "S", 2.0, program_class="small"), 0)


def test_without_enough_ended_programs_the_level_rule_decides():
    q = mlq(
        preemption_cost_factor=0,
        preemption_size_check=True,
        adaptive_levels=False,
        gittins_min_samples=20,
    )
    for i in range(5):
        complete(q, f"d{i}", f"done{i}", 100)
        q.programs.end_program(f"done{i}", 0.0)
    q.size_gate.refresh(1.0)
    assert q.size_gate.global_table is None
    victim = running(q, "v", "V", attained=80, level=3)
    assert q.worth_preempting(victim, q.add("h", "H", 2.0), 0)


def test_a_worse_tier_yields_whatever_the_sizes():
    q = learned([100, 104, 96, 100, 102, 98, 100, 101])
    victim = running(q, "v", "V", attained=80, level=0)
    victim.tier = 1
    head = q.add("h", "H", 2.0)
    assert q.worth_preempting(victim, head, 0)


def test_the_size_model_follows_programs_under_plas_without_releveling_the_queue():
    q = learned([100] * 8)
    # the gate's rebuilds do not change the queue's version (no re-levelling every 32 calls)
    assert q.version == q.levels.version
    assert q.sizes is None and q.size_gate.global_table.samples == 8


def test_a_denied_waiting_call_is_counted_once():
    q = learned([100, 104, 96, 100, 102, 98, 100, 101])
    victim = running(q, "v", "V", attained=80, level=3)
    head = q.add("h", "H", 2.0)
    for _ in range(5):  # asked again at every step
        assert q.pick_victims([head], [victim], 0) == []
    assert q.preemptions_size_declined == 1


@pytest.mark.parametrize(
    "gap,expected", [(1, [True, True]), (2, [False, True]), (3, [False, False])]
)
def test_min_level_gap(gap, expected):
    q = mlq(preemption_cost_factor=0, adaptive_levels=False, preemption_min_level_gap=gap)
    head = q.add("h", "H", 0.0)
    got = []
    for lv in (1, 2):
        victim = running(q, f"v{lv}", f"V{lv}", attained=0, level=lv)
        got.append(q.worth_preempting(victim, head, 0))
    assert got == expected
    # a worse tier yields whatever the gap
    victim = running(q, "t", "T", attained=0, level=0)
    victim.tier = 1
    assert q.worth_preempting(victim, head, 0)
    with pytest.raises(ConfigError, match="preemption_min_level_gap"):
        NexusConfig.from_dict({"scheduler": {"preemption_min_level_gap": 0}})


def test_scheduler_spares_an_older_program_on_even_sizes_and_reports_it(tmp_path, monkeypatch):
    """Around vLLM's real scheduler: with ``preemption_size_check`` and a size table of
    even-sized programs, a new program's call does not displace a demoted running call of an
    older program (it would without the check), and the denial is on /metrics."""
    from prometheus_client import CollectorRegistry, generate_latest
    from sched_harness import FakeClock, make_request, make_scheduler, run_until_idle, step

    from vllm_nexus.programs.metrics import METRICS_DIR_ENV, SnapshotCollector

    base = {
        "policy": "plas",
        "first_boundary": 16,
        "first_quantum": 16,
        "starvation_beta": 0,
        "adaptive_levels": False,
        "preemption_cost_factor": 0,
        "gittins_min_samples": 5,
    }
    for i, check in enumerate((False, True)):
        monkeypatch.setenv(METRICS_DIR_ENV, str(tmp_path / str(i)))
        clock = FakeClock()
        nexus = {"scheduler": {**base, "preemption_size_check": check}}
        s = make_scheduler(nexus=nexus, max_num_seqs=1, clock=clock)
        if check:  # programs of about 150 service units have ended
            for k in range(8):
                c = s.mlq.add(f"d{k}", f"done{k}", 0.0)
                s.mlq.set_running(c, 0.0)
                s.mlq.charge(c, 150 + k)
                s.mlq.finish(f"d{k}", 0.0)
                s.mlq.programs.end_program(f"done{k}", 0.0)
            s.mlq.size_gate.refresh(clock())
        s.add_request(make_request("long", program_id="A", prompt_len=64, max_tokens=200))
        for _ in range(40):  # far past the first quanta: demoted
            step(s, clock)
        assert s.mlq.calls["long"].level >= 2
        s.add_request(make_request("short", program_id="B", max_tokens=3))
        out, _ = step(s, clock)
        assert ("long" in out.preempted_req_ids) is (not check)
        order = run_until_idle(s, clock)
        assert order == (["long", "short"] if check else ["short", "long"])
        reg = CollectorRegistry()
        reg.register(SnapshotCollector(tmp_path / str(i)))
        text = generate_latest(reg).decode()
        declined = 1 if check else 0
        assert f'vllm_nexus_preemptions_size_declined_total{{engine="0"}} {declined}.0' in text
