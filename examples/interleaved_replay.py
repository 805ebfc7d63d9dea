"""Interleaved replays: every scheduler's server up at once, one replay at a time.

Single real-engine runs on this 2-core machine vary several-fold near overload (the same
60-program ``map-reduce`` trace at 8 programs/s: stock 7.7 / 12.4 / 19.7 ms/token in three
runs, docs/benchmarks.md "Real-engine noise"), so a ratio from two runs taken minutes apart says
little. This script starts one server per scheduler (idle servers use no CPU), discards one short
warm-up replay per server, then replays the trace ``--reps`` times against each server in a
rotated order (rep k starts at scheduler k), strictly one replay at a time. Reported per
scheduler: mean program token latency per repetition, the ratio to the first scheduler in the
same repetition, their geometric mean, the pooled ratio (mean of means), and the server's CPU
seconds per replay (all its processes) and per engine step. Per replay, from the server's
``/metrics``: vLLM's preemptions (and vllm_nexus's, by reason), vllm_nexus's policy counters
(anti-starvation promotions, demotions, preemptions declined; ``policy`` in each row) and its
self-tuning state at the end (first level boundary, starvation threshold, size samples;
``policy_state``), tokens recomputed after preemption as a share of
all tokens computed (``vllm_nexus_recomputed_tokens_total``; stock vLLM exports no such
counter, so its share is unknown once it preempts), and what bound the engine: ``/metrics``
is sampled once a second during the replay for the KV-cache usage and the running and
waiting requests; a sample with requests waiting while fewer than ``--max-num-seqs`` run is
KV-bound (the scheduler could not admit them for lack of KV blocks), one with every slot
taken is slot-bound.

    python examples/interleaved_replay.py --trace results/mr200.jsonl --rate 6 --programs 150 \
        --reps 2 --schedulers stock,plas,atlas,gittins --out /tmp/il
    python examples/interleaved_replay.py --engine-args kv-bound ...   # a named setting

Throughput at latency: ``--rates 4,10,20,40`` replays the trace at every rate for every
scheduler in each repetition (rates ascending; at each rate the schedulers in the rotated
order). Each repetition's SLO is ``--slo-factor`` (3) x its own first scheduler's mean at the
lowest rate; the summary adds the mean per rate, the throughput at latency per repetition and
scheduler (``metrics.throughput_at_latency``; ``>=`` when a scheduler meets the SLO at every
rate, ``<`` when it misses it at the lowest), its ratio to the first scheduler and their
geometric mean. ``--reps N`` runs the repetitions below N that ``--out`` has no complete copy
of, so ``--reps 1``, then ``--reps 2``, ... on one ``--out`` run one repetition per command
(each command starts the servers anew) and the summary merges them.

Schedulers are ``examples/bench_sweep.py``'s names (``stock``, ``default``, ``plas``, ...), plus
``--extra NAME=JSON`` for a ``vllm_nexus.scheduler`` section of your own. Run it under the
machine's benchmark lock; nothing else should run beside it.

``--record-steps``: every server runs its scheduler's recording twin (the same scheduling plus
one JSON line per engine step, ``vllm_nexus.sim.calibrate``) into ``OUT/steps-NAME-cCMD.jsonl``,
and every row keeps its replay's wall-clock window (``wall``), so the engine steps of each
replay can be read back (``vllm_nexus.sim.fit.read_log(..., window=row["wall"])``): step
periods, composition, the scheduler's CPU time per step.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sweep  # noqa: E402  (scheduler names and their server arguments)


def rotation(schedulers: list[str], rep: int) -> list[str]:
    """Replay order of repetition ``rep``: the list rotated by ``rep`` places."""
    k = rep % len(schedulers)
    return schedulers[k:] + schedulers[:k]


def token_latency_ms(result: dict) -> float:
    """Mean program token latency (ms/token) of one ``vllm-nexus bench`` run."""
    lat = []
    for prog in result["programs"]:
        e2e = max(c["end_s"] for c in prog["calls"]) - prog["arrival_s"]
        tokens = sum(c["output_tokens"] for c in prog["calls"])
        lat.append(1000.0 * e2e / max(1, tokens))
    return statistics.mean(lat)


def e2e_mean_s(result: dict) -> float:
    """Mean program end-to-end latency (s) of one ``vllm-nexus bench`` run: shown beside the
    token latency, which a policy can move without moving this one (issue 15 item 7)."""
    return statistics.mean(
        max(c["end_s"] for c in prog["calls"]) - prog["arrival_s"] for prog in result["programs"]
    )


def summarize(rows: list[dict], baseline: str) -> dict[str, dict]:
    """Per scheduler: means per repetition, ratios to ``baseline`` in the same repetition
    (>1: faster than the baseline), their geometric mean and the pooled ratio."""
    base = {r["rep"]: r["mean"] for r in rows if r["sched"] == baseline}
    base_e2e = {r["rep"]: r.get("e2e_mean_s") for r in rows if r["sched"] == baseline}
    out: dict[str, dict] = {}
    for sched in dict.fromkeys(r["sched"] for r in rows):
        mine = sorted((r for r in rows if r["sched"] == sched), key=lambda r: r["rep"])
        ratios = [base[r["rep"]] / r["mean"] for r in mine if r["rep"] in base]
        e2e = [base_e2e[r["rep"]] / r["e2e_mean_s"] for r in mine
               if base_e2e.get(r["rep"]) and r.get("e2e_mean_s")]  # fmt: skip
        out[sched] = {
            "means": [r["mean"] for r in mine],
            "ratios": ratios,
            "geo": _geo(ratios),
            "pooled": statistics.mean(base.values()) / statistics.mean(r["mean"] for r in mine),
            "e2e_means": [r.get("e2e_mean_s") for r in mine],
            "e2e_ratios": e2e,
            "e2e_geo": _geo(e2e),
            "failed_programs": [r.get("failed_programs") for r in mine],
            "cpu_s": [r["cpu_s"] for r in mine],
            "recompute_share": [r.get("recompute_share") for r in mine],
            "preemptions": [r.get("preemptions") for r in mine],
        }
    return out


def class_means_ms(result: dict) -> dict[str, float]:
    """Mean program token latency (ms/token) per program class (``kind``) of one run."""
    kinds: dict[str, list[float]] = {}
    for prog in result["programs"]:
        e2e = max(c["end_s"] for c in prog["calls"]) - prog["arrival_s"]
        tokens = sum(c["output_tokens"] for c in prog["calls"])
        kinds.setdefault(prog.get("kind", "?"), []).append(1000.0 * e2e / max(1, tokens))
    return {k: statistics.mean(v) for k, v in sorted(kinds.items())}


def _geo(xs: list[float]) -> float | None:
    return math.exp(statistics.mean(math.log(x) for x in xs)) if xs else None


# a throughput at latency is exact ("="), a lower bound (">=": the SLO was met at every rate)
# or an upper bound ("<": missed at the lowest rate); a ratio of two, or a mean of ratios,
# also "<=" or "?" (bounds in opposite directions: unknown)
_UP, _DOWN = {">="}, {"<", "<="}


def _combine(bounds: list[str]) -> str:
    """The bound of a ratio or mean of figures carrying ``bounds`` (each one as a factor of
    the result's numerator)."""
    up = any(b in _UP for b in bounds)
    down = any(b in _DOWN for b in bounds)
    if "?" in bounds or (up and down):
        return "?"
    return ">=" if up else "<=" if down else "="


def _flip(bound: str) -> str:
    return {">=": "<=", "<": ">=", "<=": ">="}.get(bound, bound)


def fmt_bound(value: float | None, bound: str, fmt: str = ".2f") -> str:
    if value is None:
        return "—"
    return {"=": "", "?": "?"}.get(bound, bound) + format(value, fmt)


def tal_summary(rows: list[dict], schedulers: list[str], slo_factor: float = 3.0) -> dict:
    """Throughput at latency per repetition and scheduler from replay rows (``sched``,
    ``rep``, ``rate``, ``mean`` ms/token): each repetition's SLO is ``slo_factor`` x the first
    scheduler's mean at its lowest rate; the ratio to the first scheduler in the same
    repetition (> 1: more programs/s at the SLO) and the geometric mean of the ratios, each
    with its bound (see ``_combine``)."""
    from vllm_nexus.bench.metrics import throughput_at_latency

    base = schedulers[0]
    out: dict = {"slo_factor": slo_factor, "reps": {}, "geo": {}}
    for rep in sorted({r["rep"] for r in rows}):
        curves = {s: sorted((r["rate"], r["mean"]) for r in rows
                            if r["rep"] == rep and r["sched"] == s) for s in schedulers}  # fmt: skip
        if not all(curves.values()):
            continue
        slo = slo_factor * curves[base][0][1]
        tal = {}
        for s in schedulers:
            t = throughput_at_latency(curves[s], slo)
            if t["interp_rate"] is None:  # over the SLO at the lowest rate
                tal[s] = {"value": curves[s][0][0], "bound": "<"}
            else:
                tal[s] = {"value": t["interp_rate"], "bound": ">=" if t["censored"] else "="}
        b = tal[base]
        ratio = {s: {"value": tal[s]["value"] / b["value"],
                     "bound": _combine([tal[s]["bound"], _flip(b["bound"])])}
                 for s in schedulers}  # fmt: skip
        out["reps"][rep] = {"slo_ms": slo, "ms_per_token": {s: dict(curves[s]) for s in schedulers},
                            "tal": tal, "ratio": ratio}  # fmt: skip
    for s in schedulers:
        rs = [r["ratio"][s] for r in out["reps"].values()]
        out["geo"][s] = {"value": _geo([r["value"] for r in rs]),
                         "bound": _combine([r["bound"] for r in rs]) if rs else "="}  # fmt: skip
    return out


def tal_lines(rows: list[dict], schedulers: list[str], slo_factor: float = 3.0) -> list[str]:
    """The throughput-at-latency part of the summary (markdown)."""
    t = tal_summary(rows, schedulers, slo_factor)
    if not t["reps"]:
        return []
    rates = sorted({r["rate"] for r in rows})
    base = schedulers[0]
    head = " / ".join(f"{x:g}" for x in rates)
    out = [f"throughput at latency (programs/s; SLO = {slo_factor:g} x {base}'s mean at "
           f"{rates[0]:g}/s in the same repetition; >=: met at every rate, <: missed at the "
           "lowest); ratio = scheduler / " + base, "",
           f"| rep | SLO ms/token | scheduler | ms/token at {head} | TaL | TaL ratio |",
           "|---|---|---|---|---|---|"]  # fmt: skip
    for rep, r in t["reps"].items():
        for s in schedulers:
            lat = " / ".join(_num(r["ms_per_token"][s].get(x), ".1f") for x in rates)
            out.append(f"| {rep} | {r['slo_ms']:.1f} | {s} | {lat} | "
                       f"{fmt_bound(r['tal'][s]['value'], r['tal'][s]['bound'])} | "
                       f"{fmt_bound(r['ratio'][s]['value'], r['ratio'][s]['bound'])} |")  # fmt: skip
    out.append("")
    for s in schedulers[1:]:
        g = t["geo"][s]
        per = ", ".join(fmt_bound(r["ratio"][s]["value"], r["ratio"][s]["bound"])
                        for r in t["reps"].values())  # fmt: skip
        out.append(f"{s}: TaL ratio per repetition {per} | geo-mean "
                   f"{fmt_bound(g['value'], g['bound'])}x")  # fmt: skip
    return out


def class_lines(rows: list[dict], schedulers: list[str]) -> list[str]:
    """Per rate and program class: the first scheduler's mean ms/token per repetition and each
    scheduler's geometric-mean ratio to it (rows with ``class_means``)."""
    if not any(r.get("class_means") for r in rows):
        return []
    base = schedulers[0]
    out = [f"per program class: {base} ms/token per repetition; geo-mean ratio {base} / "
           "scheduler (>1: faster)", "",
           "| rate | class | " + f"{base} ms/token | "
           + " | ".join(f"{s} ratio" for s in schedulers[1:]) + " |",
           "|---|---|---|" + "---|" * (len(schedulers) - 1)]  # fmt: skip
    for rate in sorted({r.get("rate") for r in rows}, key=lambda x: (x is None, x)):
        at = [r for r in rows if r.get("rate") == rate]
        by = {(r["sched"], r["rep"]): r.get("class_means") or {} for r in at}
        reps = sorted({r["rep"] for r in at})
        for kind in sorted({k for c in by.values() for k in c}):
            b = [by.get((base, rep), {}).get(kind) for rep in reps]
            cells = []
            for s in schedulers[1:]:
                xs = [bv / by[(s, rep)][kind] for rep, bv in zip(reps, b, strict=True)
                      if bv and by.get((s, rep), {}).get(kind)]  # fmt: skip
                cells.append(_num(_geo(xs)))
            out.append(
                f"| {_num(rate, 'g')} | {kind} | "
                f"{' / '.join(_num(x, '.1f') for x in b)} | {' | '.join(cells)} |"
            )
    return out


def merge_rows(rows: list[dict], schedulers: list[str], rates: list | None = None) -> list[dict]:
    """The measured rows (no warm-ups) of ``rows.jsonl`` lines from one or more commands: per
    repetition, the rows of the last command (``cmd``) that ran every scheduler at every rate
    of ``rates`` (default: every rate in the rows), so a repetition cut short and run again
    counts once, from one window."""
    rows = [r for r in rows if r.get("rep") is not None]
    if rates is None:
        rates = sorted({r.get("rate") for r in rows}, key=lambda x: (x is None, x))
    need = {(s, x) for s in schedulers for x in rates}
    groups: dict[int, dict] = {}
    for r in rows:
        groups.setdefault(r["rep"], {}).setdefault(r.get("cmd"), []).append(r)
    out = []
    for rep in sorted(groups):
        full = [g for g in groups[rep].values()
                if need <= {(r["sched"], r.get("rate")) for r in g}]  # fmt: skip
        if full:
            out.extend(r for r in full[-1] if (r["sched"], r.get("rate")) in need)
    return out


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
GAUGES = {"vllm:kv_cache_usage_perc": "kv", "vllm:num_requests_running": "running",
          "vllm:num_requests_waiting": "waiting"}  # fmt: skip


def prom_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """``(name, labels, value)`` of every sample in a Prometheus text page."""
    out = []
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m or line.startswith("#"):
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        out.append((m.group(1), dict(_LABEL.findall(m.group(2) or "")), value))
    return out


def engine_gauges(text: str) -> dict[str, float]:
    """KV usage (fraction, the fullest engine), running and waiting requests (summed)."""
    out: dict[str, float] = {}
    for name, _, value in prom_samples(text):
        key = GAUGES.get(name)
        if key == "kv":
            out[key] = max(out.get(key, 0.0), value)
        elif key:
            out[key] = out.get(key, 0.0) + value
    return out


def nexus_preemptions(text: str) -> dict[str, float]:
    """vllm_nexus's preemption counter by reason (``proactive``, ``kv_cache``)."""
    out: dict[str, float] = {}
    for name, labels, value in prom_samples(text):
        if name == "vllm_nexus_preemptions_total":
            reason = labels.get("reason", "?")
            out[reason] = out.get(reason, 0.0) + value
    return out


HINT_COUNTERS = {
    "vllm_nexus_programs_hinted_total": "programs_hinted",
    "vllm_nexus_hinted_calls_total": "hinted_calls",
    "vllm_nexus_size_hint_overruns_total": "size_hint_overruns",
    "vllm_nexus_invalid_size_hints_total": "invalid_size_hints",
}
"""vllm_nexus's size-hint counters (docs/programs.md §9) and their short names."""


ENGINE_COUNTERS = {
    "vllm:prefix_cache_queries_total": "prefix_cache_queries",
    "vllm:prefix_cache_hits_total": "prefix_cache_hits",
    "vllm:prompt_tokens_total": "prompt_tokens",
    "vllm:generation_tokens_total": "generation_tokens",
}
"""vLLM's own token counters (every server exports them): prompt tokens looked up in the
prefix cache and found there, prompt and generated tokens; a replay's row keeps their
increase (``engine_tokens``), so its prefix-cache hit rate can be compared between servers."""


def engine_counters(text: str) -> dict[str, float]:
    """vLLM's token counters of a metrics page (:data:`ENGINE_COUNTERS`), summed over engines."""
    return _summed(text, ENGINE_COUNTERS)


def hint_counters(text: str) -> dict[str, float]:
    """vllm_nexus's size-hint counters of a metrics page, summed over engines (none: not a
    vllm_nexus server, or one that never saw a hint and exports no such sample yet)."""
    return _summed(text, HINT_COUNTERS)


def _summed(text: str, names: dict[str, str]) -> dict[str, float]:
    """The samples of the families ``names`` maps, summed per short name (over engines and
    labels), of a metrics page."""
    out: dict[str, float] = {}
    for name, _, value in prom_samples(text):
        key = names.get(name)
        if key:
            out[key] = out.get(key, 0.0) + value
    return out


POLICY_COUNTERS = {
    "vllm_nexus_starvation_promotions_total": "starvation_promotions",
    "vllm_nexus_starvation_wait_promotions_total": "starvation_wait_promotions",
    "vllm_nexus_demotions_total": "demotions",
    "vllm_nexus_preemptions_size_declined_total": "preemptions_size_declined",
    "vllm_nexus_preemptions_withheld_total": "preemptions_withheld",
}
"""vllm_nexus's policy counters a replay records as deltas (what the order did)."""
POLICY_GAUGES = {
    "vllm_nexus_level_first_boundary": "level_first_boundary",
    "vllm_nexus_starvation_threshold": "starvation_threshold",
    "vllm_nexus_starvation_wait_bound_seconds": "starvation_wait_bound",
    "vllm_nexus_size_samples": "size_samples",
}
"""vllm_nexus's self-tuning state a replay records at its end (the last engine's value)."""


def policy_state(text: str) -> tuple[dict[str, float], dict[str, float]]:
    """``(counters, gauges)``: :data:`POLICY_COUNTERS` summed over engines and
    :data:`POLICY_GAUGES` of a metrics page (both empty for a stock server)."""
    gauges = {POLICY_GAUGES[n]: v for n, _, v in prom_samples(text) if n in POLICY_GAUGES}
    return _summed(text, POLICY_COUNTERS), gauges


def identity_problems(warm_rows: dict[str, dict], server_args: dict[str, list[str]]) -> list[str]:
    """After the warm-ups: a server started with ``--scheduler-cls vllm_nexus.Scheduler``
    must export ``vllm_nexus_*`` metrics and one without must not; otherwise the replays
    reach another server than named (as when two servers once shared a port, which vLLM's
    ``SO_REUSEPORT`` allows; docs/benchmarks.md "2026-12-04 (e)")."""
    out = []
    for s, row in warm_rows.items():
        args = server_args[s]
        cls = args[args.index("--scheduler-cls") + 1] if "--scheduler-cls" in args else None
        ours = cls in NEXUS_CLASSES
        exported = bool(row.get("nexus_preemptions"))
        if ours and not exported:
            out.append(f"server {s!r} runs vllm_nexus but its /metrics has no vllm_nexus_* "
                       "metric after the warm-up: the replays reached another server")  # fmt: skip
        elif exported and not ours:
            out.append(f"server {s!r} runs vLLM's scheduler but its /metrics has vllm_nexus_* "
                       "metrics: the replays reached another server")  # fmt: skip
    return out


def binding(samples: list[dict[str, float]], max_num_seqs: int | None) -> dict:
    """What bound the engine over a replay's ``/metrics`` samples: peak KV usage, peak
    running requests, and the share of samples with requests waiting that were KV-bound
    (fewer than ``max_num_seqs`` running) or slot-bound (all slots taken)."""
    queued = [s for s in samples if s.get("waiting", 0) > 0]
    slot = [s for s in queued if max_num_seqs and s.get("running", 0) >= max_num_seqs]
    return {
        "samples": len(samples),
        "kv_peak": max((s.get("kv", 0.0) for s in samples), default=None),
        "running_peak": max((s.get("running", 0.0) for s in samples), default=None),
        "queued_share": len(queued) / len(samples) if samples else None,
        "kv_bound_share": (len(queued) - len(slot)) / len(queued) if queued else None,
    }


def max_num_seqs(engine_args: str) -> int | None:
    """``--max-num-seqs`` of ``vllm serve`` arguments (None: not given)."""
    argv = shlex.split(engine_args)
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if name == "--max-num-seqs":
            return int(value if eq else argv[i + 1])
    return None


def complete_reps(rows: list[dict], schedulers: list[str]) -> list[dict]:
    """The rows of repetitions every scheduler finished (an interrupted command's last
    repetition is left out: its ratios would pair nothing)."""
    done: dict[int, set[str]] = {}
    for r in rows:
        done.setdefault(r["rep"], set()).add(r["sched"])
    full = {rep for rep, names in done.items() if set(schedulers) <= names}
    return [r for r in rows if r["rep"] in full]


def class_senders(
    option: str, schedulers: list[str], flag: str = "--send-program-class"
) -> set[str]:
    """The schedulers whose replays name program classes (``--send-program-class [NAMES]``),
    or send size hints (``--send-size-hint [NAMES]``, ``flag``)."""
    if not option:
        return set()
    if option == "*":
        return set(schedulers)
    names = {n.strip() for n in option.split(",") if n.strip()}
    if unknown := sorted(names - set(schedulers)):
        raise ValueError(f"{flag} names {unknown}, not in --schedulers")
    return names


RECORDING_CLASSES = {
    None: "vllm_nexus.sim.calibrate.RecordingScheduler",
    "vllm_nexus.Scheduler": "vllm_nexus.sim.calibrate.RecordingNexusScheduler",
}
"""``--record-steps``: the recording twin of each scheduler class (the same scheduling plus
one JSON line per step: composition, wall and engine-clock time, the scheduler's CPU time;
``vllm_nexus.sim.calibrate``)."""


NEXUS_CLASSES = ("vllm_nexus.Scheduler", RECORDING_CLASSES["vllm_nexus.Scheduler"])
"""Scheduler classes whose servers export ``vllm_nexus_*`` metrics (the recording twin of
``--record-steps`` included; read by :func:`identity_problems`)."""


def recording_args(args: list[str]) -> list[str]:
    """Server arguments with the scheduler class replaced by its recording twin (vLLM's own
    scheduler when no ``--scheduler-cls`` is given). A class without a twin is an error: its
    steps could not be recorded the same way as the others'."""
    args = list(args)
    if "--scheduler-cls" not in args:
        return [*args, "--scheduler-cls", RECORDING_CLASSES[None]]
    i = args.index("--scheduler-cls") + 1
    if args[i] not in RECORDING_CLASSES:
        raise ValueError(f"--record-steps: no recording twin of scheduler class {args[i]!r}")
    args[i] = RECORDING_CLASSES[args[i]]
    return args


def bench_argv(
    base_url: str,
    model: str,
    trace: str,
    programs: int,
    rate: float,
    think_scale: float,
    salt: str,
    label: str,
    dest: str,
    send_class: bool = False,
    hint_sigma: float | None = None,
    hint_seed: int = 0,
) -> list[str]:
    """``vllm-nexus bench`` arguments of one replay: a fresh program-id namespace per replay
    (``salt``); with ``hint_sigma``, every call carries ``vllm_xargs.program_size_hint`` (each
    program's number of calls x ``exp(sigma x N(0,1))``, drawn per program id and
    ``hint_seed``: the same hints in every repetition)."""
    argv = ["bench", "--base-url", base_url, "--model", model, "--trace", trace,
            "--programs", str(programs), "--rate", f"{rate:g}",
            "--think-scale", str(think_scale), "--run-salt", salt,
            "--label", label, "--out", dest, "--no-plots", "--no-progress"]  # fmt: skip
    if send_class:
        argv.append("--send-program-class")
    if hint_sigma is not None:
        argv += ["--size-hint-sigma", f"{hint_sigma:g}", "--seed", str(hint_seed)]
    return argv


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "—" if x is None else format(x, fmt)


def markdown_table(rows: list[dict], baseline: str) -> str:
    """One line per repetition (and rate, when the rows carry one) and scheduler: mean
    ms/token, ratio to ``baseline`` in the same repetition and at the same rate, mean program
    end-to-end latency, preemptions (vllm_nexus's proactive / KV-pressure ones in brackets),
    vllm_nexus's anti-starvation promotions, recompute share, peak KV usage and running
    requests, the share of samples with calls queued and of those the KV-bound share, replay
    duration, and the server's CPU time (all its processes) per engine step."""
    with_rate = any(r.get("rate") is not None for r in rows)
    base = {(r["rep"], r.get("rate")): r["mean"] for r in rows if r["sched"] == baseline}
    lines = [
        "| rep | " + ("rate | " if with_rate else "") + "scheduler | ms/token | ratio | "
        "e2e mean s | preemptions (proactive / KV) | starvation promotions | "
        "recomputed | KV peak | running peak | queued samples | of those KV-bound | duration s | "
        "server CPU ms/step |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if with_rate else ""),
    ]
    order = sorted(rows, key=lambda r: (r["rep"], r.get("rate") or 0, r["sched"] != baseline))
    for r in order:
        nx = r.get("nexus_preemptions") or {}
        pre = _num(r.get("preemptions"), ".0f")
        if nx:
            pre += f" ({nx.get('proactive', 0):.0f} / {nx.get('kv_cache', 0):.0f})"
        key = (r["rep"], r.get("rate"))
        ratio = base[key] / r["mean"] if key in base else None
        rate = f"{r.get('rate'):g} | " if with_rate else ""
        promoted = (r.get("policy") or {}).get("starvation_promotions")
        steps, cpu = r.get("engine_steps"), r.get("cpu_s")
        per_step = 1000 * cpu / steps if steps and cpu is not None else None
        lines.append(
            f"| {r['rep']} | {rate}{r['sched']} | {r['mean']:.1f} | {_num(ratio)} | "
            f"{_num(r.get('e2e_mean_s'))} | {pre} | {_num(promoted, '.0f')} | "
            f"{_pct(r.get('recompute_share'))} | {_pct(r.get('kv_peak'))} | "
            f"{_num(r.get('running_peak'), '.0f')} | {_pct(r.get('queued_share'))} | "
            f"{_pct(r.get('kv_bound_share'))} | {_num(r.get('duration_s'), '.0f')} | "
            f"{_num(per_step)} |"
        )
    return "\n".join(lines) + "\n"


def summary_lines(rows: list[dict], schedulers: list[str]) -> list[str]:
    """The per-scheduler summary of the complete repetitions."""
    rows = complete_reps(rows, schedulers)
    if not rows:
        return ["no repetition finished for every scheduler"]
    out = [f"mean program token latency (ms/token) per repetition; ratio = {schedulers[0]} / "
           "scheduler in the same repetition (>1: faster)"]  # fmt: skip
    for s, v in summarize(rows, schedulers[0]).items():
        share = " ".join(_pct(x) for x in v["recompute_share"])
        out.append(
            f"{s}: means {' '.join(f'{x:.1f}' for x in v['means'])} | ratios "
            f"{' '.join(f'{x:.2f}' for x in v['ratios'])} | geo-mean {v['geo']:.2f}x | "
            f"pooled {v['pooled']:.2f}x | server CPU s {' '.join(f'{x:.1f}' for x in v['cpu_s'])}"
            f" | preemptions {' '.join(_num(x, '.0f') for x in v['preemptions'])} | "
            f"recomputed {share}"
        )
        if v["e2e_ratios"]:
            out.append(
                f"{s}: program end-to-end mean s "
                f"{' '.join(_num(x) for x in v['e2e_means'])} | ratios "
                f"{' '.join(f'{x:.2f}' for x in v['e2e_ratios'])} | geo-mean "
                f"{v['e2e_geo']:.2f}x | failed programs "
                f"{' '.join(_num(x, '.0f') for x in v['failed_programs'])}"
            )
    return out


def write_report(
    out: Path, rows: list[dict], schedulers: list[str], slo_factor: float = 3.0
) -> str:
    """``rows.json`` and ``summary.md`` in ``out`` (the summary lines, per rate when the rows
    carry several, the throughput at latency, the per-class ratios and the per-replay
    table); returns the summary text."""
    (out / "rows.json").write_text(json.dumps(rows, indent=1))
    rates = sorted({r.get("rate") for r in rows}, key=lambda x: (x is None, x))
    if len(rates) <= 1:
        text = "\n".join(summary_lines(rows, schedulers)) + "\n"
    else:
        text = ""
        for rate in rates:
            at = [r for r in rows if r.get("rate") == rate]
            text += f"at {rate:g} programs/s: " + "\n".join(summary_lines(at, schedulers)) + "\n"
        text += "\n" + "\n".join(tal_lines(rows, schedulers, slo_factor)) + "\n"
    full = complete_reps(rows, schedulers)
    classes = class_lines(full, schedulers)
    if classes:
        text += "\n" + "\n".join(classes) + "\n"
    if full:
        text += "\n" + markdown_table(full, schedulers[0])
    (out / "summary.md").write_text(text)
    return text


def read_rows(out: Path) -> list[dict]:
    """Every line of ``out/rows.jsonl`` (none if it does not exist)."""
    path = out / "rows.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _get(url: str, timeout_s: float = 5.0) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.read().decode()
    except OSError:
        return None


class _Sampler(threading.Thread):
    """Samples a server's ``/metrics`` gauges every ``period_s`` until stopped."""

    def __init__(self, base_url: str, period_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.url, self.period_s = base_url.rstrip("/").removesuffix("/v1") + "/metrics", period_s
        self.samples: list[dict[str, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.period_s):
            text = _get(self.url)
            if text is not None:
                self.samples.append(engine_gauges(text))

    def stop(self) -> list[dict[str, float]]:
        self._halt.set()
        self.join()
        return self.samples


def _server_cpu_s(port: int) -> float:
    import psutil

    total, seen = 0.0, set()
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "--port" in cmd and str(port) in cmd:
            for p in [proc, *proc.children(recursive=True)]:
                if p.pid not in seen:
                    seen.add(p.pid)
                    try:
                        t = p.cpu_times()
                        total += t.user + t.system
                    except psutil.Error:
                        pass
    return total


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trace", help="JSONL trace (vllm-nexus bench --dump-trace); required")
    p.add_argument("--rate", type=float, help="programs/s (re-times the trace); or --rates")
    p.add_argument(
        "--rates",
        help="comma-separated programs/s: a rate sweep, every rate for "
        "every scheduler in each repetition, and the throughput at latency",
    )
    p.add_argument(
        "--slo-factor",
        type=float,
        default=3.0,
        help="SLO = factor x the first "
        "scheduler's mean at the lowest rate, per repetition (default 3)",
    )
    p.add_argument("--programs", type=int, help="required")
    p.add_argument("--schedulers", default="stock,default")
    p.add_argument(
        "--reps",
        type=int,
        default=2,
        help="run the repetitions below this number "
        "that --out has no complete copy of (--reps K+1: repetition K alone)",
    )
    p.add_argument("--think-scale", type=float, default=0.3)
    p.add_argument(
        "--engine-args",
        default="--max-num-seqs 8 --max-model-len 4096",
        help="`vllm serve` engine arguments, or a named setting (batch-bound, kv-bound: "
        "vllm_nexus/bench/settings.py)",
    )
    p.add_argument("--extra", action="append", default=[], metavar="NAME=JSON")
    p.add_argument(
        "--send-program-class",
        nargs="?",
        const="*",
        default="",
        metavar="NAMES",
        help="the client names each program's kind (vllm_xargs.program_class): alone for every "
        "server, or for the comma-separated schedulers NAMES only",
    )
    p.add_argument(
        "--size-hint-sigma",
        type=float,
        metavar="S",
        help="with --send-size-hint: clients send vllm_xargs.program_size_hint on every call, "
        "each program's number of calls x exp(S x N(0,1)) (vllm-nexus bench --size-hint-sigma)",
    )
    p.add_argument(
        "--send-size-hint",
        nargs="?",
        const="*",
        default="",
        metavar="NAMES",
        help="the replays of every server, or of the comma-separated schedulers NAMES only, "
        "send size hints (needs --size-hint-sigma); e.g. --extra hinted={} "
        "--send-size-hint hinted: the defaults, a server of their own, with hints",
    )
    p.add_argument(
        "--size-hint-seed",
        type=int,
        default=0,
        help="seed of the hints' errors (bench --seed of the hinted replays; default 0)",
    )
    p.add_argument(
        "--record-steps",
        action="store_true",
        help="every server runs its scheduler's recording twin "
        "(vllm_nexus.sim.calibrate.Recording*Scheduler: one JSON line per engine step to "
        "OUT/steps-NAME-cCMD.jsonl) and each row records its replay's wall-clock window, so "
        "step times can be compared per replay; the same recording cost on every server",
    )
    p.add_argument("--model", help="model directory (default: build the tiny model)")
    p.add_argument("--out", required=True)
    p.add_argument(
        "--report",
        action="store_true",
        help="only rebuild summary.md from --out's rows.jsonl (e.g. of an interrupted command)",
    )
    a = p.parse_args(argv)
    if a.rate is not None and a.rates:
        p.error("give --rate or --rates, not both")
    rates = ([float(x) for x in a.rates.split(",")] if a.rates
             else None if a.rate is None else [a.rate])  # fmt: skip
    schedulers = a.schedulers.split(",")
    if a.report:
        rows = merge_rows(read_rows(Path(a.out)), schedulers, rates)  # not the warm-ups
        print(write_report(Path(a.out), rows, schedulers, a.slo_factor))
        return 0
    from vllm_nexus.bench.report import recompute_share
    from vllm_nexus.bench.settings import ENGINE_SETTINGS
    from vllm_nexus.serving.launcher import VllmServer

    missing = [f"--{k}" for k in ("trace", "rate", "programs") if getattr(a, k) is None]
    if rates:
        missing = [m for m in missing if m != "--rate"]
    if missing:
        p.error(f"the following arguments are required: {', '.join(missing)}")
    a.engine_args = ENGINE_SETTINGS.get(a.engine_args, a.engine_args)
    seqs = max_num_seqs(a.engine_args)

    extra = {}
    for item in a.extra:
        name, _, cfg = item.partition("=")
        extra[name] = json.loads(cfg)
    unknown = [s for s in schedulers if s not in bench_sweep.SCHEDULERS and s not in extra]
    if unknown:
        p.error(f"unknown scheduler(s) {unknown}: use bench_sweep's names or --extra NAME=JSON")
    try:
        with_class = class_senders(a.send_program_class, schedulers)
        with_hint = class_senders(a.send_size_hint, schedulers, "--send-size-hint")
    except ValueError as e:
        p.error(str(e))
    if with_hint and a.size_hint_sigma is None:
        p.error("--send-size-hint needs --size-hint-sigma")
    if a.size_hint_sigma is not None and not 0 <= a.size_hint_sigma < math.inf:
        p.error("--size-hint-sigma must be a finite number >= 0")
    if a.size_hint_sigma is not None and not with_hint:
        p.error("--size-hint-sigma without --send-size-hint: no replay would send hints")
    if a.model:
        model = a.model
    else:
        from vllm_nexus.serving.tiny_model import build_tiny_model

        model = str(build_tiny_model(bench_sweep.REPO / ".cache" / "tiny-model"))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rates = sorted(rates)
    done = {r["rep"] for r in merge_rows(read_rows(out), schedulers, rates)}
    todo = [k for k in range(a.reps) if k not in done]
    cmd = f"{time.time():.0f}"  # this command's rows, apart from earlier commands' (merge_rows)
    print(f"repetitions to run: {todo} (complete in {out}: {sorted(done)}); rates {rates}",
          flush=True)  # fmt: skip
    if not todo:
        print("\n" + write_report(out, merge_rows(read_rows(out), schedulers, rates),
                                   schedulers, a.slo_factor))  # fmt: skip
        return 0

    def server_args(s: str) -> list[str]:
        if s in extra:
            cfg = json.dumps({"vllm_nexus": {"scheduler": extra[s]}})
            return ["--scheduler-cls", "vllm_nexus.Scheduler", "--additional-config", cfg]
        return bench_sweep.scheduler_args(s)

    def server_env(s: str) -> dict[str, str]:
        if not a.record_steps:
            return {}
        from vllm_nexus.sim.calibrate import LOG_ENV

        return {LOG_ENV: str(out / f"steps-{s}-c{cmd}.jsonl")}

    try:
        argvs = {s: [*shlex.split(a.engine_args), *server_args(s)] for s in schedulers}
        if a.record_steps:
            argvs = {s: recording_args(v) for s, v in argvs.items()}
    except ValueError as e:
        p.error(str(e))
    servers = {
        s: VllmServer(model, args=argvs[s], env=server_env(s),
                      log_path=out / f"server-{s}.log", startup_timeout_s=900)
        for s in schedulers
    }  # fmt: skip
    errors = bench_sweep.start_servers(servers.values())

    def replay(s: str, tag: str, programs: int, rate: float, rep: int | None = None) -> dict:
        srv = servers[s]
        dest = out / "raw" / f"{s}-{tag}-c{cmd}"
        argv = bench_argv(srv.base_url, srv.model, a.trace, programs, rate, a.think_scale,
                          f"il{time.time():.0f}-{s}-{tag}", s, str(dest), s in with_class,
                          a.size_hint_sigma if s in with_hint else None,
                          a.size_hint_seed)  # fmt: skip
        cpu0 = _server_cpu_s(srv.port)
        page0 = _get(srv.base_url.removesuffix("/v1") + "/metrics") or ""
        pre0, hints0, eng0 = nexus_preemptions(page0), hint_counters(page0), engine_counters(page0)
        pol0 = policy_state(page0)[0]
        sampler = _Sampler(srv.base_url)
        sampler.start()
        t_start = time.time()
        try:
            subprocess.run([sys.executable, "-m", "vllm_nexus.cli", *argv], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        finally:
            samples = sampler.stop()
        t_end = time.time()
        page1 = _get(srv.base_url.removesuffix("/v1") + "/metrics") or ""
        pre1, hints1, eng1 = nexus_preemptions(page1), hint_counters(page1), engine_counters(page1)
        pol1, gauges1 = policy_state(page1)
        run = json.loads((dest / "result.json").read_text())["runs"][0]
        server = run.get("server") or {}
        row = {"sched": s, "tag": tag, "rep": rep, "rate": rate, "cmd": cmd,
               "mean": token_latency_ms(run), "class_means": class_means_ms(run),
               "e2e_mean_s": e2e_mean_s(run),
               "duration_s": run["duration_s"], "cpu_s": _server_cpu_s(srv.port) - cpu0,
               "failed_programs": run["summary"].get("programs_failed"),
               "engine_steps": server.get("engine_steps"),
               "preemptions": server.get("preemptions", 0.0),
               "nexus_preemptions": {k: v - pre0.get(k, 0.0) for k, v in pre1.items()},
               "size_hints": {k: v - hints0.get(k, 0.0) for k, v in hints1.items()},
               "engine_tokens": {k: v - eng0.get(k, 0.0) for k, v in eng1.items()},
               "policy": {k: v - pol0.get(k, 0.0) for k, v in pol1.items()},
               "policy_state": gauges1,
               "hints_sent": s in with_hint,
               "recomputed_tokens": server.get("vllm_nexus_recomputed_tokens_total"),
               "recompute_share": recompute_share(server),
               "mean_queue_s": server.get("mean_queue_s"),
               **binding(samples, seqs),
               "loadavg": Path("/proc/loadavg").read_text().split()[0],
               "wall": [t_start, t_end]}  # fmt: skip
        print(json.dumps(row), flush=True)
        with open(out / "rows.jsonl", "a") as f:  # kept if the command is interrupted
            f.write(json.dumps(row) + "\n")
        return row

    interrupted = False
    try:
        if errors:
            raise SystemExit(f"a server did not start: {errors[0]}")
        warm = {s: replay(s, "warm", min(15, a.programs), rates[0]) for s in schedulers}
        wrong = identity_problems(warm, {s: servers[s].args for s in schedulers})
        if wrong:
            raise SystemExit("; ".join(wrong))
        for rep in todo:
            for rate in rates:
                for s in rotation(schedulers, rep):
                    replay(s, f"rep{rep}-r{rate:g}", a.programs, rate, rep)
    except KeyboardInterrupt:  # e.g. `timeout -s INT`: report the finished repetitions
        interrupted = True
    finally:
        for srv in servers.values():
            srv.stop()
    rows = merge_rows(read_rows(out), schedulers, rates)  # this command's and earlier ones'
    print("\n" + write_report(out, rows, schedulers, a.slo_factor))
    return 130 if interrupted else 0


if __name__ == "__main__":
    raise SystemExit(main())
