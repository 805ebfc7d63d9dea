"""Call by call: a recorded run's send times replayed into the simulator, and the two runs
compared call by call (since 2026-12-06 (g); docs/simulator.md, "Call by call").

A closed-loop simulation sends each call when the simulated parents finish, so a difference in
one call's latency moves every later send and compounds. With the recorded send times replayed
(``vllm-nexus simulate --send-times RESULT``), each call is sent when it was sent in the
recorded run, or when the simulation releases it if that is later. Each call's time to first
token and end to end can then be compared with the same call in the recorded run
(``simulate fidelity --call-by-call``). A scheduler that matches call by call matches in its
decisions; one that does not shows which calls it serves differently.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Iterator
from typing import Any

RATE_TOLERANCE = 1e-6
"""Relative difference under which a recorded run's rate is the simulated one."""


def run_at(result: dict[str, Any], rate: float) -> dict[str, Any]:
    """The run of a bench or simulate ``result`` recorded at ``rate`` (ValueError naming the
    rates it has, if none)."""
    runs = result.get("runs") or []
    for run in runs:
        r = float(run.get("rate") or 0.0)
        if abs(r - rate) <= RATE_TOLERANCE * max(abs(rate), 1.0):
            return run
    have = ", ".join(f"{float(r.get('rate') or 0.0):g}" for r in runs) or "none"
    raise ValueError(f"the recorded result has no run at rate {rate:g}/s (it has: {have})")


def recorded_sends(run: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(program id, call id) -> send time (seconds from the run's start) of every call a
    recorded run sent."""
    out: dict[tuple[str, str], float] = {}
    for prog in run.get("programs") or []:
        for call in prog.get("calls") or []:
            if call.get("send_s") is not None:
                out[(prog["program_id"], call["call_id"])] = float(call["send_s"])
    return out


def _calls(run: dict[str, Any]) -> Iterator[tuple[tuple[str, str], bool, float, float]]:
    """(key, first call of its program, time to first token, end to end) of each finished
    call of a run (bench format)."""
    for prog in run.get("programs") or []:
        for i, call in enumerate(prog.get("calls") or []):
            send, first, end = call.get("send_s"), call.get("first_token_s"), call.get("end_s")
            if send is None or first is None or end is None or call.get("error"):
                continue
            yield (prog["program_id"], call["call_id"]), i == 0, first - send, end - send


GROUPS = ("first calls", "later calls", "all calls")


def compare(pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Call-by-call comparison of (recorded run, simulated run with its send times) pairs,
    pooled: per group (a program's first calls, its later calls, all), the calls found in
    both and the ratios sim / recorded of the mean time to first token and of the mean end to
    end. A group with no call is left out."""
    acc: dict[str, list[tuple[float, float, float, float]]] = {g: [] for g in GROUPS}
    for real, sim in pairs:
        simulated = {key: (ttft, e2e) for key, _, ttft, e2e in _calls(sim)}
        for key, first, ttft, e2e in _calls(real):
            got = simulated.get(key)
            if got is None:
                continue
            row = (got[0], ttft, got[1], e2e)
            acc["first calls" if first else "later calls"].append(row)
            acc["all calls"].append(row)
    out: dict[str, dict[str, float]] = {}
    for g, rows in acc.items():
        if not rows:
            continue
        s_ttft, r_ttft, s_e2e, r_e2e = (statistics.fmean(x[k] for x in rows) for k in range(4))
        out[g] = {
            "calls": float(len(rows)),
            "ttft_sim_s": s_ttft,
            "ttft_real_s": r_ttft,
            "ttft_ratio": s_ttft / r_ttft if r_ttft > 0 else float("nan"),
            "e2e_sim_s": s_e2e,
            "e2e_real_s": r_e2e,
            "e2e_ratio": s_e2e / r_e2e if r_e2e > 0 else float("nan"),
        }
    return out
