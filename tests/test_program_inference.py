"""Program assignment in vllm_nexus.Scheduler: lineage inference for id-less calls, explicit
ids winning, program end, counts, audit log (real vLLM scheduler, synthetic outputs)."""

from __future__ import annotations

import json
import random

from prometheus_client import CollectorRegistry, generate_latest
from sched_harness import FakeClock, make_request, make_scheduler, run_until_idle

SYSTEM = list(range(10, 90))  # shared by every program below


def fresh(seed: int, n: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(100, 500) for _ in range(n)]


def run_call(s, clock, rid, prompt, max_tokens=6, **kw):
    """Serve one call to completion; returns (its program id, prompt + output)."""
    s.add_request(make_request(rid, prompt=prompt, max_tokens=max_tokens, **kw))
    pid = s.mlq.calls[rid].program.program_id
    req = s.requests[rid]
    run_until_idle(s, clock)
    return pid, prompt + list(req.output_token_ids)


def test_idless_conversation_is_one_program_and_system_prompt_does_not_merge():
    clock = FakeClock()
    s = make_scheduler(clock=clock)
    pa, ctx_a = run_call(s, clock, "a1", SYSTEM + fresh(1, 20))
    pb, ctx_b = run_call(s, clock, "b1", SYSTEM + fresh(2, 20))
    assert pa == "call:a1" and pb == "call:b1"  # shared system prompt: two programs
    pa2, ctx_a = run_call(s, clock, "a2", ctx_a + fresh(3, 10))
    pb2, _ = run_call(s, clock, "b2", ctx_b + fresh(4, 10))
    pa3, _ = run_call(s, clock, "a3", ctx_a + fresh(5, 10))
    assert (pa2, pa3, pb2) == ("call:a1", "call:a1", "call:b1")
    prog = s.mlq.programs.get("call:a1")
    assert prog.completed_calls == 3 and prog.service > 0
    assert dict(s.assigner.counts) == {"solo": 2, "inferred": 3}


def test_explicit_ids_win_and_idless_calls_join_explicit_programs():
    """With ``program_inference_explicit: always`` every explicit call is remembered: an
    id-less call that continues one joins its program; explicit ids always win."""
    clock = FakeClock()
    s = make_scheduler(nexus={"scheduler": {"program_inference_explicit": "always"}}, clock=clock)
    _, ctx = run_call(s, clock, "x1", SYSTEM + fresh(6, 20), program_id="X")
    assert s.assigner.remembered_calls == 1
    assert run_call(s, clock, "y1", ctx + fresh(7, 5), program_id="Y")[0] == "Y"
    assert run_call(s, clock, "n1", ctx + fresh(8, 5))[0] == "X"
    assert dict(s.assigner.counts) == {"explicit": 2, "inferred": 1}


def test_explicit_calls_are_remembered_only_after_idless_traffic():
    """Default ``program_inference_explicit: after-idless``: explicit calls are hashed only
    within ``program_ttl_s`` of an id-less call. The first id-less call continuing an
    explicit call completed before it gets a program of its own; later ones join."""
    clock = FakeClock()
    s = make_scheduler(clock=clock)
    ttl = s.nexus_cfg.scheduler.program_ttl_s
    _, ctx = run_call(s, clock, "x1", SYSTEM + fresh(6, 20), program_id="X")
    assert s.assigner.remembered_calls == 0  # no id-less call seen: nothing hashed
    assert run_call(s, clock, "n1", ctx + fresh(8, 5))[0] == "call:n1"
    _, ctx = run_call(s, clock, "x2", ctx + fresh(9, 5), program_id="X")
    assert s.assigner.remembered_calls == 2  # n1 and x2 (after n1 arrived)
    assert run_call(s, clock, "n2", ctx + fresh(10, 5))[0] == "X"
    assert dict(s.assigner.counts) == {"explicit": 2, "solo": 1, "inferred": 1}
    # a TTL without id-less calls: explicit calls are no longer remembered...
    clock.advance(ttl)
    _, ctx = run_call(s, clock, "x3", ctx + fresh(11, 5), program_id="X")
    assert run_call(s, clock, "n3", ctx + fresh(12, 5))[0] == "call:n3"
    # ...until the next id-less call (n3) opens the window again
    _, ctx = run_call(s, clock, "x4", ctx + fresh(13, 5), program_id="X")
    assert run_call(s, clock, "n4", ctx + fresh(14, 5))[0] == "X"


def test_idless_call_never_joins_another_tenants_program(monkeypatch):
    """Tenant B re-sends tenant A's whole context (prompt and output): it gets a program of
    its own, not A's; A's own next turn still joins A's program."""
    from vllm_nexus.programs import tenant_identity as ti

    monkeypatch.setenv(ti.SECRET_ENV, "s3cret")
    clock = FakeClock()
    s = make_scheduler(clock=clock)
    a = ti.stamp({}, "acme", "s3cret")
    b = ti.stamp({}, "evil", "s3cret")
    pa, ctx = run_call(s, clock, "a1", SYSTEM + fresh(11, 20), extra=a)
    assert pa == "call:a1" and s.mlq.calls.get("a1") is None
    assert run_call(s, clock, "b1", ctx + fresh(12, 5), extra=b)[0] == "call:b1"
    assert run_call(s, clock, "a2", ctx + fresh(13, 5), extra=a)[0] == "call:a1"
    assert dict(s.assigner.counts) == {"solo": 2, "inferred": 1}


def test_inference_off_makes_every_idless_call_its_own_program():
    clock = FakeClock()
    s = make_scheduler(nexus={"scheduler": {"program_inference": "off"}}, clock=clock)
    _, ctx = run_call(s, clock, "a1", SYSTEM + fresh(9, 20))
    assert run_call(s, clock, "a2", ctx + fresh(10, 5))[0] == "call:a2"
    assert dict(s.assigner.counts) == {"solo": 2} and s.assigner.remembered_calls == 0


def test_program_end_releases_the_program_after_its_last_call():
    clock = FakeClock()
    s = make_scheduler(max_num_seqs=2, clock=clock)
    s.add_request(make_request("p1", program_id="P", max_tokens=20))
    s.add_request(make_request("p2", program_id="P", max_tokens=2, extra={"program_end": 1}))
    run_until_idle(s, clock)
    assert "P" not in s.mlq.programs and s.mlq.programs.ended_total == 1
    # without the marker it stays (until the TTL); a malformed marker is ignored and counted
    s.add_request(make_request("q1", program_id="Q", max_tokens=2, extra={"program_end": "x"}))
    run_until_idle(s, clock)
    assert "Q" in s.mlq.programs and s.nexus_metrics.invalid_program_ids == 1


def test_counts_reach_prometheus_and_audit_log(tmp_path, monkeypatch):
    from vllm_nexus.programs.metrics import METRICS_DIR_ENV, SnapshotCollector

    monkeypatch.setenv(METRICS_DIR_ENV, str(tmp_path / "m"))
    log = tmp_path / "audit.jsonl"
    clock = FakeClock()
    s = make_scheduler(nexus={"scheduler": {"program_inference_log": str(log)}}, clock=clock)
    _, ctx = run_call(s, clock, "a1", SYSTEM + fresh(11, 20))
    run_call(s, clock, "a2", ctx + fresh(12, 5), extra={"program_end": True})
    run_call(s, clock, "e1", fresh(13, 8), program_id="E")
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(tmp_path / "m"))
    text = generate_latest(reg).decode()
    for source, n in (("explicit", 1), ("inferred", 1), ("solo", 1)):
        line = f'vllm_nexus_program_assignments_total{{engine="0",source="{source}"}} {n}.0'
        assert line in text
    assert 'vllm_nexus_programs_ended_total{engine="0"} 1.0' in text
    assert 'vllm_nexus_lineage_calls{engine="0"} 3.0' in text  # a1, a2, e1 remembered
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [(x["request_id"], x["program_id"], x["source"]) for x in lines] == [
        ("a1", "call:a1", "solo"),
        ("a2", "call:a1", "inferred"),
    ]
    assert lines[1]["continues_prompt_tokens"] == 100


def test_unproven_program_waits_for_a_slot_instead_of_preempting(tmp_path, monkeypatch):
    """A new id-less program's call does not displace a demoted running call (default
    ``unproven_preemption: false``), and the denial is on /metrics; a new explicit program,
    or the option on, preempts as before."""
    from sched_harness import step

    from vllm_nexus.programs.metrics import METRICS_DIR_ENV, SnapshotCollector

    small = {"policy": "plas", "first_boundary": 16, "first_quantum": 16, "starvation_beta": 0}
    cases = ((False, None, False), (False, "B", True), (True, None, True))
    for i, (option, short_id, preempts) in enumerate(cases):
        monkeypatch.setenv(METRICS_DIR_ENV, str(tmp_path / str(i)))
        clock = FakeClock()
        nexus = {"scheduler": {**small, "unproven_preemption": option}}
        s = make_scheduler(nexus=nexus, max_num_seqs=1, clock=clock)
        s.add_request(make_request("long", program_id="A", prompt_len=64, max_tokens=200))
        for _ in range(40):  # far past the first quanta: demoted
            step(s, clock)
        assert s.mlq.calls["long"].level >= 2
        s.add_request(make_request("short", program_id=short_id, max_tokens=3))
        out, _ = step(s, clock)
        assert ("long" in out.preempted_req_ids) is preempts
        order = run_until_idle(s, clock)
        assert order == (["short", "long"] if preempts else ["long", "short"])
        reg = CollectorRegistry()
        reg.register(SnapshotCollector(tmp_path / str(i)))
        text = generate_latest(reg).decode()
        withheld = 0 if preempts else 1
        assert f'vllm_nexus_preemptions_withheld_total{{engine="0"}} {withheld}.0' in text
