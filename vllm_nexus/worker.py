"""``vllm_nexus.Worker``: executes a step's prefill and decode sub-batches separately (Nexus §4).

Use ``--worker-cls vllm_nexus.Worker`` with ``--scheduler-cls vllm_nexus.Scheduler`` (the
scheduler attaches a :class:`~vllm_nexus.phases.PhasePlan` to each step). One dotted path for
every device: the base class is picked at import time — vLLM's ``CPUWorker`` on CPU, the GPU
``Worker`` elsewhere.

Execution modes (``partition.split``):

- ``off`` / ``auto`` — unsplit: the stock path. ``auto`` would run the phases concurrently on
  green-context partitions, which this release does not implement (see ``docs/nexus.md``,
  "Status"), so it runs unsplit and says so once in the log.
- ``sequential`` — correctness mode, any device: the step's decode sub-batch, then its prefill
  sub-batch, each a full ``execute_model`` + ``sample_tokens`` of the one model runner (shared
  weights, shared KV cache), outputs merged into one step result. On CUDA with green contexts
  each sub-batch runs on its phase's partition stream (decode in eager mode there, since CUDA
  graphs replay on the partition they were captured on: use ``--enforce-eager``).
- ``concurrent`` — overlapped execution: a startup error (not implemented; reason given).

How the split is executed: the engine calls ``execute_model(step)`` then
``sample_tokens(grammar)``. With a split plan, ``execute_model`` only records the step and
returns None; ``sample_tokens`` runs both sub-steps (the grammar bitmask is only known then)
and returns the merged output. Each sub-step goes through the runner's normal persistent-batch
update, which drops the other phase's requests from the batch and re-adds them on the next
sub-step from the runner's cached request state — exact, but the churn makes ``sequential``
slower than unsplit. Requires synchronous scheduling (async scheduling feeds the previous
step's sampled tokens from one device buffer, which a split step would overwrite), the V1
model runner, no pipeline parallelism, no speculative decoding, no KV connector, no pooling.
"""

from __future__ import annotations

from typing import Any

from vllm.logger import init_logger
from vllm.platforms import current_platform

from vllm_nexus.config import NexusConfig, PartitionConfig
from vllm_nexus.partition import PartitionError, partition_grid
from vllm_nexus.phases import PhasePlan, get_plan, split_scheduler_output

if current_platform.is_cpu():
    from vllm.v1.worker.cpu_worker import CPUWorker as _Base
else:
    from vllm.v1.worker.gpu_worker import Worker as _Base

logger = init_logger("vllm.vllm_nexus.worker")  # under "vllm" so vLLM's log config applies

PHASE_ORDER = ("decode", "prefill")


def resolve_execution(cfg: PartitionConfig, vllm_config: Any, support: Any) -> tuple[str, str]:
    """(execution mode, reason): mode is 'unsplit' or 'sequential'. Raises PartitionError for
    impossible requests (``concurrent``; ``sequential`` with unsupported features)."""
    if cfg.split == "off":
        return "unsplit", "partition.split=off"
    if cfg.split == "concurrent":
        if not support.green_contexts:
            raise PartitionError(
                f"partition.split=concurrent needs CUDA green contexts: {support.reason}"
            )
        raise PartitionError(
            "partition.split=concurrent: overlapped prefill/decode execution is not implemented "
            "in this release (vLLM 0.32 keeps one persistent batch and a process-global forward "
            "context per worker; see docs/nexus.md 'Status'). Use split=sequential or auto."
        )
    if cfg.split == "auto":
        why = (
            "no SM partitions on this device"
            if not support.cuda
            else "overlapped execution is not implemented in this release"
        )
        return "unsplit", f"partition.split=auto: running unsplit ({why})"
    problems = []
    sc = vllm_config.scheduler_config
    if getattr(sc, "async_scheduling", False):
        problems.append("async scheduling (pass --no-async-scheduling)")
    if vllm_config.parallel_config.pipeline_parallel_size > 1:
        problems.append("pipeline parallelism")
    if vllm_config.speculative_config is not None:
        problems.append("speculative decoding")
    if vllm_config.kv_transfer_config is not None:
        problems.append("a KV connector")
    if getattr(vllm_config, "use_v2_model_runner", False):
        problems.append("the V2 model runner (set VLLM_USE_V2_MODEL_RUNNER=0)")
    if vllm_config.model_config is not None and vllm_config.model_config.runner_type == "pooling":
        problems.append("pooling models")
    if problems:
        raise PartitionError(
            "partition.split=sequential is not supported with " + ", ".join(problems)
        )
    return "sequential", "partition.split=sequential: decode then prefill sub-batch per step"


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
        from vllm_nexus import gpu

        self.nexus_cfg = NexusConfig.from_additional_config(vllm_config.additional_config)
        pcfg = self.nexus_cfg.partition
        self._nexus_support = gpu.probe()
        self.nexus_exec, reason = resolve_execution(pcfg, vllm_config, self._nexus_support)
        self._nexus_backend: gpu.Backend = gpu.CPUStandIn()
        if self.nexus_exec == "sequential" and self._nexus_support.cuda:
            self._nexus_backend = gpu.make_backend(pcfg.backend, self._nexus_support)
        elif pcfg.backend == "green_context" or pcfg.backend == "mps":
            # An explicit backend that cannot be used is an error, not a silent fallback.
            gpu.make_backend(pcfg.backend, self._nexus_support)
        self._nexus_profile_sms = 0
        if self.nexus_exec != "unsplit":
            # Fail at startup, not at the first step: the scheduler builds the same controller
            # lazily (bad profile path, no split of the SMs with these granularity/minimum).
            from vllm_nexus.phases import _device_name, build_controller

            ctl = build_controller(pcfg, _device_name(), vllm_config.model_config.model)
            self._nexus_profile_sms = ctl.num_sms
        self._nexus_pending: tuple[Any, PhasePlan] | None = None
        self.nexus_split_steps = 0
        self._nexus_warned_no_plan = False
        logger.info("vllm_nexus worker: %s (backend %s)", reason, self._nexus_backend.name)

    def init_device(self) -> None:
        super().init_device()
        backend = self._nexus_backend
        if backend.num_sms:
            pcfg = self.nexus_cfg.partition
            grid = partition_grid(backend.num_sms, pcfg.sm_granularity, pcfg.min_sms_per_side)
            backend.build(grid)
            if self._nexus_profile_sms and self._nexus_profile_sms != backend.num_sms:
                logger.warning(
                    "vllm_nexus: the cost-model profile is for %d SMs, this GPU has %d: plans "
                    "are snapped to the nearest layout; measure a profile with "
                    "`vllm-nexus profile --model ...` and set partition.profile",
                    self._nexus_profile_sms,
                    backend.num_sms,
                )
            logger.info(
                "vllm_nexus: %d SM split layouts on %d SMs (prefill SMs %s)",
                len(grid),
                backend.num_sms,
                grid,
            )

    def execute_model(self, scheduler_output: Any) -> Any:
        plan = get_plan(scheduler_output)
        if self.nexus_exec == "sequential" and plan is not None and plan.is_split:
            if self._nexus_pending is not None:
                raise RuntimeError("vllm_nexus: execute_model called twice without sampling")
            self._nexus_pending = (scheduler_output, plan)
            return None
        if (
            plan is None
            and self.nexus_exec == "sequential"
            and not self._nexus_warned_no_plan
            and scheduler_output.total_num_scheduled_tokens
        ):
            self._nexus_warned_no_plan = True
            logger.warning(
                "vllm_nexus: partition.split=sequential but the step carries no plan: run with "
                "--scheduler-cls vllm_nexus.Scheduler (steps run unsplit until then)"
            )
        return super().execute_model(scheduler_output)

    def sample_tokens(self, grammar_output: Any) -> Any:
        if self._nexus_pending is None:
            return super().sample_tokens(grammar_output)
        scheduler_output, plan = self._nexus_pending
        self._nexus_pending = None
        outputs = []
        for i, phase in enumerate(PHASE_ORDER):
            ids = set(plan.decode_req_ids if phase == "decode" else plan.prefill_req_ids)
            sub = split_scheduler_output(scheduler_output, ids, first=i == 0)
            with self._nexus_backend.phase(phase, plan.prefill_sms, plan.decode_sms):
                out = super().execute_model(sub)
                if out is None:
                    out = super().sample_tokens(_filter_grammar(grammar_output, ids))
            outputs.append(out)
        self.nexus_split_steps += 1
        if self.nexus_split_steps == 1:
            logger.info(
                "vllm_nexus: first split step: %d prefill + %d decode requests, SMs %d/%d (%s)",
                len(plan.prefill_req_ids),
                len(plan.decode_req_ids),
                plan.prefill_sms,
                plan.decode_sms,
                plan.mode,
            )
        return merge_outputs(outputs)

    def nexus_stats(self) -> dict[str, Any]:
        """Execution mode and split-step count (``collective_rpc("nexus_stats")``)."""
        return {
            "execution": self.nexus_exec,
            "backend": self._nexus_backend.name,
            "split_steps": self.nexus_split_steps,
        }
