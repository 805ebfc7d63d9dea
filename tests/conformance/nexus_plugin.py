"""pytest plugin for ``make conformance``: vLLM's scheduler tests run against vllm_nexus.

Loaded with ``-p nexus_plugin`` before any test module is imported. It rebinds
``vllm.v1.core.sched.scheduler.Scheduler`` and ``vllm.v1.core.sched.async_scheduler.
AsyncScheduler`` to ``vllm_nexus.Scheduler``, so every ``from vllm.v1.core.sched... import
Scheduler`` in the test modules (and ``tests/v1/core/utils.create_scheduler``) builds ours — for
both classes, as vLLM does at runtime: ``--scheduler-cls X`` is used as-is whether async
scheduling is on or off, and ``vllm_nexus.Scheduler`` picks its async variant itself.
The rebinding lives only in this pytest process; vLLM's own classes were imported (and
subclassed by vllm_nexus and by vLLM's diffusion schedulers) before it.

``NEXUS_CONFORMANCE_STOCK=1`` leaves vLLM's classes in place (a baseline run of the same tests).

Two environment adjustments, applied to stock and ours alike:

- The tests are written for vLLM's GPU CI, where ``SchedulerConfig(async_scheduling=True)``
  survives config validation; the CPU platform resets it to False ("not required on CPU").
  An explicit True is restored right after the platform's check (inside
  ``VllmConfig.__post_init__``), so a scheduler sees the configuration the test means
  (vllm_nexus reads it to choose its async variant, as on a GPU engine). Tests that leave it
  unset (None) keep the CPU's False, as they expect.
- Offline, vLLM's safetensors-metadata lookup can only fail, after a 2 s retry sleep per
  model config; it returns "no metadata" at once instead (vLLM's own fallback when the hub is
  unreachable).

It also provides the two logging fixtures the tests take from vLLM's top-level conftest, which
is not loaded (it needs packages unrelated to the scheduler).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

STOCK = os.environ.get("NEXUS_CONFORMANCE_STOCK") == "1"
_originals: dict[str, type] = {}


def pytest_configure(config: pytest.Config) -> None:
    import vllm.v1.core.sched.async_scheduler as async_mod
    import vllm.v1.core.sched.diffusion_scheduler  # noqa: F401  (subclasses vLLM's classes)
    import vllm.v1.core.sched.scheduler as sync_mod

    _originals["Scheduler"] = sync_mod.Scheduler
    _originals["AsyncScheduler"] = async_mod.AsyncScheduler
    _keep_requested_async_scheduling()
    _offline_safetensors_metadata()
    if STOCK:
        return
    from vllm_nexus.programs.scheduler import Scheduler

    sync_mod.Scheduler = Scheduler
    async_mod.AsyncScheduler = Scheduler


def _keep_requested_async_scheduling() -> None:
    from vllm.config import VllmConfig
    from vllm.platforms import current_platform

    if not current_platform.is_cpu():
        return
    post_init = VllmConfig.__post_init__
    platform_cls = type(current_platform)
    check = platform_cls.check_and_update_config
    explicit: list[bool] = []

    def __post_init__(self: Any) -> None:
        # Only an explicit True: the default None resolves to True (for engines) before the
        # platform check, and the tests that leave it unset drive the sync scheduler.
        requested = self.scheduler_config.async_scheduling is True
        explicit.append(requested)
        try:
            post_init(self)
        except ValueError:
            if not requested:
                raise
            # The CPU cannot run this combination (e.g. pipeline parallelism + async needs
            # the V2 model runner, which needs Triton): validate as the CPU does, then give
            # the scheduler the flag the test set.
            explicit[-1] = False
            self.scheduler_config.async_scheduling = True
            post_init(self)
            self.scheduler_config.async_scheduling = True
        finally:
            explicit.pop()

    def check_and_update_config(cls: type, vllm_config: Any) -> None:
        check(vllm_config)
        if explicit and explicit[-1]:
            # restored right after the platform's reset, before the rest of
            # __post_init__ reads it (e.g. the diffusion scheduler class choice)
            vllm_config.scheduler_config.async_scheduling = True

    VllmConfig.__post_init__ = __post_init__
    platform_cls.check_and_update_config = classmethod(check_and_update_config)


def _offline_safetensors_metadata() -> None:
    import vllm.transformers_utils.config as hf_config

    if os.environ.get("HF_HUB_OFFLINE") == "1":
        hf_config.try_get_safetensors_metadata = lambda *args, **kwargs: None


def pytest_report_header(config: pytest.Config) -> str:
    if STOCK:
        return "vllm_nexus conformance: STOCK vLLM schedulers (baseline)"
    return "vllm_nexus conformance: vllm_nexus.Scheduler for Scheduler and AsyncScheduler"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Rebind any import site that still holds a vLLM class (fails loudly if one is missed)."""
    if STOCK:
        return
    from vllm_nexus.programs.scheduler import Scheduler

    originals = set(_originals.values())
    for name, module in list(sys.modules.items()):
        if not name.startswith("tests.") or module is None:
            continue
        for attr in ("Scheduler", "AsyncScheduler"):
            if getattr(module, attr, None) in originals:
                setattr(module, attr, Scheduler)


@pytest.fixture()
def temporary_enable_log_propagate() -> Iterator[None]:
    logger = logging.getLogger("vllm")
    previous = logger.propagate
    logger.propagate = True
    yield
    logger.propagate = previous


@pytest.fixture()
def caplog_vllm(
    temporary_enable_log_propagate: None, caplog: pytest.LogCaptureFixture
) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO):
        yield caplog
