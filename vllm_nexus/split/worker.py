"""``vllm_nexus.Worker``: executes a step's prefill and decode sub-batches separately (Nexus §4).

Use ``--worker-cls vllm_nexus.Worker`` with ``--scheduler-cls vllm_nexus.Scheduler`` (the
scheduler attaches a :class:`~vllm_nexus.split.plan.PhasePlan` to each step). One dotted path for
every device: the base class is picked at import time — vLLM's ``CPUWorker`` on CPU, the GPU
``Worker`` elsewhere.

Execution modes (``partition.split``):

- ``off`` / ``auto`` — unsplit: the stock path. ``auto`` runs unsplit on every device in this
  release (overlap is opt-in: the concurrent path was never run on a GPU and needs
  ``--enforce-eager`` there) and says so once in the log.
- ``sequential`` — correctness mode, any device: the step's decode sub-batch, then its prefill
  sub-batch, each a full ``execute_model`` + ``sample_tokens`` of the one model runner (shared
  weights, shared KV cache), outputs merged into one step result. On CUDA with green contexts
  each sub-batch runs on its phase's partition stream.
- ``concurrent`` — overlapped execution (Nexus §4.1): a second model runner for the decode
  phase (``phase_runners``: shared weights, shared KV tensors, shared request state, its own
  persistent batch), the two sub-steps launched from a persistent 2-thread executor with a
  thread-local forward context (``vllm_nexus.split.forward_context``); on CUDA each thread runs on
  its phase's green-context stream (eager mode), on CPU the C++ kernels are serialised by a
  lock (see ``phase_runners``). The prefill runner also runs every unsplit step.

How the split is executed: the engine calls ``execute_model(step)`` then
``sample_tokens(grammar)``. With a split plan, ``execute_model`` only records the step and
returns None; ``sample_tokens`` runs both sub-steps (the grammar bitmask is only known then)
and returns the merged output. Each sub-step goes through the runner's normal persistent-batch
update, which drops requests the runner does not run in that sub-step and re-adds them later
from the cached request state — exact, but the churn costs CPU time. Requires synchronous
scheduling (async scheduling feeds the previous step's sampled tokens from one device buffer,
which a split step would overwrite), the V1 model runner, no pipeline parallelism, no
speculative decoding, no KV connector, no pooling; ``concurrent`` additionally rules out
features whose state is process-global or per-runner in ways not handled here (see
:func:`resolve_execution`).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from vllm.logger import init_logger
from vllm.platforms import current_platform

from vllm_nexus.config import NexusConfig
from vllm_nexus.split import backends as gpu
from vllm_nexus.split.execution import build_backend, reserve_for_split, resolve_execution
from vllm_nexus.split.plan import PhasePlan, get_plan, split_scheduler_output

if current_platform.is_cpu():
    from vllm.v1.worker.cpu_worker import CPUWorker as _Base
else:
    from vllm.v1.worker.gpu_worker import Worker as _Base

logger = init_logger("vllm.vllm_nexus.split.worker")  # under "vllm" so vLLM's log config applies

PHASE_ORDER = ("decode", "prefill")


def _filter_grammar(grammar: Any, ids: set[str]) -> Any:
    if grammar is None:
        return None
    if not any(r in ids for r in grammar.structured_output_request_ids):
        return None
    return grammar  # apply_grammar_bitmask skips requests that are not in the batch


def merge_outputs(outputs: list[Any]) -> Any:
    """One ModelRunnerOutput from the sub-steps' outputs (request order: concatenation)."""
    from vllm.v1.outputs import EMPTY_MODEL_RUNNER_OUTPUT, ModelRunnerOutput

    outputs = [o for o in outputs if o is not None and o.req_ids]
    if not outputs:
        return EMPTY_MODEL_RUNNER_OUTPUT
    if len(outputs) == 1:
        return outputs[0]
    for o in outputs:
        if o.pooler_output is not None or getattr(o, "sampling_masks", None) is not None:
            raise RuntimeError("vllm_nexus: cannot merge pooling/sampling-mask outputs")
        if o.kv_connector_output is not None or o.ec_connector_output is not None:
            raise RuntimeError("vllm_nexus: cannot merge KV/EC connector outputs")
    req_ids = [r for o in outputs for r in o.req_ids]
    merged = ModelRunnerOutput(
        req_ids=req_ids,
        req_id_to_index={r: i for i, r in enumerate(req_ids)},
        sampled_token_ids=[t for o in outputs for t in o.sampled_token_ids],
        logprobs=_merge_logprobs(outputs),
        prompt_logprobs_dict={k: v for o in outputs for k, v in o.prompt_logprobs_dict.items()},
    )
    if any(o.prompt_token_id_logprobs_dict for o in outputs):
        merged.prompt_token_id_logprobs_dict = {
            k: v for o in outputs for k, v in o.prompt_token_id_logprobs_dict.items()
        }
    nans = [o.num_nans_in_logits for o in outputs if o.num_nans_in_logits is not None]
    if nans:
        merged.num_nans_in_logits = {k: v for d in nans for k, v in d.items()}
    aux = [o.aux_output_connector_output for o in outputs if o.aux_output_connector_output]
    if aux:
        merged.aux_output_connector_output = {k: v for d in aux for k, v in d.items()}
    merged.cudagraph_stats = next(
        (o.cudagraph_stats for o in outputs if o.cudagraph_stats is not None), None
    )
    return merged


def _merge_logprobs(outputs: list[Any]) -> Any:
    """Concatenate per-request logprob rows; a sub-step without logprobs gets zero rows of
    the common width (the scheduler reads rows only for requests that asked for them)."""
    if all(o.logprobs is None for o in outputs):
        return None
    import numpy as np
    from vllm.v1.outputs import LogprobsLists

    width = max(o.logprobs.logprob_token_ids.shape[1] for o in outputs if o.logprobs is not None)
    ids, lps, ranks = [], [], []
    for o in outputs:
        n = len(o.req_ids)
        lp = o.logprobs
        if lp is None:
            ids.append(np.zeros((n, width), dtype=np.int64))
            lps.append(np.zeros((n, width), dtype=np.float32))
            ranks.append(np.zeros((n,), dtype=np.int64))
            continue
        if lp.cu_num_generated_tokens is not None:
            raise RuntimeError("vllm_nexus: cannot merge multi-token logprobs")
        pad = width - lp.logprob_token_ids.shape[1]
        ids.append(np.pad(lp.logprob_token_ids, ((0, 0), (0, pad))))
        lps.append(np.pad(lp.logprobs, ((0, 0), (0, pad)), constant_values=-np.inf))
        ranks.append(lp.sampled_token_ranks)
    return LogprobsLists(np.concatenate(ids), np.concatenate(lps), np.concatenate(ranks), None)


class Worker(_Base):  # type: ignore[misc, valid-type]
    """vLLM worker that executes a step's prefill/decode sub-batches separately."""

    def __init__(self, vllm_config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(vllm_config, *args, **kwargs)
        self.nexus_cfg = NexusConfig.from_additional_config(vllm_config.additional_config)
        pcfg = self.nexus_cfg.partition
        self._nexus_support = gpu.probe()
        self.nexus_exec, reason = resolve_execution(pcfg, vllm_config, self._nexus_support)
        # An explicit backend that cannot be used is an error, not a silent fallback. The
        # backend itself is built in init_device, on this worker's device.
        gpu.check_backend(pcfg.backend, self._nexus_support)
        self._nexus_backend: gpu.Backend = gpu.CPUStandIn()
        self._nexus_profile_sms = 0
        if self.nexus_exec != "unsplit":
            # Fail at startup, not at the first step: the scheduler builds the same controller
            # lazily (bad profile path, no split of the SMs with these granularity/minimum).
            from vllm.platforms import current_platform

            from vllm_nexus.split.plan import build_controller

            device = (
                current_platform.get_device_name() if current_platform.is_cuda_alike() else None
            )
            ctl = build_controller(pcfg, device, vllm_config.model_config.model)
            self._nexus_profile_sms = ctl.num_sms
        self._nexus_pending: tuple[Any, PhasePlan] | None = None
        self.nexus_split_steps = 0
        self._nexus_warned_no_plan = False
        self._nexus_decode_runner: Any = None
        self._nexus_executor: ThreadPoolExecutor | None = None
        self._nexus_decode_lane: int | None = None
        self.nexus_reserved_bytes = 0
        if self.nexus_exec == "concurrent":
            from vllm_nexus.split import forward_context

            forward_context.apply()  # raises if this vLLM's forward context looks different
        logger.info("vllm_nexus worker: %s", reason)

    # -- concurrent mode: the decode runner -------------------------------------------------

    def _init_workspace_and_model_runner(self) -> None:
        """GPU base only: one more workspace lane for the decode thread, so the two phases
        never share vLLM's per-lane scratch workspace."""
        super()._init_workspace_and_model_runner()
        if self.nexus_exec != "concurrent":
            return
        from vllm.v1.worker import workspace

        mgr = workspace.current_workspace_manager()
        lanes = mgr._num_lanes
        workspace.init_workspace_manager(
            self.device,
            mgr._num_ubatches,
            lanes + 1,
            alloc_context=mgr._alloc_context,
        )
        self._nexus_decode_lane = lanes

    def load_model(self, *args: Any, **kwargs: Any) -> None:
        super().load_model(*args, **kwargs)
        if self.nexus_exec == "concurrent" and self._nexus_decode_runner is None:
            from vllm.config import set_current_vllm_config

            from vllm_nexus.split.runners import make_decode_runner

            with set_current_vllm_config(self.vllm_config):
                self._nexus_decode_runner = make_decode_runner(
                    self.model_runner, self.vllm_config, self.device
                )
            logger.info("vllm_nexus: decode runner created (shared model, no second load)")

    def initialize_from_config(self, kv_cache_config: Any) -> None:
        super().initialize_from_config(kv_cache_config)
        dec = self._nexus_decode_runner
        if dec is None:
            return
        from vllm.config import set_current_vllm_config

        from vllm_nexus.split import runners as phase_runners

        with set_current_vllm_config(self.vllm_config):
            phase_runners.bind_shared_kv_cache(dec, self.model_runner, kv_cache_config)
        phase_runners.share_request_state(dec, self.model_runner)
        if not self._nexus_support.cuda:
            phase_runners.serialize_cpu_kernels([self.model_runner, dec])
        logger.info(
            "vllm_nexus: decode runner bound to the shared KV cache (%d layer tensors)",
            len(dec.kv_caches),
        )

    def shutdown(self) -> None:
        if self._nexus_executor is not None:
            self._nexus_executor.shutdown(wait=False, cancel_futures=True)
        parent = getattr(super(), "shutdown", None)
        if parent is not None:
            parent()

    def init_device(self) -> None:
        super().init_device()
        if self.nexus_exec == "concurrent" and self._nexus_executor is None:
            # Persistent (threads start on first use and live as long as the worker); created
            # after the device init, which sets this thread's intra-op thread count (CPU
            # thread binding) that the phase threads copy.
            self._nexus_executor = ThreadPoolExecutor(
                max_workers=2,
                thread_name_prefix="nexus-phase",
                initializer=_init_phase_thread,
                initargs=(_torch_num_threads(), self.device if self._nexus_support.cuda else None),
            )
            logger.info(
                "vllm_nexus: 2 phase threads, %d intra-op threads each", _torch_num_threads()
            )
        # After vLLM's initial memory snapshot: the layouts' device memory (contexts, streams,
        # one cuBLAS workspace per stream) is counted by vLLM's KV-cache sizing.
        pcfg = self.nexus_cfg.partition
        device_index = getattr(self.device, "index", None) or 0
        self._nexus_backend = build_backend(
            pcfg, self._nexus_support, device_index, self.nexus_exec
        )
        backend = self._nexus_backend
        if backend.partitions is not None:
            if self._nexus_profile_sms and self._nexus_profile_sms != backend.num_sms:
                logger.warning(
                    "vllm_nexus: the cost-model profile is for %d SMs, this GPU has %d: plans "
                    "are snapped to the nearest layout; measure a profile with "
                    "`vllm-nexus profile --model ...` and set partition.profile",
                    self._nexus_profile_sms,
                    backend.num_sms,
                )
            logger.info(
                "vllm_nexus: %d SM split layouts on device %d (%d SMs, backend %s, disjoint=%s, "
                "%.1f MiB)",
                len(backend.partitions.grid),
                device_index,
                backend.num_sms,
                backend.name,
                backend.disjoint,
                backend.build_bytes / 2**20,
            )

    def determine_available_memory(self) -> int:
        """vLLM's KV-cache budget, minus (concurrent, CUDA) the memory of a decode sub-step
        running beside the prefill: vLLM profiles one forward pass at a time."""
        available = super().determine_available_memory()
        if self.nexus_exec != "concurrent" or not self._nexus_support.cuda:
            return available
        extra = self._nexus_measure_decode_phase()
        left = reserve_for_split(available, extra)
        self.nexus_reserved_bytes = extra
        logger.info(
            "vllm_nexus: reserved %.2f GiB for the overlapped decode phase; KV cache %.2f GiB "
            "(vLLM's profile: %.2f GiB)",
            extra / 2**30,
            left / 2**30,
            available / 2**30,
        )
        return left

    def _nexus_measure_decode_phase(self) -> int:
        """Bytes a max-size decode sub-step needs on its own stream and workspace lane:
        peak live tensors plus memory that stays (workspace lane, cuBLAS workspace)."""
        import contextlib
        import gc

        import torch

        dec = self._nexus_decode_runner
        n = int(self.vllm_config.scheduler_config.max_num_seqs)
        dev = self.device
        part = None
        if self._nexus_backend.partitions is not None:
            grid = self._nexus_backend.partitions.grid
            part = self._nexus_backend.partition(
                "decode", grid[0], self._nexus_backend.num_sms - grid[0]
            )
        gc.collect()
        torch.cuda.synchronize(dev)
        torch.cuda.empty_cache()
        free0 = torch.cuda.mem_get_info(dev)[0]
        torch.cuda.reset_peak_memory_stats(dev)
        base = torch.cuda.memory_allocated(dev)
        with contextlib.ExitStack() as stack:
            if part is not None:
                stack.enter_context(torch.cuda.stream(part.stream))
            if self._nexus_decode_lane is not None:
                from vllm.v1.worker.workspace import use_workspace_lane

                stack.enter_context(use_workspace_lane(self._nexus_decode_lane))
            hidden, last = dec._dummy_run(n, uniform_decode=True, is_profile=True)
            out = dec._dummy_sampler_run(last)
            torch.cuda.synchronize(dev)
            transient = torch.cuda.max_memory_allocated(dev) - base
            del hidden, last, out
        gc.collect()
        torch.cuda.synchronize(dev)
        torch.cuda.empty_cache()
        persistent = free0 - torch.cuda.mem_get_info(dev)[0]
        return int(transient + max(0, persistent))

    def execute_model(self, scheduler_output: Any) -> Any:
        plan = get_plan(scheduler_output)
        if self.nexus_exec != "unsplit" and plan is not None and plan.is_split:
            if self._nexus_pending is not None:
                raise RuntimeError("vllm_nexus: execute_model called twice without sampling")
            self._nexus_pending = (scheduler_output, plan)
            return None
        if self._nexus_decode_runner is not None:
            # Unsplit step: the prefill runner runs everything; the decode runner must not keep
            # rows for requests that now advance elsewhere.
            from vllm_nexus.split.runners import clear_batch

            clear_batch(self._nexus_decode_runner)
        if (
            plan is None
            and self.nexus_exec != "unsplit"
            and not self._nexus_warned_no_plan
            and scheduler_output.total_num_scheduled_tokens
        ):
            self._nexus_warned_no_plan = True
            logger.warning(
                "vllm_nexus: partition.split=%s but the step carries no plan: run with "
                "--scheduler-cls vllm_nexus.Scheduler (steps run unsplit until then)",
                self.nexus_exec,
            )
        return super().execute_model(scheduler_output)

    def sample_tokens(self, grammar_output: Any) -> Any:
        if self._nexus_pending is None:
            return super().sample_tokens(grammar_output)
        scheduler_output, plan = self._nexus_pending
        self._nexus_pending = None
        if self.nexus_exec == "concurrent":
            outputs = self._nexus_run_concurrent(scheduler_output, plan, grammar_output)
        else:
            outputs = self._nexus_run_sequential(scheduler_output, plan, grammar_output)
        self.nexus_split_steps += 1
        if self.nexus_split_steps == 1:
            logger.info(
                "vllm_nexus: first split step (%s): %d prefill + %d decode requests, "
                "SMs %d/%d (%s)",
                self.nexus_exec,
                len(plan.prefill_req_ids),
                len(plan.decode_req_ids),
                plan.prefill_sms,
                plan.decode_sms,
                plan.mode,
            )
        return merge_outputs(outputs)

    def _nexus_run_sequential(self, scheduler_output: Any, plan: PhasePlan, grammar: Any) -> list:
        engine = self._nexus_backend.current_stream()  # this (engine) thread's stream
        outputs = []
        for i, phase in enumerate(PHASE_ORDER):
            ids = set(plan.decode_req_ids if phase == "decode" else plan.prefill_req_ids)
            sub = split_scheduler_output(scheduler_output, ids, first=i == 0)
            with self._nexus_backend.phase(phase, plan.prefill_sms, plan.decode_sms, engine):
                out = super().execute_model(sub)
                if out is None:
                    out = super().sample_tokens(_filter_grammar(grammar, ids))
            outputs.append(out)
        return outputs

    def _nexus_run_concurrent(self, scheduler_output: Any, plan: PhasePlan, grammar: Any) -> list:
        """Both sub-steps at once on the executor's two threads (Nexus §4.1); outputs in
        PHASE_ORDER. Step-global KV-block work runs here first, before either forward pass."""
        import torch

        from vllm_nexus.split.runners import apply_block_ops

        assert self._nexus_executor is not None and self._nexus_decode_runner is not None
        with torch.inference_mode():
            apply_block_ops(self.model_runner, scheduler_output)
        # The stream the block ops were queued on, read here on the engine thread: each phase
        # thread orders its partition stream after it (a phase thread's own current stream
        # is a different one).
        engine = self._nexus_backend.current_stream()
        runners = {"prefill": self.model_runner, "decode": self._nexus_decode_runner}
        futures = {}
        for phase in PHASE_ORDER:
            ids = set(plan.decode_req_ids if phase == "decode" else plan.prefill_req_ids)
            # The prefill sub-step carries the step-global bookkeeping (finished requests,
            # encoder-cache frees); block zeroing/copies were applied above.
            sub = split_scheduler_output(scheduler_output, ids, first=phase == "prefill")
            sub = dataclasses.replace(sub, new_block_ids_to_zero=None, kv_cache_block_copies=None)
            futures[phase] = self._nexus_executor.submit(
                self._nexus_sub_step,
                phase,
                runners[phase],
                sub,
                _filter_grammar(grammar, ids),
                plan,
                engine,
            )
        return collect_phase_results(futures)

    def _nexus_sub_step(
        self, phase: str, runner: Any, sub: Any, grammar: Any, plan: PhasePlan, engine: Any
    ) -> Any:
        """One phase's execute_model + sample_tokens, on an executor thread."""
        import contextlib

        import torch

        with contextlib.ExitStack() as stack:
            stack.enter_context(torch.inference_mode())  # grad mode is per thread
            stack.enter_context(
                self._nexus_backend.phase(phase, plan.prefill_sms, plan.decode_sms, engine)
            )
            if phase == "decode" and self._nexus_decode_lane is not None:
                from vllm.v1.worker.workspace import use_workspace_lane

                stack.enter_context(use_workspace_lane(self._nexus_decode_lane))
            out = runner.execute_model(sub)
            if out is None:
                out = runner.sample_tokens(grammar)
            return out

    def nexus_stats(self) -> dict[str, Any]:
        """Execution mode, split-step count and, with a decode runner, both runners' batch
        and cached-state sizes (``collective_rpc("nexus_stats")``)."""
        backend = self._nexus_backend
        stats: dict[str, Any] = {
            "execution": self.nexus_exec,
            "backend": backend.name,
            "disjoint": backend.disjoint,
            "device_index": backend.device_index,
            "layouts": list(backend.partitions.grid) if backend.partitions else [],
            "build_bytes": backend.build_bytes,
            "reserved_bytes": self.nexus_reserved_bytes,
            "split_steps": self.nexus_split_steps,
        }
        if self._nexus_decode_runner is not None:
            from vllm_nexus.split.runners import kv_sharing, runner_sizes

            dec = self._nexus_decode_runner
            stats["runners"] = {
                "prefill": runner_sizes(self.model_runner),
                "decode": runner_sizes(dec),
                "sharing": kv_sharing(dec, self.model_runner),
            }
        return stats


def collect_phase_results(futures: dict[str, Future]) -> list[Any]:
    """Wait for every phase (never leave one running), then re-raise the first failure with
    the phase named; results in PHASE_ORDER."""
    errors = []
    results = {}
    for phase in PHASE_ORDER:
        try:
            results[phase] = futures[phase].result()
        except BaseException as e:  # noqa: BLE001 - re-raised below with context
            errors.append((phase, e))
    if errors:
        phase, err = errors[0]
        more = f" (the {errors[1][0]} sub-step failed too: {errors[1][1]!r})" if errors[1:] else ""
        raise RuntimeError(
            f"vllm_nexus: the {phase} sub-step of a concurrent split step failed: {err!r}{more}"
        ) from err
    return [results[p] for p in PHASE_ORDER]


def _torch_num_threads() -> int:
    import torch

    return torch.get_num_threads()


def _init_phase_thread(num_threads: int, cuda_device: Any = None) -> None:
    """Executor-thread setup: the same intra-op thread count as the engine thread (OpenMP's
    thread count is a per-thread setting; a different count can change float reductions) and,
    on CUDA, the worker's device (the current device is per thread too)."""
    import torch

    if cuda_device is not None:
        torch.cuda.set_device(cuda_device)
    torch._C.set_num_threads(num_threads)  # vLLM's CPU worker stubs torch.set_num_threads
