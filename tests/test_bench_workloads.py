"""Workload generators: Autellix statistics within tolerance, determinism, structure."""

import random
import statistics

import pytest

from vllm_nexus.bench import workloads
from vllm_nexus.bench.prompts import PromptFactory
from vllm_nexus.bench.trace import dump_trace, load_trace, topological_order
from vllm_nexus.bench.workloads import STATS, WorkloadOptions, generate, heavy_int, retime


def _stats(programs):
    calls = [c for p in programs for c in p.calls]
    return (
        statistics.fmean(len(p.calls) for p in programs),
        max(len(p.calls) for p in programs),
        statistics.fmean(c.prompt_tokens for c in calls),
        statistics.fmean(c.output_tokens for c in calls),
    )


@pytest.mark.parametrize("kind, n", [("chat", 1500), ("react", 1500), ("lats", 150)])
def test_statistics_match_autellix(kind, n):
    s = STATS[kind]
    calls_mean, calls_max, prompt_mean, output_mean = _stats(generate(kind, n, seed=3, rate=1))
    assert calls_mean == pytest.approx(s.calls_mean, rel=0.12)
    assert calls_max <= s.calls_max
    assert prompt_mean == pytest.approx(s.prompt_mean, rel=0.1)
    assert output_mean == pytest.approx(s.output_mean, rel=0.1)


def test_heavy_tail_and_mean():
    rng = random.Random(0)
    xs = [heavy_int(rng, 20, 1, 400, 0.9) for _ in range(20000)]
    assert statistics.fmean(xs) == pytest.approx(20, rel=0.05)
    assert max(xs) > 5 * 20  # heavy tail: far beyond the mean
    assert statistics.median(xs) < 20  # right-skewed


def test_deterministic_by_seed():
    a = generate("mixed", 30, seed=7, rate=2)
    b = generate("mixed", 30, seed=7, rate=2)
    c = generate("mixed", 30, seed=8, rate=2)
    assert a == b
    assert a != c


def test_mixed_is_an_equal_mix():
    ps = generate("mixed", 99, seed=1, rate=1)
    kinds = [p.kind for p in ps]
    assert {k: kinds.count(k) for k in set(kinds)} == {"chat": 33, "react": 33, "lats": 33}
    assert kinds[:6] != ["chat", "react", "lats"] * 2  # shuffled


def test_structure_chat_chain_and_lats_fanout():
    [chat] = generate("chat", 1, seed=2, rate=1, options=WorkloadOptions(max_context_tokens=10**6))
    for prev, c in zip(chat.calls, chat.calls[1:], strict=False):
        assert c.after == (prev.id,) and c.context_from == prev.id
    [lats] = generate("lats", 1, seed=2, rate=1, options=WorkloadOptions(max_context_tokens=10**6))
    k = workloads.LATS_BRANCHING
    assert (len(lats.calls) - 1) % (k + 1) == 0
    fan_in = [c for c in lats.calls if len(c.after) == k]
    assert len(fan_in) == (len(lats.calls) - 1) // (k + 1)
    assert all(c.context_from in c.after for c in fan_in)
    topological_order(lats.calls)  # acyclic


def test_context_cap_and_scaling():
    opts = WorkloadOptions(calls_scale=0.25, tokens_scale=0.25, max_context_tokens=512)
    ps = generate("mixed", 60, seed=0, rate=1, options=opts)
    assert all(v <= 512 for p in ps for v in p.full_prompt_tokens().values())
    full = _stats(generate("react", 600, seed=0, rate=1))
    small = _stats(generate("react", 600, seed=0, rate=1, options=WorkloadOptions(0.25, 0.25)))
    assert small[0] == pytest.approx(full[0] * 0.25, rel=0.25)
    assert small[2] == pytest.approx(full[2] * 0.25, rel=0.15)


def test_poisson_arrivals_and_retime():
    ps = generate("chat", 2000, seed=4, rate=5)
    gaps = [b.arrival_s - a.arrival_s for a, b in zip(ps, ps[1:], strict=False)]
    assert statistics.fmean(gaps) == pytest.approx(0.2, rel=0.08)
    slow = retime(ps, 1.0, seed=4)
    assert [p.program_id for p in slow] == [p.program_id for p in ps]
    assert slow[-1].arrival_s == pytest.approx(ps[-1].arrival_s * 5)
    assert all(p.arrival_s == 0 for p in retime(ps[:5], 0, seed=4))


def test_dump_and_reload(tmp_path):
    ps = generate("mixed", 12, seed=5, rate=3)
    dump_trace(ps, tmp_path / "w.jsonl")
    again = load_trace(tmp_path / "w.jsonl")
    assert [p.program_id for p in again] == [p.program_id for p in ps]
    assert [p.calls for p in again] == [p.calls for p in ps]


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown workload"):
        generate("nope", 1, 0, 1)
    with pytest.raises(ValueError):
        WorkloadOptions(calls_scale=0)


def test_prompt_factory_deterministic_and_salted():
    pool = list(range(100, 300))
    f1, f2, f3 = (
        PromptFactory(0, "a", pool),
        PromptFactory(0, "a", pool),
        PromptFactory(0, "b", pool),
    )
    a = f1.ids("p1", "c0", 57)
    assert len(a) == 57 and set(a) <= set(pool)
    assert a == f2.ids("p1", "c0", 57)
    assert a != f3.ids("p1", "c0", 57)  # fresh content per run salt
    assert a != f1.ids("p2", "c0", 57)


def test_coding_agent_sessions_grow_toward_the_context_cap():
    opts = WorkloadOptions(max_context_tokens=4096)
    ps = generate("coding-agent", 200, seed=1, rate=1, options=opts)
    assert {p.kind for p in ps} == {"coding-agent"}
    assert statistics.fmean(len(p.calls) for p in ps) == pytest.approx(24, rel=0.15)
    for p in ps:  # one sequential session: each call continues the previous (or restarts)
        for prev, c in zip(p.calls, p.calls[1:], strict=False):
            assert c.after == (prev.id,) and c.context_from in (prev.id, None)
            assert c.think_s > 0  # tool time between calls
    full = [v for p in ps for v in p.full_prompt_tokens().values()]
    assert max(full) <= 4096
    assert sum(v > 0.75 * 4096 for v in full) > 0.1 * len(full)  # long contexts are common
    restarts = [c for p in ps for c in p.calls[1:] if c.context_from is None]
    firsts = [p.calls[0] for p in ps]
    # a first call or a restart carries the system prompt and task (or a summary)
    assert statistics.fmean(c.prompt_tokens for c in firsts + restarts) > 2 * statistics.fmean(
        c.prompt_tokens for p in ps for c in p.calls[1:] if c.context_from is not None
    )


def test_map_reduce_fans_out_then_reduces():
    ps = generate("map-reduce", 300, seed=2, rate=1)
    fanouts = []
    for p in ps:
        plan, *maps, reduce = p.calls
        assert plan.after == () and all(m.after == (plan.id,) for m in maps)
        assert all(m.context_from in (plan.id, None) for m in maps)  # None: over the cap
        assert reduce.after == tuple(m.id for m in maps) and reduce.context_from is None
        # reads every map's output (truncated to half the context cap)
        assert reduce.prompt_tokens >= min(sum(m.output_tokens for m in maps), 4096 // 2)
        fanouts.append(len(maps))
    maps = [m for p in ps for m in p.calls[1:-1]]
    assert sum(m.context_from is not None for m in maps) > 0.9 * len(maps)
    assert statistics.fmean(fanouts) == pytest.approx(8, rel=0.15)
    assert max(fanouts) > 3 * 8  # heavy tail


def test_agentic_mix_and_tuning_evaluation_split():
    ps = generate("agentic", 40, seed=0, rate=1, options=WorkloadOptions(0.25, 0.25, 1024))
    kinds = [p.kind for p in ps]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "coding-agent": 10, "chat": 10, "map-reduce": 10, "lats": 10
    }  # fmt: skip
    assert not set(workloads.TUNING_WORKLOADS) & set(workloads.EVALUATION_WORKLOADS)
    assert set(workloads.WORKLOADS) == set(workloads.TUNING_WORKLOADS) | set(
        workloads.EVALUATION_WORKLOADS
    )


def test_bursty_arrivals_keep_the_rate_and_clump():
    def gaps(cv):
        ps = generate("chat", 3000, seed=4, rate=5, options=WorkloadOptions(arrival_cv=cv))
        return [b.arrival_s - a.arrival_s for a, b in zip(ps, ps[1:], strict=False)]

    poisson, bursty = gaps(1.0), gaps(3.0)
    assert statistics.fmean(bursty) == pytest.approx(0.2, rel=0.15)
    cv = statistics.pstdev(bursty) / statistics.fmean(bursty)
    assert cv == pytest.approx(3.0, rel=0.2)
    assert statistics.pstdev(poisson) / statistics.fmean(poisson) == pytest.approx(1.0, rel=0.1)
    # most bursty gaps are far shorter than the mean: programs come in clumps
    assert statistics.median(bursty) < 0.1 * statistics.fmean(bursty)
    with pytest.raises(ValueError):
        WorkloadOptions(arrival_cv=0)
