"""Tenant fair share (vllm_nexus.programs.tenants) and its effect on queue levels."""

import math
import re

import pytest

from vllm_nexus.config import SchedulerConfig, TenantConfig
from vllm_nexus.programs.queues import MultiLevelQueue
from vllm_nexus.programs.tenants import TenantLedger, decay


def test_service_decays_with_half_life():
    led = TenantLedger(half_life_s=10)
    t = led.call_started("a", 0)
    led.charge(t, 100, 0)
    assert led.decayed_service(t, 10) == pytest.approx(50)
    assert led.decayed_service(t, 30) == pytest.approx(12.5)
    assert t.service_total == 100  # the metrics counter does not decay


def test_one_decay_rule_for_charges_queries_and_the_active_sum():
    """``charge`` (every step), ``decayed_service`` and the active sum all decay through
    ``decay``: half-life exact, no growth when the clock does not advance or steps back."""
    rate = math.log(2) / 10
    assert decay(100.0, rate, 10) == pytest.approx(50)
    assert decay(100.0, rate, 0) == decay(100.0, rate, -5) == 100.0
    led = TenantLedger(half_life_s=10)
    a, b = led.call_started("a", 0), led.call_started("b", 0)
    led.charge(a, 80, 0)
    led.charge(b, 20, 0)
    led.charge(a, 40, 10)  # a: 80 -> 40 after one half-life, + 40
    assert a.decayed == pytest.approx(80) and a.stamp == 10
    led.charge(a, 1, 10)  # the same instant (several charges in one step): no decay
    assert a.decayed == pytest.approx(81)
    # the active sum decays like its parts: a last charged at 10, b at 0
    want = decay(81, rate, 10) + decay(20, rate, 20)
    assert led._active_now(20) == pytest.approx(want)
    assert led.decayed_service(a, 20) + led.decayed_service(b, 20) == pytest.approx(want)
    assert led.excess(a, 20) == pytest.approx(led.decayed_service(a, 20) - want / 2)


def test_single_active_tenant_has_no_excess():
    led = TenantLedger()
    t = led.call_started("only", 0)
    led.charge(t, 1e6, 1)
    assert led.excess(t, 1) == 0.0
    assert led.lift(t, 1, lambda s: 99) == 0


def test_excess_is_service_above_fair_share_of_active_tenants():
    led = TenantLedger(half_life_s=1e9)  # no decay: plain arithmetic
    a, b = led.call_started("a", 0), led.call_started("b", 0)
    led.charge(a, 300, 0)
    led.charge(b, 100, 0)
    assert led.excess(a, 0) == pytest.approx(300 - 200)
    assert led.excess(b, 0) == 0.0  # below its share: not moved, never boosted
    # a third tenant joins with no service: fair shares shrink to a third
    c = led.call_started("c", 0)
    assert led.excess(a, 0) == pytest.approx(300 - 400 / 3)
    assert led.excess(b, 0) == 0.0 and led.excess(c, 0) == 0.0


def test_weights_scale_the_fair_share():
    led = TenantLedger(half_life_s=1e9, weights={"big": 3.0})
    big, small = led.call_started("big", 0), led.call_started("small", 0)
    led.charge(big, 300, 0)
    led.charge(small, 100, 0)
    assert led.excess(big, 0) == 0.0  # 3/4 of 400
    assert led.excess(small, 0) == 0.0


def test_inactive_tenants_leave_the_active_sum_and_come_back():
    led = TenantLedger(half_life_s=10)
    a, b = led.call_started("a", 0), led.call_started("b", 0)
    led.charge(a, 100, 0)
    led.call_ended(b, 1, aborted=False)
    assert led.active_tenants == 1 and led.excess(a, 1) == 0.0
    led.call_started("b", 10)
    # a's service decayed to 50 by t=10; fair share is half of it
    assert led.excess(a, 10) == pytest.approx(25)


def test_active_sum_has_no_drift_after_busy_period():
    led = TenantLedger(half_life_s=3)
    for i in range(1000):
        t = led.call_started(f"t{i % 7}", i * 0.01)
        led.charge(t, 1.0 + i % 5, i * 0.01)
        led.call_ended(t, i * 0.01 + 0.005, aborted=i % 3 == 0)
    assert led.active_tenants == 0
    assert led._active_decayed == 0.0 and led._active_weight == 0.0


def test_idle_tenants_are_evicted_by_ttl_and_capacity_never_active_ones():
    led = TenantLedger(max_tenants=2, idle_ttl_s=100)
    busy = led.call_started("busy", 0)
    for i, tid in enumerate(("x", "y", "z")):
        t = led.call_started(tid, i)
        led.call_ended(t, i, aborted=False)
    assert "busy" in led and len(led) == 2 and "z" in led
    led.evict(200)
    assert "z" not in led and "busy" in led
    assert led.evicted_total == 3
    led.call_ended(busy, 201, aborted=False)


def mlq(policy="plas", **tenants):
    return MultiLevelQueue(
        SchedulerConfig(policy=policy, first_boundary=64, first_quantum=64),
        TenantConfig(**tenants),
    )


def test_over_share_tenant_enters_lower_levels_program_order_kept():
    q = mlq(half_life_s=1e9)
    g = q.add("g0", "gaming-1", 0, "gaming")
    q.add("h0", "honest-1", 0, "honest")
    q.charge(g, 600, now=0)  # gaming is 300 over its fair share of 600
    q.finish("g0", 0)
    q.finish("h0", 0)
    q.add("h1", "honest-1", 1, "honest")  # keep honest active
    fresh = q.add("g1", "gaming-fresh-id", 1, "gaming")
    assert fresh.start_priority == 0  # a brand-new program id ...
    assert fresh.level == q.level_for_service(300) == 3  # ... still enters 3 levels down
    old = q.add("g2", "gaming-1", 1, "gaming")  # the tenant's older program: further down
    assert old.level == min(q.num_levels - 1, q.level_for_service(600) + 3) == 6
    assert q.calls["h1"].level == 0


@pytest.mark.parametrize("policy", ["plas", "atlas", "mlfq"])
def test_lift_applies_to_every_program_level_policy_but_not_fcfs(policy):
    for pol, expect_lift in ((policy, True), ("fcfs", False)):
        q = mlq(pol, half_life_s=1e9)
        g = q.add("g0", "a", 0, "gaming")
        q.add("h0", "b", 0, "honest")
        q.charge(g, 10_000, now=0)
        call = q.add("g1", "fresh", 0, "gaming")
        assert (call.level > 0) == expect_lift


def test_fair_share_off_keeps_autellix_levels():
    q = mlq(fair_share=False, half_life_s=1e9)
    g = q.add("g0", "a", 0, "gaming")
    q.add("h0", "b", 0, "honest")
    q.charge(g, 10_000, now=0)
    assert q.add("g1", "fresh", 0, "gaming").level == 0
    assert q.tenants.get("gaming").service_total == 10_000  # still counted


def test_starvation_promotion_stops_at_the_tenants_level():
    q = MultiLevelQueue(
        SchedulerConfig(first_boundary=64, first_quantum=64, starvation_min_wait_s=0.0),
        TenantConfig(half_life_s=1e9),
    )
    g = q.add("g0", "a", 0, "gaming")
    q.add("h0", "b", 0, "honest")
    q.charge(g, 64 * 8, now=0)
    q.finish("g0", 0)
    waiting = q.add("g1", "fresh", 0, "gaming")  # no program history: ratio is infinite
    assert waiting.level == 3
    promoted = q.promote_starving([waiting], now=50)
    lift = q.tenant_lift(waiting.tenant, 50)
    assert lift > 0 and waiting.level == lift and promoted == [waiting]
    assert q.promote_starving([waiting], now=60) == []  # never above its tenant's level


@pytest.mark.parametrize("policy", ["plas", "atlas", "mlfq", "gittins", "fcfs"])
def test_one_tenant_ranks_exactly_as_before(policy):
    """With a single tenant the tenant layer changes nothing (single-tenant benchmarks),
    under every shipped policy: fair share on gives the levels of fair share off, with the
    tenant's service large enough that a lift would show (the ledger is charged either way)."""
    cfg = SchedulerConfig(policy=policy, first_boundary=64, first_quantum=64)
    a = MultiLevelQueue(cfg)
    levels = []
    for i in range(50):
        c = a.add(f"c{i}", f"p{i % 5}", i, "default")
        a.charge(c, 37.0 * (i % 7), now=i + 0.5)
        levels.append(c.level)
        a.finish(f"c{i}", i + 0.5)
    assert a.tenants.get("default").service_total > 64 * 8
    b = MultiLevelQueue(cfg, TenantConfig(fair_share=False))
    for i in range(50):
        c = b.add(f"c{i}", f"p{i % 5}", i)
        b.charge(c, 37.0 * (i % 7), now=i + 0.5)
        assert c.level == levels[i]
        b.finish(f"c{i}", i + 0.5)
    if policy != "fcfs":  # the calls did move between levels: the comparison can fail
        assert len(set(levels)) > 1


def test_ledger_rejects_bad_half_life():
    with pytest.raises(ValueError):
        TenantLedger(half_life_s=0)
    assert math.isfinite(TenantLedger().rate)


def test_metrics_rows_bounded_sticky_and_monotonic():
    led = TenantLedger(metrics_top_k=3)
    prev_other = None
    for step in range(60):
        tid = f"t{step % 12}"
        t = led.call_started(tid, step)
        led.charge(t, float(1 + (step % 12) ** 2), step)
        led.call_ended(t, step, aborted=step % 5 == 0, wait_s=0.1)
        rows, other = led.metrics_rows()
        assert len(rows) <= 3
        total = [sum(v[i] for _, v in rows) + other[i] for i in range(4)]
        assert total == pytest.approx(led._totals)  # the rows always sum to the totals
        if prev_other is not None:
            assert all(o >= p for o, p in zip(other, prev_other, strict=True))
        prev_other = other
    rows, _ = led.metrics_rows()
    # the first three tenants took the free labels; the most served ones replaced them
    # once served more than twice as much (sticky: no flapping between close tenants)
    labelled = {t.tenant_id: t.service_total for t, _ in rows}
    unlabelled = [t.service_total for t in led.tenants() if t.tenant_id not in labelled]
    assert len(labelled) == 3 and "t0" not in labelled
    assert max(unlabelled) <= 2 * min(labelled.values())
    led.metrics_top_k = 0
    assert led.metrics_rows() == ([], pytest.approx(led._totals))


def test_first_tenants_get_complete_series():
    led = TenantLedger(metrics_top_k=2)
    for tid in ("a", "b", "c"):
        t = led.call_started(tid, 0)
        led.charge(t, 10, 0)
        led.call_ended(t, 1, aborted=False)
    rows, other = led.metrics_rows()
    assert {t.tenant_id: v for t, v in rows} == {"a": [10, 1, 0, 0], "b": [10, 1, 0, 0]}
    assert other == [10, 1, 0, 0]


def test_a_tenant_named_other_stays_in_the_bucket():
    led = TenantLedger()
    t = led.call_started("other", 0)
    led.charge(t, 5, 0)
    rows, other = led.metrics_rows()
    assert rows == [] and other[0] == 5


def test_tenant_config_is_validated_with_the_key_named():
    from vllm_nexus.config import ConfigError, NexusConfig

    cfg = NexusConfig.from_dict({"tenants": {"weights": {"a": 2, "b": 0.5}, "header": ""}})
    assert cfg.tenants.weights == {"a": 2.0, "b": 0.5} and cfg.tenants.header == ""
    bad = [
        ({"weights": {"a": 0}}, "vllm_nexus.tenants.weights.a=0"),
        ({"weights": {"a": "x"}}, "vllm_nexus.tenants.weights.a='x'"),
        ({"weights": [1]}, "expected a JSON object"),
        ({"header": "X Tenant"}, "vllm_nexus.tenants.header"),
        ({"half_life_s": 0}, "vllm_nexus.tenants.half_life_s=0"),
        ({"default_tenant": ""}, "vllm_nexus.tenants.default_tenant"),
        ({"metrics_top_k": -1}, "vllm_nexus.tenants.metrics_top_k"),
        ({"fair_shares": True}, "unknown option vllm_nexus.tenants.fair_shares"),
    ]
    for section, message in bad:
        with pytest.raises(ConfigError, match=re.escape(message)):
            NexusConfig.from_dict({"tenants": section})


def test_step_charge_groups_tenants_like_per_call_charges():
    """``charge_all`` charges each run of one tenant's calls at once; the ledger must end
    exactly where per-call charges leave it (tenants interleaved in the batch)."""
    cfg = SchedulerConfig(first_boundary=64, first_quantum=64)
    per_call, per_step = MultiLevelQueue(cfg), MultiLevelQueue(cfg)
    for q in (per_call, per_step):
        for i in range(12):
            q.add(f"c{i}", f"p{i % 4}", 0.0, tenant_id="ab"[i % 3 == 0])
    for step in range(1, 30):
        now = step * 0.7
        costs = {f"c{i}": float(1 + (i * step) % 5) for i in range(12)}
        extra = {"c3": 0.25 * step}
        for cid, cost in costs.items():
            per_call.charge(per_call.calls[cid], cost + extra.get(cid, 0.0), now)
        per_step.charge_all(costs, extra, now)
    for tid in "ab":
        one, other = per_call.tenants.get(tid), per_step.tenants.get(tid)
        assert other.service_total == one.service_total > 0
        assert other.decayed == pytest.approx(one.decayed, rel=1e-12)
        assert other.stamp == one.stamp
    assert per_step.tenants.excess(per_step.tenants.get("a"), 30) == pytest.approx(
        per_call.tenants.excess(per_call.tenants.get("a"), 30), rel=1e-12
    )
    assert [c.level for c in per_step.calls.values()] == [c.level for c in per_call.calls.values()]
