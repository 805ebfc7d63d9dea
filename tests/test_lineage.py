"""Program inference from prompt lineage (pure policy, no engine)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from vllm_nexus.programs import lineage
from vllm_nexus.programs.lineage import LineageIndex, prefix_hashes, window_hashes

SYSTEM = list(range(1000, 1300))  # a 300-token system prompt every program shares


def toks(seed: int, n: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(2000, 50_000) for _ in range(n)]


def add(index: LineageIndex, prompt: list[int], output: list[int], pid: str, now: float = 0.0):
    p = index.prompt(prompt)
    index.record(p.key, len(prompt), output, pid, now)


def match(index: LineageIndex, prompt: list[int], now: float = 0.0):
    m = index.match(index.prompt(prompt), now)
    return None if m is None else m.program_id


def test_hashes_are_prefix_and_position_independent_windows():
    a = np.array(toks(1, 50), dtype=np.uint64)
    b = np.concatenate([a[:30], np.array(toks(2, 10), dtype=np.uint64)])
    assert (
        prefix_hashes(a)[29] == prefix_hashes(b)[29]
        and prefix_hashes(a)[30] != prefix_hashes(b)[30]
    )
    shifted = np.concatenate([np.array([7, 8, 9], dtype=np.uint64), a])
    assert set(window_hashes(a, 6).tolist()) <= set(window_hashes(shifted, 6).tolist())


def test_next_turn_joins_the_conversation():
    idx = LineageIndex()
    p1, o1 = SYSTEM + toks(1, 40), toks(2, 30)
    add(idx, p1, o1, "conv-A")
    p2 = p1 + [5, 6] + o1 + [7, 8] + toks(3, 20)  # template tokens around the history
    assert match(idx, p2) == "conv-A"
    o2 = toks(4, 25)
    add(idx, p2, o2, "conv-A")
    assert match(idx, p2 + o2 + toks(5, 10)) == "conv-A"


def test_lineage_is_scoped_by_tenant():
    """A call never joins another tenant's program, even when it continues that tenant's
    prompt and output exactly; within a tenant it does."""
    idx = LineageIndex()
    p1, o1 = SYSTEM + toks(30, 40), toks(31, 30)
    p = idx.prompt(p1)
    idx.record(p.key, len(p1), o1, "acme-conv", 0.0, tenant="acme")
    nxt = idx.prompt(p1 + o1 + toks(32, 10))
    assert idx.match(nxt, 0.0, "evil") is None
    assert idx.match(nxt, 0.0) is None  # no tenant is a tenant of its own too
    m = idx.match(nxt, 0.0, "acme")
    assert m is not None and m.program_id == "acme-conv"
    # the same prompt and output remembered for both tenants: each finds its own
    idx.record(p.key, len(p1), o1, "evil-conv", 0.0, tenant="evil")
    assert idx.match(nxt, 0.0, "evil").program_id == "evil-conv"
    assert idx.match(nxt, 0.0, "acme").program_id == "acme-conv"


def test_shared_system_prompt_never_merges():
    idx = LineageIndex()
    pa, oa = SYSTEM + toks(10, 40), toks(11, 30)
    add(idx, pa, oa, "A")
    pb, ob = SYSTEM + toks(20, 40), toks(21, 30)
    assert match(idx, pb) is None  # B's first call: only the system prompt in common
    add(idx, pb, ob, "B")
    assert match(idx, pb + ob + toks(22, 10)) == "B"
    # a call whose whole prompt is the system prompt: its output must appear too
    add(idx, SYSTEM, toks(30, 20), "S")
    assert match(idx, SYSTEM + toks(31, 60)) is None


def test_same_first_prompt_different_outputs_picks_the_right_one():
    idx = LineageIndex()
    p = SYSTEM + toks(40, 20)  # two programs ask exactly the same first question
    oa, ob = toks(41, 30), toks(42, 30)
    add(idx, p, oa, "A")
    add(idx, p, ob, "B")
    assert match(idx, p + ob + toks(43, 10)) == "B"
    assert match(idx, p + oa + toks(44, 10)) == "A"


def test_retokenized_output_still_matches_but_other_text_does_not():
    idx = LineageIndex()
    p, o = SYSTEM + toks(50, 40), toks(51, 80)
    add(idx, p, o, "A")
    rng = random.Random(0)
    noisy = [t if rng.random() > 0.1 else t + 1 for t in o]  # 10% of tokens re-tokenized
    assert match(idx, p + noisy + toks(52, 10)) == "A"
    assert match(idx, p + toks(53, 80) + toks(52, 10)) is None


def test_reasoning_dropped_from_history_still_matches():
    idx = LineageIndex()
    p, thinking, answer = SYSTEM + toks(60, 30), toks(61, 200), toks(62, 40)
    add(idx, p, thinking + answer, "A")
    # the template keeps the answer only; it still sits within 2 * len(output) after the prefix
    assert match(idx, p + answer + toks(63, 10)) == "A"


def test_resent_prompt_and_short_outputs():
    idx = LineageIndex()
    p = SYSTEM + toks(70, 30)
    add(idx, p, [42], "A")  # a one-token output
    assert match(idx, p) is None  # the same prompt again (a retry) continues nothing
    assert match(idx, p + [42, 1, 2]) == "A"
    assert match(idx, p + [43, 1, 2]) is None


def test_ttl_and_capacity_bound_memory():
    idx = LineageIndex(max_calls=4, ttl_s=10.0)
    prompts = [SYSTEM + toks(100 + i, 20) for i in range(6)]
    outs = [toks(200 + i, 20) for i in range(6)]
    for i in range(6):
        add(idx, prompts[i], outs[i], f"P{i}", now=float(i))
    assert len(idx) == 4
    assert match(idx, prompts[0] + outs[0] + [1], now=6.0) is None  # pushed out by capacity
    assert match(idx, prompts[5] + outs[5] + [1], now=6.0) == "P5"
    assert match(idx, prompts[5] + outs[5] + [1], now=16.0) is None  # past the TTL
    assert len(idx) == 0 and not idx._by_key and int(idx._filter.sum()) == 0


@pytest.mark.parametrize("n", [0, 1])
def test_degenerate_prompts(n):
    idx = LineageIndex()
    add(idx, [1, 2, 3], [4, 5], "A")
    assert match(idx, list(range(n))) is None
    assert not idx.record(None, 0, [1], "A", 0.0)
    assert not idx.record(idx.prompt([1]).key, 1, [], "A", 0.0)


def _reference_windows(a: np.ndarray, k: int) -> np.ndarray:
    """The definition: Horner's rule over ``a[i + j] + 1``, then the splitmix64 finaliser."""
    u = np.uint64
    n = len(a) - k + 1
    if n <= 0:
        return np.empty(0, dtype=u)
    g = np.zeros(n, dtype=u)
    with np.errstate(over="ignore"):
        for j in range(k):
            g = g * lineage._P_GRAM + a[j : j + n] + u(1)
        x = g ^ u(k)
        x = x ^ (x >> u(30))
        x = x * lineage._M1
        x = x ^ (x >> u(27))
        x = x * lineage._M2
        return x ^ (x >> u(31))


@pytest.mark.parametrize("n", [0, 1, 5, 6, 7, 48, 49, 160, 1000])
def test_fast_window_hashes_and_sketch_equal_the_definition(n):
    """The vectorised hashes are the same numbers as the definition (remembered sketches and
    new prompts must keep hashing alike), and the sketch is the documented one."""
    a = np.array(toks(n, n), dtype=np.uint64)
    a[: n // 3] = a[n // 3 : 2 * (n // 3)]  # repeated windows: duplicates in the sketch input
    before = a.copy()
    for k in range(1, 8):
        assert np.array_equal(window_hashes(a, k), _reference_windows(a, k))
    assert np.array_equal(a, before)  # the input is never hashed in place
    if n:
        k, sketch = lineage.sketch_of(a)
        g = _reference_windows(a, k)
        tail = g[max(0, len(g) - (lineage.TAIL - k + 1)) :]
        half = lineage.SKETCH // 2
        expected = np.union1d(np.unique(g)[:half], np.unique(tail)[:half])
        assert k == min(lineage.K, n) and sketch.dtype == np.uint64
        assert np.array_equal(sketch, expected)


def test_assigner_tells_unproven_programs_apart():
    """Unproven: a solo id-less call's program, and id-less calls inferred into it; proven:
    explicit ids, and id-less calls that continue an explicit program's call."""
    from types import SimpleNamespace

    from vllm_nexus.config import SchedulerConfig
    from vllm_nexus.programs.assignment import ProgramAssigner

    system = list(range(10, 90))

    def fresh(seed: int, n: int) -> list[int]:
        rng = random.Random(seed)
        return [rng.randrange(100, 500) for _ in range(n)]

    a = ProgramAssigner(SchedulerConfig())

    def call(rid, prompt, resolved=None):
        req = SimpleNamespace(request_id=rid, prompt_token_ids=prompt, output_token_ids=[])
        pid = a.assign(req, resolved or f"call:{rid}", 0.0)
        return req, pid, a.last_unproven(pid)

    def finish(req, pid, seed):
        req.output_token_ids = fresh(seed, 30)
        a.finished(req, pid, True, 0.0)
        return req.prompt_token_ids + req.output_token_ids

    req, pid, unproven = call("s1", system + fresh(11, 20))
    assert (pid, unproven) == ("call:s1", True)
    ctx = finish(req, pid, 12)
    req, pid, unproven = call("s2", ctx + fresh(13, 5))
    assert (pid, unproven, a.last_source) == ("call:s1", True, "inferred")
    req, pid, unproven = call("x1", system + fresh(14, 20), resolved="X")
    assert (pid, unproven) == ("X", False)
    ctx = finish(req, pid, 15)
    req, pid, unproven = call("n1", ctx + fresh(16, 5))
    assert (pid, unproven, a.last_source) == ("X", False, "inferred")


def test_batched_hashes_equal_the_per_call_ones():
    """``prompt_keys`` / ``sketches_of`` (one vectorised pass over many calls) give exactly
    :attr:`Prompt.key` / :func:`sketch_of` of each call, whatever the lengths (outputs shorter
    than the window, shorter than the tail, repeated windows)."""
    rng = random.Random(5)
    lengths = [1, 2, 5, 6, 7, 8, 47, 48, 49, 60, 200, 1000] + [
        rng.randrange(1, 400) for _ in range(40)
    ]
    rng.shuffle(lengths)
    seqs = []
    for i, n in enumerate(lengths):
        a = toks(300 + i, n)
        a[: n // 3] = a[n // 3 : 2 * (n // 3)]  # repeated windows
        seqs.append(a)
    assert lineage.prompt_keys(seqs) == [LineageIndex.prompt(a).key for a in seqs]
    for a, (k, sketch) in zip(seqs, lineage.sketches_of(seqs), strict=True):
        k0, s0 = lineage.sketch_of(np.array(a, dtype=np.uint64))
        assert k == k0 and sketch.dtype == np.uint64 and np.array_equal(sketch, s0)


def _state(idx: LineageIndex):
    return [
        (key, pid, prompt_len, output_len, k, sketch.tolist(), t)
        for key, (pid, prompt_len, output_len, k, sketch, t) in idx._order.values()
    ], idx._filter.tobytes()


@pytest.mark.parametrize("batch", [1, 3, 32])
def test_deferred_recording_equals_eager_recording(batch):
    """Queued completed calls (explicit ones with their prompt hashed in the batch, id-less
    ones with their key) end up exactly as if recorded one by one — same entries, order,
    capacity and TTL eviction — and a look-up always sees every call completed before it."""
    eager = LineageIndex(max_calls=5, ttl_s=8.0)
    lazy = LineageIndex(max_calls=5, ttl_s=8.0, batch=batch)
    ctx = {}
    for i in range(14):
        pid = f"P{i % 4}"
        prompt = ctx.get(pid, SYSTEM) + toks(400 + i, 5)
        out = toks(500 + i, 3 + 7 * i)
        now, tenant = float(i), "acme" if i % 3 else ""
        eager.record(eager.prompt(prompt).key, len(prompt), out, pid, now, tenant)
        if i % 2:
            assert lazy.defer(None, len(prompt), out, pid, now, tenant, prompt_ids=prompt)
        else:
            assert lazy.defer(lazy.prompt(prompt).key, len(prompt), out, pid, now, tenant)
        ctx[pid] = prompt + out
        nxt = lazy.prompt(ctx[pid] + [1, 2])
        m = lazy.match(nxt, now + 0.5, tenant)
        assert m is not None and m.program_id == pid
        assert _state(lazy) == _state(eager)
    for i in range(3):  # no look-up in between: the queue alone
        out = toks(600 + i, 20)
        eager.record(eager.prompt(SYSTEM).key, len(SYSTEM), out, "Q", 14.0 + i)
        lazy.defer(None, len(SYSTEM), out, "Q", 14.0 + i, prompt_ids=SYSTEM)
    assert len(lazy._pending) == 3 % batch and len(lazy) == len(eager) == 5
    assert _state(lazy) == _state(eager)
    assert not lazy.defer(None, 0, [1], "A", 0.0, prompt_ids=[])
    assert not lazy.defer(None, 3, [1], "A", 0.0)  # neither key nor prompt
    assert not lazy.defer(7, 3, [], "A", 0.0) and not lazy._pending


def test_segment_then_hash_order_is_lexsorts():
    """The sort of the batched sketches is ``np.lexsort((h, seg))`` exactly (ties in input
    order), with few and with many segments (the radix key's width changes)."""
    from vllm_nexus.programs.lineage import _by_segment_then_hash

    rng = np.random.default_rng(5)
    for segments, n in ((1, 50), (32, 5000), (300, 4000), (70000, 90000)):
        seg = np.sort(rng.integers(0, segments, n)).astype(np.intp)
        h = rng.integers(0, 40, n).astype(np.uint64)  # many ties
        h[::3] = rng.integers(0, 2**63, len(h[::3]), dtype=np.int64).astype(np.uint64) * 2
        assert (_by_segment_then_hash(seg, h, segments) == np.lexsort((h, seg))).all()
