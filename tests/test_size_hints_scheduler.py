"""``vllm_xargs.program_size_hint`` through vllm_nexus.Scheduler around vLLM's real scheduler
(synthetic model outputs): a hinted program near its end overtakes an unhinted one that has
attained less service; a malformed hint never breaks the engine; the metrics count them."""

from __future__ import annotations

import json

import pytest
from sched_harness import FakeClock, make_request, make_scheduler, run_until_idle

SMALL = {
    "scheduler": {
        "policy": "plas",
        "first_boundary": 16,
        "first_quantum": 16,
        "starvation_beta": 0,
        "adaptive_levels": False,
    }
}


def serve(s, clock, rid, pid, tokens, extra=None):
    s.add_request(make_request(rid, program_id=pid, max_tokens=tokens, extra=extra))
    run_until_idle(s, clock)


@pytest.mark.parametrize("hints,first", [(True, "a3"), (False, "b2")])
def test_a_hinted_program_at_its_last_call_overtakes_a_younger_unhinted_one(hints, first, tmp_path):
    clock = FakeClock()
    cfg = {"scheduler": {**SMALL["scheduler"], "size_hints": hints}}
    s = make_scheduler(nexus=cfg, max_num_seqs=1, clock=clock)
    hint = {"program_size_hint": 3}
    serve(s, clock, "a1", "A", 60, hint)  # program A: 3 calls stated, 2 of them long
    serve(s, clock, "a2", "A", 60, hint)
    serve(s, clock, "b1", "B", 30)  # program B (no hint) has attained less than A
    s.add_request(make_request("b2", program_id="B", max_tokens=4))
    clock.advance(0.01)
    s.add_request(make_request("a3", program_id="A", max_tokens=4, extra=hint))
    a3, b2 = s.mlq.calls["a3"], s.mlq.calls["b2"]
    if hints:  # A's last call: nothing after it; B: PLAS, the level of its attained service
        assert a3.hint_rank == 0.0 and a3.level == 0 < b2.level
    else:  # PLAS for both: A has attained more
        assert a3.hint_rank is None and a3.level > b2.level
    assert run_until_idle(s, clock)[0] == first
    s._snapshots.path = tmp_path / "engine_0.json"
    s._export(force=True)
    snap = json.loads(s._snapshots.path.read_text())
    assert snap["programs_hinted"] == (1 if hints else 0)
    assert snap["hinted_calls"] == (3 if hints else 0)
    assert snap["size_hint_overruns"] == snap["invalid_size_hints"] == 0


def test_a_malformed_hint_is_ignored_and_counted():
    clock = FakeClock()
    s = make_scheduler(nexus=SMALL, clock=clock)
    for i, bad in enumerate((-1, "many", float("nan"), 1e12)):
        s.add_request(make_request(f"r{i}", program_id="P", extra={"program_size_hint": bad}))
    assert all(c.hint_rank is None for c in s.mlq.calls.values())
    assert s.nexus_metrics.invalid_size_hints == 4
    assert s.mlq.hinted_programs == 0
    assert sorted(run_until_idle(s, clock)) == ["r0", "r1", "r2", "r3"]
