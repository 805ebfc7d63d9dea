"""Pins: the private vLLM scheduler hooks and internals ``vllm_nexus.Scheduler`` depends on.

Each test checks one hook's signature and the behaviour we rely on, on vLLM's own (stock)
scheduler, so a vLLM upgrade that changes it fails here with the hook's name rather than as a
scheduling bug. Indexed in patches/README.md.
"""

from __future__ import annotations

import inspect

import pytest
from sched_harness import make_request, make_scheduler, step
from vllm.v1.core.sched.async_scheduler import AsyncScheduler as VllmAsyncScheduler
from vllm.v1.core.sched.output import CachedRequestData, SchedulerOutput
from vllm.v1.core.sched.request_queue import RequestQueue, SchedulingPolicy
from vllm.v1.core.sched.scheduler import Scheduler as VllmScheduler
from vllm.v1.request import Request, RequestStatus


def params(func) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(func).parameters.values()]


def stock(**kw):
    return make_scheduler(VllmScheduler, **kw)


def test_pin_free_request():
    """``_free_request(request, delay_free_blocks=False)``: the one place every finished or
    aborted request passes (we finish the call and its program there)."""
    empty = inspect.Parameter.empty
    assert params(VllmScheduler._free_request) == [
        ("self", empty),
        ("request", empty),
        ("delay_free_blocks", False),
    ]
    seen = []

    class Spy(VllmScheduler):
        def _free_request(self, request, delay_free_blocks=False):
            seen.append((request.request_id, request.status))
            return super()._free_request(request, delay_free_blocks)

    s = make_scheduler(Spy)
    s.add_request(make_request("done", max_tokens=1))
    s.add_request(make_request("aborted", max_tokens=50))
    step(s)  # "done" completes (one token), "aborted" runs on
    s.finish_requests("aborted", RequestStatus.FINISHED_ABORTED)
    assert seen == [
        ("done", RequestStatus.FINISHED_LENGTH_CAPPED),
        ("aborted", RequestStatus.FINISHED_ABORTED),
    ]
    assert not s.requests


def test_pin_preempt_request():
    """``_preempt_request(request, timestamp, drop_stale_output=False)``: every preemption
    (KV pressure, prefix-cache reset, ours) passes here; the caller removes the request from
    ``running``; it returns to ``waiting`` via ``prepend_request`` with its KV dropped."""
    empty = inspect.Parameter.empty
    assert params(VllmScheduler._preempt_request) == [
        ("self", empty),
        ("request", empty),
        ("timestamp", empty),
        ("drop_stale_output", False),
    ]
    s = stock()
    s.add_request(make_request("r", max_tokens=50))
    step(s)
    request = s.requests["r"]
    assert request.num_computed_tokens > 0
    s.running.remove(request)
    s._preempt_request(request, 0.0, drop_stale_output=True)
    assert request.status == RequestStatus.PREEMPTED
    assert request.num_computed_tokens == 0 and request.drop_stale_output
    assert list(s.waiting) == [request] and "r" in s.reset_preempted_req_ids
    assert request not in s.running


def test_pin_request_blocks_can_be_freed():
    """``_request_blocks_can_be_freed(request) -> bool``: we preempt only what vLLM could
    (no deferred block free pending); always True without a KV connector."""
    assert [n for n, _ in params(VllmScheduler._request_blocks_can_be_freed)] == [
        "self",
        "request",
    ]
    s = stock()
    s.add_request(make_request("r"))
    step(s)
    assert s.defer_block_free is False
    assert s._request_blocks_can_be_freed(s.requests["r"]) is True


def test_pin_kv_pressure_victim_is_the_last_running_request_under_fcfs():
    """vLLM's KV-pressure preemption (inline in ``schedule``) takes ``running[-1]`` when
    ``self.policy`` is FCFS (and ``max`` by priority under PRIORITY). We keep ``running`` in
    queue order and ``policy`` FCFS so that victim is our worst call."""
    src = inspect.getsource(VllmScheduler.schedule)
    assert "preempted_req = self.running[-1]" in src
    assert "if self.policy == SchedulingPolicy.PRIORITY:" in src
    # 6 usable blocks of 16: two 40-token requests take 3 each; decoding past 48 needs more
    s = stock(num_blocks=7, max_num_batched_tokens=256)
    a = make_request("a", prompt_len=40, max_tokens=30)
    b = make_request("b", prompt_len=40, max_tokens=30)
    s.add_request(a)
    s.add_request(b)
    step(s)
    s.running.reverse()  # make "a" the last: vLLM must take it, not the newest
    preempted = []
    for _ in range(20):
        out, _ = step(s)
        preempted.extend(out.preempted_req_ids)
        if preempted:
            break
    assert preempted == ["a"]


def test_pin_admissions_are_appended_to_running():
    """``schedule`` appends admitted requests to the end of ``running`` in admission order
    and admits none on a step that preempted; we re-insert them at their queue position."""
    src = inspect.getsource(VllmScheduler.schedule)
    assert "self.running.append(request)" in src
    assert "if not preempted_reqs and self._pause_state != PauseState.PAUSED_ALL:" in src
    s = stock(max_num_seqs=4)
    s.add_request(make_request("x", max_tokens=20))
    step(s)
    s.add_request(make_request("y", max_tokens=20))
    s.add_request(make_request("z", max_tokens=20))
    step(s)
    assert [r.request_id for r in s.running] == ["x", "y", "z"]


def test_pin_request_queue_interface():
    """``waiting`` / ``kv_holding_waiting`` are replaced by our ``ProgramRequestQueue``:
    vLLM's queue interface must be the one it implements."""
    from vllm_nexus.programs.request_queue import ProgramRequestQueue

    assert RequestQueue.__abstractmethods__ == {
        "add_request",
        "pop_request",
        "peek_request",
        "prepend_request",
        "prepend_requests",
        "remove_request",
        "remove_requests",
        "__bool__",
        "__len__",
        "__iter__",
    }
    assert not ProgramRequestQueue.__abstractmethods__
    s = stock()
    assert isinstance(s.waiting, RequestQueue) and isinstance(s.kv_holding_waiting, RequestQueue)
    assert s.policy == SchedulingPolicy.FCFS


def test_pin_scheduler_output_fields():
    """What ``_record_step`` reads from a ``SchedulerOutput``."""
    s = stock()
    s.add_request(make_request("r", max_tokens=5))
    out = s.schedule()
    assert isinstance(out, SchedulerOutput)
    assert out.num_scheduled_tokens == {"r": 32}
    assert [r.req_id for r in out.scheduled_new_reqs] == ["r"]
    assert isinstance(out.scheduled_cached_reqs, CachedRequestData)
    assert isinstance(out.scheduled_cached_reqs.resumed_req_ids, set)
    assert isinstance(out.preempted_req_ids, set)


def test_pin_request_fields():
    """Request state the policy reads: token counts, status, priority, arrival time."""
    r = make_request("r", prompt_len=10, extra={"program_id": "p"})
    for name in ("num_tokens", "num_computed_tokens", "status", "priority", "arrival_time"):
        assert hasattr(r, name), name
    assert r.sampling_params.extra_args == {"program_id": "p"}
    assert isinstance(Request.num_tokens, property)


def test_pin_kv_cache_manager_queries():
    """``_kv_victims`` counts free blocks and a running request's blocks."""
    s = stock()
    free = s.kv_cache_manager.block_pool.get_num_free_blocks()
    s.add_request(make_request("r", prompt_len=40))
    step(s)
    blocks = s.kv_cache_manager.get_block_ids("r")
    assert isinstance(blocks, tuple) and len(blocks[0]) == 3
    assert s.kv_cache_manager.block_pool.get_num_free_blocks() == free - 3


@pytest.mark.parametrize("name", ["requires_kv_delivery", "max_num_active_reqs"])
def test_pin_scheduler_attributes(name):
    """Attributes our preemption uses (drop-stale flag as vLLM's own preemption passes it;
    the batch-slot limit)."""
    assert hasattr(stock(), name)
    src = inspect.getsource(VllmScheduler.schedule)
    assert "drop_stale_output=self.requires_kv_delivery" in src


def test_pin_async_scheduler_overrides():
    """vLLM's ``AsyncScheduler`` adds its behaviour in ``__init__``,
    ``_update_after_schedule`` and ``_update_request_with_output``; our ``AsyncScheduler``
    inherits all three through the MRO (we override none of them)."""
    from vllm_nexus.programs.scheduler import AsyncScheduler, Scheduler

    own = {
        n
        for n, v in vars(VllmAsyncScheduler).items()
        if callable(v) and not n.startswith("__") or n == "__init__"
    }
    assert own == {"__init__", "_update_after_schedule", "_update_request_with_output"}
    mro = AsyncScheduler.__mro__
    assert mro.index(Scheduler) < mro.index(VllmAsyncScheduler) < mro.index(VllmScheduler)
    for name in ("_update_after_schedule", "_update_request_with_output"):
        assert name not in vars(Scheduler) and name not in vars(AsyncScheduler)
        assert getattr(AsyncScheduler, name) is getattr(VllmAsyncScheduler, name)


def test_pin_scheduler_constructor_arguments():
    """EngineCore builds the scheduler with these keywords; ``Scheduler.__new__`` reads
    ``vllm_config.scheduler_config.async_scheduling`` to pick the async variant."""
    names = [n for n, _ in params(VllmScheduler.__init__)]
    assert names[:5] == [
        "self",
        "vllm_config",
        "kv_cache_config",
        "structured_output_manager",
        "block_size",
    ]
    assert {"hash_block_size", "include_finished_set", "log_stats"} <= set(names)


def test_pin_conformance_harness_patches():
    """``make conformance`` (tests/conformance/nexus_plugin.py) restores a test's explicit
    ``async_scheduling=True`` after ``VllmConfig.__post_init__`` (where the CPU platform resets
    it), and skips the offline safetensors lookup: both must still exist and behave as
    assumed."""
    from vllm.config import SchedulerConfig, VllmConfig
    from vllm.platforms.cpu import CpuPlatform
    from vllm.transformers_utils import config as hf_config

    post_init = inspect.getsource(VllmConfig.__post_init__)
    platform_check = post_init.index("current_platform.check_and_update_config(self)")
    assert platform_check < post_init.index('"DiffusionAsyncScheduler"')
    default = SchedulerConfig(max_model_len=64, is_encoder_decoder=False).async_scheduling
    assert default is None  # unset = None (resolved later), explicit = True

    assert "scheduler_config.async_scheduling = False" in inspect.getsource(
        CpuPlatform.check_and_update_config
    )
    assert callable(hf_config.try_get_safetensors_metadata)
    assert "try_get_safetensors_metadata(model" in inspect.getsource(
        hf_config.get_safetensors_params_metadata
    )
