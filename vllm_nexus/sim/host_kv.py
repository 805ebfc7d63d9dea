"""Simulation only: an ideal host-memory KV tier behind vLLM's KV-connector interface.

What would it buy to keep KV in host memory instead of recomputing it (Autellix swaps
preempted requests' KV to host memory; keeping a program's context across its tool calls goes
further)? The simulator answers through the real scheduler: :class:`HostKVConnector` is a
scheduler-side ``KVConnectorBase_V1`` (vLLM 0.32) that

* **keeps** the KV of every finished call (``request_finished``) and, with ``swap``, of
  every preempted request (the simulator calls :meth:`HostKVConnector.keep` when it sees the
  preemption), content-addressed by vLLM's block hashes, least recently used first out when
  the host capacity (``capacity_tokens``) is full;
* **offers** it back (``get_num_new_matched_tokens``): a request entering the running set
  loads the longest prefix of its blocks found on the host beyond its GPU prefix-cache hit,
  synchronously (vLLM counts those tokens as computed; they take no prefill);
* **charges** the load: the simulator adds ``tokens x KV bytes per token / host_kv_bw`` to the
  step that loads them (:meth:`HostKVConnector.take_loaded_tokens`). Saving is taken as free
  (overlapped with compute, as offloading connectors do).

Nothing runs on a device: the worker-side methods are never called. Configure it with
``EngineSpec(host_kv_tokens=..., host_kv_swap=...)`` (``simulate --host-kv-tokens``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from vllm.distributed.kv_transfer.kv_connector.v1.base import (
    KVConnectorBase_V1,
    KVConnectorMetadata,
)

MODULE = "vllm_nexus.sim.host_kv"
NAME = "HostKVConnector"


class _NoMetadata(KVConnectorMetadata):
    """Nothing travels to a worker: the simulator has none."""


class HostKVConnector(KVConnectorBase_V1):
    """Scheduler-side host KV tier for the simulator (see the module docstring)."""

    def __init__(self, vllm_config: Any, role: Any, kv_cache_config: Any) -> None:
        super().__init__(vllm_config, role, kv_cache_config)
        extra = self._kv_transfer_config.kv_connector_extra_config
        self.block_size = vllm_config.cache_config.block_size
        self.capacity_blocks = max(0, int(extra.get("capacity_tokens", 0)) // self.block_size)
        self.swap = bool(extra.get("swap", False))
        self._blocks: OrderedDict[Any, None] = OrderedDict()
        self._loading = 0
        self.loaded_tokens = 0
        self.kept_tokens = 0

    # -- the host store ---------------------------------------------------------------------
    def keep(self, request: Any, num_tokens: int) -> None:
        """Put the KV of ``request``'s first ``num_tokens`` tokens (whole blocks) on the host."""
        blocks = request.block_hashes[: num_tokens // self.block_size]
        for h in blocks:
            if h in self._blocks:
                self._blocks.move_to_end(h)
            else:
                self._blocks[h] = None
                self.kept_tokens += self.block_size
        while len(self._blocks) > self.capacity_blocks:
            self._blocks.popitem(last=False)

    def _host_prefix(self, request: Any) -> int:
        n = 0
        for h in request.block_hashes:
            if h not in self._blocks:
                break
            n += 1
        return n * self.block_size

    def take_loaded_tokens(self) -> int:
        """Tokens loaded from the host since the last call (for the step's latency)."""
        n, self._loading = self._loading, 0
        return n

    # -- scheduler side ---------------------------------------------------------------------
    def get_num_new_matched_tokens(
        self, request: Any, num_computed_tokens: int
    ) -> tuple[int | None, bool]:
        # leave at least one token to compute (it samples the next token)
        limit = (request.num_tokens - 1) // self.block_size * self.block_size
        hit = min(self._host_prefix(request), limit)
        return max(0, hit - num_computed_tokens), False

    def update_state_after_alloc(self, request: Any, blocks: Any, num_external_tokens: int) -> None:
        if num_external_tokens:
            self._loading += num_external_tokens
            self.loaded_tokens += num_external_tokens
            for h in request.block_hashes[: self._host_prefix(request) // self.block_size]:
                self._blocks.move_to_end(h)

    def build_connector_meta(self, scheduler_output: Any) -> KVConnectorMetadata:
        return _NoMetadata()

    def request_finished(self, request: Any, block_ids: list[int]) -> tuple[bool, Any]:
        self.keep(request, request.num_computed_tokens)
        return False, None

    # -- worker side: never called (the simulator runs no model) ----------------------------
    def start_load_kv(self, forward_context: Any, **kwargs: Any) -> None:
        raise NotImplementedError("HostKVConnector is scheduler-side only (simulation)")

    def wait_for_layer_load(self, layer_name: str) -> None:
        raise NotImplementedError("HostKVConnector is scheduler-side only (simulation)")

    def save_kv_layer(self, layer_name: str, kv_layer: Any, attn_metadata: Any, **kw: Any) -> None:
        raise NotImplementedError("HostKVConnector is scheduler-side only (simulation)")

    def wait_for_save(self) -> None:
        raise NotImplementedError("HostKVConnector is scheduler-side only (simulation)")


def transfer_config(capacity_tokens: int, swap: bool) -> Any:
    """The ``KVTransferConfig`` that installs :class:`HostKVConnector` in a scheduler."""
    from vllm.config import KVTransferConfig

    return KVTransferConfig(
        kv_connector=NAME,
        kv_connector_module_path=MODULE,
        kv_role="kv_both",
        kv_connector_extra_config={"capacity_tokens": capacity_tokens, "swap": swap},
    )
