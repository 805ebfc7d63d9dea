"""Program-level metrics of a benchmark run (Autellix §6.1). Pure Python: no vLLM import.

Times are seconds from the run start. For one program:

* **e2e latency** = end of its last call - its arrival;
* **program token latency** = e2e / output tokens of the whole program (s/token). For a
  parallel program the e2e time *is* its critical-path time, so this is the paper's
  "critical-path time / total tokens"; ``token_latency_cp`` divides by the tokens of the
  measured critical path instead (sequential programs: identical);
* the **critical path** is measured: start from the call that ended last and repeatedly step
  to the parent (``after``) that ended last. Its time splits exactly into *think* (tool/think
  delay and client lag: ready -> sent), *TTFT* (sent -> first token: queueing, prefill and
  recompute after preemption) and *decode* (first -> last token) of the calls on it.

Per call: TTFT and TBT (mean time between output tokens of the call). Failures are counted and
kept with their messages, never dropped; a program with a failed call has no latency.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CallRecord:
    """What happened to one call (all times in seconds from the run start; None = never)."""

    call_id: str
    after: list[str]
    prompt_tokens_expected: int
    output_tokens_expected: int
    ready_s: float | None = None
    send_s: float | None = None
    first_token_s: float | None = None
    end_s: float | None = None
    prompt_tokens: int | None = None
    output_tokens: int = 0
    max_gap_s: float | None = None
    retries: int = 0
    error: str | None = None
    max_gap_end_s: float | None = None
    """When the largest gap between two output chunks ended (run time)."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.end_s is not None

    @property
    def ttft_s(self) -> float | None:
        if self.send_s is None or self.first_token_s is None:
            return None
        return self.first_token_s - self.send_s

    @property
    def tbt_s(self) -> float | None:
        """Mean time between output tokens (None for a single-token output)."""
        if self.first_token_s is None or self.end_s is None or self.output_tokens < 2:
            return None
        return (self.end_s - self.first_token_s) / (self.output_tokens - 1)


@dataclass
class ProgramRecord:
    program_id: str
    kind: str
    arrival_s: float
    calls: list[CallRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.calls)

    @property
    def end_s(self) -> float | None:
        return max(c.end_s for c in self.calls) if self.ok else None

    @property
    def e2e_s(self) -> float | None:
        end = self.end_s
        return None if end is None else end - self.arrival_s

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens for c in self.calls)

    @property
    def token_latency_s(self) -> float | None:
        e2e = self.e2e_s
        toks = self.output_tokens
        return None if e2e is None or toks == 0 else e2e / toks

    def critical_path(self) -> list[CallRecord]:
        """Calls on the measured critical path, first to last (empty if the program failed)."""
        if not self.ok:
            return []
        by_id = {c.call_id: c for c in self.calls}
        cur = max(self.calls, key=lambda c: c.end_s)
        path = [cur]
        while cur.after:
            cur = max((by_id[a] for a in cur.after), key=lambda c: c.end_s)
            path.append(cur)
        path.reverse()
        return path

    @property
    def token_latency_cp_s(self) -> float | None:
        e2e = self.e2e_s
        toks = sum(c.output_tokens for c in self.critical_path())
        return None if e2e is None or toks == 0 else e2e / toks

    def breakdown(self) -> dict[str, float] | None:
        """Critical-path time split into think, ttft and decode seconds (sums to e2e)."""
        path = self.critical_path()
        if not path:
            return None
        think = ttft = decode = 0.0
        prev_end = self.arrival_s
        for c in path:
            think += c.send_s - prev_end  # dependency wait is 0 on the critical path
            ttft += c.first_token_s - c.send_s
            decode += c.end_s - c.first_token_s
            prev_end = c.end_s
        return {"think_s": think, "ttft_s": ttft, "decode_s": decode}

    def to_dict(self) -> dict[str, Any]:
        return {
            "program_id": self.program_id,
            "kind": self.kind,
            "arrival_s": self.arrival_s,
            "calls": [asdict(c) for c in self.calls],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProgramRecord:
        return cls(
            program_id=d["program_id"],
            kind=d["kind"],
            arrival_s=d["arrival_s"],
            calls=[CallRecord(**c) for c in d["calls"]],
        )


def percentile(values: Sequence[float], q: float) -> float:
    """q-th percentile (0..100) with linear interpolation between order statistics."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return float(xs[0])
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def stats(values: Iterable[float | None]) -> dict[str, float]:
    """count, mean, p50, p95, p99, max of the non-None values (NaN when empty)."""
    xs = [float(v) for v in values if v is not None]
    if not xs:
        nan = math.nan
        return {"count": 0, "mean": nan, "p50": nan, "p95": nan, "p99": nan, "max": nan}
    return {
        "count": len(xs),
        "mean": sum(xs) / len(xs),
        "p50": percentile(xs, 50),
        "p95": percentile(xs, 95),
        "p99": percentile(xs, 99),
        "max": max(xs),
    }


def summarize(programs: Sequence[ProgramRecord], duration_s: float | None = None) -> dict:
    """Summary of one run: latency stats, throughput, failures, breakdown, per-class stats.

    ``duration_s`` defaults to (last call end - first arrival).
    """
    calls = [c for p in programs for c in p.calls]
    ok_programs = [p for p in programs if p.ok]
    ends = [c.end_s for c in calls if c.end_s is not None]
    if duration_s is None:
        start = min((p.arrival_s for p in programs), default=0.0)
        duration_s = (max(ends) - start) if ends else 0.0
    out_tokens = sum(c.output_tokens for c in calls)
    errors = Counter(c.error for c in calls if c.error is not None)
    breakdowns = [b for b in (p.breakdown() for p in ok_programs) if b is not None]
    e2e_total = sum(p.e2e_s for p in ok_programs)
    bd = {k: sum(b[k] for b in breakdowns) for k in ("think_s", "ttft_s", "decode_s")}
    prompt_dev = [
        abs(c.prompt_tokens - c.prompt_tokens_expected) / c.prompt_tokens_expected
        for c in calls
        if c.ok and c.prompt_tokens is not None and c.prompt_tokens_expected > 0
    ]
    out_short = sum(1 for c in calls if c.ok and c.output_tokens != c.output_tokens_expected)
    per_kind: dict[str, dict] = {}
    for kind in sorted({p.kind for p in programs}):
        ps = [p for p in ok_programs if p.kind == kind]
        per_kind[kind] = {
            "programs": sum(1 for p in programs if p.kind == kind),
            "token_latency_s": stats(p.token_latency_s for p in ps),
            "e2e_s": stats(p.e2e_s for p in ps),
        }
    return {
        "programs": len(programs),
        "programs_ok": len(ok_programs),
        "programs_failed": len(programs) - len(ok_programs),
        "calls": len(calls),
        "calls_ok": sum(1 for c in calls if c.ok),
        "calls_failed": sum(1 for c in calls if c.error is not None),
        "calls_not_sent": sum(1 for c in calls if c.error is None and c.end_s is None),
        "retries": sum(c.retries for c in calls),
        "errors": dict(errors.most_common()),
        "duration_s": duration_s,
        "output_tokens": out_tokens,
        "throughput": {
            "output_tokens_per_s": out_tokens / duration_s if duration_s > 0 else math.nan,
            "programs_per_s": len(ok_programs) / duration_s if duration_s > 0 else math.nan,
            "calls_per_s": len(ends) / duration_s if duration_s > 0 else math.nan,
        },
        "program_e2e_s": stats(p.e2e_s for p in ok_programs),
        "program_token_latency_s": stats(p.token_latency_s for p in ok_programs),
        "program_token_latency_cp_s": stats(p.token_latency_cp_s for p in ok_programs),
        "ttft_s": stats(c.ttft_s for c in calls if c.ok),
        "tbt_s": stats(c.tbt_s for c in calls if c.ok),
        "breakdown_fraction": {
            k.removesuffix("_s"): (v / e2e_total if e2e_total > 0 else math.nan)
            for k, v in bd.items()
        },
        "prompt_tokens_max_rel_dev": max(prompt_dev) if prompt_dev else math.nan,
        "prompt_tokens_within_5pct": (
            sum(1 for d in prompt_dev if d <= 0.05) / len(prompt_dev) if prompt_dev else math.nan
        ),
        "calls_with_wrong_output_length": out_short,
        "per_kind": per_kind,
    }


def throughput_at_latency(points: Sequence[tuple[float, float]], slo: float) -> dict[str, Any]:
    """Highest arrival rate whose latency stays under ``slo`` (Autellix's throughput metric).

    ``points``: (rate, mean program token latency) pairs. Returns ``max_rate`` (the highest
    measured rate meeting the SLO such that all lower rates meet it too), ``interp_rate``
    (linear interpolation of the crossing between that rate and the next), and ``censored``
    (True when even the highest rate meets the SLO: the true value is higher).
    """
    pts = sorted((r, lat) for r, lat in points if lat is not None and not math.isnan(lat))
    best: float | None = None
    interp: float | None = None
    censored = False
    for i, (rate, lat) in enumerate(pts):
        if lat > slo:
            if best is not None:
                r0, l0 = pts[i - 1]
                interp = r0 + (rate - r0) * (slo - l0) / (lat - l0)
            break
        best = rate
    else:
        censored = bool(pts)
        interp = best
    return {"slo": slo, "max_rate": best, "interp_rate": interp, "censored": censored}
