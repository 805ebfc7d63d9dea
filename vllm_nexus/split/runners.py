"""Two model runners over one model and one KV cache, for overlapped sub-steps (Nexus §4.1).

``split=concurrent`` needs the prefill and the decode sub-batch of a step in flight at once.
A vLLM 0.32 model runner has ONE persistent batch (``InputBatch``, input buffers, attention
metadata builders, sampler state), so the worker owns a second runner of the same class for
the decode phase:

- weights: shared, not loaded again (:func:`share_model`);
- KV cache: the first runner's tensors, bound, never allocated (:func:`bind_shared_kv_cache`;
  the attention layers already point at them, the second runner only gets its own metadata
  builders and a persistent batch sized for the same block layout);
- request state: one ``requests`` dict (and prompt-logprob table) for both runners
  (:func:`share_request_state`), so a request whose prompt completed on the prefill runner is
  picked up by the decode runner from the same ``CachedRequestState``;
- persistent batches: each runner's batch holds only requests it runs. A runner drops requests
  it does not run in a sub-step itself (vLLM's "unscheduled" rule); a runner that does not run
  in a step is emptied with :func:`clear_batch`, so no row can go stale while its request runs
  on the other runner (finished, aborted and preempted requests included).

CPU only: vLLM's C++ CPU kernels (``cpu_attention_with_kv_cache``, ``onednn_mm``, the
``cpu_attn`` scheduler metadata, sampling kernels) share process-global scratch pads indexed
by OpenMP thread id, so two forward passes at once would corrupt each other. On CPU
:func:`serialize_cpu_kernels` puts one lock around the kernel-heavy parts (attention metadata,
forward, logits, sampling) of both runners; state updates, input preparation and output
bookkeeping still overlap. CUDA kernels are stream-ordered and need no lock.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any


class PhaseRunnerError(RuntimeError):
    """The second runner cannot be built or bound."""


def make_decode_runner(first: Any, vllm_config: Any, device: Any) -> Any:
    """A runner of ``first``'s class, sharing its model (call after ``first.load_model``).

    vLLM's runner constructor installs a new process-wide weight offloader
    (``set_offloader(create_offloader(...))``); the loaded model's layers are wired to the
    first one, so it is put back (and checked) after the second runner is built.
    """
    from vllm.model_executor.offloader import base as offloader

    kept = offloader.get_offloader()
    try:
        runner = type(first)(vllm_config, device)
    finally:
        offloader.set_offloader(kept)
    if offloader.get_offloader() is not kept:
        raise PhaseRunnerError("the process-wide weight offloader could not be restored")
    share_model(runner, first)
    return runner


def share_model(dst: Any, src: Any) -> None:
    """Give ``dst`` ``src``'s loaded model. The GPU runner accepts a pre-loaded model in
    ``load_model(model=...)`` (it then only wraps it); the CPU runner's ``load_model`` has
    no such argument and does nothing else we need, so the attribute is set directly."""
    model = src.get_model()
    params = inspect.signature(dst.load_model).parameters
    if "model" in params:
        dst.load_model(model=model)
    else:
        dst.model = model
    if dst.get_model() is not model:
        raise PhaseRunnerError("the decode runner did not take the shared model")


def bind_shared_kv_cache(dst: Any, src: Any, kv_cache_config: Any) -> None:
    """Initialise ``dst``'s KV-cache side (attention backends, metadata builders, persistent
    batch layout) for ``kv_cache_config`` but bind ``src``'s KV tensors instead of allocating.

    ``initialize_kv_cache`` ends with ``initialize_kv_cache_tensors`` (allocate + bind to the
    layers); that one step is replaced for this call by "reuse src's tensors": the layers are
    the same objects and already hold them.
    """
    if not src.kv_caches:
        raise PhaseRunnerError("the first runner has no KV cache yet")

    def reuse(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        dst.kv_caches.clear()
        dst.kv_caches.extend(src.kv_caches)
        return {}

    dst.initialize_kv_cache_tensors = reuse
    try:
        dst.initialize_kv_cache(kv_cache_config)
    finally:
        del dst.initialize_kv_cache_tensors
    if len(dst.kv_caches) != len(src.kv_caches) or any(
        a is not b for a, b in zip(dst.kv_caches, src.kv_caches, strict=True)
    ):
        raise PhaseRunnerError("the decode runner's KV cache is not the shared one")


def share_request_state(dst: Any, src: Any) -> None:
    """One per-request cached state for both runners (call after both KV initialisations)."""
    dst.requests = src.requests
    dst.num_prompt_logprobs = src.num_prompt_logprobs


def clear_batch(runner: Any) -> int:
    """Drop every request from ``runner``'s persistent batch (its cached state stays in the
    shared ``requests``); the runner re-adds requests from that state when it next runs them.
    Returns the number removed."""
    batch = runner.input_batch
    ids = list(batch.req_id_to_index)
    for req_id in ids:
        batch.remove_request(req_id)
    if ids:
        batch.condense()
    return len(ids)


def apply_block_ops(runner: Any, scheduler_output: Any) -> None:
    """The step's KV-block zeroing and block copies, once, before either phase runs (the
    sub-steps then carry none): a freshly allocated block may belong to a request of either
    phase, so doing it inside one phase's thread would race with the other's KV writes."""
    if scheduler_output.new_block_ids_to_zero:
        runner._zero_block_ids(scheduler_output.new_block_ids_to_zero)
    if scheduler_output.kv_cache_block_copies:
        from vllm.v1.worker.utils import copy_kv_cache_blocks_inplace

        copy_kv_cache_blocks_inplace(
            runner.kv_caches,
            runner.kv_cache_config.num_blocks,
            scheduler_output.kv_cache_block_copies,
        )


def _locked(fn: Callable[..., Any], lock: Any) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return fn(*args, **kwargs)

    call.__nexus_locked__ = True  # type: ignore[attr-defined]
    return call


CPU_LOCKED_METHODS = ("_build_attention_metadata", "_model_forward", "_sample")


def serialize_cpu_kernels(runners: list[Any], lock: Any | None = None) -> Any:
    """Wrap (per instance) the kernel-heavy runner methods and the shared model's
    ``compute_logits`` with one re-entrant lock. Returns the lock."""
    lock = lock or threading.RLock()
    for runner in runners:
        for name in CPU_LOCKED_METHODS:
            fn = getattr(runner, name)
            if not getattr(fn, "__nexus_locked__", False):
                setattr(runner, name, _locked(fn, lock))
    models = {id(r.get_model()): r.get_model() for r in runners}
    for model in models.values():
        fn = model.compute_logits
        if not getattr(fn, "__nexus_locked__", False):
            model.compute_logits = _locked(fn, lock)
    return lock


def runner_sizes(runner: Any) -> dict[str, int]:
    """Persistent-batch and cached-state sizes (leak checks)."""
    return {"batch": len(runner.input_batch.req_id_to_index), "requests": len(runner.requests)}


def kv_sharing(dst: Any, src: Any) -> dict[str, Any]:
    """Evidence that ``dst`` uses ``src``'s KV storage: per-layer data pointers equal, the
    model's attention layers bound to that storage, and the request table shared."""
    ptrs = [t.data_ptr() for t in src.kv_caches]
    layers = src.compilation_config.static_forward_context.values()
    bound = {
        kv.data_ptr() for layer in layers if _is_tensor(kv := getattr(layer, "kv_cache", None))
    }
    return {
        "kv_tensors": len(ptrs),
        "same_storage": ptrs == [t.data_ptr() for t in dst.kv_caches],
        "layers_bound_to_shared": bool(bound) and bound <= set(ptrs),
        "shared_requests": dst.requests is src.requests,
    }


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "data_ptr") and hasattr(x, "numel") and x.numel() > 0
