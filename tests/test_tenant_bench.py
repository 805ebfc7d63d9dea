"""examples/tenant_bench.py without engines: twin workload, gaming ids, the runner's payload,
the report, and one small simulated run (virtual time)."""

from __future__ import annotations

import argparse

import pytest
from example_loader import load_example


@pytest.fixture(scope="module")
def tb():
    return load_example("tenant_bench.py")


def args(**kw) -> argparse.Namespace:
    base = dict(workload="chat", programs=20, rate=4.0, calls_scale=1.0, tokens_scale=0.25,
                think_scale=0.3, max_num_seqs=8, config=None, hardware="cpu-here",
                sim_model="tiny", single_tenant=False)  # fmt: skip
    return argparse.Namespace(**{**base, **kw})


def test_twin_programs_same_work_interleaved(tb):
    progs = tb.tenant_programs(args(), seed=0)
    by_id = {p.program_id: p for p in progs}
    bases = {pid.split(".", 1)[1] for pid in by_id}
    assert len(progs) == 20 and len(bases) == 10
    firsts = set()
    for base in bases:
        h, g = by_id[f"honest.{base}"], by_id[f"gaming.{base}"]
        assert h.calls == g.calls and abs(h.arrival_s - g.arrival_s) <= 0.5 / 4 + 1e-9
        firsts.add("honest" if h.arrival_s < g.arrival_s else "gaming")
    assert firsts == {"honest", "gaming"}  # neither tenant always arrives first


def test_gaming_ids(tb):
    assert tb.sent_program_id("fresh", "gaming.p1", "c3") == "gaming.p1/c3"
    assert tb.sent_program_id("noid", "gaming.p1", "c3") is None
    assert tb.sent_program_id("split", "gaming.p1", "c3") == "gaming.p1~1"
    assert tb.sent_program_id("split", "gaming.p1", "c4") == "gaming.p1~2"
    assert tb.sent_program_id("abort", "gaming.p1", "c3") == "gaming.p1"


def test_runner_payload_sends_tenant_header_and_strategy(tb):
    from vllm_nexus.bench.prompts import PromptFactory
    from vllm_nexus.bench.runner import ClientOptions
    from vllm_nexus.bench.trace import CallSpec

    runner = tb.make_runner_class()(
        [], PromptFactory(0, "s", list(range(100))),
        ClientOptions(base_url="http://x", model="m", program_id_suffix="@r"),
    )  # fmt: skip
    runner.strategy = "noid"
    c = CallSpec("c2", 5, 5)
    body, headers = runner._payload("gaming.p", c, [1, 2])
    assert headers["X-Tenant-ID"] == "gaming" and "vllm_xargs" not in body
    runner.strategy = "fresh"
    body, _ = runner._payload("gaming.p", c, [1, 2])
    assert body["vllm_xargs"] == {"program_id": "gaming.p/c2@r"}
    body, headers = runner._payload("honest.p", c, [1, 2])
    assert headers["X-Tenant-ID"] == "honest" and body["vllm_xargs"] == {"program_id": "honest.p@r"}
    runner.tenant_suffix = "@run2"  # a fresh tenant pair per run: no ledger carry-over
    assert runner._payload("gaming.p", c, [1, 2])[1]["X-Tenant-ID"] == "gaming@run2"


def test_report_ratios(tb):
    def row(sched, strat, h, g):
        t = {"honest": {"mean_ms": h}, "gaming": {"mean_ms": g}}
        return {"scheduler": sched, "strategy": strat, "tenants": t}

    text = tb.report([row("stock", "fresh", 100, 100), row("plas", "fresh", 50, 80)])
    assert "| plas | fresh | 1 | 50.0 | 80.0 | **0.62x** | 0.62 | 2.00x | 2.00 |" in text


def _run(sched, strat, honest_ms, *, rep=0, session="s1", seed=0, gaming_ms=None):
    t = {"honest": {"mean_ms": honest_ms}, "gaming": {"mean_ms": gaming_ms or honest_ms}}
    return {"scheduler": sched, "strategy": strat, "rep": rep, "seed": seed, "session": session,
            "tenants": t}  # fmt: skip


def test_each_run_pairs_with_its_own_repetitions_stock_run(tb):
    """Stock moves ~2x between windows: a run is compared with the stock run of its own
    command and repetition, not with the mean over all stock runs (which gave 1.00x here)."""
    rows = [
        _run("stock", "honest", 10.0, rep=0),
        _run("stock", "honest", 40.0, rep=1),
        _run("mlfq", "noid", 5.0, rep=0),  # 2x faster than its own window's stock
        _run("mlfq", "noid", 20.0, rep=1),  # 2x faster too
        _run("mlfq", "noid", 20.0, rep=0, session="s2"),  # no stock in its command
    ]
    assert tb.stock_ratio(rows[2], rows) == (2.0, True)
    assert tb.stock_ratio(rows[3], rows) == (2.0, True)
    assert tb.stock_ratio(rows[4], rows) is None
    assert tb.stock_ratio(rows[0], rows) is None
    text = tb.report(rows)
    assert (
        "| mlfq | noid | 3 | 15.0 | 15.0 | **1.00x** | 1.00, 1.00, 1.00 | 2.00x | 2.00, 2.00, - |"
        in text
    )
    reps = tb.repetitions(rows)
    assert "| s1 | 0 | 0 | 10.0 | 5.0 (2.00x) |" in reps
    assert "| s1 | 1 | 0 | 40.0 | 20.0 (2.00x) |" in reps
    assert "s2" not in reps  # no stock run: nothing to pair with
    # simulator rows: one repetition, several seeds (each seed its own workload)
    sim = [_run("stock", "honest", 60.0, seed=0), _run("mlfq", "noid", 30.0, seed=0),
           _run("stock", "honest", 90.0, seed=1), _run("mlfq", "noid", 60.0, seed=1)]  # fmt: skip
    reps = tb.repetitions(sim)
    assert "| s1 | 0 | 0 | 60.0 | 30.0 (2.00x) |" in reps
    assert "| s1 | 0 | 1 | 90.0 | 60.0 (1.50x) |" in reps


def test_pairing_prefers_stock_under_the_same_load_and_old_rows_pair_within_their_file(tb):
    rows = [
        _run("stock", "honest", 30.0, session=None),
        _run("stock", "abort", 60.0, session=None),
        _run("plas", "abort", 20.0, session=None),
        _run("plas", "fresh", 15.0, session=None),
    ]
    a = [{**r, "_file": "a.jsonl"} for r in rows]
    b = [{**_run("stock", "honest", 10.0, session=None), "_file": "b.jsonl"}]
    assert tb.stock_ratio(a[2], a + b) == (3.0, True)  # stock's abort run: same load
    assert tb.stock_ratio(a[3], a + b) == (2.0, True)  # stock ignores ids: its honest run
    only_honest = [a[0], a[2]]
    assert tb.stock_ratio(a[2], only_honest) == (1.5, False)  # flagged: different load
    assert "1.50*" in tb.report(only_honest)


def test_geo_mean(tb):
    assert tb.geo_mean([2.0, 0.5]) == pytest.approx(1.0)
    assert tb.geo_mean([4.0]) == pytest.approx(4.0)


def test_cells_and_rotation(tb):
    cells = tb.parse_cells("stock:honest, mlfq:honest,mlfq:noid,plas+nofair:fresh")
    assert cells == [("stock", "honest"), ("mlfq", "honest"), ("mlfq", "noid"),
                     ("plas+nofair", "fresh")]  # fmt: skip
    for bad in ("mlfq", "mlfq:cheat", "lifo:honest", "stock:honest,stock:honest", ""):
        with pytest.raises(ValueError):
            tb.parse_cells(bad)
    orders = [tb.rotation(cells, rep) for rep in range(4)]
    assert orders[0] == cells and orders[1][0] == ("mlfq", "honest")
    for pos in range(4):  # every cell takes every position once in len(cells) repetitions
        assert {o[pos] for o in orders} == set(cells)


def test_simulated_gaming_does_not_pay(tb):
    """A short virtual-time run through the real scheduler: the tenant that mints a program
    id per call gains nothing over the honest tenant (it did 1.65x before tenants)."""
    a = args(programs=60)
    progs = tb.tenant_programs(a, seed=0)
    res = tb.simulate("plas", "fresh", progs, a, seed=0)
    t = res["tenants"]
    assert res["unfinished"] == 0
    assert t["honest"]["mean_ms"] / t["gaming"]["mean_ms"] <= 1.2


def test_compare_before_after(tb):
    def row(sched, strat, h, g):
        t = {"honest": {"mean_ms": h}, "gaming": {"mean_ms": g}}
        return {"scheduler": sched, "strategy": strat, "tenants": t}

    before = [row("stock", "fresh", 100, 100), row("plas", "fresh", 90, 45)]
    after = [row("stock", "fresh", 100, 100), row("plas", "fresh", 50, 80)]
    text = tb.compare(before, after)
    assert "| plas | fresh | 2.00x | **0.62x** | 0.62 | 1.11x | 2.00x |" in text


def test_every_shipped_policy_and_fair_share_off(tb):
    from typing import get_args

    from vllm_nexus.config import Policy

    assert set(get_args(Policy)) <= {p for p in tb.SCHEDULERS.values() if p}
    assert tb.scheduler_config("stock", 0.25) is None
    assert tb.scheduler_config("gittins", 0.25) == {
        "vllm_nexus": {"scheduler": {"policy": "gittins"}}
    }
    off = tb.scheduler_config("mlfq+nofair", 0.25)["vllm_nexus"]
    assert off == {"scheduler": {"policy": "mlfq"}, "tenants": {"fair_share": False}}
    assert tb.known_scheduler("plas+nofair") and not tb.known_scheduler("stock+nofair")
    assert not tb.known_scheduler("lifo")
    pooled = tb.scheduler_config("gittins+pooled", 0.25)["vllm_nexus"]["scheduler"]
    assert pooled == {"policy": "gittins", "gittins_size_scope": "pooled"}
    assert not tb.known_scheduler("plas+pooled") and not tb.known_scheduler("stock+pooled")


def test_carried_run_phases_follow_each_other_with_their_own_tenants(tb):
    """sim --carry: a warm-up phase, then one phase per strategy, each after the previous
    phase's last arrival + the gap, each with its own tenant pair."""
    a = args(warmup_programs=4, carry_gap=60.0)
    progs, strategy_of = tb.carried_programs(a, 0, ["fresh", "noid"])
    assert strategy_of == {"w": "honest", "0": "fresh", "1": "noid"}
    phases = [tb.phase_of(p.program_id) for p in progs]
    assert phases.count("w") == 4 and phases.count("0") == phases.count("1") == 20
    assert phases == sorted(phases, key=["w", "0", "1"].index)  # in turn, not interleaved
    last = {k: max(p.arrival_s for p in progs if tb.phase_of(p.program_id) == k) for k in "w01"}
    first1 = min(p.arrival_s for p in progs if tb.phase_of(p.program_id) == "1")
    assert first1 >= last["0"] + 60.0
    assert {tb.tenant_of(p.program_id) for p in progs} == {"honest", "gaming"}
    assert tb.tenant_of("gaming@1.p3") == "gaming" and tb.phase_of("gaming.p3") == ""


def test_single_tenant_sends_one_tenant(tb):
    from vllm_nexus.bench.prompts import PromptFactory
    from vllm_nexus.bench.runner import ClientOptions
    from vllm_nexus.bench.trace import CallSpec

    runner = tb.make_runner_class()(
        [], PromptFactory(0, "s", list(range(100))), ClientOptions(base_url="http://x", model="m")
    )
    runner.single_tenant = True
    c = CallSpec("c2", 5, 5)
    assert runner._payload("gaming.p", c, [1, 2])[1]["X-Tenant-ID"] == "honest"
    assert runner._payload("honest.p", c, [1, 2])[1]["X-Tenant-ID"] == "honest"
