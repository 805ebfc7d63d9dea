"""Program traces: the JSONL format shared by ``vllm-nexus bench`` and ``vllm-nexus simulate``.

One program per line::

    {"program_id": "p1", "arrival_s": 0.8, "kind": "react",
     "calls": [{"id": "c0", "prompt_tokens": 700, "output_tokens": 30},
               {"id": "c1", "after": ["c0"], "think_s": 0.4, "context_from": "c0",
                "prompt_tokens": 120, "output_tokens": 40}]}

``after``: calls that must finish before this one is sent; ``think_s``: delay after the last of
them (tool time); ``context_from``: an ancestor call whose full prompt and output are prepended
to this call's prompt (conversation history: real prefix reuse); ``prompt_tokens``: new tokens;
``output_tokens``: exact output length. ``kind`` (optional) names the program class.

Invalid traces (bad JSON, unknown keys or ids, cycles, negative numbers) raise
:class:`TraceError` with the line number. Pure Python: no vLLM import.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vllm_nexus.programs.identity import MAX_SIZE_HINT


class TraceError(ValueError):
    """A malformed trace. The message starts with ``source:line:``."""


@dataclass(frozen=True)
class CallSpec:
    """One LLM call of a program."""

    id: str
    prompt_tokens: int
    output_tokens: int
    after: tuple[str, ...] = ()
    think_s: float = 0.0
    context_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        if self.after:
            d["after"] = list(self.after)
        if self.think_s:
            d["think_s"] = round(self.think_s, 6)
        if self.context_from is not None:
            d["context_from"] = self.context_from
        d["prompt_tokens"] = self.prompt_tokens
        d["output_tokens"] = self.output_tokens
        return d


@dataclass(frozen=True)
class ProgramSpec:
    """A program: a DAG of calls arriving at ``arrival_s`` (seconds from the run start)."""

    program_id: str
    arrival_s: float
    calls: tuple[CallSpec, ...]
    kind: str = "trace"
    _by_id: dict[str, CallSpec] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({c.id: c for c in self.calls})

    def call(self, call_id: str) -> CallSpec:
        return self._by_id[call_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "program_id": self.program_id,
            "arrival_s": round(self.arrival_s, 6),
            "kind": self.kind,
            "calls": [c.to_dict() for c in self.calls],
        }

    def total_output_tokens(self) -> int:
        return sum(c.output_tokens for c in self.calls)

    def size_hint(self, sigma: float, seed: int = 0) -> float:
        """What a client that estimates this program's size sends as
        ``vllm_xargs.program_size_hint`` (its expected total number of calls): the true
        number of calls times ``exp(sigma x N(0, 1))``, one draw per program (seeded by
        ``seed`` and the program id, the same in every process), clamped to the accepted
        range [1, 1e6]. ``sigma`` 0: exact; 0.5: within a factor 1.65 two times in three; 1:
        within a factor e two times in three. For evaluations (``--size-hint-sigma``)."""
        z = random.Random(f"size-hint/{seed}/{self.program_id}").gauss(0.0, 1.0)
        return min(MAX_SIZE_HINT, max(1.0, len(self.calls) * math.exp(sigma * z)))

    def full_prompt_tokens(self) -> dict[str, int]:
        """Expected prompt length of every call: new tokens plus the full context chain."""
        out: dict[str, int] = {}
        for c in topological_order(self.calls):
            ctx = 0
            if c.context_from is not None:
                parent = self._by_id[c.context_from]
                ctx = out[parent.id] + parent.output_tokens
            out[c.id] = ctx + c.prompt_tokens
        return out

    def with_arrival(self, arrival_s: float) -> ProgramSpec:
        return ProgramSpec(self.program_id, arrival_s, self.calls, self.kind)


_PROGRAM_KEYS = {"program_id", "arrival_s", "calls", "kind"}
_CALL_KEYS = {"id", "prompt_tokens", "output_tokens", "after", "think_s", "context_from"}


def topological_order(calls: Sequence[CallSpec]) -> list[CallSpec]:
    """Calls ordered so every call comes after its ``after`` parents (Kahn's algorithm).

    Raises :class:`ValueError` naming a call on a cycle.
    """
    by_id = {c.id: c for c in calls}
    indeg = {c.id: 0 for c in calls}
    children: dict[str, list[str]] = {c.id: [] for c in calls}
    for c in calls:
        for p in c.after:
            indeg[c.id] += 1
            children[p].append(c.id)
    ready = [c.id for c in calls if indeg[c.id] == 0]
    order: list[CallSpec] = []
    while ready:
        cid = ready.pop(0)
        order.append(by_id[cid])
        for ch in children[cid]:
            indeg[ch] -= 1
            if indeg[ch] == 0:
                ready.append(ch)
    if len(order) != len(calls):
        stuck = sorted(cid for cid, d in indeg.items() if d > 0)
        raise ValueError(f"dependency cycle through call {stuck[0]!r}")
    return order


def ancestors(calls: Sequence[CallSpec]) -> dict[str, set[str]]:
    """Transitive ``after`` ancestors of every call (calls must be acyclic)."""
    anc: dict[str, set[str]] = {}
    for c in topological_order(calls):
        s: set[str] = set()
        for p in c.after:
            s.add(p)
            s |= anc[p]
        anc[c.id] = s
    return anc


def _int_field(d: dict, key: str, where: str, minimum: int) -> int:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        raise TraceError(f"{where}: {key} must be an integer, got {v!r}")
    if v < minimum:
        raise TraceError(f"{where}: {key} must be >= {minimum}, got {v}")
    return v


def _float_field(d: dict, key: str, where: str, default: float | None = None) -> float:
    if key not in d and default is not None:
        return default
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise TraceError(f"{where}: {key} must be a finite number, got {v!r}")
    if v < 0:
        raise TraceError(f"{where}: {key} must be >= 0, got {v}")
    return float(v)


def _object(obj: Any, keys: set[str], where: str, what: str) -> dict:
    """``obj`` as a JSON object holding only ``keys`` (TraceError naming ``where``)."""
    if not isinstance(obj, dict):
        raise TraceError(f"{where}: {what} must be a JSON object")
    unknown = sorted(set(obj) - keys)
    if unknown:
        raise TraceError(f"{where}: unknown key {unknown[0]!r} (valid: {sorted(keys)})")
    return obj


def _name(d: dict, key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise TraceError(f"{where}: {key} must be a non-empty string")
    return v


def _parse_call(rc: Any, program_where: str, index: int) -> CallSpec:
    where = f"{program_where} call #{index}"
    cid = _name(_object(rc, _CALL_KEYS, where, "a call"), "id", where)
    where = f"{program_where} call {cid!r}"
    after = rc.get("after", [])
    if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
        raise TraceError(f"{where}: after must be a list of call ids")
    ctx = rc.get("context_from")
    if ctx is not None and not isinstance(ctx, str):
        raise TraceError(f"{where}: context_from must be a call id")
    return CallSpec(
        id=cid,
        prompt_tokens=_int_field(rc, "prompt_tokens", where, 0 if ctx else 1),
        output_tokens=_int_field(rc, "output_tokens", where, 1),
        after=tuple(after),
        think_s=_float_field(rc, "think_s", where, 0.0),
        context_from=ctx,
    )


def _check_references(calls: list[CallSpec], where: str) -> None:
    """Every ``after``/``context_from`` names a known call; no cycles; a context source is
    an ancestor."""
    seen = {c.id for c in calls}
    for c in calls:
        for a in c.after:
            if a not in seen:
                raise TraceError(f"{where} call {c.id!r}: after names unknown call {a!r}")
            if a == c.id:
                raise TraceError(f"{where} call {c.id!r}: a call cannot wait for itself")
        if c.context_from is not None and c.context_from not in seen:
            raise TraceError(
                f"{where} call {c.id!r}: context_from names unknown call {c.context_from!r}"
            )
    try:
        anc = ancestors(calls)
    except ValueError as e:
        raise TraceError(f"{where}: {e}") from None
    for c in calls:
        if c.context_from is not None and c.context_from not in anc[c.id]:
            raise TraceError(
                f"{where} call {c.id!r}: context_from {c.context_from!r} must also be in "
                "after (directly or transitively): its output is needed first"
            )


def parse_program(obj: Any, where: str) -> ProgramSpec:
    """Validate one decoded trace line. ``where`` prefixes error messages (``file:line``)."""
    pid = _name(_object(obj, _PROGRAM_KEYS, where, "a program"), "program_id", where)
    where = f"{where}: program {pid!r}"
    arrival = _float_field(obj, "arrival_s", where)
    kind = obj.get("kind", "trace")
    if not isinstance(kind, str) or not kind:
        raise TraceError(f"{where}: kind must be a non-empty string")
    raw_calls = obj.get("calls")
    if not isinstance(raw_calls, list) or not raw_calls:
        raise TraceError(f"{where}: calls must be a non-empty list")
    calls: list[CallSpec] = []
    seen: set[str] = set()
    for i, rc in enumerate(raw_calls):
        call = _parse_call(rc, where, i)
        if call.id in seen:
            raise TraceError(f"{where} call {call.id!r}: duplicate call id")
        seen.add(call.id)
        calls.append(call)
    _check_references(calls, where)
    return ProgramSpec(pid, arrival, tuple(calls), kind)


def parse_trace(lines: Iterable[str], source: str = "<trace>") -> list[ProgramSpec]:
    """Parse JSONL lines (blank lines and lines starting with ``#`` are skipped)."""
    programs: list[ProgramSpec] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{source}:{lineno}"
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise TraceError(f"{where}: invalid JSON: {e.msg} (column {e.colno})") from None
        prog = parse_program(obj, where)
        if prog.program_id in seen:
            raise TraceError(
                f"{where}: duplicate program_id {prog.program_id!r} "
                f"(first on line {seen[prog.program_id]})"
            )
        seen[prog.program_id] = lineno
        programs.append(prog)
    if not programs:
        raise TraceError(f"{source}: the trace holds no programs")
    programs.sort(key=lambda p: p.arrival_s)
    return programs


def load_trace(path: str | Path) -> list[ProgramSpec]:
    """Read and validate a JSONL trace file, plain or gzipped
    (:func:`vllm_nexus.bench.report.read_text`: traces are committed gzipped under
    docs/results/)."""
    from vllm_nexus.bench.report import read_text

    p = Path(path)
    try:
        text = read_text(p)
    except (OSError, EOFError) as e:  # EOFError: a truncated .gz
        raise TraceError(f"{p}: cannot read trace: {getattr(e, 'strerror', None) or e}") from None
    return parse_trace(text.splitlines(), str(p))


def dump_trace(programs: Iterable[ProgramSpec], path: str | Path) -> None:
    """Write programs as JSONL (the format :func:`load_trace` reads)."""
    with Path(path).open("w", encoding="utf-8") as f:
        for prog in programs:
            f.write(json.dumps(prog.to_dict(), separators=(",", ":")) + "\n")
