"""Wait-bound anti-starvation (``starvation_wait_factor``): a waiting call is promoted once it
has waited k x the mean wait of recently admitted calls, whatever its program's run time."""

import itertools
import math
import random

import pytest
from test_policy_queues import _random_run
from test_policy_queues import mlq as queues_mlq

from vllm_nexus.config import ConfigError, NexusConfig, SchedulerConfig
from vllm_nexus.programs.queues import MultiLevelQueue
from vllm_nexus.programs.starvation import WAIT_REFILE_S, WAIT_WARMUP


def mlq(**kw) -> MultiLevelQueue:
    """test_policy_queues' queue with fixed levels, beta 32, a 0.5 s floor and K = 10."""
    base = dict(adaptive_levels=False, starvation_beta=32, starvation_min_wait_s=0.5,
                starvation_wait_factor=10)  # fmt: skip
    return queues_mlq(**{**base, **kw})


def admit(q, n, wait, now, prefix="n"):
    """``n`` new programs' calls, each admitted after waiting ``wait`` and finished."""
    for i in range(n):
        c = q.add(f"{prefix}{now}-{i}", f"{prefix}P{now}-{i}", now - wait)
        q.set_running(c, now)
        q.finish(c.call_id, now)


def held_call(q, now):
    """A later call of a program that has run (level 2 under PLAS) and is waiting."""
    first = q.add("h0", "H", now)
    q.set_running(first, now)
    q.charge(first, 25, now)
    q.set_waiting(first, now + 0.5)  # ran 0.5 s
    q.finish("h0", now + 0.5)
    held = q.add("h1", "H", now + 0.5)
    assert held.level == 2
    return held


def test_a_held_call_is_promoted_after_k_times_the_mean_admitted_wait():
    q = mlq()
    admit(q, WAIT_WARMUP, 0.1, 1.0)  # newcomers are admitted after 0.1 s
    assert q.wait_bound == pytest.approx(10 * 0.1)  # k x mean, above the 0.5 s floor
    held = held_call(q, 2.0)  # waits from t = 2.5
    # the ratio rule alone would need W_program >= 32 x 0.5 s = 16 s
    assert q.promote_due(2.5 + 0.99) == []
    assert q.promote_due(2.5 + 1.01) == [held]
    assert held.level == 0
    assert q.wait_promotions_total == 1 and q.promotions_total == 1


def test_the_bound_has_the_min_wait_floor_and_waits_for_enough_admissions():
    q = mlq(starvation_min_wait_s=2.0)
    admit(q, WAIT_WARMUP - 1, 0.01, 1.0)
    assert q.wait_bound == math.inf  # too few admissions seen
    admit(q, 1, 0.01, 1.0, prefix="m")
    assert q.wait_bound == 2.0  # 10 x 0.01 s is below the floor


def test_siblings_of_calls_in_flight_are_left_to_the_ratio_rule():
    """A fan-out sibling (its program has other calls in flight) is not wait-promoted."""
    q = mlq()
    admit(q, WAIT_WARMUP, 0.1, 1.0)
    held = held_call(q, 2.0)
    sibling_running = q.add("h2", "H", 2.5)
    q.set_running(sibling_running, 2.5)
    assert q.promote_due(10.0) == []  # exempt while a sibling is in flight
    q.finish("h2", 10.0)  # the program is down to the held call: the bound applies
    assert q.promote_due(10.0) == [held]


def test_a_fall_of_the_bound_refiles_the_waiting_calls():
    q = mlq()
    admit(q, WAIT_WARMUP, 1.0, 1.0)  # slow admissions: bound 10 s
    assert q.wait_bound == pytest.approx(10.0)
    held = held_call(q, 2.0)  # deadline t = 12.5
    assert q.promote_due(3.0) == []
    # fast admissions pull the mean down; the bound follows in steps (hysteresis), one
    # fall per WAIT_REFILE_S at most
    changes = [(0.0, q.wait_bound)]
    for k in range(80):
        admit(q, 1, 0.05, 3.0 + 0.1 * k, prefix=f"f{k}")
        if q.wait_bound != changes[-1][1]:
            changes.append((3.0 + 0.1 * k, q.wait_bound))
    assert len(changes) >= 4 and all(b < a for (_, a), (_, b) in itertools.pairwise(changes))
    assert all(
        t1 - t0 >= WAIT_REFILE_S - 1e-9 for (t0, _), (t1, _) in itertools.pairwise(changes[1:])
    )
    assert q.wait_bound < 2.0
    assert q.promote_due(3.0 + 8.0) == [held]  # before the first deadline of 12.5


def test_a_rise_of_the_bound_delays_a_filed_deadline():
    q = mlq()
    admit(q, WAIT_WARMUP, 0.1, 1.0)  # bound 1 s
    held = held_call(q, 2.0)  # filed for t = 3.5
    for k in range(64):  # admissions that waited 1 s: the mean, and the bound, rise
        admit(q, 1, 1.0, 3.0 + 0.001 * k, prefix=f"r{k}")
    assert q.wait_bound > 5.0
    assert q.promote_due(3.6) == []  # popped, not starving any more: re-filed
    assert q.promote_due(2.5 + q.wait_bound + 0.01) == [held]


def test_off_by_default_and_independent_of_beta():
    q = mlq(starvation_wait_factor=0.0)
    admit(q, WAIT_WARMUP, 0.1, 1.0)
    held_call(q, 2.0)
    assert q.wait_bound == math.inf and q.promote_due(10.0) == []  # (ratio 7.5 / 0.5 < 32)
    only_wait = mlq(starvation_beta=0)  # the ratio rule off, the wait bound alone
    admit(only_wait, WAIT_WARMUP, 0.1, 1.0)
    held = held_call(only_wait, 2.0)
    assert only_wait.starvation_threshold == 0
    assert only_wait.promote_due(3.0) == []  # (a zero threshold must not promote all)
    assert only_wait.promote_due(3.6) == [held]
    assert mlq(policy="fcfs").wait_bound == math.inf
    assert SchedulerConfig().starvation_wait_factor == 0.0


@pytest.mark.parametrize("beta", [0.0, 1.5])
@pytest.mark.parametrize("seed", range(4))
def test_deadline_heap_promotes_exactly_what_a_full_scan_promotes(seed, beta):
    """``promote_due`` (heap) and the full scan agree while the wait bound moves both ways
    and siblings come and go (their exemption changes)."""
    kw = dict(starvation_beta=beta, starvation_min_wait_s=0.3, starvation_wait_factor=1.5,
              first_boundary=5, first_quantum=5)  # fmt: skip
    scan_q, heap_q = mlq(**kw), mlq(**kw)
    scan = _random_run(scan_q, random.Random(seed), lambda q, now, w: q.promote_starving(w, now),
                       programs=40)  # fmt: skip
    heap = _random_run(heap_q, random.Random(seed), lambda q, now, w: q.promote_due(now),
                       programs=40)  # fmt: skip
    assert heap == scan
    assert heap_q.wait_promotions_total == scan_q.wait_promotions_total > 3


def test_config_rejects_a_negative_factor():
    with pytest.raises(ConfigError, match="starvation_wait_factor"):
        NexusConfig.from_dict({"scheduler": {"starvation_wait_factor": -1}})
