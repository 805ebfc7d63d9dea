"""Tenant identity of a call: who is calling, decided at the HTTP edge, unforgeable inside.

At the edge (``vllm_nexus.serving.middleware``), in order:

1. a trusted header (``tenants.header``, default ``X-Tenant-ID``), meant to be set by an
   authenticating gateway in front of the server (which must drop a client's own copy);
2. else, when vLLM has API keys (``--api-key`` / ``VLLM_API_KEY``), the key the request
   authenticated with, as ``key:<first 16 hex digits of its SHA-256>`` (the key itself is
   never stored or logged);
3. else the default tenant.

The middleware writes the tenant into the request body's ``vllm_xargs`` (vLLM copies them
into ``SamplingParams.extra_args``) together with a tag, an HMAC-SHA256 of the tenant under a
secret random per server start (``VLLM_NEXUS_TENANT_SECRET``, created by the plugin entry
point in the API server and inherited by the engine processes). It overwrites whatever the
client put there. The scheduler accepts a tenant only with a valid tag; anything else (a
client that sets ``vllm_xargs.tenant_id`` itself, a server without the middleware) is the
default tenant. Clients never see the tag. Pure Python, no vLLM import.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from vllm_nexus.programs.identity import InvalidProgramId, validate_program_id

TENANT_KEY = "tenant_id"
TAG_KEY = "tenant_tag"
SECRET_ENV = "VLLM_NEXUS_TENANT_SECRET"
KEY_PREFIX = "key:"


class InvalidTenantId(ValueError):
    """A tenant id (from the trusted header) that breaks the program-id rules."""


def ensure_secret() -> str:
    """The per-server tenant secret, created in this process's environment if missing (so
    processes started from here inherit it)."""
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        secret = secrets.token_hex(32)
        os.environ[SECRET_ENV] = secret
    return secret


def sign_tenant(tenant: str, secret: str) -> str:
    """Tag of ``tenant`` under ``secret`` (HMAC-SHA256, 32 hex digits)."""
    return hmac.new(secret.encode(), tenant.encode(), hashlib.sha256).hexdigest()[:32]


def stamp(xargs: dict[str, Any], tenant: str, secret: str) -> dict[str, Any]:
    """``xargs`` with the tenant and its tag set (any client-supplied values replaced)."""
    out = dict(xargs)
    out[TENANT_KEY] = tenant
    out[TAG_KEY] = sign_tenant(tenant, secret)
    return out


def tenant_of_call(
    extra_args: Mapping[str, Any] | None, secret: str | None, default: str
) -> tuple[str, bool]:
    """(tenant, whether a tenant was claimed without a valid tag) for the engine side.

    Never raises: an unsigned or badly signed tenant is the default tenant."""
    if not extra_args or TENANT_KEY not in extra_args:
        return default, False
    tenant, tag = extra_args.get(TENANT_KEY), extra_args.get(TAG_KEY)
    if (
        secret
        and isinstance(tenant, str)
        and isinstance(tag, str)
        and hmac.compare_digest(tag, sign_tenant(tenant, secret))
    ):
        return tenant, False
    return default, True


def api_key_digests(keys: Iterable[str | None]) -> frozenset[str]:
    """SHA-256 hex digests of the server's API keys (what the edge keeps instead of keys)."""
    return frozenset(hashlib.sha256(k.encode()).hexdigest() for k in keys if k)


def tenant_of_http(
    headers: Mapping[str, str],
    header: str,
    key_digests: frozenset[str],
    default: str,
    max_len: int = 256,
) -> str:
    """The tenant of an HTTP request (header names lower-case). Raises
    :class:`InvalidTenantId` for a malformed trusted header."""
    if header:
        value = headers.get(header.lower())
        if value is not None:
            try:
                return validate_program_id(value, max_len, f"{header} header")
            except InvalidProgramId as e:
                raise InvalidTenantId(str(e)) from None
    if key_digests:
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token:
            digest = hashlib.sha256(token.encode()).hexdigest()
            if digest in key_digests:
                return KEY_PREFIX + digest[:16]
    return default
