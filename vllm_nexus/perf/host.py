"""The host a measured hardware profile belongs to, and where host-local profiles live.

A profile fitted by ``vllm-nexus simulate calibrate`` (``cpu-here``) describes the machine it
was measured on: its step overheads and FLOP/bandwidth terms are that CPU's. Run on another
machine it silently predicts the wrong speed (measured 2026-12-04: the profile fitted on an
Intel host made an AMD EPYC host's engine ~3x too slow). So a profile records a
:class:`HostFingerprint` of its host, ``calibrate`` writes host-local profiles into the cache
directory keyed by the fingerprint, and :func:`vllm_nexus.perf.hardware.resolve_hardware`
prefers the profile of the host it runs on.

What identifies a host for this purpose is what sets the engine's speed: the CPU model, the
number of CPUs this process may run on, the architecture and the vector ISA the CPU kernels
pick (AVX2 / AVX-512 / AMX). The hostname is recorded for the reader but not matched (a
container or VM gets a new one on every start). Pure Python, no vLLM import.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CACHE_ENV = "VLLM_NEXUS_CACHE"
"""Environment variable: the directory for host-local state (calibrated profiles)."""

ISA_FLAGS = (
    "avx2",
    "avx512f",
    "avx512_bf16",
    "avx512_vnni",
    "amx_tile",
    "amx_bf16",
    "asimd",
    "sve",
)
"""CPU flags that choose the CPU kernels' code path (x86 ``flags``, Arm ``Features``)."""


@dataclass(frozen=True)
class HostFingerprint:
    """What a measured profile's speed depends on, read from this machine."""

    cpu_model: str
    """``model name`` of /proc/cpuinfo (or the platform's processor string)."""
    cpus: int
    """CPUs this process may run on (its affinity mask; what vLLM's CPU worker can use)."""
    machine: str
    """Architecture (``platform.machine()``), e.g. ``x86_64``."""
    isa: tuple[str, ...] = ()
    """The :data:`ISA_FLAGS` this CPU has, sorted."""
    hostname: str = field(default="", compare=False)
    """Recorded for the reader; not part of the identity (containers rename hosts)."""

    def key(self) -> str:
        """A short stable id of the identity fields (file names of host-local profiles)."""
        ident = json.dumps([self.cpu_model, self.cpus, self.machine, list(self.isa)])
        return hashlib.sha256(ident.encode()).hexdigest()[:12]

    def matches(self, other: HostFingerprint) -> bool:
        return self.key() == other.key()

    def describe(self) -> str:
        isa = f", {'/'.join(self.isa)}" if self.isa else ""
        name = f" on {self.hostname}" if self.hostname else ""
        return f"{self.cpu_model}, {self.cpus} CPUs ({self.machine}{isa}){name}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["isa"] = list(self.isa)
        d["key"] = self.key()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostFingerprint:
        try:
            return cls(
                cpu_model=str(data["cpu_model"]),
                cpus=int(data["cpus"]),
                machine=str(data["machine"]),
                isa=tuple(sorted(str(f) for f in data.get("isa", ()))),
                hostname=str(data.get("hostname", "")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"invalid host record {data!r}: {e}") from None


def _cpuinfo(text: str) -> tuple[str, set[str]]:
    """(CPU model, flags) from the text of /proc/cpuinfo (x86 and Arm layouts)."""
    model, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "hardware", "cpu model") and not model:
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = set(value.split())
    return model, flags


def current_host(cpuinfo: str | None = None) -> HostFingerprint:
    """This machine's fingerprint (``cpuinfo``: the text of /proc/cpuinfo, for tests)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    model, flags = _cpuinfo(cpuinfo)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return HostFingerprint(
        cpu_model=model or platform.processor() or "unknown CPU",
        cpus=cpus,
        machine=platform.machine() or "unknown",
        isa=tuple(sorted(f for f in ISA_FLAGS if f in flags)),
        hostname=platform.node(),
    )


def cache_dir() -> Path:
    """``$VLLM_NEXUS_CACHE``, else ``$XDG_CACHE_HOME/vllm_nexus``, else ``~/.cache/vllm_nexus``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vllm_nexus"


def host_profile_path(name: str, host: HostFingerprint | None = None) -> Path:
    """Where ``simulate calibrate`` keeps preset ``name``'s profile for ``host`` (default:
    this one): ``<cache>/profiles/<name>-<host key>.json``."""
    host = host or current_host()
    return cache_dir() / "profiles" / f"{name}-{host.key()}.json"
