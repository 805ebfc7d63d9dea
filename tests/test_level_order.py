"""``level_order: rank``: inside a queue level, waiting calls are placed by their program's
weighted Gittins rank under its class's learned sizes (bounded by a window), so in a burst
the first calls of typically small programs go first. Pure rules on the multi-level queue,
no vLLM."""

from __future__ import annotations

import pytest
from test_policy_queues import mlq

from vllm_nexus.config import ConfigError, NexusConfig
from vllm_nexus.programs.sizes import RankTable


def learned(classes, **kw):
    """A queue whose size model has seen, per class, programs of one size and output end:
    ``classes`` maps class -> (service, output tokens, programs)."""
    base = dict(
        level_order="rank",
        level_order_window_s=10.0,
        adaptive_levels=False,
        gittins_min_samples=5,
        first_boundary=1000,
        first_quantum=1000,
    )
    base.update(kw)
    q = mlq(**base)
    i = 0
    for cls, (service, out, n) in classes.items():
        for _ in range(n):
            pid = f"done{i}"
            c = q.add(f"d{i}", pid, 0.0, program_class=cls)
            q.set_running(c, 0.0)
            q.charge(c, service)
            q.finish(f"d{i}", 0.0, output_tokens=out)
            q.programs.end_program(pid, 0.0)
            i += 1
    model = q.order_sizes or q.size_gate
    model.refresh(1.0)
    assert model.global_table is not None
    return q


def burst(q, first_cls, second_cls, gap=0.1, t=2.0):
    """Two new programs' first calls, ``gap`` seconds apart: (first, second)."""
    a = q.add("a", "pa", t, program_class=first_cls, arrival_time=t)
    b = q.add("b", "pb", t + gap, program_class=second_cls, arrival_time=t + gap)
    assert a.level == b.level == 0
    return a, b


def test_off_by_default_and_validated():
    cfg = NexusConfig().scheduler
    assert cfg.level_order == "fcfs" and cfg.level_order_window_s == 10.0
    assert mlq().order_sizes is None
    with pytest.raises(ConfigError, match="level_order"):
        NexusConfig.from_dict({"scheduler": {"level_order": "size"}})
    with pytest.raises(ConfigError, match="level_order_window_s"):
        NexusConfig.from_dict({"scheduler": {"level_order_window_s": 0}})


def test_a_burst_serves_the_typically_small_class_first():
    q = learned({"small": (20, 5, 6), "big": (2000, 500, 6)})
    big, small = burst(q, "big", "small")  # the big program's call arrived first
    assert q.order_key(small) < q.order_key(big)
    # fcfs (the default) keeps arrival order
    f = learned({"small": (20, 5, 6), "big": (2000, 500, 6)}, level_order="fcfs")
    assert f.order_sizes is None
    big, small = burst(f, "big", "small")
    assert f.order_key(big) < f.order_key(small)


def test_no_call_is_passed_by_one_that_entered_more_than_the_window_later():
    q = learned({"small": (20, 5, 6), "big": (2000, 500, 6)}, level_order_window_s=3.0)
    big, small = burst(q, "big", "small", gap=3.01)
    assert q.order_key(big) < q.order_key(small)
    assert 0 <= q.level_position(big) - big.enter < 3.0


def test_ranks_compare_per_output_token_across_classes():
    # the same service, but "terse" programs write 5 tokens and "verbose" ones 200: under the
    # token-latency objective a terse program's wait costs 40x more per second
    sizes = {"verbose": (100, 200, 6), "terse": (100, 5, 6)}
    q = learned(sizes, gittins_objective="token_latency")
    verbose, terse = burst(q, "verbose", "terse")
    assert q.order_key(terse) < q.order_key(verbose)
    # per program (latency objective) the two classes are the same size: arrival order
    q = learned(sizes, gittins_objective="latency")
    verbose, terse = burst(q, "verbose", "terse")
    assert q.order_key(verbose) < q.order_key(terse)


def test_fcfs_inside_a_level_while_no_size_table_exists():
    q = mlq(level_order="rank", gittins_min_samples=5)
    a = q.add("a", "pa", 1.0, program_class="big", arrival_time=1.0)
    b = q.add("b", "pb", 1.5, program_class="small", arrival_time=1.5)
    assert q.order_sizes.global_table is None
    assert q.level_position(a) == 1.0 and q.level_position(b) == 1.5
    assert q.order_key(a) < q.order_key(b)


def test_unknown_class_uses_the_global_table():
    q = learned({"small": (20, 5, 6), "big": (2000, 500, 6)})
    big, unknown = burst(q, "big", None)
    glob = q.order_sizes.global_table
    r, r0 = glob.weighted_rank(0.0), glob.weighted_rank(0.0)
    assert q.level_position(unknown) == pytest.approx(unknown.enter + 10.0 * r / (r + r0))
    assert q.order_key(unknown) < q.order_key(big)


def test_learns_sizes_without_the_preemption_size_check():
    q = learned({"small": (20, 5, 6), "big": (2000, 500, 6)}, preemption_size_check=False)
    assert q.size_gate is None and q.order_sizes is not None
    big, small = burst(q, "big", "small")
    assert q.order_key(small) < q.order_key(big)
    # with the check on, the two share one model (it learns once)
    g = mlq(level_order="rank")
    assert g.order_sizes is g.size_gate is not None
    assert mlq(policy="fcfs", level_order="rank").order_sizes is None


def test_weighted_rank_is_the_rank_per_unit_of_holding_cost():
    t = RankTable([(10.0, True, 0.25)] * 5 + [(40.0, True, 0.25)] * 5, 10)
    assert t.mean_weight == pytest.approx(0.25)
    for a in (0.0, 5.0, 20.0):
        assert t.weighted_rank(a) == pytest.approx(t.rank(a) / 0.25)


def test_class_order_keeps_fcfs_inside_a_class_and_orders_classes():
    sizes = {"tail": (10, 5, 6), "tail2": (1000, 5, 6), "big": (5000, 500, 6)}
    for mode in ("rank", "class"):
        q = learned(sizes, level_order=mode, gittins_objective="latency")
        # program "old" of class tail attained 500 (one call done), its next call arrives
        c = q.add("o0", "old", 1.0, program_class="tail", arrival_time=1.0)
        q.set_running(c, 1.0)
        q.charge(c, 500)
        q.finish("o0", 1.5, output_tokens=5)
        old = q.add("o1", "old", 2.0, program_class="tail", arrival_time=2.0)
        new = q.add("n0", "new", 2.1, program_class="tail", arrival_time=2.1)
        big = q.add("b0", "big", 1.9, program_class="big", arrival_time=1.9)
        assert old.level == new.level == big.level == 0
        if mode == "rank":  # by attained service: the new program's rank is lower
            assert q.order_key(new) < q.order_key(old)
        else:  # one class, one rank: arrival order
            assert q.order_key(old) < q.order_key(new)
        assert q.order_key(new) < q.order_key(big)  # classes ordered in both


def test_min_queue_keeps_fcfs_under_light_load():
    sizes = {"small": (20, 5, 6), "big": (2000, 500, 6)}
    q = learned(sizes, level_order="class", level_order_min_queue=2.0)
    r = q.add("r", "pr", 1.0, program_class="big", arrival_time=1.0)
    q.set_running(r, 1.0)  # 1 running; waiting: 2 below, per running call 2 -> ordered
    big, small = burst(q, "big", "small")
    assert q.order_key(small) < q.order_key(big)
    q.finish("b", 2.2)  # 1 waiting per running call: FCFS again
    assert q.level_position(big) == big.enter
    q.set_running(big, 2.3)
    q.set_waiting(big, 2.4)  # running count follows set_running / set_waiting / finish
    assert q._running_calls == 1 and q.level_position(small) == small.enter
    q.finish("r", 2.5)
    assert q._running_calls == 0


def test_class_best_never_delays_the_best_class_nor_a_lone_class():
    q = learned({"small": (20, 5, 6), "big": (2000, 500, 6)}, level_order="class-best")
    big, small = burst(q, "big", "small")
    assert q.level_position(small) == small.enter  # the best class: no delay
    assert small.enter < q.level_position(big) < big.enter + 10.0
    assert q.order_key(small) < q.order_key(big)
    # one class only: every call keeps its FCFS place
    lone = learned({"only": (300, 50, 6)}, level_order="class-best")
    a, b = burst(lone, "only", "only")
    assert lone.level_position(a) == a.enter and lone.level_position(b) == b.enter
