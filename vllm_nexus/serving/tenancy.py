"""HTTP edge of tenant identity: decide a request's tenant and stamp it, signed, into its body.

Used by the middleware (:mod:`vllm_nexus.serving.middleware`). The rules and the threat model
are in :mod:`vllm_nexus.programs.tenant_identity` and docs/programs.md. Settings come from the
server itself (read once from ``app.state``): ``tenants.header`` and ``tenants.default_tenant``
from ``--additional-config``, the API keys from ``--api-key`` / ``VLLM_API_KEY`` (only their
SHA-256 digests are kept).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vllm_nexus.config import NexusConfig
from vllm_nexus.programs import tenant_identity as ti

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantEdge:
    """What the edge needs to name and stamp tenants."""

    header: str
    default: str
    key_digests: frozenset[str]
    secret: str
    max_len: int = 256

    @classmethod
    def from_state(cls, state: Any) -> TenantEdge:
        """From the server's ``app.state`` (``vllm_config``, ``args``); defaults without."""
        vllm_config = getattr(state, "vllm_config", None)
        cfg = NexusConfig.from_additional_config(getattr(vllm_config, "additional_config", None))
        args = getattr(state, "args", None)
        keys = list(getattr(args, "api_key", None) or [os.environ.get("VLLM_API_KEY")])
        if not os.environ.get(ti.SECRET_ENV):
            logger.warning(
                "vllm_nexus: %s was not set before the engine started (is the vllm_nexus "
                "plugin installed?); the scheduler cannot verify tenants and uses %r for all",
                ti.SECRET_ENV,
                cfg.tenants.default_tenant,
            )
        return cls(
            header=cfg.tenants.header,
            default=cfg.tenants.default_tenant,
            key_digests=ti.api_key_digests(keys),
            secret=ti.ensure_secret(),
            max_len=cfg.scheduler.max_program_id_length,
        )

    def tenant(self, headers: Mapping[str, str]) -> str:
        """The request's tenant (raises ``InvalidTenantId`` for a malformed header)."""
        return ti.tenant_of_http(headers, self.header, self.key_digests, self.default, self.max_len)

    def stamp_body(self, body: dict[str, Any], headers: Mapping[str, str]) -> bytes | None:
        """The JSON body with the tenant stamped into ``vllm_xargs`` (any client-supplied
        tenant fields replaced), or None when ``vllm_xargs`` is not an object (vLLM rejects
        the request itself)."""
        xargs = body.get("vllm_xargs")
        if xargs is not None and not isinstance(xargs, dict):
            return None
        body = {**body, "vllm_xargs": ti.stamp(xargs or {}, self.tenant(headers), self.secret)}
        return json.dumps(body).encode()


def with_content_length(scope: dict, length: int) -> dict:
    """A copy of the ASGI ``scope`` whose ``content-length`` header is ``length``."""
    drop = (b"content-length", b"transfer-encoding")
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in drop]
    headers.append((b"content-length", str(length).encode()))
    return {**scope, "headers": headers}
