"""Client program-size hints (``vllm_xargs.program_size_hint``, ``scheduler.size_hints``):
validation, the HTTP edge's 400s, hinted remaining-work levels, revisions, overruns, the
mixture with unhinted programs, the config switch, metrics and the client/simulator side."""

from __future__ import annotations

import json
import math

import pytest
from test_api import run as run_middleware

from vllm_nexus.bench.trace import CallSpec, ProgramSpec
from vllm_nexus.config import ConfigError, NexusConfig, SchedulerConfig
from vllm_nexus.programs.identity import (
    MAX_SIZE_HINT,
    InvalidProgramId,
    InvalidSizeHint,
    http_identity,
    size_hint_of,
    validate_size_hint,
)
from vllm_nexus.programs.metrics import SchedulerMetrics
from vllm_nexus.programs.queues import MultiLevelQueue
from vllm_nexus.serving.middleware import check_request

# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [(1, 1.0), (12, 12.0), (3.5, 3.5), ("7", 7.0),
                                            (MAX_SIZE_HINT, MAX_SIZE_HINT)])  # fmt: skip
def test_valid_hints(value, expected):
    assert validate_size_hint(value) == expected
    assert size_hint_of({"program_size_hint": value}) == (expected, None)


@pytest.mark.parametrize(
    "value,words",
    [
        (True, "number of calls"),
        (None, "number of calls"),
        ([3], "number of calls"),
        ({"calls": 3}, "number of calls"),
        ("many", "number of calls"),
        (math.nan, "finite"),
        ("nan", "finite"),
        (math.inf, "finite"),
        ("-inf", "finite"),
        (-3, "[1, 1000000]"),
        (0, "[1, 1000000]"),
        (0.5, "[1, 1000000]"),
        (MAX_SIZE_HINT * 10, "[1, 1000000]"),
        (10**400, "number of calls"),  # an int too large for a float
    ],
)
def test_invalid_hints_are_rejected_with_a_reason(value, words):
    with pytest.raises(InvalidSizeHint, match="program_size_hint") as e:
        validate_size_hint(value)
    assert words in str(e.value)
    assert isinstance(e.value, InvalidProgramId)  # the HTTP edges' 400 path
    hint, problem = size_hint_of({"program_size_hint": value})  # never raises
    assert hint is None and words in problem


def test_no_hint_is_no_problem():
    assert size_hint_of(None) == (None, None)
    assert size_hint_of({"program_id": "a"}) == (None, None)


def test_http_identity_checks_the_hint():
    assert http_identity({"vllm_xargs": {"program_id": "a", "program_size_hint": 5}}).program_id
    with pytest.raises(InvalidSizeHint):
        http_identity({"vllm_xargs": {"program_id": "a", "program_size_hint": -1}})
    assert "program_size_hint" in check_request({"vllm_xargs": {"program_size_hint": "x"}}, {}, 9)


# -- the HTTP middleware ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-2, 0, "NaN", 1e9, "ten", True, [4]])
def test_middleware_answers_a_bad_hint_with_400(bad):
    body = {"prompt": "x", "vllm_xargs": {"program_id": "p", "program_size_hint": bad}}
    status, payload, seen = run_middleware(body)
    assert status == 400 and not seen
    err = json.loads(payload)["error"]
    assert err["code"] == 400 and err["param"] == "program_size_hint"
    assert err["message"].startswith("invalid program size hint: vllm_xargs.program_size_hint")


def test_middleware_lets_a_good_hint_through_unchanged():
    body = {"prompt": "x", "vllm_xargs": {"program_id": "p", "program_size_hint": 12}}
    status, _, seen = run_middleware(body)
    assert status == 200
    assert json.loads(seen["body"])["vllm_xargs"]["program_size_hint"] == 12


# -- the policy ------------------------------------------------------------------------------


def mlq(**kw) -> MultiLevelQueue:
    base = dict(
        policy="plas",
        first_boundary=10,
        first_quantum=10,
        num_queues=4,
        starvation_beta=0,
        stage_rerank="off",
        adaptive_levels=False,
    )
    base.update(kw)
    return MultiLevelQueue(SchedulerConfig(**base))


def complete(q, cid, pid, service, hint=None, now=0.0):
    c = q.add(cid, pid, now, size_hint=hint)
    q.set_running(c, now)
    q.charge(c, service)
    q.finish(cid, now)
    return c


def test_a_hinted_call_enters_the_level_of_its_hinted_remaining_work():
    q = mlq()  # boundaries 10, 20, 40; typical call service 10 before any completed
    assert q.boundaries == [10, 20, 40]
    one = q.add("one", "ONE", 0.0, size_hint=1)  # its only call: nothing after it
    five = q.add("five", "FIVE", 0.0, size_hint=5)  # 4 calls after it x 10
    plain = q.add("plain", "PLAIN", 0.0)
    assert (one.hint_rank, one.level) == (0.0, 0)
    assert (five.hint_rank, five.level) == (40.0, 3)
    assert (plain.hint_rank, plain.level) == (None, 0)


def test_a_hinted_program_rises_as_it_nears_its_end_where_plas_sinks_it():
    q, plain = mlq(), mlq()
    levels, plas_levels = [], []
    for i in range(5):
        for queue, out, hint in ((q, levels, 5), (plain, plas_levels, None)):
            c = queue.add(f"c{i}", "A", 0.0, size_hint=hint)
            out.append(c.level)
            queue.set_running(c, 0.0)
            queue.charge(c, 8.0)
            queue.finish(f"c{i}", 0.0)
    # hinted: (5 - i - 1) calls ahead x 8 service per completed call (10 before the first)
    assert levels == [3, 2, 1, 0, 0]
    assert plas_levels == [0, 0, 1, 2, 2]  # attained 0, 8, 16, 24, 32
    assert q.hinted_programs == 1 and q.hinted_calls == 5 and q.hint_overruns == 0
    assert plain.hinted_calls == 0


def test_the_latest_hint_wins():
    q = mlq()
    complete(q, "a1", "A", 10.0, hint=20)
    revised = q.add("a2", "A", 0.0, size_hint=3)  # 1 call after this one x 10
    assert (revised.hint_rank, revised.level) == (10.0, 1)
    q.finish("a2", 0.0)  # (no service: 10 over 2 completed calls, 5 per call)
    up = q.add("a3", "A", 0.0, size_hint=50)  # revised upward before it was used up
    assert (up.hint_rank, up.level) == (47 * 5.0, 3)
    q.finish("a3", 0.0)
    standing = q.add("a4", "A", 0.0)  # no hint on this call: the standing one (50) holds
    assert standing.hint_rank == 46 * 10.0 / 3 and standing.level == 3
    assert q.hinted_programs == 1 and q.hinted_calls == 4 and q.hint_overruns == 0


def test_a_program_past_its_hint_falls_back_to_its_attained_service_for_good():
    q = mlq()
    complete(q, "a1", "A", 15.0, hint=2)
    complete(q, "a2", "A", 15.0)
    over = q.add("a3", "A", 0.0)  # a third call: more than the 2 it stated
    assert over.hint_rank is None
    assert over.level == q.level_for_service(30.0) == 2  # PLAS: its attained service
    assert q.hint_overruns == 1
    q.finish("a3", 0.0)
    # a hint sent after the overrun, however large or small, is not honoured any more
    later = q.add("a4", "A", 0.0, size_hint=100)
    assert later.hint_rank is None and later.level == 2
    q.finish("a4", 0.0)
    assert q.add("a5", "A", 0.0, size_hint=5).hint_rank is None
    assert q.hint_overruns == 1 and q.hinted_programs == 1


def test_a_revision_cannot_renew_a_used_up_hint():
    """The overrun is checked against the standing hint before the call's revision: a client
    that states "this is my last call" on every call gets that once."""
    q = mlq()
    first = q.add("a1", "A", 0.0, size_hint=1)
    assert first.level == 0
    q.set_running(first, 0.0)
    q.charge(first, 15.0)
    q.finish("a1", 0.0)
    again = q.add("a2", "A", 0.0, size_hint=2)  # "this is my last call" again
    assert again.hint_rank is None and again.level == q.level_for_service(15.0) == 1
    assert q.hint_overruns == 1


def test_a_first_hint_below_the_calls_already_made_is_an_overrun():
    q = mlq()
    complete(q, "a1", "A", 10.0)
    complete(q, "a2", "A", 10.0)
    c = q.add("a3", "A", 0.0, size_hint=2)
    assert c.hint_rank is None and c.level == q.level_for_service(20.0)
    assert q.hinted_programs == 1 and q.hint_overruns == 1


def test_unhinted_programs_keep_plas_exactly_beside_hinted_ones():
    """The same calls of unhinted programs get the same levels whether or not hinted
    programs share the queue (and whether hints are honoured)."""
    plain_levels = []
    for hints in (None, "with", "off"):
        q = mlq(size_hints=hints != "off")
        seen = []
        for i in range(4):
            if hints:
                complete(q, f"h{i}", "H", 12.0, hint=6)
            c = q.add(f"u{i}", "U", 0.0)
            seen.append((c.level, c.hint_rank))
            q.set_running(c, 0.0)
            q.charge(c, 12.0)
            q.finish(f"u{i}", 0.0)
        plain_levels.append(seen)
    assert plain_levels[0] == plain_levels[1] == plain_levels[2]
    assert plain_levels[0] == [(0, None), (1, None), (2, None), (2, None)]  # 0, 12, 24, 36


def test_size_hints_off_ignores_hints():
    q = mlq(size_hints=False)
    complete(q, "a1", "A", 30.0, hint=2)
    c = q.add("a2", "A", 0.0, size_hint=2)
    assert c.hint_rank is None and c.level == q.level_for_service(30.0)
    assert q.hinted_programs == q.hinted_calls == q.hint_overruns == 0


@pytest.mark.parametrize("policy", ["gittins", "mlfq", "fcfs"])
def test_hints_apply_to_plas_and_atlas_only(policy):
    q = mlq(policy=policy)
    c = q.add("a1", "A", 0.0, size_hint=50)
    assert c.hint_rank is None and q.hinted_calls == 0


def test_atlas_honours_hints():
    q = mlq(policy="atlas")
    assert q.add("a1", "A", 0.0, size_hint=3).level == q.level_for_service(20.0)


def test_tenant_lift_still_applies_to_hinted_calls():
    q = mlq()
    q.tenant_lift = lambda tenant, now: 1  # the tenant is over its fair share by one level
    c = q.add("a1", "A", 0.0, size_hint=1)
    assert c.hint_rank == 0.0 and c.level == 1


def test_quanta_demote_a_hinted_call_as_any_other():
    q = mlq()
    c = q.add("a1", "A", 0.0, size_hint=1)
    q.set_running(c, 0.0)
    assert c.level == 0 and q.charge(c, 10.0) and c.level == 1


@pytest.mark.parametrize("indexed", [True, False])
def test_relevelling_keeps_a_hinted_call_at_its_hinted_level(indexed):
    q = mlq(adaptive_levels=True, min_first_boundary=1.0, output_weight_exponent=0.0)
    if not indexed:
        q._indexed = False
    hinted = q.add("h", "H", 0.0, size_hint=5)  # 4 x 10 = 40: level 3
    plain = q.add("p", "P", 0.0)
    assert (hinted.level, plain.level) == (3, 0)
    for i in range(32):  # completed calls of service 100: the first boundary becomes 100
        complete(q, f"x{i}", f"X{i}", 100.0)
    assert q.boundaries[0] == 100.0
    q.relevel_all(0.0)
    assert hinted.level == q.level_for_service(40.0) == 0
    assert plain.level == 0


def test_the_learned_size_gate_does_not_overrule_a_hint():
    q = mlq()

    class Gate:  # would decline every preemption
        def table_for(self, *_):
            raise AssertionError("the size gate must not be asked about a hinted call")

    q.size_gate = Gate()
    head = q.add("h", "H", 0.0, size_hint=1)
    victim = q.add("v", "V", 0.0)
    assert q.size_allows(victim, head)


def test_hint_state_survives_packing_of_an_idle_program():
    q = MultiLevelQueue(
        SchedulerConfig(policy="plas", program_pack_after_s=0.0, adaptive_levels=False,
                        first_boundary=10, first_quantum=10, num_queues=4)
    )  # fmt: skip
    complete(q, "a1", "A", 10.0, hint=3, now=0.0)
    for i in range(8):  # other programs come and go: A is packed meanwhile
        complete(q, f"o{i}", f"O{i}", 1.0, now=1.0 + i)
    c = q.add("a2", "A", 20.0)
    assert c.program.size_hint == 3.0 and c.hint_rank == 10.0


# -- config and metrics ----------------------------------------------------------------------


def test_config_key():
    assert SchedulerConfig().size_hints is True
    cfg = NexusConfig.from_additional_config({"vllm_nexus": {"scheduler": {"size_hints": False}}})
    assert cfg.scheduler.size_hints is False
    with pytest.raises(ConfigError, match="size_hints"):
        NexusConfig.from_additional_config({"vllm_nexus": {"scheduler": {"size_hints": "maybe"}}})


def test_metrics_on_the_prometheus_endpoint(tmp_path):
    from dataclasses import asdict

    from prometheus_client import CollectorRegistry, generate_latest

    from vllm_nexus.programs.metrics import SnapshotCollector, SnapshotWriter

    m = SchedulerMetrics(programs_hinted=3, hinted_calls=11, size_hint_overruns=1,
                         invalid_size_hints=2)  # fmt: skip
    assert SnapshotWriter(str(tmp_path), "0").write(m, 0.0)
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(tmp_path))
    text = generate_latest(reg).decode()
    for name, value in (("programs_hinted", 3), ("hinted_calls", 11),
                        ("size_hint_overruns", 1), ("invalid_size_hints", 2)):  # fmt: skip
        assert f'vllm_nexus_{name}_total{{engine="0"}} {value}.0' in text
    assert asdict(m)["programs_hinted"] == 3


# -- client and simulator side ---------------------------------------------------------------


def _program(pid: str, n: int) -> ProgramSpec:
    calls = tuple(
        CallSpec(f"c{i}", prompt_tokens=10, output_tokens=5, after=(f"c{i - 1}",) if i else ())
        for i in range(n)
    )
    return ProgramSpec(pid, 0.0, calls)


def test_client_hint_is_the_call_count_with_seeded_lognormal_error():
    p = _program("p1", 20)
    assert p.size_hint(0.0) == 20.0
    a, b = p.size_hint(1.0, seed=3), p.size_hint(1.0, seed=3)
    assert a == b and a != p.size_hint(1.0, seed=4) and a != 20.0
    ratios = [math.log(_program(f"q{i}", 20).size_hint(0.5) / 20) for i in range(400)]
    mean = sum(ratios) / len(ratios)
    sd = math.sqrt(sum((r - mean) ** 2 for r in ratios) / len(ratios))
    assert abs(mean) < 0.1 and 0.42 < sd < 0.58
    assert _program("tiny", 1).size_hint(3.0, seed=1) >= 1.0  # clamped to what is accepted


def test_bench_client_sends_the_hint_only_when_asked():
    from vllm_nexus.bench.runner import ClientOptions, Runner

    p = _program("p1", 6)
    plain = Runner([p], None, ClientOptions("http://x", "m"))
    body, _ = plain._payload("p1", p.calls[0], [1, 2], "k", plain._hint(p))
    assert "program_size_hint" not in body["vllm_xargs"]
    hinted = Runner([p], None, ClientOptions("http://x", "m", size_hint_sigma=0.0))
    body, _ = hinted._payload("p1", p.calls[0], [1, 2], "k", hinted._hint(p))
    assert body["vllm_xargs"] == {"program_id": "p1", "program_size_hint": 6.0}
    validate_size_hint(body["vllm_xargs"]["program_size_hint"])
    with pytest.raises(ValueError, match="size_hint_sigma"):
        ClientOptions("http://x", "m", size_hint_sigma=-1.0)
