"""Step plan: classification, attach_plan, the plan's trip to the worker, sub-step split."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pytest

from vllm_nexus.config import NexusConfig
from vllm_nexus.split.plan import (
    PLAN_ATTR,
    PhasePlan,
    ScheduledReq,
    attach_plan,
    classify,
    get_plan,
    phase_work,
    split_scheduler_output,
)


def test_classify() -> None:
    reqs = [
        ScheduledReq("chunk", 512, 0, 2000),  # first prompt chunk
        ScheduledReq("last_chunk", 200, 1800, 2000),
        ScheduledReq("dec", 1, 2005, 2000),
        ScheduledReq("first_dec", 1, 2000, 2000),  # first token after the prompt
        ScheduledReq("cached_prompt", 1, 1999, 2000),  # prefix hit: last prompt token
        ScheduledReq("recompute", 300, 2000, 2000),  # resumed after preemption: outputs again
        ScheduledReq("spec", 3, 2100, 2000, num_spec=2),
    ]
    pre, dec = classify(reqs)
    assert [r.req_id for r in pre] == ["chunk", "last_chunk", "cached_prompt", "recompute"]
    assert [r.req_id for r in dec] == ["dec", "first_dec", "spec"]


def test_phase_work() -> None:
    w = phase_work([ScheduledReq("a", 100, 50, 1000), ScheduledReq("b", 1, 10, 5)])
    assert (w.tokens, w.reqs) == (101, 2)
    assert w.attn_work == 100 * 150 + 1 * 11


def fake_scheduler(split: str = "sequential", kv: float = 0.3) -> SimpleNamespace:
    reqs = {
        "p": SimpleNamespace(num_computed_tokens=512, num_prompt_tokens=3000),
        "d1": SimpleNamespace(num_computed_tokens=101, num_prompt_tokens=80),
        "d2": SimpleNamespace(num_computed_tokens=41, num_prompt_tokens=40),
    }
    return SimpleNamespace(
        nexus_cfg=NexusConfig.from_dict({"partition": {"split": split}}),
        requests=reqs,
        kv_cache_manager=SimpleNamespace(usage=kv),
    )


def fake_output() -> SimpleNamespace:
    # schedule() has already advanced num_computed_tokens by the scheduled tokens.
    return SimpleNamespace(
        num_scheduled_tokens={"p": 512, "d1": 1, "d2": 1}, scheduled_spec_decode_tokens={}
    )


def test_attach_plan_classifies_and_splits() -> None:
    sched, out = fake_scheduler(), fake_output()
    plan = attach_plan(sched, out)
    assert plan is not None and get_plan(out) is plan
    assert plan.prefill_req_ids == ("p",) and set(plan.decode_req_ids) == {"d1", "d2"}
    assert plan.is_split and plan.mode == "prefill_priority"
    assert plan.prefill_sms + plan.decode_sms == 132  # default profile: H100 (nominal on CPU)
    assert plan.kv_usage == 0.3
    # The controller (and its hysteresis state) persists on the scheduler.
    ctl = sched._nexus_split_controller
    attach_plan(sched, fake_output())
    assert sched._nexus_split_controller is ctl and ctl.applied is not None


def test_attach_plan_decode_priority_and_off() -> None:
    assert attach_plan(fake_scheduler(kv=0.95), fake_output()).mode == "decode_priority"
    for split in ("off", "auto"):
        out = fake_output()
        assert attach_plan(fake_scheduler(split=split), out) is None
        assert get_plan(out) is None


def test_impossible_split_fails_when_the_controller_is_built() -> None:
    from vllm_nexus.config import PartitionConfig
    from vllm_nexus.split.cost_model import PartitionError
    from vllm_nexus.split.plan import build_controller

    with pytest.raises(PartitionError, match="min_sms_per_side"):
        build_controller(PartitionConfig(split="sequential", min_sms_per_side=100))
    with pytest.raises(PartitionError, match="does not exist"):
        build_controller(PartitionConfig(split="sequential", profile="/nope.json"))


def test_attach_plan_single_phase() -> None:
    out = SimpleNamespace(num_scheduled_tokens={"d1": 1}, scheduled_spec_decode_tokens={})
    plan = attach_plan(fake_scheduler(), out)
    assert not plan.is_split and plan.mode == "decode_only" and plan.decode_sms == 132


# --- with vLLM's real SchedulerOutput --------------------------------------------------------

vllm_output = pytest.importorskip("vllm.v1.core.sched.output")


def real_output() -> object:
    so_mod = vllm_output
    new = so_mod.NewRequestData(
        req_id="p",
        prompt_token_ids=list(range(600)),
        mm_features=[],
        sampling_params=None,
        pooling_params=None,
        block_ids=([0, 1, 2, 3, 4],),
        num_computed_tokens=0,
        lora_request=None,
    )
    cached = so_mod.CachedRequestData(
        req_ids=["d1", "r", "d2"],
        resumed_req_ids={"r"},
        new_token_ids=[],
        all_token_ids={"r": [1, 2, 3]},
        new_block_ids=[None, ([7, 8],), ([9],)],
        num_computed_tokens=[100, 0, 40],
        num_output_tokens=[20, 5, 1],
    )
    return so_mod.SchedulerOutput(
        scheduled_new_reqs=[new],
        scheduled_cached_reqs=cached,
        num_scheduled_tokens={"p": 512, "d1": 1, "r": 105, "d2": 1},
        total_num_scheduled_tokens=619,
        scheduled_spec_decode_tokens={},
        scheduled_encoder_inputs={},
        finished_req_ids={"gone"},
        free_encoder_mm_hashes=["h"],
        new_block_ids_to_zero=[7, 8, 9],
    )


def test_split_real_scheduler_output() -> None:
    so = real_output()
    dec = split_scheduler_output(so, {"d1", "d2"}, first=True)
    pre = split_scheduler_output(so, {"p", "r"}, first=False)
    assert dec.num_scheduled_tokens == {"d1": 1, "d2": 1} and dec.total_num_scheduled_tokens == 2
    assert dec.scheduled_new_reqs == []
    c = dec.scheduled_cached_reqs
    assert c.req_ids == ["d1", "d2"] and c.new_block_ids == [None, ([9],)]
    assert c.num_computed_tokens == [100, 40] and c.num_output_tokens == [20, 1]
    assert c.resumed_req_ids == set() and c.all_token_ids == {}
    # Step-global work goes with the first sub-step only.
    assert dec.finished_req_ids == {"gone"} and dec.new_block_ids_to_zero == [7, 8, 9]
    assert pre.finished_req_ids == set() and pre.new_block_ids_to_zero is None
    assert pre.free_encoder_mm_hashes == []
    assert [r.req_id for r in pre.scheduled_new_reqs] == ["p"]
    pc = pre.scheduled_cached_reqs
    assert (
        pc.req_ids == ["r"] and pc.resumed_req_ids == {"r"} and pc.all_token_ids == {"r": [1, 2, 3]}
    )
    assert pre.total_num_scheduled_tokens == 617
    # Disjoint and complete.
    assert set(dec.num_scheduled_tokens) | set(pre.num_scheduled_tokens) == set(
        so.num_scheduled_tokens
    )
    assert not set(dec.num_scheduled_tokens) & set(pre.num_scheduled_tokens)
    # The original is untouched.
    assert so.total_num_scheduled_tokens == 619 and so.scheduled_cached_reqs.req_ids == [
        "d1",
        "r",
        "d2",
    ]


def test_plan_survives_pickle_like_the_multiproc_executor() -> None:
    """vLLM's MultiprocExecutor pickles the SchedulerOutput into a shared-memory queue."""
    so = real_output()
    plan = PhasePlan(("p", "r"), ("d1", "d2"), 80, 52, "prefill_priority", 0.4)
    setattr(so, PLAN_ATTR, plan)
    back = pickle.loads(pickle.dumps(so, protocol=pickle.HIGHEST_PROTOCOL))
    assert get_plan(back) == plan
    assert get_plan(split_scheduler_output(back, {"p"}, first=True)) is None
