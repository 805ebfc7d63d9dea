"""The program table: one entry per agentic program (Autellix §4.1, "process table").

An entry holds the program's attained service and its accumulated waiting/running time (for
the program-level anti-starvation ratio, Alg. 1), its active calls.
Entries are created on a program's first call, updated when a call completes or is aborted
(an aborted call is charged the service it received), and evicted when idle longer than the TTL
or when the table exceeds its capacity (least recently seen idle program first).

Program end (docs/programs.md): a program ends when the client says so (:meth:`end_program`,
from ``vllm_xargs.program_end`` or ``x-dynamo-session-final``) — its entry is released after
its last active call completes, with that call's service charged — or when it stays idle past
the TTL (or is pushed out by capacity). ``on_end(program, reason)`` sees every ending program
with its final service (``reason``: ``final``, ``idle`` or ``capacity``).

Service update rules (§4.2):
- PLAS (sequential programs): ``service += call_service`` for each completed call.
- ATLAS (programs as DAGs of parallel calls): a call starts with priority = the program's
  service at its arrival; on completion ``service = max(service, start + call_service)``, i.e.
  the critical path so far. For a sequential program this equals PLAS.

Every operation is O(1) amortised: eviction pops from the front of an LRU of idle programs, so
per-step cost never grows with the number of known programs. Pure Python, no vLLM import.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ServiceRule = Callable[[float, float, float], float]


def plas_update(program_service: float, call_start: float, call_service: float) -> float:
    """PLAS: a program's priority is the summed service of its completed calls."""
    return program_service + call_service


def atlas_update(program_service: float, call_start: float, call_service: float) -> float:
    """ATLAS: the longest (critical) path of completed service so far."""
    return max(program_service, call_start + call_service)


def no_update(program_service: float, call_start: float, call_service: float) -> float:
    """Call-level policies (mlfq, fcfs) keep no program-level priority."""
    return program_service


SERVICE_RULES: dict[str, ServiceRule] = {
    "atlas": atlas_update,
    "plas": plas_update,
    "gittins": plas_update,  # sizes are total program work (learned-size ranks: sizes.py)
    "mlfq": no_update,
    "fcfs": no_update,
}


@dataclass
class Program:
    program_id: str
    service: float = 0.0
    """Attained service (policy-dependent: critical path or sum)."""
    wait_s: float = 0.0
    """W_program: waiting time accumulated by the program's finished calls."""
    run_s: float = 0.0
    """T_program: running time accumulated by the program's finished calls."""
    active_calls: int = 0
    completed_calls: int = 0
    last_seen: float = 0.0
    ending: bool = False
    """The client marked the program's last call; released once no call is active."""
    aborted_calls: int = 0
    program_class: str | None = None
    """Agent type (``vllm_xargs.program_class`` or inferred): learned sizes are per class."""
    ended: bool = False
    """The program is over (marked final, idle past the TTL or evicted): its service is its
    size (learned program sizes, :mod:`vllm_nexus.programs.sizes`)."""
    output_tokens: int = 0
    """Output tokens of its completed calls (token-latency weight of learned sizes)."""
    stage_start: float = 0.0
    """Service when the program's current stage (its calls in flight together) began."""
    stage_enter: float = 0.0
    """FCFS position (arrival time) of the current stage's first call."""
    stage_width: int = 0
    """Most calls of the current stage in flight at once (>= 2: a fan-out)."""
    stage_aborted: bool = False
    """A call of the current stage was aborted: the next call does not join the stage (a
    resent call after an abort continues at the program's service)."""
    tenant: str | None = None
    """Tenant of the program's first call (gittins learns sizes per tenant)."""
    stage_first: Any = None
    """First call of the current stage while it is tracked (``stage_rerank``)."""
    stage_calls: dict | None = None
    """Calls of the current stage that may be re-levelled (``stage_rerank``): id -> call;
    created when a second call joins the stage."""
    stage_level: int = -1
    """Level of the current stage's rank when its calls were last re-levelled."""
    first_enter: float = 0.0
    """FCFS position (arrival time) of the program's first call (``program_order``)."""
    fanouts: int = 0
    """Stages in which the program had >= 2 calls in flight at once (``fanout_service_weight``)."""


class ProgramTable:
    """Bounded map program id -> :class:`Program` with idle-TTL and capacity eviction."""

    def __init__(
        self,
        rule: ServiceRule = atlas_update,
        ttl_s: float = 600.0,
        max_programs: int = 100_000,
    ) -> None:
        self.rule = rule
        self.ttl_s = ttl_s
        self.max_programs = max_programs
        self._programs: dict[str, Program] = {}
        # Idle programs (no active call), least recently seen first.
        self._idle: OrderedDict[str, None] = OrderedDict()
        self.evicted_total = 0
        self.ended_total = 0
        """Programs released because the client marked their end."""
        self.on_end: Callable[[Program, str], None] | None = None

    def __len__(self) -> int:
        return len(self._programs)

    def __contains__(self, program_id: str) -> bool:
        return program_id in self._programs

    def get(self, program_id: str) -> Program | None:
        return self._programs.get(program_id)

    def programs(self) -> list[Program]:
        return list(self._programs.values())

    @property
    def active_programs(self) -> int:
        return len(self._programs) - len(self._idle)

    def call_started(self, program_id: str, now: float) -> Program:
        """Register a new call of ``program_id`` (creating the program on first sight)."""
        prog = self._programs.get(program_id)
        if prog is None:
            prog = Program(program_id=program_id, last_seen=now)
            self._programs[program_id] = prog
        else:
            self._idle.pop(program_id, None)
            prog.ending = False  # a call after the end marker: the program goes on
        prog.active_calls += 1
        prog.last_seen = now
        self.evict(now)
        return prog

    def call_finished(
        self,
        program_id: str,
        now: float,
        start_priority: float,
        call_service: float,
        call_wait_s: float,
        call_run_s: float,
        aborted: bool = False,
        output_tokens: int = 0,
    ) -> Program | None:
        """A call left: charge its service and times to the program. An aborted call (client
        gone, timeout, cancel) is charged like a completed one (the service it received
        counts, so cancel-and-resend buys nothing) and the program stays until its idle TTL."""
        prog = self._programs.get(program_id)
        if prog is None:
            return None
        prog.service = self.rule(prog.service, start_priority, call_service)
        prog.wait_s += call_wait_s
        prog.run_s += call_run_s
        if aborted:
            prog.aborted_calls += 1
        else:
            prog.completed_calls += 1
        prog.output_tokens += output_tokens
        self._release(prog, now)
        return prog

    def call_aborted(
        self,
        program_id: str,
        now: float,
        start_priority: float = 0.0,
        call_service: float = 0.0,
        call_wait_s: float = 0.0,
        call_run_s: float = 0.0,
    ) -> Program | None:
        """:meth:`call_finished` for an aborted call."""
        return self.call_finished(
            program_id, now, start_priority, call_service, call_wait_s, call_run_s, aborted=True
        )

    def end_program(self, program_id: str, now: float) -> bool:
        """The client says ``program_id`` has no further calls: release its entry now if it
        has no active call, else after its last active call completes (service charged
        first). Returns False for an unknown program."""
        prog = self._programs.get(program_id)
        if prog is None:
            return False
        prog.ending = True
        if prog.active_calls == 0:
            self._idle.pop(program_id, None)
            del self._programs[program_id]
            self._ended(prog, "final")
        return True

    def _ended(self, prog: Program, reason: str) -> None:
        prog.ended = True
        if reason == "final":
            self.ended_total += 1
        if self.on_end is not None:
            self.on_end(prog, reason)

    def evict(self, now: float) -> list[str]:
        """Drop idle programs past their TTL, then the oldest idle ones beyond capacity."""
        evicted = []
        while self._idle:
            pid = next(iter(self._idle))
            prog = self._programs[pid]
            if now - prog.last_seen < self.ttl_s and len(self._programs) <= self.max_programs:
                break
            self._idle.popitem(last=False)
            del self._programs[pid]
            evicted.append(pid)
            self._ended(prog, "idle" if now - prog.last_seen >= self.ttl_s else "capacity")
        self.evicted_total += len(evicted)
        return evicted

    def _release(self, prog: Program, now: float) -> None:
        prog.active_calls = max(0, prog.active_calls - 1)
        prog.last_seen = now
        if prog.active_calls == 0:
            if prog.ending:
                del self._programs[prog.program_id]
                self._ended(prog, "final")
            else:
                self._idle[prog.program_id] = None
                self._idle.move_to_end(prog.program_id)
        self.evict(now)
