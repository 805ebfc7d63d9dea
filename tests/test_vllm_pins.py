"""Pins: vLLM (and Ray Serve LLM) internals outside the scheduler that vllm-nexus relies on.

Each test fails with the internal's name when the pinned version changes it; the scheduler's
hooks are pinned in test_vllm_pins_scheduler.py, the forward-context patch in
test_worker_forward_context.py, the runner internals in test_worker_phase_runners.py. The
index of all of them is patches/README.md.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest


def test_pin_app_state_carries_the_vllm_config() -> None:
    """The HTTP middleware reads its settings from ``app.state.vllm_config`` (set by
    ``init_app_state``): an ASGI middleware is built before the config exists."""
    from vllm.entrypoints.launchers.api_server import app_state

    assert "state.vllm_config = vllm_config" in inspect.getsource(app_state.init_app_state)


def test_pin_request_metadata_reaches_the_scheduler() -> None:
    """Program ids, tenants and markers travel in ``SamplingParams.extra_args`` (from the
    body's ``vllm_xargs``) and ``Request.session_id``."""
    from vllm.entrypoints.openai.chat_completion import protocol as chat
    from vllm.entrypoints.openai.completion import protocol as completion
    from vllm.sampling_params import SamplingParams
    from vllm.v1.request import Request

    assert "extra_args" in inspect.signature(SamplingParams).parameters
    assert "session_id" in inspect.signature(Request.__init__).parameters
    for protocol in (completion, chat):  # the body's vllm_xargs become extra_args
        src = inspect.getsource(protocol)
        assert "extra_args: dict[str, Any] = self.vllm_xargs if self.vllm_xargs" in src


def test_pin_workspace_manager_fields() -> None:
    """The split worker re-creates vLLM's workspace manager with one more lane, reading its
    private ``_num_lanes``, ``_num_ubatches``, ``_alloc_context`` (split/worker.py), inside
    the GPU worker's ``_init_workspace_and_model_runner``."""
    from vllm.v1.worker import gpu_worker, workspace

    init = inspect.signature(workspace.init_workspace_manager).parameters
    assert list(init)[:4] == ["device", "num_ubatches", "num_lanes", "alloc_context"]
    src = inspect.getsource(workspace)
    for field in ("self._num_lanes", "self._num_ubatches", "self._alloc_context"):
        assert field in src, field
    assert callable(workspace.use_workspace_lane)
    assert hasattr(gpu_worker.Worker, "_init_workspace_and_model_runner")


def test_pin_runner_methods_the_split_wraps_and_calls() -> None:
    """Per-instance wraps (split/runners.py ``serialize_cpu_kernels``) and private calls
    (``apply_block_ops``) on vLLM's model runner."""
    from vllm.v1.worker import utils
    from vllm.v1.worker.gpu_model_runner import GPUModelRunner

    from vllm_nexus.split.runners import CPU_LOCKED_METHODS

    for name in (*CPU_LOCKED_METHODS, "_zero_block_ids", "get_model", "load_model"):
        assert callable(getattr(GPUModelRunner, name, None)), name
    params = list(inspect.signature(utils.copy_kv_cache_blocks_inplace).parameters)
    assert len(params) == 3, params


def test_pin_cpu_install_shim_reads_the_vllm_distribution() -> None:
    """``serving/install_cpu.py`` writes a metadata-only ``vllm`` distribution because vLLM's
    CLI and platform detection ask ``importlib.metadata`` for ``vllm``."""
    from vllm import platforms

    src = inspect.getsource(platforms)
    assert 'version("vllm")' in src or "version('vllm')" in src


def test_pin_ray_serve_llm_entry_points() -> None:
    """The cluster builds Ray Serve LLM deployments with our server class and a private
    model-card helper (cluster/app.py, cluster/server.py)."""
    pytest.importorskip("ray.serve.llm")
    from ray.llm._internal.serve.core.configs.openai_api_models import to_model_metadata
    from ray.serve.llm import LLMServer, build_llm_deployment

    assert list(inspect.signature(to_model_metadata).parameters)[:2] == ["model_id", "model_config"]
    params = inspect.signature(build_llm_deployment).parameters
    assert {"deployment_cls", "name_prefix"} <= set(params)
    assert inspect.isclass(LLMServer)


def test_pin_ray_router_hands_each_call_its_chosen_replica_and_cancels_its_future() -> None:
    """The cluster router counts a call where its routing future resolves and frees its
    reservation when that future is cancelled (cluster/router.py): Ray Serve must hand the
    replica chosen for a call to that call (no FIFO mixin) and cancel the future of a call
    whose client went away while it waited."""
    pytest.importorskip("ray.serve")
    from ray.serve._private.request_router.request_router import FIFOMixin, RequestRouter
    from ray.serve.request_router import PendingRequest

    from vllm_nexus.cluster.router import ProgramAffineRouter

    assert not issubclass(ProgramAffineRouter, FIFOMixin)
    fulfill = inspect.getsource(RequestRouter._fulfill_next_pending_request)
    assert "_get_pending_request_matching_internal_request_id" in fulfill
    assert "FIFO" not in fulfill.split('"""')[2]  # the body, not the docstring
    choose = inspect.getsource(RequestRouter._choose_replica_for_request)
    assert "pending_request.future.cancel()" in choose
    assert "future" in {f.name for f in dataclasses.fields(PendingRequest)}
