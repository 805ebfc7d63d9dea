"""Parallel stages: ranking the calls of programs whose calls run in parallel.

Autellix ranks a new call by its program's attained service at the call's arrival (PLAS, or
the critical path for ATLAS, §4.2). On programs that fan out (map-reduce, tree search) that
order loses to FCFS (docs/benchmarks.md, "Parallel stages"): the call that closes a fan-out
(the reduce, the selection step) enters behind its own siblings' service, i.e. behind every
newer program's fan-out, and a wide fan-out enters its whole width at one level ahead of
narrower programs that arrive after it, which an SRPT oracle would serve first.

The calls a program has in flight together form a *stage* (``parallel_stages``):

- ``gang``: a call arriving while its program has calls in flight joins their stage and
  enters at the program's service when the stage began (siblings share a level even when
  some finished first);
- ``join``: ``gang``, and the call arriving once a stage of >= 2 parallel calls has finished
  belongs to that stage (its start priority); the call after it starts a new stage;
- ``spread``: ``join``, and the k-th sibling in flight enters at the stage start + (k-1) x
  the median call service: ranked as if the siblings in flight had run before it (LAS on the
  work the program has committed to), so a wide fan-out sinks below narrow programs while
  its first calls keep their place.

``stage_rerank`` (applied in :mod:`vllm_nexus.programs.queues`): the stage's calls still
queued and not yet run are re-levelled as the stage grows (``width``: all at the stage
start + (widest in flight - 1) x the median call service, where ``spread`` puts the last
sibling; ``remaining``: with the calls in flight now, so the stage also rises as it
drains). The fan-out width is the size signal a stage shows at its start: a program that
fans out k calls has committed to k calls' work, and its first siblings served early do
not finish it sooner. Work is done only when the stage's level changes.

``stage_order``: a stage's calls (and its join) share the FCFS position of its first call;
under ``spread`` only the join does (each sibling keeps its own arrival).
A program with one call in flight at a time is never affected. A stage in which a call was
aborted has no join: the call after it (typically the client's retry) starts a new stage at
the program's full service, so aborting calls cannot buy back a start priority. O(1) per
arriving call.
Pure Python, no vLLM import.
"""

from __future__ import annotations

from vllm_nexus.programs.table import Program

STAGE_POLICIES = ("atlas", "plas", "gittins")
"""Program-level policies stages apply to (call-level mlfq and fcfs keep no program rank)."""


def stage_entry(
    prog: Program, idle: bool, enter: float, mode: str, order: bool, typical: float
) -> tuple[float, float]:
    """Start priority and FCFS position of a new call of ``prog`` (``prog.active_calls``
    already counts it; ``idle``: no call of it was in flight before; ``typical``: the median
    service of recent calls). Updates the program's stage state."""
    if mode == "off":
        return prog.service, enter
    if not idle:  # a sibling of the calls in flight: the same stage
        if prog.stage_width < 2:
            prog.fanouts += 1  # the stage became a fan-out
        prog.stage_width = max(prog.stage_width, prog.active_calls)
        if mode == "spread":
            return prog.stage_start + (prog.active_calls - 1) * typical, enter
    elif mode != "gang" and prog.stage_width >= 2 and not prog.stage_aborted:
        prog.stage_width = 1  # it closes a fan-out: part of it; the call after starts anew
    else:  # a new stage
        prog.stage_start, prog.stage_enter, prog.stage_width = prog.service, enter, 1
        prog.stage_aborted = False
        return prog.service, enter
    return prog.stage_start, prog.stage_enter if order else enter


def stage_call_aborted(prog: Program) -> None:
    """A call of ``prog`` was aborted: its current stage gets no join call."""
    prog.stage_aborted = True
