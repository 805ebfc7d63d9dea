"""The load a calibration or speed probe sends to a real server, and the phase markers it
writes into the server's step log: one unstreamed completion of a fixed prompt and length, and
one marker line. Shared by :mod:`vllm_nexus.sim.calibrate` and :mod:`vllm_nexus.sim.speed`.
No vLLM import (plain HTTP)."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

FRONTEND_PHASE, BURST_PHASE, BURST_END_PHASE = "frontend", "burst", "burst-end"
"""Phase markers in the calibration log: the streaming phase (after the designed load), the
frontend-saturating burst, its end."""
AGENT_PHASE = "agent-load"
"""Marker of the streaming phase's agentic load (calibrations since 2026-12-05 (f)): a
tuning family's programs replayed by the ``bench`` client, calls arriving while others
stream, as in a loaded run."""
STREAMS_PHASE = "stream-groups"
"""Marker of the streaming phase's groups of 2-8 concurrent streams (calibrations since
2026-12-05 (f)); a log with it has the stream counts the delay's knee is fitted on."""


def complete(base: str, model: str, prompt: list[int], max_tokens: int) -> float:
    """One unstreamed ``/v1/completions`` call of ``prompt`` (token ids) for exactly
    ``max_tokens`` tokens (``ignore_eos``, greedy); returns its wall time in seconds. Raises
    ``RuntimeError`` when the server returns another number of tokens."""
    body = json.dumps(
        {
            "model": model,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "ignore_eos": True,
            "temperature": 0.0,
        }
    ).encode()
    req = urllib.request.Request(
        f"{base}/v1/completions", body, {"Content-Type": "application/json"}
    )
    t0 = time.time()
    with urllib.request.urlopen(req, timeout=600) as r:
        data = json.loads(r.read())
    if data["usage"]["completion_tokens"] != max_tokens:
        raise RuntimeError(f"server returned {data['usage']['completion_tokens']} tokens")
    return time.time() - t0


def mark(log: Path, phase: str) -> float:
    """Append a phase marker to the step log (the engine appends too: whole small lines);
    returns its time."""
    now = time.time()
    with open(log, "a") as f:
        f.write(json.dumps({"phase": phase, "t": now}) + "\n")
    return now
