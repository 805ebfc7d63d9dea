"""Host-memory KV tier on CUDA GPUs: ``vllm_nexus.kv_offload`` -> vLLM's KV-offloading connector.

Autellix (§4) swaps a preempted call's KV to host memory instead of recomputing it. vLLM 0.32
(V1) always recomputes a preempted request, unless a KV connector offers its blocks back:
``OffloadingConnector`` (what vLLM's own ``--kv-offloading-size`` configures) and
``SimpleCPUOffloadConnector`` store computed KV blocks in host memory and load them when a
request (a resumed preempted call, or a later call with the same prefix) needs them again.
Their workers use CUDA copy kernels and streams, so this is **GPU only**; on this project's
CPU hosts the option is refused at startup.

The option must reach vLLM where its configuration is built (the API server process, before
the engine and its workers start), so it is passed as vLLM's own ``--kv-transfer-config``:

* :func:`transfer_config` is the pure translation (the same connector, role and host capacity
  that ``--kv-offloading-size`` sets up);
* :func:`engine_args` / :func:`engine_kwargs` give it as ``vllm serve`` arguments / engine
  keyword arguments; ``vllm-nexus`` launchers (the cluster app, ``validate-gpu``) add them
  from the additional config, and ``vllm-nexus kv-offload-args`` prints them for a hand-written
  ``vllm serve`` command;
* :func:`check_engine` runs at scheduler startup: the option on a non-CUDA platform, or an
  engine started without (or with another) KV connector, stops startup with an error naming
  ``vllm_nexus.kv_offload.host_gib`` and the exact argument to add.

Pure Python, no vLLM import (the adapter passes the platform and the engine's config in).
"""

from __future__ import annotations

import json
from typing import Any

from vllm_nexus.config import CONFIG_KEY, ConfigError, KVOffloadConfig

OPTION = f"{CONFIG_KEY}.kv_offload.host_gib"
CONNECTORS = {"offloading": "OffloadingConnector", "simple-cpu": "SimpleCPUOffloadConnector"}
"""``kv_offload.connector`` -> vLLM 0.32's registered connector name."""
GIB = 1 << 30


def transfer_config(cfg: KVOffloadConfig) -> dict[str, Any] | None:
    """vLLM ``KVTransferConfig`` fields for the host tier, or None when it is off.

    Both connectors read the host capacity (bytes, summed over tensor-parallel ranks) from
    ``kv_connector_extra_config["cpu_bytes_to_use"]`` and run as ``kv_both`` (they store and
    load), as vLLM's ``--kv-offloading-size`` sets them up."""
    if cfg.host_gib <= 0:
        return None
    return {
        "kv_connector": CONNECTORS[cfg.connector],
        "kv_role": "kv_both",
        "kv_connector_extra_config": {"cpu_bytes_to_use": int(cfg.host_gib * GIB)},
    }


def engine_args(cfg: KVOffloadConfig) -> list[str]:
    """``vllm serve`` arguments that install the host tier (empty when it is off)."""
    spec = transfer_config(cfg)
    return [] if spec is None else ["--kv-transfer-config", json.dumps(spec, sort_keys=True)]


def engine_kwargs(cfg: KVOffloadConfig) -> dict[str, Any]:
    """``vllm.LLM`` / ``AsyncEngineArgs`` keyword arguments (empty when it is off)."""
    spec = transfer_config(cfg)
    return {} if spec is None else {"kv_transfer_config": spec}


def check_engine(
    cfg: KVOffloadConfig, engine_transfer: dict[str, Any] | None, is_cuda: bool, platform: str
) -> bool:
    """Startup check of the engine against the option; True when the host tier is on.

    ``engine_transfer``: the engine's ``kv_transfer_config`` as a dict (None without one).
    Raises :class:`ConfigError` naming :data:`OPTION` when the option is set on a platform
    other than CUDA, or when the engine was started without the matching connector (the
    message gives the argument to add)."""
    spec = transfer_config(cfg)
    if spec is None:
        return False
    if not is_cuda:
        raise ConfigError(
            f"{OPTION}={cfg.host_gib:g} needs a CUDA GPU: vLLM's KV-offloading connectors "
            f"copy KV with CUDA kernels, and this platform is {platform!r}. Unset it (the "
            "KV of preempted calls is then recomputed)."
        )
    args = " ".join(f"'{a}'" if a.startswith("{") else a for a in engine_args(cfg))
    if engine_transfer is None or engine_transfer.get("kv_connector") is None:
        raise ConfigError(
            f"{OPTION}={cfg.host_gib:g} is set but the engine has no KV connector: start "
            f"vLLM with {args} (vllm-nexus kv-offload-args prints it; vllm-nexus launchers "
            "add it themselves)"
        )
    want = spec["kv_connector"]
    have = engine_transfer.get("kv_connector")
    if have != want:
        raise ConfigError(
            f"{OPTION}={cfg.host_gib:g} wants vLLM's {want} but the engine runs the KV "
            f"connector {have!r}: drop one of the two, or start vLLM with {args}"
        )
    return True


def engine_transfer_dict(kv_transfer_config: Any) -> dict[str, Any] | None:
    """The fields :func:`check_engine` reads from a vLLM ``KVTransferConfig`` (or None)."""
    if kv_transfer_config is None:
        return None
    return {
        "kv_connector": getattr(kv_transfer_config, "kv_connector", None),
        "kv_role": getattr(kv_transfer_config, "kv_role", None),
        "kv_connector_extra_config": dict(
            getattr(kv_transfer_config, "kv_connector_extra_config", None) or {}
        ),
    }


# -- ``vllm-nexus kv-offload-args`` ----------------------------------------------------------
def add_arguments(p: Any) -> None:
    p.add_argument(
        "--additional-config",
        required=True,
        help="the JSON passed to vLLM's --additional-config (its vllm_nexus.kv_offload section)",
    )


def run(args: Any) -> int:
    """Print the ``vllm serve`` arguments the additional config's host KV tier needs."""
    import shlex
    import sys

    from vllm_nexus.config import NexusConfig

    try:
        cfg = NexusConfig.from_additional_config(args.additional_config).kv_offload
    except ConfigError as e:
        print(f"vllm-nexus kv-offload-args: error: {e}", file=sys.stderr)
        return 2
    print(shlex.join(engine_args(cfg)))
    return 0
