"""Benchmark results: the JSON result file, markdown tables, comparisons and plots.

A result file holds one *label* (e.g. one scheduler) and any number of runs (rates,
repetitions). The simulator writes the same format with ``"simulated": true``, so
``vllm-nexus bench compare`` reads both. Layout::

    {"kind": "vllm-nexus-bench-result", "format_version": 1, "label": "stock",
     "simulated": false, "created": "...", "config": {...}, "environment": {...},
     "slo": 0.05 | null,
     "runs": [{"rate": 2.0, "repetition": 0, "salt": "...", "duration_s": 61.2,
               "summary": {...metrics.summarize...}, "server": {...} | null,
               "programs": [...ProgramRecord.to_dict...]}]}

Repetitions at one rate are aggregated by the mean of their per-run values.
"""

from __future__ import annotations

import errno
import gzip
import json
import math
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vllm_nexus.bench.metrics import ProgramRecord, summarize, throughput_at_latency

RESULT_KIND = "vllm-nexus-bench-result"
FORMAT_VERSION = 1


class ResultError(ValueError):
    """An unreadable or malformed result file."""


def run_entry(
    rate: float,
    records: Sequence[ProgramRecord],
    duration_s: float | None,
    *,
    salt: str = "",
    repetition: int = 0,
    server: dict | None = None,
    keep_programs: bool = True,
) -> dict[str, Any]:
    """One run's entry of a result file (summary computed here)."""
    return {
        "rate": rate,
        "repetition": repetition,
        "salt": salt,
        "duration_s": duration_s,
        "summary": summarize(records, duration_s),
        "server": server,
        "programs": [p.to_dict() for p in records] if keep_programs else [],
    }


def environment() -> dict[str, Any]:
    """Client-side machine description (the server's is added by the caller if known)."""
    import os

    from vllm_nexus import __version__

    return {
        "vllm_nexus": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def make_result(
    label: str,
    config: dict[str, Any],
    runs: list[dict[str, Any]],
    *,
    slo: float | None = None,
    simulated: bool = False,
    env: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "kind": RESULT_KIND,
        "format_version": FORMAT_VERSION,
        "label": label,
        "simulated": simulated,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": config,
        "environment": env if env is not None else environment(),
        "slo": slo,
        "runs": runs,
    }


def save_result(result: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(result, indent=1, allow_nan=True) + "\n", encoding="utf-8")
    return p


def plain_or_gz(path: str | Path) -> Path | None:
    """``path`` if it exists, else its gzipped twin ``path.gz`` if that exists (results and
    step logs are committed gzipped), else None: the plain file wins when both exist."""
    p = Path(path)
    if p.exists():
        return p
    gz = p.with_name(p.name + ".gz")
    return gz if gz.exists() else None


def read_text(path: str | Path) -> str:
    """The text of ``path``, or of ``path.gz`` when only that exists (:func:`plain_or_gz`); a
    file named ``*.gz`` is decompressed. FileNotFoundError when neither exists."""
    p = plain_or_gz(path)
    if p is None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory (nor .gz)", str(path))
    if p.suffix == ".gz":
        return gzip.decompress(p.read_bytes()).decode("utf-8")
    return p.read_text(encoding="utf-8")


def load_result(path: str | Path) -> dict[str, Any]:
    """A result file, plain or gzipped (``result.json`` or, if only that exists,
    ``result.json.gz``: :func:`read_text`); ResultError if unreadable or malformed."""
    p = plain_or_gz(path) or Path(path)
    try:
        data = json.loads(read_text(p))
    except (OSError, EOFError) as e:  # EOFError: a truncated .gz
        raise ResultError(f"{p}: cannot read: {getattr(e, 'strerror', None) or e}") from None
    except json.JSONDecodeError as e:
        raise ResultError(f"{p}: not JSON: {e.msg} (line {e.lineno})") from None
    if not isinstance(data, dict) or data.get("kind") != RESULT_KIND:
        raise ResultError(f"{p}: not a vllm-nexus bench result (missing kind={RESULT_KIND!r})")
    if data.get("format_version") != FORMAT_VERSION:
        raise ResultError(f"{p}: unsupported format_version {data.get('format_version')!r}")
    if not isinstance(data.get("runs"), list) or not data["runs"]:
        raise ResultError(f"{p}: no runs")
    data.setdefault("_path", str(p))
    return data


def merge_results(parts: Sequence[dict], label: str | None = None) -> dict[str, Any]:
    """One result holding the runs of several (e.g. one per rate and repetition); runs at the
    same rate are numbered as repetitions in the order given."""
    if not parts:
        raise ResultError("nothing to merge")
    seen: dict[float, int] = {}
    runs = []
    for part in parts:
        for run in part["runs"]:
            rate = float(run["rate"])
            runs.append({**run, "repetition": seen.get(rate, 0)})
            seen[rate] = seen.get(rate, 0) + 1
    first = parts[0]
    return make_result(
        label or first["label"],
        first.get("config", {}),
        runs,
        slo=None,  # the parts' SLOs were derived from their own runs
        simulated=bool(first.get("simulated")),
        env=first.get("environment", {}),
    )


# ---------------------------------------------------------------- aggregation


def _get(summary: dict, dotted: str) -> float | None:
    cur: Any = summary
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    if cur is None or (isinstance(cur, float) and math.isnan(cur)):
        return None
    return float(cur)


def by_rate(result: dict, metric: str) -> dict[float, list[float]]:
    """metric (dotted path into a run summary) per rate, one value per repetition."""
    out: dict[float, list[float]] = {}
    for run in result["runs"]:
        v = _get(run["summary"], metric)
        if v is not None:
            out.setdefault(float(run["rate"]), []).append(v)
    return dict(sorted(out.items()))


def curve(result: dict, metric: str = "program_token_latency_s.mean") -> list[tuple[float, float]]:
    """(rate, mean over repetitions) points of a metric."""
    return [(r, statistics.fmean(vs)) for r, vs in by_rate(result, metric).items()]


def default_slo(result: dict, factor: float = 3.0) -> float | None:
    """``factor`` x the mean program token latency at the result's lowest rate."""
    pts = curve(result)
    return factor * pts[0][1] if pts else None


def tput_at_latency(
    result: dict, slo: float, metric: str = "program_token_latency_s.mean"
) -> dict[str, Any]:
    return throughput_at_latency(curve(result, metric), slo)


# ---------------------------------------------------------------- markdown


def _ms(v: float | None) -> str:
    return "—" if v is None or math.isnan(v) else f"{v * 1000:.1f}"


def _num(v: float | None, fmt: str = ".2f") -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _agg(runs: list[dict], metric: str) -> float | None:
    vals = [v for v in (_get(r["summary"], metric) for r in runs) if v is not None]
    return statistics.fmean(vals) if vals else None


def markdown_summary(result: dict) -> str:
    """One row per rate (repetitions averaged): latencies in ms, throughput, failures."""
    groups: dict[float, list[dict]] = {}
    for run in result["runs"]:
        groups.setdefault(float(run["rate"]), []).append(run)
    sim = " (simulated)" if result.get("simulated") else ""
    lines = [
        f"### {result['label']}{sim}",
        "",
        "| rate (prog/s) | reps | programs ok/failed | token lat. mean / P50 / P95 / P99 "
        "(ms/tok) | e2e mean / P99 (s) | TTFT mean / P99 (ms) | TBT mean (ms) | out tok/s "
        "| think / TTFT / decode (% of e2e) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rate, runs in sorted(groups.items()):
        ok = sum(r["summary"]["programs_ok"] for r in runs)
        failed = sum(r["summary"]["programs_failed"] for r in runs)
        tl = "/".join(
            _ms(_agg(runs, f"program_token_latency_s.{k}")) for k in ("mean", "p50", "p95", "p99")
        )
        bd = " / ".join(
            _num(100 * v if v is not None else None, ".0f")
            for v in (_agg(runs, f"breakdown_fraction.{k}") for k in ("think", "ttft", "decode"))
        )
        lines.append(
            f"| {rate:g} | {len(runs)} | {ok}/{failed} | {tl} | "
            f"{_num(_agg(runs, 'program_e2e_s.mean'))} / {_num(_agg(runs, 'program_e2e_s.p99'))}"
            f" | {_ms(_agg(runs, 'ttft_s.mean'))} / {_ms(_agg(runs, 'ttft_s.p99'))} | "
            f"{_ms(_agg(runs, 'tbt_s.mean'))} | "
            f"{_num(_agg(runs, 'throughput.output_tokens_per_s'), '.0f')} | {bd} |"
        )
    slo = result.get("slo")
    if slo and len(groups) > 1:  # a single rate has no latency-vs-rate curve
        t = tput_at_latency(result, slo)
        lines += ["", _tal_sentence(result["label"], t)]
    stalled = [
        r["client_loop"] for r in result["runs"] if (r.get("client_loop") or {}).get("stalls")
    ]
    if stalled:  # the client itself was late: its latencies include its own stalls
        lines += [
            "",
            f"Client event-loop stalls over {stalled[0]['threshold_s'] * 1e3:g} ms: "
            f"{sum(c['stalls'] for c in stalled)} in {len(stalled)} of {len(result['runs'])} "
            f"runs, {sum(c['stall_s'] for c in stalled):.2f} s in all, the largest "
            f"{max(c['max_stall_s'] for c in stalled) * 1e3:.0f} ms; of the stalled time "
            f"{sum(c.get('on_cpu_s', math.nan) for c in stalled):.2f} s on a CPU, "
            f"{sum(c.get('run_queue_s', math.nan) for c in stalled):.2f} s waiting for one "
            "(`client_loop` in result.json): the client, not the server, delayed those streams.",
        ]
    return "\n".join(lines) + "\n"


def _server_mean(runs: list[dict], key: str) -> float | None:
    vals = [v for v in (_get(r.get("server") or {}, key) for r in runs) if v is not None]
    return statistics.fmean(vals) if vals else None


def _recomputed(run: dict) -> float | None:
    """Tokens recomputed after preemption in one run: the vllm_nexus counter, or 0 when the
    server preempted nothing (stock vLLM has no such counter), else unknown."""
    srv = run.get("server") or {}
    if "vllm_nexus_recomputed_tokens_total" in srv:
        return float(srv["vllm_nexus_recomputed_tokens_total"])
    if "vllm_nexus_preempted_tokens_total" in srv:  # counter exported, its delta was 0
        return 0.0
    if srv and not srv.get("preemptions") and not srv.get("vllm_nexus_preemptions_total"):
        return 0.0
    return None


def computed_tokens(
    server: dict, recomputed: float | None, simulated: bool = False
) -> float | None:
    """Tokens the engine computed in one run, recompute after preemption included.

    vLLM's ``vllm:iteration_tokens_total`` (``engine_steps`` x ``tokens_per_step``) counts each
    request's first prefill and its generated tokens only (its output processor counts prompt
    tokens while a request is first prefilling), so the recomputed tokens are added to it. The
    simulator's steps already carry them (``simulated``)."""
    steps, per_step = server.get("engine_steps"), server.get("tokens_per_step")
    if not steps or not per_step:
        return None
    return steps * per_step + (0.0 if simulated or recomputed is None else recomputed)


def recompute_share(server: dict | None, simulated: bool = False) -> float | None:
    """Tokens recomputed after preemption as a share of all tokens computed in one run (None:
    unknown, e.g. stock vLLM after preemptions: it exports no recompute counter)."""
    if not server:
        return None
    rec = _recomputed({"server": server})
    total = computed_tokens(server, rec, simulated)
    return None if rec is None or not total else rec / total


BREAKDOWN_HEADING = "Where program time goes (repetitions averaged):"


def time_breakdown_table(results: Sequence[dict]) -> str:
    """Where program time goes, per scheduler and rate (repetitions averaged).

    Client side: share of program end-to-end time on the critical path spent in think/tool
    time, waiting for first tokens and decoding. Engine side (``/metrics`` deltas): mean time
    per call in the queue (arrival to first scheduled), in prefill and in decode (which
    includes waiting and recompute after a preemption), preemptions, and tokens recomputed
    after preemption as a share of all tokens the engine computed (recompute included,
    :func:`computed_tokens`). Counters the server does
    not export show as "—" (delta 0 counters are omitted from results, so a missing counter
    with no preemptions reads as 0)."""
    lines = [
        "| scheduler | rate | think / TTFT / decode (% of e2e) | engine per call: queue / "
        "prefill / decode (ms) | preemptions | KV tokens dropped / recomputed | recomputed "
        "(% of computed tokens) | engine steps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        groups: dict[float, list[dict]] = {}
        for run in res["runs"]:
            groups.setdefault(float(run["rate"]), []).append(run)
        for rate, runs in sorted(groups.items()):
            bd = " / ".join(
                _num(100 * v if v is not None else None, ".0f")
                for v in (
                    _agg(runs, f"breakdown_fraction.{k}") for k in ("think", "ttft", "decode")
                )
            )
            eng = " / ".join(
                _ms(_server_mean(runs, f"mean_{k}_s")) for k in ("queue", "prefill", "decode")
            )
            pre = _server_mean(runs, "preemptions")
            rec_vals = [_recomputed(r) for r in runs]
            known = None not in rec_vals and bool(rec_vals)
            rec = statistics.fmean(rec_vals) if known else None  # type: ignore[arg-type]
            dropped = _server_mean(runs, "vllm_nexus_preempted_tokens_total")
            if dropped is None and rec == 0.0:
                dropped = 0.0
            computed = [
                c
                for r, rv in zip(runs, rec_vals, strict=True)
                if (c := computed_tokens(r.get("server") or {}, rv, bool(res.get("simulated"))))
            ]
            share = (
                100 * rec / statistics.fmean(computed)
                if rec is not None and len(computed) == len(runs)
                else None
            )
            lines.append(
                f"| {res['label']} | {rate:g} | {bd} | {eng} | {_num(pre, '.0f')} | "
                f"{_num(dropped, ',.0f')} / {_num(rec, ',.0f')} | {_num(share, '.1f')} | "
                f"{_num(_server_mean(runs, 'engine_steps'), ',.0f')} |"
            )
    return "\n".join(lines) + "\n"


def _tal_sentence(label: str, t: dict) -> str:
    if t["max_rate"] is None:
        return f"Throughput at latency (SLO {t['slo'] * 1000:.1f} ms/token): {label}: none met."
    more = " (SLO met at every measured rate: a lower bound)" if t["censored"] else ""
    return (
        f"Throughput at latency (SLO {t['slo'] * 1000:.1f} ms/token): {label}: "
        f"{t['max_rate']:g} prog/s measured, {t['interp_rate']:.2f} interpolated{more}."
    )


def compare_table(
    results: Sequence[dict], slo: float | None = None, slo_factor: float = 3.0
) -> str:
    """Side-by-side program token latency (mean/P95/P99) and program end-to-end latency
    (mean/P95) per rate, with ratios to the first result, which of the two moved, and
    throughput at latency (overall and per program class)."""
    if not results:
        raise ResultError("nothing to compare")
    base = results[0]
    explicit_slo = slo is not None
    if slo is None:
        slo = base.get("slo") or default_slo(base, slo_factor)
    labels = [r["label"] + (" (sim)" if r.get("simulated") else "") for r in results]
    rates = sorted({float(run["rate"]) for r in results for run in r["runs"]})
    out = [f"Baseline: {labels[0]}. Ratios = baseline / other (>1: other is faster).", ""]
    for stat in ("mean", "p95", "p99"):
        out += _ratio_table(results, labels, rates, f"program_token_latency_s.{stat}",
                            f"{stat} (ms/tok)", _ms)  # fmt: skip
    out += ["Program end-to-end latency (s): what a user waits for a whole program.", ""]
    for stat in ("mean", "p95"):
        out += _ratio_table(results, labels, rates, f"program_e2e_s.{stat}", f"{stat} e2e (s)",
                            _num)  # fmt: skip
    out += [moved_summary(results), ""]
    out += _class_table(results, labels, rates)
    if slo and (explicit_slo or len(rates) > 1):
        out += _tal_tables(results, labels, slo, slo_factor, explicit_slo)
    return "\n".join(out)


def _ratio_table(
    results: Sequence[dict], labels: list[str], rates: list[float], metric: str, head: str, fmt: Any
) -> list[str]:
    curves = [dict(curve(r, metric)) for r in results]
    row0 = "| rate | " + " | ".join(f"{lb} {head}" for lb in labels)
    row0 += "".join(f" | ratio {lb}" for lb in labels[1:]) + " |"
    out = [row0, "|" + "---|" * (1 + 2 * len(labels) - 1)]
    for rate in rates:
        vals = [c.get(rate) for c in curves]
        row = f"| {rate:g} | " + " | ".join(fmt(v) for v in vals)
        for v in vals[1:]:
            ratio = vals[0] / v if (vals[0] is not None and v) else None
            row += f" | {_num(ratio)}x"
        out.append(row + " |")
    return out + [""]


MOVED = 1.10
"""A ratio beyond 1.10x either way counts as moved (this machine's A/A noise is ~30% per
cell, so read a single 'moved' with care; repetitions are averaged first)."""


def moved_summary(results: Sequence[dict]) -> str:
    """Per result and rate: the mean program token latency ratio beside the mean program
    end-to-end latency ratio against the first result, and which of the two moved.

    They can part: the token latency is a mean over programs of e2e / output tokens, so it
    weighs short programs heavily; serving short programs first lowers it even when the mean
    e2e, dominated by long programs, stays or grows."""
    base = results[0]
    tok0 = dict(curve(base, "program_token_latency_s.mean"))
    e2e0 = dict(curve(base, "program_e2e_s.mean"))
    parts = []
    for r in results[1:]:
        tok, e2e = (
            dict(curve(r, "program_token_latency_s.mean")),
            dict(curve(r, "program_e2e_s.mean")),
        )
        for rate in sorted(set(tok0) & set(tok) & set(e2e0) & set(e2e)):
            t, e = tok0[rate] / tok[rate], e2e0[rate] / e2e[rate]
            parts.append(f"{r['label']} at {rate:g} prog/s: token latency {t:.2f}x, end-to-end "
                         f"{e:.2f}x ({_which_moved(t, e)})")  # fmt: skip
    if not parts:
        return "Which moved: no common rates."
    return (
        "Which moved (mean program token latency vs mean program end-to-end latency, "
        f"ratio = {base['label']} / other, moved = beyond {MOVED:.2f}x): " + "; ".join(parts) + "."
    )


def _which_moved(tok: float, e2e: float) -> str:
    def moved(x: float) -> bool:
        return x > MOVED or x < 1 / MOVED

    if moved(tok) and moved(e2e):
        return "both moved" if (tok > 1) == (e2e > 1) else "both moved, in opposite directions"
    if moved(tok):
        return "only token latency moved"
    if moved(e2e):
        return "only end-to-end latency moved"
    return "neither moved"


def _class_table(results: Sequence[dict], labels: list[str], rates: list[float]) -> list[str]:
    kinds = sorted({k for r in results for run in r["runs"] for k in run["summary"]["per_kind"]})
    if len(kinds) <= 1:
        return []
    out = ["Mean program token latency per program class (ms/token):", ""]
    out.append(
        "| rate | class | " + " | ".join(labels) + "".join(f" | ratio {lb}" for lb in labels[1:])
        + " |"
    )  # fmt: skip
    out.append("|" + "---|" * (2 * len(labels) + 1))
    for rate in rates:
        for k in kinds:
            vals = [dict(curve(r, f"per_kind.{k}.token_latency_s.mean")).get(rate) for r in results]
            row = f"| {rate:g} | {k} | " + " | ".join(_ms(v) for v in vals)
            for v in vals[1:]:
                ratio = vals[0] / v if (vals[0] is not None and v) else None
                row += f" | {_num(ratio)}x"
            out.append(row + " |")
    return out + [""]


def _tal_tables(
    results: Sequence[dict], labels: list[str], slo: float, slo_factor: float, explicit: bool
) -> list[str]:
    """Throughput at latency overall and per class, and the P99 at the baseline's knee."""
    base = results[0]
    out = [
        f"Throughput at latency: highest rate with mean program token latency <= "
        f"{slo * 1000:.1f} ms/token (interpolated; '>=': met at every measured rate). "
        + ("" if explicit else f"Per class: {slo_factor:g}x the baseline's mean for "
           "that class at its lowest rate."),
        "",
    ]  # fmt: skip
    kinds = sorted({k for r in results for run in r["runs"] for k in run["summary"]["per_kind"]})
    scopes = [("all", "program_token_latency_s.mean")]
    if len(kinds) > 1:
        scopes += [(k, f"per_kind.{k}.token_latency_s.mean") for k in kinds]
    out.append(
        "| programs | " + " | ".join(labels) + "".join(f" | ratio {lb}" for lb in labels[1:])
        + " |"
    )  # fmt: skip
    out.append("|" + "---|" * (2 * len(labels)))
    for scope, metric in scopes:
        scope_slo = slo
        if scope != "all" and not explicit:  # each class against its own unloaded latency
            pts = curve(base, metric)
            scope_slo = slo_factor * pts[0][1] if pts else slo
            scope = f"{scope} (SLO {scope_slo * 1000:.1f})"
        ts = [tput_at_latency(r, scope_slo, metric) for r in results]
        cells = []
        for t in ts:
            v = t["interp_rate"]
            cells.append("—" if v is None else (">=" if t["censored"] else "") + f"{v:.2f}")
        row = f"| {scope} | " + " | ".join(cells)
        for t in ts[1:]:
            a, b = ts[0]["interp_rate"], t["interp_rate"]
            row += f" | {_num(b / a if a and b is not None else None)}x"
        out.append(row + " |")
    out.append("")
    knee = tput_at_latency(base, slo)["max_rate"]
    if knee is not None:
        p99 = [dict(curve(r, "program_token_latency_s.p99")).get(knee) for r in results]
        cells = ", ".join(f"{lb} {_ms(v)}" for lb, v in zip(labels, p99, strict=True))
        out += [f"P99 program token latency at the baseline's knee ({knee:g} prog/s, the "
                f"highest rate where it meets the SLO), ms/token: {cells}.", ""]  # fmt: skip
    return out
