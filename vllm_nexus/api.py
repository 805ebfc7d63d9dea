"""Stable public path for the HTTP middleware: ``--middleware vllm_nexus.api.ProgramIdMiddleware``.

The implementation lives in :mod:`vllm_nexus.serving.middleware`.
"""

from vllm_nexus.serving.middleware import ProgramIdMiddleware

__all__ = ["ProgramIdMiddleware"]
