"""Learned program sizes (programs/sizes.py): Kaplan-Meier, Gittins ranks, and the gittins
policy behaving like FCFS on even sizes and like PLAS on heavy tails."""

import bisect
import math
import random
from collections import OrderedDict, deque
from types import SimpleNamespace

import pytest

from vllm_nexus.config import SchedulerConfig
from vllm_nexus.programs.queues import MultiLevelQueue
from vllm_nexus.programs.sizes import (
    ProgramSizes,
    RankTable,
    bin_observations,
    gittins_ranks,
    grid_point,
    kaplan_meier,
    kaplan_meier_bins,
)


def test_kaplan_meier_without_censoring_is_the_empirical_distribution():
    atoms, masses, weights = kaplan_meier([(1, True, 1.0), (2, True, 1.0), (2, True, 3.0)])
    assert atoms == [1, 2] and masses == pytest.approx([1 / 3, 2 / 3])
    assert weights == [1.0, 2.0]


def test_kaplan_meier_censoring_shifts_mass_to_larger_sizes():
    # 4 programs: ended at 1 and 3; two still running at 2 and 5 (sizes > 2, > 5)
    obs = [(1, True, 1), (2, False, 1), (3, True, 1), (5, False, 1)]
    atoms, masses, _ = kaplan_meier(obs)
    # S(1) = 3/4; at 3 one of two at risk ends: S(3) = 3/8; the rest sits above 5 (x2 = 10)
    assert atoms == [1, 3, 10]
    assert masses == pytest.approx([1 / 4, 3 / 8, 3 / 8])
    assert kaplan_meier([(4, False, 1)]) == ([], [], [])


def test_gittins_rank_of_a_fixed_size_is_the_remaining_size():
    assert gittins_ranks([100.0], [1.0], [0.0, 30.0, 99.0]) == pytest.approx([100, 70, 1])
    assert math.isinf(gittins_ranks([100.0], [1.0], [100.0])[0])


def test_gittins_rank_is_flat_for_memoryless_sizes():
    # geometric sizes on 1, 2, 3, ...: constant hazard, constant rank (= 1 / hazard)
    q = 0.5
    atoms = [float(k) for k in range(1, 60)]
    masses = [(1 - q) * q ** (k - 1) for k in range(1, 60)]
    ranks = gittins_ranks(atoms, masses, [0.0, 1.0, 5.0, 20.0])
    assert ranks == pytest.approx([2.0] * 4, rel=1e-6)


def test_weights_favour_programs_likely_to_end_with_few_tokens():
    # two equally likely sizes; the small one has 10x the weight (1 / output tokens)
    flat = gittins_ranks([10.0, 20.0], [0.5, 0.5], [0.0])
    weighted = gittins_ranks([10.0, 20.0], [0.5, 0.5], [0.0], [1.0, 0.1])
    assert weighted[0] < flat[0]


def test_rank_table_grid_and_sparse_tail():
    rng = random.Random(0)
    even = RankTable([(100 + 10 * rng.random(), True, 1.0) for _ in range(200)], 200)
    ranks = [even.rank(a) for a in (0, 50, 80, 100)]
    assert ranks == sorted(ranks, reverse=True)  # closer to done -> smaller rank
    g = max(x for x in even.grid if x <= 60)
    assert even.rank(60) == even.ranks[even.grid.index(g)]  # the grid point below
    # beyond the largest sizes seen, rank >= attained service (LAS in the unknown tail)
    assert even.rank(5000) >= 5000
    assert grid_point(100.0) == pytest.approx(2 ** (27 / 4))  # 107.6, the grid point >= 100


def _program(service, ended=True, active=0, last_seen=0.0, cls=None, tokens=1):
    return SimpleNamespace(
        service=service,
        ended=ended,
        aborted_calls=0,
        active_calls=active,
        last_seen=last_seen,
        program_class=cls,
        output_tokens=tokens,
    )


def test_tables_need_enough_ended_programs_and_fall_back_per_class():
    sizes = ProgramSizes(min_samples=10, refresh_every=1, end_idle_s=5.0)
    for i in range(9):
        sizes.track(_program(10.0 + i, cls="a"))
    sizes.refresh(now=0.0)
    assert sizes.table_for(None) is None  # 9 < 10: the caller ranks by PLAS
    for i in range(20):
        sizes.track(_program(1000.0 + i, cls="b"))
    sizes.refresh(now=0.0)
    assert sizes.table_for("b") is not sizes.global_table is not None
    assert sizes.table_for("a") is sizes.global_table  # 9 samples: global
    assert sizes.table_for("unknown") is sizes.global_table


def test_idle_programs_count_as_ended_and_running_ones_as_censored():
    sizes = ProgramSizes(min_samples=3, refresh_every=1, end_idle_s=5.0)
    for _ in range(3):
        sizes.track(_program(50.0, ended=False, active=0, last_seen=0.0))
    sizes.track(_program(10.0, ended=False, active=1, last_seen=9.0))  # still running
    sizes.refresh(now=1.0)
    assert sizes.global_table is None  # idle only 1 s < 5 s: not ended yet
    sizes.refresh(now=6.0)
    assert sizes.global_table is not None and sizes.global_table.samples == 3


def test_a_program_ended_by_the_client_is_a_size_sample_at_once():
    """Program end (``vllm_xargs.program_end`` / ``x-dynamo-session-final`` -> ``end_program``)
    makes the program's service a final size without waiting for the idle gap; a program with
    an aborted call gives no sample."""
    q = MultiLevelQueue(
        SchedulerConfig(policy="gittins", gittins_min_samples=3, size_end_idle_s=1e6)
    )
    for i in range(4):
        call = q.add(f"c{i}", f"P{i}", 0.0)
        q.charge(call, 100.0 + i)
        q.programs.end_program(f"P{i}", 0.5)  # marked final while its call runs
        q.finish(f"c{i}", 1.0, output_tokens=10)
    call = q.add("x", "X", 1.0)
    q.charge(call, 5.0)
    q.finish("x", 1.0, aborted=True)
    q.programs.end_program("X", 1.0)
    q.sizes.refresh(now=1.0)
    table = q.sizes.global_table
    assert table is not None and table.samples == 4
    assert table.max_size >= 103.0


def test_end_gap_follows_observed_think_times():
    sizes = ProgramSizes()
    for _ in range(40):
        sizes.observe_gap(0.5)
    sizes.refresh(now=0.0)
    assert sizes.end_idle_s == pytest.approx(2.0)  # 4 x p95 of the gaps


def _mean_response(policy: str, draw, n: int = 2500, load: float = 0.8, seed: int = 1) -> float:
    """A preemptive single server (one unit of service per tick) ordered by the queue:
    one-call programs arrive as a Poisson process; returns the mean response time of the
    last 60% of the programs (the first ones train the size model)."""
    rng = random.Random(seed)
    sizes = [draw(rng) for _ in range(n)]
    mean = sum(sizes) / n
    t, arrivals = 0.0, []
    for _ in range(n):
        t += rng.expovariate(load / mean)
        arrivals.append(t)
    q = MultiLevelQueue(
        SchedulerConfig(
            policy=policy,
            starvation_beta=0,
            size_end_idle_s=1e-6,
            gittins_objective="latency",
            gittins_min_samples=50,
        )
    )
    active: dict[str, tuple] = {}
    responses = []
    now, i = 0.0, 0
    while i < n or active:
        while i < n and arrivals[i] <= now:
            call = q.add(f"c{i}", f"p{i}", arrivals[i])
            active[call.call_id] = (call, sizes[i], arrivals[i], i)
            i += 1
        if not active:
            now = arrivals[i]
            continue
        call, size, arrived, idx = min(active.values(), key=lambda e: e[0].order_key())
        step = min(1.0, size - call.service)
        now += step
        q.charge(call, step)
        if call.service >= size - 1e-9:
            q.finish(call.call_id, now, output_tokens=1)
            del active[call.call_id]
            if idx >= 0.4 * n:
                responses.append(now - arrived)
    return sum(responses) / len(responses)


def test_gittins_behaves_like_fcfs_on_even_sizes():
    def even(r):
        return r.uniform(80, 120)

    fcfs = _mean_response("fcfs", even)
    plas = _mean_response("plas", even)
    gittins = _mean_response("gittins", even)
    assert plas > 1.3 * fcfs  # LAS degrades toward processor sharing here
    assert gittins < 1.1 * fcfs


def test_gittins_behaves_like_plas_on_heavy_tails():
    def pareto(r):
        return min(20 * r.paretovariate(1.3), 20000)

    fcfs = _mean_response("fcfs", pareto)
    plas = _mean_response("plas", pareto)
    gittins = _mean_response("gittins", pareto)
    assert fcfs > 1.3 * plas  # LAS is the right order for a decreasing hazard rate
    assert gittins < 1.1 * plas


def test_weighted_kaplan_meier_counts_a_sample_by_its_mass():
    """A sample of mass 2 is two samples; masses scale the at-risk set and the events."""
    plain = kaplan_meier([(1, True, 1.0), (2, True, 1.0), (2, True, 1.0), (4, False, 1.0)])
    weighted = kaplan_meier([(1, True, 1.0, 0.5), (2, True, 1.0, 1.0), (4, False, 1.0, 0.5)])
    for a, b in zip(plain, weighted, strict=True):
        assert a == pytest.approx(b)


def _tenant_program(service, tenant, cls=None):
    p = _program(service, cls=cls)
    p.tenant = tenant
    return p


def _minted_window(scope: str) -> ProgramSizes:
    """An honest tenant's 40 three-call programs (~300 units) beside a tenant that sent 600
    one-call "programs" (~100 units: a fresh program id per call)."""
    sizes = ProgramSizes(min_samples=20, refresh_every=1, end_idle_s=5.0, scope=scope)
    for i in range(600):
        sizes.track(_tenant_program(95.0 + i % 10, "minter", cls="agent"))
        if i % 15 == 0:
            sizes.track(_tenant_program(290.0 + i % 20, "honest", cls="agent"))
    sizes.refresh(now=0.0)
    return sizes


def _alone() -> ProgramSizes:
    sizes = ProgramSizes(min_samples=20, refresh_every=1, end_idle_s=5.0, scope="tenant")
    for i in range(0, 600, 15):
        sizes.track(_tenant_program(290.0 + i % 20, "honest", cls="agent"))
    sizes.refresh(now=0.0)
    return sizes


def test_a_tenant_minting_program_ids_does_not_change_the_sizes_others_are_ranked_by():
    """scope tenant: the honest tenant is ranked by its own programs' sizes, exactly as if the
    minting tenant were not there; pooled: by a distribution that is 94% the minter's one-call
    programs (a new honest program then looks nearly done after one call's service, and its
    rank jumps once it passes that size)."""
    alone = _alone().table_for("agent", "honest")
    fair = _minted_window("tenant")
    pooled = _minted_window("pooled")
    assert fair.table_for("agent", "honest").ranks == alone.ranks
    assert fair.table_for(None, "honest").ranks == alone.ranks
    assert pooled.table_for("agent", "honest") is pooled.class_tables["agent"]
    for a in (0.0, 50.0):
        assert pooled.table_for("agent", "honest").rank(a) < 0.5 * alone.rank(a)
    # the minter is ranked by its own one-call programs
    assert fair.table_for("agent", "minter").max_size < alone.max_size


def test_the_global_table_weighs_every_tenant_equally():
    """A tenant with too few ended programs of its own is ranked by the global table, in
    which the minter's 600 samples weigh as much as the honest tenant's 40."""
    fair = _minted_window("tenant")
    assert fair.table_for("agent", "newcomer") is fair.global_table
    atoms, masses, _ = kaplan_meier_bins(fair._bins(fair._window, 0.0, by_tenant=True))
    small = sum(m for s, m in zip(atoms, masses, strict=True) if s < 200)
    assert small == pytest.approx(0.5)
    pooled = _minted_window("pooled")
    atoms, masses, _ = kaplan_meier_bins(pooled._bins(pooled._window, 0.0))
    assert sum(m for s, m in zip(atoms, masses, strict=True) if s < 200) == pytest.approx(600 / 640)


def test_tenant_tables_are_rebuilt_only_for_tenants_that_sent_something():
    sizes = _minted_window("tenant")
    built = sizes.tenant_tables["honest"]
    sizes.refresh(now=1.0)
    assert sizes.tenant_tables["honest"] is built  # nothing new from it: kept
    sizes.call_finished(2.0, sizes._tenants["honest"][0])
    assert sizes.tenant_tables["honest"] is not built  # refresh_every=1: rebuilt


def test_size_scope_is_validated():
    with pytest.raises(ValueError, match="scope"):
        ProgramSizes(scope="tenants")


def test_gittins_queue_ranks_a_tenant_by_its_own_sizes():
    """Through the queue: the honest tenant's programs (three calls of 100 units) next to a
    tenant sending a fresh program id per call. Under scope tenant a new honest call's level is
    its own tenant's table's; the minter's one-call programs do not enter it."""
    cfg = SchedulerConfig(
        policy="gittins", gittins_min_samples=10, size_end_idle_s=1.0, starvation_beta=0
    )
    q = MultiLevelQueue(cfg)
    now, n = 0.0, 0
    for i in range(30):
        for k in range(3):
            call = q.add(f"h{i}.{k}", f"H{i}", now, tenant_id="honest")
            q.charge(call, 100.0, now)
            q.finish(call.call_id, now, output_tokens=10)
            for _ in range(2):  # the minter: every call a new program
                n += 1
                call = q.add(f"m{n}", f"M{n}", now, tenant_id="minter")
                q.charge(call, 100.0, now)
                q.finish(call.call_id, now, output_tokens=10)
            now += 0.1
        now += 2.0  # idle past size_end_idle_s: ended
    q.sizes.refresh(now)
    honest = q.sizes.table_for(None, "honest")
    assert honest is q.sizes.tenant_tables["honest"] and honest.samples == 30
    assert q.sizes.tenant_tables["minter"].max_size < honest.max_size
    call = q.add("new", "NEW", now, tenant_id="honest")
    assert q._rank_level(call) == bisect.bisect_right(q.sizes.rank_boundaries, honest.rank(0.0))


def test_one_tenant_is_ranked_as_with_a_pooled_window():
    """Single tenant: scope tenant gives the same ranks as pooled (the tenant's window is as
    long as the global one, and the tenant-weighted global table is the plain one)."""
    tables = {}
    for scope in ("tenant", "pooled"):
        sizes = ProgramSizes(min_samples=20, refresh_every=1, end_idle_s=5.0, scope=scope)
        rng = random.Random(3)
        for _ in range(800):
            sizes.track(_tenant_program(rng.paretovariate(1.5) * 50, "default", cls="a"))
        sizes.refresh(now=0.0)
        tables[scope] = sizes
    fair, pooled = tables["tenant"], tables["pooled"]
    assert fair.table_for("a", "default").ranks == pooled.table_for("a", "default").ranks
    assert fair.table_for(None, "default").ranks == pytest.approx(pooled.global_table.ranks)
    assert fair.global_table.ranks == pytest.approx(pooled.global_table.ranks)
    assert fair.rank_boundaries == pytest.approx(pooled.rank_boundaries)


def _brute_rank(atoms, masses, a, weights=None):
    """The Gittins rank at ``a`` straight from its definition (min over thresholds s > a)."""
    w = weights or [1.0] * len(atoms)
    total = sum(masses)
    p = [m / total for m in masses]
    mean_w = sum(pi * wi for pi, wi in zip(p, w, strict=True))
    alive = [(s, pi, wi) for s, pi, wi in zip(atoms, p, w, strict=True) if s > a]
    if not alive:
        return math.inf
    best = math.inf
    for s in sorted({x[0] for x in alive}):
        spent = sum(pi * (min(x, s) - a) for x, pi, _ in alive)
        gain = sum(pi * wi for x, pi, wi in alive if x <= s)
        best = min(best, spent / gain)
    return best * mean_w


def test_gittins_ranks_match_the_definition_on_random_distributions():
    rng = random.Random(7)
    for _ in range(20):
        atoms = sorted({round(rng.lognormvariate(4, 1.5), 3) for _ in range(rng.randint(1, 30))})
        masses = [rng.random() + 0.01 for _ in atoms]
        weights = [rng.random() + 0.01 for _ in atoms] if rng.random() < 0.5 else None
        grid = [0.0] + sorted(rng.uniform(0, 1.2 * atoms[-1]) for _ in range(15))
        ranks = gittins_ranks(atoms, masses, grid, weights)
        for a, r in zip(grid, ranks, strict=True):
            expected = _brute_rank(atoms, masses, a, weights)
            assert r == pytest.approx(expected, rel=1e-9) or (
                math.isinf(r) and math.isinf(expected)
            )


def test_binned_estimator_equals_kaplan_meier_on_snapped_sizes():
    """The refresh bins samples on the grid; the estimator on the bins is Kaplan-Meier on
    the samples rounded up to the grid (censoring, masses and weights included)."""
    rng = random.Random(11)
    for _ in range(30):
        obs = [
            (rng.paretovariate(1.2) * 30, rng.random() < 0.7, rng.random(), rng.choice([1.0, 0.25]))
            for _ in range(rng.randint(1, 300))
        ]
        snapped = [(grid_point(max(o[0], 1e-6)), *o[1:]) for o in obs]
        expected = kaplan_meier(snapped)
        got = kaplan_meier_bins(bin_observations(obs))
        assert got[0] == expected[0]  # atoms: the same grid points exactly
        assert got[1] == pytest.approx(expected[1], rel=1e-9)
        assert got[2] == pytest.approx(expected[2], rel=1e-9)


def _class_window(n_classes: int, budget: float) -> ProgramSizes:
    sizes = ProgramSizes(
        min_samples=20, refresh_every=n_classes, end_idle_s=5.0, refresh_budget=budget
    )
    rng = random.Random(5)
    for c in range(n_classes):
        for _ in range(40):
            sizes.track(_program(rng.lognormvariate(3 + c % 4, 0.5), cls=f"c{c}"))
    return sizes


def test_a_refresh_spreads_over_calls_within_the_budget_and_swaps_tables_at_once():
    full = _class_window(12, math.inf)
    full.refresh(now=0.0)
    spread = _class_window(12, 100)  # 40 samples per class: 3 tables per completed call
    spread.refresh(now=0.0)
    before = (spread.global_table, dict(spread.class_tables), spread.version)
    # a completed call in every class; the 12th starts a refresh (refresh_every=12)
    done = [spread.call_finished(1.0, spread._classes[f"c{c}"][0]) for c in range(12)]
    assert not any(done)
    assert len(spread._jobs) == 12  # the global table (480 samples) used the call's budget
    # nothing of the unfinished refresh is in use yet
    assert (spread.global_table, spread.class_tables, spread.version) == before
    done = [spread.call_finished(1.0) for _ in range(4)]
    assert done == [False, False, False, True]  # 12 class tables, 3 per call
    assert spread.version == before[2] + 1
    assert spread.global_table is not before[0]
    assert all(spread.class_tables[c] is not t for c, t in before[1].items())
    # the tables are those of a refresh made at once
    assert spread.global_table.ranks == full.global_table.ranks
    assert sorted(spread.class_tables) == sorted(full.class_tables)
    for c, t in full.class_tables.items():
        assert spread.class_tables[c].ranks == t.ranks
    assert spread.rank_boundaries == full.rank_boundaries


def test_only_classes_that_sent_something_are_rebuilt():
    sizes = _class_window(4, math.inf)
    sizes.refresh(now=0.0)
    built = dict(sizes.class_tables)
    for _ in range(4):  # 4 completed calls, all of class c1: one refresh
        sizes.call_finished(1.0, sizes._classes["c1"][0])
    assert sizes.class_tables["c1"] is not built["c1"]
    assert all(sizes.class_tables[c] is built[c] for c in ("c0", "c2", "c3"))


def test_default_budget_refreshes_the_global_and_four_class_tables_in_one_call():
    sizes = ProgramSizes(min_samples=20, refresh_every=1, end_idle_s=5.0)
    rng = random.Random(2)
    for i in range(1000):
        sizes.track(_program(rng.lognormvariate(4, 1), cls=f"c{i % 4}"))
    assert sizes.call_finished(0.0) is True and not sizes._jobs
    assert len(sizes.class_tables) == 4 and sizes.global_table is not None


def _reference_bins(programs, now, end_idle_s, per_token, by_tenant=False):
    """One straightforward pass over the program objects (the binning before the samples
    were kept in arrays): what ``ProgramSizes._bins`` must equal exactly."""
    programs = list(programs)
    valid = [p for p in programs if not p.aborted_calls and p.service > 0]
    count: dict = {}
    for p in valid:
        count[getattr(p, "tenant", None)] = count.get(getattr(p, "tenant", None), 0.0) + 1.0
    observations = []
    for p in valid:
        ended = p.ended or (p.active_calls == 0 and now - p.last_seen >= end_idle_s)
        weight = 1.0 / max(1, p.output_tokens) if per_token else 1.0
        mass = 1.0 / count[getattr(p, "tenant", None)] if by_tenant else 1.0
        observations.append((p.service, ended, weight, mass))
    return bin_observations(observations)


class _RefWindows:
    """The windows as the size model keeps them (global, per class, per tenant; LRU over
    classes and tenants), on plain deques of the program objects."""

    def __init__(self, window, class_window, max_classes):
        self.window = deque(maxlen=window)
        self.classes: OrderedDict = OrderedDict()
        self.tenants: OrderedDict = OrderedDict()
        self.caps = (class_window, window, max_classes)

    def track(self, p, scope):
        self.window.append(p)
        tenant = getattr(p, "tenant", None) if scope == "tenant" else None
        cls = p.program_class
        key = tenant + "\0" + cls if cls is not None and tenant is not None else cls
        for windows, k, cap in (
            (self.classes, key, self.caps[0]),
            (self.tenants, tenant, self.caps[1]),
        ):
            if k is None:
                continue
            if k not in windows:
                windows[k] = deque(maxlen=cap)
                while len(windows) > self.caps[2]:
                    windows.popitem(last=False)
            else:
                windows.move_to_end(k)
            windows[k].append(p)


def _assert_same_bins(sizes, ref, now):
    pairs = [(sizes._window, ref.window)]
    assert list(sizes._classes) == list(ref.classes)
    assert list(sizes._tenants) == list(ref.tenants)
    pairs += [(sizes._classes[k], ref.classes[k]) for k in ref.classes]
    pairs += [(sizes._tenants[k], ref.tenants[k]) for k in ref.tenants]
    for win, expected in pairs:
        assert len(win) == len(expected)
        assert all(a is b for a, b in zip(win, expected, strict=True))
        assert [win[i] for i in (0, -1)] == [expected[0], expected[-1]]
        for by_tenant in (False, True):
            got = sizes._bins(win, now, by_tenant)
            want = _reference_bins(expected, now, sizes.end_idle_s, sizes.per_token, by_tenant)
            assert got == want  # exactly: the same sums in the same order
    held = {id(p) for _, w in pairs for p in w}
    assert len(sizes._pool) == len(held)  # a program no window holds has no slot


@pytest.mark.parametrize("scope", ["tenant", "pooled"])
def test_array_bins_equal_one_pass_over_the_programs(scope):
    """Random programs (classes, tenants, aborted, no service, ended, running lower bounds,
    idle ones around the end gap), small windows so that programs leave the global window
    and whole class and tenant windows are dropped (LRU), fields changed after tracking and
    reported by ``observe`` / ``call_finished``: every window's bins equal a pass over its
    program objects."""
    rng = random.Random(17 if scope == "tenant" else 18)
    sizes = ProgramSizes(
        min_samples=5,
        refresh_every=7,
        end_idle_s=3.0,
        window=60,
        class_window=15,
        max_classes=4,
        scope=scope,
        per_token=scope == "tenant",
    )
    ref = _RefWindows(60, 15, 4)
    tracked, now = [], 0.0
    for step in range(1500):
        now += rng.expovariate(2.0)
        if rng.random() < 0.4 or not tracked:
            p = SimpleNamespace(
                service=rng.choice(
                    [0.0, rng.paretovariate(1.2) * 20, float(rng.randint(1, 9) * 64)]
                ),
                ended=rng.random() < 0.3,
                aborted_calls=int(rng.random() < 0.05),
                active_calls=rng.choice([0, 0, 1, 2]),
                last_seen=now - rng.uniform(0, 6),
                program_class=rng.choice([None, "a", "b", "c", "d", "e", "f"]),
                output_tokens=rng.randint(0, 300),
                tenant=rng.choice([None, "t0", "t1", "t2", "t3", "t4", "t5"]),
            )
            sizes.track(p)
            ref.track(p, scope)
            tracked.append(p)
        else:  # a program changes: a call starts, completes, is aborted, or it ends
            p = rng.choice(tracked[-200:])
            what = rng.random()
            if what < 0.3:
                p.active_calls += 1
                p.last_seen = now
                sizes.observe(p)
            elif what < 0.75:
                p.active_calls = max(0, p.active_calls - 1)
                p.service += rng.expovariate(1 / 50)
                p.output_tokens += rng.randint(1, 50)
                p.last_seen = now
                sizes.call_finished(now, p)
            elif what < 0.8:
                p.aborted_calls += 1
                sizes.observe(p)
            else:
                p.ended = True
                sizes.observe(p)
        if step % 50 == 0:
            sizes.end_idle_s = rng.choice([0.5, 3.0, 1e9])
            _assert_same_bins(sizes, ref, now + rng.choice([0.0, 2.0, 5.0]))
    _assert_same_bins(sizes, ref, now)


def test_the_queue_reports_every_change_the_bins_read():
    """Through the queue (gittins, tenants, classes; TTL and capacity eviction, client end
    markers, aborted calls, packing of cold programs): after any sequence of events, every
    window's bins equal a pass over the live program objects, and no program a window holds
    was packed (the table still returns the very object)."""
    cfg = SchedulerConfig(
        policy="gittins",
        gittins_min_samples=5,
        gittins_window=40,
        size_end_idle_s=2.0,
        program_ttl_s=6.0,
        max_programs=30,
        program_pack_after_s=1.0,
        starvation_beta=0,
    )
    q = MultiLevelQueue(cfg)
    rng = random.Random(23)
    running: dict[str, object] = {}
    now, n = 0.0, 0
    for step in range(3000):
        now += rng.expovariate(8.0)
        if rng.random() < 0.5 or not running:
            n += 1
            pid = f"p{rng.randrange(80)}"
            call = q.add(
                f"c{n}",
                pid,
                now,
                tenant_id=rng.choice(["t0", "t1", "t2"]),
                program_class=rng.choice([None, "x", "y"]),
            )
            running[call.call_id] = call
        else:
            call = running.pop(rng.choice(list(running)))
            q.charge(call, rng.expovariate(1 / 40), now)
            if rng.random() < 0.05:
                q.finish(call.call_id, now, aborted=True)
            else:
                q.finish(call.call_id, now, output_tokens=rng.randint(1, 200))
            if rng.random() < 0.2:
                q.programs.end_program(call.program.program_id, now)
        if step % 100 == 99:
            sizes = q.sizes
            wins = [sizes._window, *sizes._classes.values(), *sizes._tenants.values()]
            for win in wins:
                for p in win:
                    assert p.ended or q.programs.get(p.program_id) is p
                for by_tenant in (False, True):
                    got = sizes._bins(win, now, by_tenant)
                    want = _reference_bins(win, now, sizes.end_idle_s, sizes.per_token, by_tenant)
                    assert got == want
    assert q.sizes.global_table is not None and q.programs.evicted_total > 0
