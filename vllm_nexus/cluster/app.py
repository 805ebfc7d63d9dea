"""The Ray Serve application: N engine replicas (Ray Serve LLM's ``LLMServer``, each an
in-process vLLM engine with ``--scheduler-cls vllm_nexus.Scheduler``) behind one
OpenAI-compatible ingress, routed by :class:`vllm_nexus.cluster.router.ProgramAffineRouter`.

``build_app`` is a Ray Serve application builder, so operators can run it without our CLI::

    serve run vllm_nexus.cluster.app:build_app model=/path/to/model replicas=2
    serve deploy examples/cluster_serve.yaml

Arguments (``args`` of the Serve config, or ``key=value`` on ``serve run``):
  model (required), served_model_name (default: the model directory's name), replicas (2),
  scheduler ("nexus" | "stock"), additional_config (JSON object or string, the same
  ``{"vllm_nexus": {...}}`` as a single server; its ``router`` section configures routing),
  engine_kwargs (object: vLLM engine arguments, e.g. dtype, max_num_seqs), device
  ("auto" | "cpu" | "gpu"), cpus_per_replica (1), env (object: environment of the replicas),
  allow_strategy_switch (false: enables ``POST /admin/router`` for benchmarks).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from vllm_nexus.config import NexusConfig
from vllm_nexus.serving import kv_offload

ROUTER_CLASS = "vllm_nexus.cluster.router:ProgramAffineRouter"
# CPU hosts: several engines share the cores; unbound single-threaded workers avoid them all
# pinning themselves to core 0 (vLLM's "auto" binding assumes one engine per host).
CPU_ENV = {
    "VLLM_CPU_KVCACHE_SPACE": "1",
    "VLLM_CPU_OMP_THREADS_BIND": "nobind",
    "OMP_NUM_THREADS": "1",
}


class ClusterArgError(ValueError):
    """A bad cluster application argument."""


def _as_dict(value: Any, name: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ClusterArgError(f"{name} is not valid JSON: {e}") from e
    if not isinstance(value, dict):
        raise ClusterArgError(f"{name} must be a JSON object")
    return value


def _int(args: dict[str, Any], key: str, default: int, low: int) -> int:
    try:
        v = int(args.get(key, default))
    except (TypeError, ValueError) as e:
        raise ClusterArgError(f"{key} must be an integer, got {args.get(key)!r}") from e
    if v < low:
        raise ClusterArgError(f"{key} must be >= {low}, got {v}")
    return v


def resolve(args: dict[str, Any]) -> dict[str, Any]:
    """Validate the application arguments; returns the pieces the builder needs (no Ray)."""
    unknown = set(args) - {
        "model", "served_model_name", "replicas", "scheduler", "additional_config",
        "engine_kwargs", "device", "cpus_per_replica", "env", "allow_strategy_switch",
    }  # fmt: skip
    if unknown:
        raise ClusterArgError(f"unknown cluster argument(s): {', '.join(sorted(unknown))}")
    model = args.get("model")
    if not model:
        raise ClusterArgError("model is required (a model directory or hub id)")
    if os.path.sep in str(model) and not Path(model).exists():
        raise ClusterArgError(f"model path {model} does not exist")
    replicas = _int(args, "replicas", 2, 1)
    cpus = _int(args, "cpus_per_replica", 1, 1)
    scheduler = args.get("scheduler", "nexus")
    if scheduler not in ("nexus", "stock"):
        raise ClusterArgError(f"scheduler must be 'nexus' or 'stock', got {scheduler!r}")
    device = args.get("device", "auto")
    if device not in ("auto", "cpu", "gpu"):
        raise ClusterArgError(f"device must be auto, cpu or gpu, got {device!r}")
    if device == "auto":
        device = "gpu" if shutil.which("nvidia-smi") else "cpu"
    additional = _as_dict(args.get("additional_config"), "additional_config")
    nexus = NexusConfig.from_additional_config(additional)  # validates; ConfigError names keys
    engine_kwargs = _as_dict(args.get("engine_kwargs"), "engine_kwargs")
    env = {str(k): str(v) for k, v in _as_dict(args.get("env"), "env").items()}
    if device == "cpu":
        env = {**CPU_ENV, **env}
        engine_kwargs.setdefault("dtype", "float32")  # bf16 AMX kernels crash on some hosts
    if scheduler == "nexus":
        engine_kwargs.setdefault("scheduler_cls", "vllm_nexus.Scheduler")
    if additional:
        engine_kwargs.setdefault("additional_config", additional)
    offload = kv_offload.engine_kwargs(nexus.kv_offload)  # the host KV tier, GPU only
    if offload and device == "cpu":
        raise ClusterArgError(f"{kv_offload.OPTION} needs device gpu (CUDA), got device cpu")
    for key, value in offload.items():
        engine_kwargs.setdefault(key, value)
    # usage.prompt_tokens_details.cached_tokens feeds the per-replica prefix-cache metrics
    engine_kwargs.setdefault("enable_prompt_tokens_details", True)
    r = nexus.router
    router_kwargs = {
        "strategy": r.strategy,
        "long_prompt_tokens": r.long_prompt_tokens,
        "pin_ttl_s": nexus.scheduler.program_ttl_s,
        "max_pins": nexus.scheduler.max_programs,
        "max_program_id_length": nexus.scheduler.max_program_id_length,
        "tokenizer": str(model),
    }
    name = args.get("served_model_name") or Path(str(model).rstrip("/")).name
    return {
        "model": str(model),
        "model_id": name,
        "replicas": replicas,
        "device": device,
        "cpus_per_replica": cpus,
        "engine_kwargs": engine_kwargs,
        "env": env,
        "router": r,
        "router_kwargs": router_kwargs,
        "max_program_id_length": nexus.scheduler.max_program_id_length,
        "allow_strategy_switch": str(args.get("allow_strategy_switch", "")).lower()
        in ("1", "true", "yes"),
    }


def build_app(args: dict[str, Any]) -> Any:
    """Ray Serve application builder (see the module docstring for ``args``)."""
    from ray import serve
    from ray.llm._internal.serve.core.configs.openai_api_models import to_model_metadata
    from ray.serve.llm import LLMConfig, build_llm_deployment

    from vllm_nexus.cluster.ingress import make_ingress_class
    from vllm_nexus.cluster.server import NexusLLMServer

    spec = resolve(dict(args))
    router = spec["router"]
    llm_config: dict[str, Any] = {
        "model_loading_config": {"model_id": spec["model_id"], "model_source": spec["model"]},
        "engine_kwargs": spec["engine_kwargs"],
        "runtime_env": {"env_vars": spec["env"]},
        "deployment_config": {
            "num_replicas": spec["replicas"],
            "max_ongoing_requests": router.max_inflight_per_replica,
            # the ingress bounds calls inside (cluster.admission); Ray Serve's own bound
            # counts calls still being routed and would reject bursts that fit
            "max_queued_requests": -1,
            "health_check_period_s": 5,
            "health_check_timeout_s": 30,
            "request_router_config": {
                "request_router_class": ROUTER_CLASS,
                "request_router_kwargs": spec["router_kwargs"],
            },
        },
    }
    if spec["device"] == "cpu":
        llm_config["placement_group_config"] = {"bundles": [{"CPU": spec["cpus_per_replica"]}]}
    cfg = LLMConfig(**llm_config)
    # NexusLLMServer: LLMServer + the publisher of its engine's scheduler metrics
    engines = build_llm_deployment(cfg, deployment_cls=NexusLLMServer, name_prefix="LLMServer:")
    ingress = serve.deployment(
        make_ingress_class(),
        name="NexusIngress",
        num_replicas=1,  # one router = one pin table (see docs/cluster.md)
        max_ongoing_requests=100_000,
        ray_actor_options={"num_cpus": 0},
    )
    return ingress.bind(
        llm_deployments={spec["model_id"]: engines},
        model_cards={spec["model_id"]: to_model_metadata(spec["model_id"], cfg)},
        retry_after_s=router.retry_after_s,
        first_token_timeout_s=router.first_token_timeout_s,
        max_program_id_length=spec["max_program_id_length"],
        allow_strategy_switch=spec["allow_strategy_switch"],
        capacity=spec["replicas"] * router.max_inflight_per_replica + router.max_queued_requests,
    )
