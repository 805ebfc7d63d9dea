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

Memory layout (the collector): the table may hold 100k programs, nearly all idle, and vLLM
freezes its startup heap, not what comes after (docs/benchmarks.md, "the collector at 100k
programs"): every Python object the table keeps per program, and every entry of a container
the collector walks, costs time in each full collection of CPython's cyclic collector. So a
*cold* program — idle for ``pack_after_s`` (a minute by default) and referred to by nothing
outside the table — is stored *packed*: its fields, all atoms (str, numbers, bools, None),
marshalled to bytes, in a dict of str -> bytes, which CPython never tracks (no object of it
holds a reference the collector must follow); the idle order is kept the same way
(:class:`IdQueue`). A :class:`Program` object exists while the program is warm (active, or
idle for less than ``pack_after_s``: a program between tool calls is not packed and revived
per call) or while someone may hold it: its calls, a size model's window of recent
programs, a caller of :meth:`ProgramTable.get`. Cold programs are packed a few per release
(O(1), oldest first) and only when the reference count shows the table's reference alone, so
packing is unobservable: whoever holds a program holds the one live object;
:meth:`ProgramTable.get` revives a packed program as an object with the same fields.
"""

from __future__ import annotations

import marshal
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from itertools import count
from operator import attrgetter
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


@dataclass(slots=True)
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
    size_hint: float | None = None
    """Standing ``vllm_xargs.program_size_hint`` (expected total calls; ``size_hints``)."""
    hint_overrun: bool = False
    """The program started more calls than its standing hint: hints are ignored for the rest
    of its life (``size_hints``, docs/programs.md §9)."""


_FIELDS = tuple(f.name for f in fields(Program))
_fields_of = attrgetter(*_FIELDS)
"""A program's fields in declaration order (``Program(*fields)`` rebuilds it)."""
_LAST_SEEN = _FIELDS.index("last_seen")
_STAGE_CALLS = _FIELDS.index("stage_calls")
PACK_PER_RELEASE = 4
"""Cold programs examined for packing per released program, at most: more than one, so a
backlog (a burst of programs that went cold together, those a size model held when they were
first examined) shrinks while programs come and go; in steady state about one program goes
cold per release."""
_NEVER = float("inf")


def _refs(entries: dict[str, Any], key: str) -> int:
    """Reference count of ``entries[key]`` seen from here."""
    return sys.getrefcount(entries[key])


_PACKING = hasattr(sys, "getrefcount")
"""Idle programs are packed (CPython; elsewhere every program stays an object)."""
_ALONE = _refs({"": Program("")}, "") if _PACKING else 0
""":func:`_refs` of an object that only its dict refers to."""


def _packed(prog: Program) -> bytes | None:
    """``prog``'s fields marshalled, or None while it refers to a call (its stage) or holds
    a value marshal does not take (it then stays an object)."""
    if prog.stage_first is not None or prog.stage_calls:
        return None
    fields_ = _fields_of(prog)
    if prog.stage_calls is not None:  # an emptied stage dict: reset by the program's next call
        fields_ = (*fields_[:_STAGE_CALLS], None, *fields_[_STAGE_CALLS + 1 :])
    try:
        return marshal.dumps(fields_)
    except ValueError:
        return None


def _unpacked(packed: bytes) -> Program:
    return Program(*marshal.loads(packed))


class IdQueue:
    """Ids in order (an id added again moves to the back), O(1) amortised per operation, in
    two dicts of atoms (id -> number, number -> id) that CPython never tracks: the collector
    never walks it (an OrderedDict is always tracked and its traversal visits every key:
    ~10 ms per full collection at 100k ids: docs/results/gcpause-2026-12-03g/split_mlq.py)."""

    __slots__ = ("_number", "_id", "_head", "_tail")

    def __init__(self) -> None:
        self._number: dict[str, int] = {}
        self._id: dict[int, str] = {}
        self._head = 0
        """No live number below it (the front is found from here)."""
        self._tail = 0

    def __len__(self) -> int:
        return len(self._number)

    def __contains__(self, key: str) -> bool:
        return key in self._number

    def push(self, key: str) -> None:
        """``key`` to the back (moved there if present)."""
        old = self._number.get(key)
        if old is not None:
            del self._id[old]
        self._number[key] = n = self._tail
        self._id[n] = key
        self._tail = n + 1

    def discard(self, key: str) -> None:
        n = self._number.pop(key, None)
        if n is not None:
            del self._id[n]

    def first(self) -> str | None:
        """The front id (None when empty)."""
        ids = self._id
        if not ids:
            return None
        n = self._head
        while n not in ids:  # each number is passed once: O(1) amortised
            n += 1
        self._head = n
        return ids[n]

    def pop_first(self) -> str | None:
        key = self.first()
        if key is not None:
            del self._id[self._head], self._number[key]
        return key


class ProgramTable:
    """Bounded map program id -> :class:`Program` with idle-TTL and capacity eviction."""

    def __init__(
        self,
        rule: ServiceRule = atlas_update,
        ttl_s: float = 600.0,
        max_programs: int = 100_000,
        pack_after_s: float = 60.0,
    ) -> None:
        self.rule = rule
        self.ttl_s = ttl_s
        self.max_programs = max_programs
        self.pack_after_s = pack_after_s
        """An idle program is packed once idle this long (and referred to by nothing else)."""
        self._programs: dict[str, Program] = {}
        """Programs held as objects: active and warm ones, and cold ones someone holds."""
        self._packed: dict[str, bytes] = {}
        """Cold programs referenced by nothing else, packed (see the module docstring)."""
        self._idle = IdQueue()
        """Idle programs (no active call), least recently seen first."""
        self._evict_at = _NEVER
        """No idle program is past the TTL before this time (a lower bound: the oldest idle
        program's ``last_seen`` + TTL when :meth:`evict` last looked), so :meth:`evict` is
        one comparison while nothing is due."""
        self._to_pack: deque[tuple[str, float, int]] = deque()
        """(program id, when to examine it for packing, entry number), in time order: one
        entry per release (``pack_after_s`` later), and one per program found held (examined
        again ``pack_after_s`` later). A few thousand entries: the releases of the last
        ``pack_after_s``."""
        self._entry: dict[str, int] = {}
        """Program id -> number of its one current :attr:`_to_pack` entry (the others are
        stale: the program was released or examined again since)."""
        self._entries = count()
        self._pack_at = _NEVER
        """When the front of :attr:`_to_pack` is due (``_NEVER`` while it is empty)."""
        self._seen: tuple[bytes, float] = (b"", 0.0)
        """(packed bytes, their ``last_seen``) last read by :meth:`_packed_last_seen`."""
        self.evicted_total = 0
        self.ended_total = 0
        """Programs released because the client marked their end."""
        self.on_end: Callable[[Program, str], None] | None = None

    def __len__(self) -> int:
        return len(self._programs) + len(self._packed)

    def __contains__(self, program_id: str) -> bool:
        return program_id in self._programs or program_id in self._packed

    def get(self, program_id: str) -> Program | None:
        """The program (a packed one is revived as an object: the caller may keep and
        update it; it stays one until it goes cold again after its next call)."""
        prog = self._programs.get(program_id)
        if prog is not None:
            return prog
        packed = self._packed.pop(program_id, None)
        if packed is None:
            return None
        prog = self._programs[program_id] = _unpacked(packed)
        return prog

    def programs(self) -> list[Program]:
        """Every program (revives the packed ones: for tests and tools, not per step)."""
        return [self.get(pid) for pid in [*self._programs, *self._packed]]

    @property
    def packed_programs(self) -> int:
        """Programs stored packed (cold and referenced by nothing outside the table)."""
        return len(self._packed)

    @property
    def active_programs(self) -> int:
        return len(self) - len(self._idle)

    def call_started(self, program_id: str, now: float) -> Program:
        """Register a new call of ``program_id`` (creating the program on first sight)."""
        prog = self._programs.get(program_id) or self.get(program_id)
        if prog is None:
            prog = Program(program_id=program_id, last_seen=now)
            self._programs[program_id] = prog
        else:
            self._idle.discard(program_id)
            prog.ending = False  # a call after the end marker: the program goes on
        prog.active_calls += 1
        prog.last_seen = now
        if now >= self._evict_at or len(self._programs) + len(self._packed) > self.max_programs:
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
        prog = self._programs.get(program_id) or self.get(program_id)
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
        prog = self.get(program_id)
        if prog is None:
            return False
        prog.ending = True
        if prog.active_calls == 0:
            self._idle.discard(program_id)
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
        idle, programs, packed = self._idle, self._programs, self._packed
        self._evict_at = _NEVER
        while (pid := idle.first()) is not None:
            prog = programs.get(pid)
            last_seen = prog.last_seen if prog is not None else self._packed_last_seen(pid)
            if now - last_seen < self.ttl_s and len(programs) + len(packed) <= self.max_programs:
                self._evict_at = last_seen + self.ttl_s
                break
            idle.pop_first()
            if prog is None:
                prog = _unpacked(packed.pop(pid))
            else:
                del programs[pid]
            evicted.append(pid)
            self._ended(prog, "idle" if now - last_seen >= self.ttl_s else "capacity")
        self.evicted_total += len(evicted)
        return evicted

    def _packed_last_seen(self, program_id: str) -> float:
        """``last_seen`` of a packed program (the oldest idle one is read at every
        :meth:`evict` that looks: remembered for its packed bytes)."""
        data = self._packed[program_id]
        seen = self._seen
        if seen[0] is not data:
            seen = self._seen = (data, marshal.loads(data)[_LAST_SEEN])
        return seen[1]

    def _release(self, prog: Program, now: float) -> None:
        prog.active_calls = max(0, prog.active_calls - 1)
        prog.last_seen = now
        if prog.active_calls == 0:
            if prog.ending:
                del self._programs[prog.program_id]
                self._ended(prog, "final")
            else:
                self._idle.push(prog.program_id)
                if now + self.ttl_s < self._evict_at:  # the idle queue was empty
                    self._evict_at = now + self.ttl_s
                if _PACKING:
                    due = now + self.pack_after_s
                    if not self._to_pack:
                        self._pack_at = due
                    self._entry[prog.program_id] = n = next(self._entries)
                    self._to_pack.append((prog.program_id, due, n))
        if now >= self._evict_at or len(self._programs) + len(self._packed) > self.max_programs:
            self.evict(now)
        if now >= self._pack_at:
            self.pack_cold(now, PACK_PER_RELEASE)

    def pack_cold(self, now: float, limit: int | None = None) -> int:
        """Pack the programs idle for ``pack_after_s`` that nothing outside the table refers
        to, oldest first, examining at most ``limit`` (None: every due one); a program held
        elsewhere (a size model's window, a caller) is examined again ``pack_after_s`` later.
        Runs a few at a time from each release; callable at any time (a tool, a measurement
        that wants the steady state at once). Returns the number packed."""
        queue, programs, packed = self._to_pack, self._programs, self._packed
        entry, after = self._entry, self.pack_after_s
        examined = done = 0
        left = len(queue)  # an entry queued again below is not examined again in this call
        while left and queue[0][1] <= now and (limit is None or examined < limit):
            left -= 1
            pid, _, n = queue.popleft()
            if entry.get(pid) != n:
                continue  # stale: released or examined again since (a later entry is queued)
            del entry[pid]
            prog = programs.get(pid)
            if prog is None or prog.active_calls:
                continue  # packed, evicted or ended; or running (queued at its release)
            examined += 1
            del prog  # (the reference count below must see the table's reference alone)
            if _refs(programs, pid) != _ALONE:  # held: examined again later
                entry[pid] = n = next(self._entries)
                queue.append((pid, now + after, n))
                continue
            data = _packed(programs[pid])
            if data is not None:
                packed[pid] = data
                del programs[pid]
                done += 1
            # (None: a value marshal does not take, or a stage call; it stays an object)
        self._pack_at = queue[0][1] if queue else _NEVER
        return done
