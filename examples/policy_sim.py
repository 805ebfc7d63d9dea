"""Scheduling-policy evaluation in the simulator: every policy vs stock FCFS vs the SRPT oracle.

Runs the real scheduler classes on the virtual clock (``vllm_nexus.sim.engine.Simulator``) over
a grid of settings x workloads x seeds x rates, in one process (one vLLM import), and prints
one line per run plus a summary per setting: mean program token latency, its ratio to stock,
the share of the oracle's gain captured in log terms (``log(policy/stock) /
log(oracle/stock)``), recompute after preemption, preemptions and anti-starvation promotions.

Settings (``--settings``):

- ``cpu``: the ``cpu-here`` preset, tiny model, ``--max-num-seqs 8``, workloads scaled as the
  CPU benchmark (``--calls-scale 0.25 --tokens-scale 0.25 --think-scale 0.3``);
- ``cpu-kv``: the same with KV capacity binding: 64 sequences, 40 KV blocks (5,120 tokens);
- ``a100`` / ``h100``: Llama-3.1-8B, full-size programs (the paper's statistics),
  ``--max-num-seqs 32`` (the batch limit, not the decode slowdown, sets the knee);
- ``a100-kv`` / ``h100-kv``: the same hardware and model in the named ``gpu-kv-bound`` engine
  setting (``vllm_nexus/bench/settings.py``: 64 sequences, 8 GiB of KV = 65,536 tokens, so
  KV binds before batch slots; docs/simulator.md "KV-bound"), 60 `mixed` / `coding-agent`
  programs, `coding-agent` at half the batch-bound rates.

Examples::

    python examples/policy_sim.py --settings cpu --workloads mixed,lats --seeds 0,1 \\
        --schedulers stock,plas,gittins,oracle
    python examples/policy_sim.py --settings cpu --workloads mixed --seeds 2 \\
        --schedulers plas,gittins --config '{"scheduler": {"starvation_beta": 0}}'
    python examples/policy_sim.py --settings a100 --workloads coding-agent --seeds 0 \
        --schedulers stock,default,oracle --size-hint-sigma 0.5,1   # clients send size hints

``default`` is ``vllm_nexus`` with no config: on the GPU settings it runs the ``gpu`` profile
(``scheduler.profile: auto`` resolved for the simulated device; docs/configuration.md), on the
CPU settings the ``cpu`` one. Rows before 2026-12-04 (b) ran the ``cpu`` defaults everywhere.

Pure simulation: no engine, no lock needed; deterministic (same arguments, same figures).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from typing import Any

SCHEDULERS = {
    "stock": "stock-fcfs",
    "mlfq": "vllm_nexus:mlfq",
    "plas": "vllm_nexus:plas",
    "atlas": "vllm_nexus:atlas",
    "gittins": "vllm_nexus:gittins",
    "default": "vllm_nexus",
    "oracle": "srpt-oracle",
}


@dataclass(frozen=True)
class Setting:
    hardware: str
    model: str
    max_num_seqs: int | None
    num_gpu_blocks: int | None
    calls_scale: float
    tokens_scale: float
    think_scale: float
    max_context_tokens: int
    programs: dict[str, int]
    rates: dict[str, tuple[float, ...]]
    kv_cache_bytes: float | None = None
    """KV bytes per device instead of the hardware preset's memory split."""


# Tuning families (Autellix's) and evaluation families (coding-agent, map-reduce, agentic:
# bench/workloads.py EVALUATION_WORKLOADS, never used to choose a setting here).
_CPU_PROGRAMS = {"mixed": 100, "chat": 100, "react": 300, "lats": 40, "coding-agent": 60,
                 "map-reduce": 100, "agentic": 100}  # fmt: skip
_CPU_RATES = {"mixed": (4, 8), "chat": (8, 16), "react": (16, 32), "lats": (4, 8),
              "coding-agent": (1, 2), "map-reduce": (4, 8), "agentic": (2, 4)}  # fmt: skip
_GPU_PROGRAMS = {"mixed": 150, "chat": 300, "react": 400, "lats": 40, "coding-agent": 120,
                 "map-reduce": 150, "agentic": 150}  # fmt: skip
SETTINGS: dict[str, Setting] = {
    "cpu": Setting("cpu-here", "tiny", 8, None, 0.25, 0.25, 0.3, 1024, _CPU_PROGRAMS, _CPU_RATES),
    "cpu-kv": Setting("cpu-here", "tiny", 64, 40, 0.25, 0.25, 0.3, 1024, _CPU_PROGRAMS, _CPU_RATES),
    "a100": Setting(
        "a100",
        "llama-3.1-8b",
        32,
        None,
        1.0,
        1.0,
        1.0,
        4096,
        _GPU_PROGRAMS,
        {
            "mixed": (0.5, 1.0),
            "chat": (2, 4),
            "react": (1.5, 2),
            "lats": (0.2, 0.4),
            "coding-agent": (0.8, 1.6),
            "map-reduce": (1, 2),
            "agentic": (0.5, 1),
        },  # fmt: skip
    ),
    "h100": Setting(
        "h100",
        "llama-3.1-8b",
        32,
        None,
        1.0,
        1.0,
        1.0,
        4096,
        _GPU_PROGRAMS,
        {
            "mixed": (1.0, 2.0),
            "chat": (4, 8),
            "react": (3, 4),
            "lats": (0.4, 0.8),
            "coding-agent": (1.6, 3.2),
            "map-reduce": (2, 4),
            "agentic": (1, 2),
        },  # fmt: skip
    ),
}


def _gpu_kv_bound(hardware: str, rate_scale: float) -> Setting:
    """A GPU preset in the named ``gpu-kv-bound`` engine setting (docs/simulator.md
    "KV-bound"): its batch limit and KV bytes come from the setting itself."""
    from vllm_nexus.bench.settings import engine_arg_values

    v = engine_arg_values("gpu-kv-bound")
    rates = {"mixed": (0.5, 1.0), "coding-agent": (0.4, 0.8), "map-reduce": (1, 2),
             "agentic": (0.5, 1), "chat": (2, 4), "react": (1.5, 2), "lats": (0.2, 0.4)}  # fmt: skip
    return Setting(
        hardware,
        "llama-3.1-8b",
        int(v["--max-num-seqs"]),
        None,
        1.0,
        1.0,
        1.0,
        int(v["--max-model-len"]),
        {**_GPU_PROGRAMS, "coding-agent": 60, "mixed": 60},
        {w: tuple(r * rate_scale for r in rs) for w, rs in rates.items()},
        float(v["--kv-cache-memory-bytes"]),
    )


# KV-bound on a GPU: 64 sequences, 8 GiB of KV (65,536 tokens of Llama-3.1-8B; the A100
# setting simulated 4,096 blocks of 16 tokens before, the same capacity); H100 at twice the
# A100 rates, as the batch-bound presets.
SETTINGS["a100-kv"] = _gpu_kv_bound("a100", 1.0)
SETTINGS["h100-kv"] = _gpu_kv_bound("h100", 2.0)


def programs_for(
    setting: Setting, workload: str, seed: int, rate: float, arrival_cv: float = 1.0
) -> list:
    from vllm_nexus.bench import workloads

    opts = workloads.WorkloadOptions(
        calls_scale=setting.calls_scale,
        tokens_scale=setting.tokens_scale,
        max_context_tokens=setting.max_context_tokens,
        arrival_cv=arrival_cv,
    )
    n = setting.programs.get(workload, 100)
    return workloads.generate(workload, n, seed, rate, opts)


def run_one(
    setting: Setting,
    sched: str,
    programs: list,
    seed: int,
    section: dict | None,
    warmup: list | None = None,
    known_classes: bool = False,
    size_hint_sigma: float | None = None,
) -> dict[str, Any]:
    """Simulate one run (after replaying ``warmup`` programs on the same engine, when given:
    the scheduler then starts with what it learned from them); returns its figures."""
    from vllm_nexus.bench.metrics import summarize
    from vllm_nexus.bench.trace import ProgramSpec
    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.models import get_model
    from vllm_nexus.sim.engine import EngineSpec, Simulator

    additional = {"vllm_nexus": section} if section and sched.startswith("vllm_nexus") else None
    hardware = get_hardware(setting.hardware)
    if setting.kv_cache_bytes is not None:
        hardware = hardware.with_updates(kv_cache_bytes=setting.kv_cache_bytes)
    spec = EngineSpec(
        hardware=hardware,
        model=get_model(setting.model),
        scheduler=sched,
        additional_config=additional,
        max_num_seqs=setting.max_num_seqs,
        num_gpu_blocks=setting.num_gpu_blocks,
        size_hint_sigma=size_hint_sigma,
    )
    sim = Simulator(spec, seed=seed)
    scheduler = sim.scheduler
    if known_classes and hasattr(scheduler, "_program_class"):
        # the client names each program's agent type (vllm_xargs.program_class = its kind)
        kinds = {p.program_id: p.kind for p in programs + (warmup or [])}
        kinds.update({"warm-" + p.program_id: p.kind for p in warmup or []})
        orig_cls = scheduler._program_class

        def with_class(pid: str, extra: Any, request: Any) -> str | None:
            if orig_cls(pid, None, request) is None and pid in scheduler.mlq.programs:
                return None
            return "x:" + kinds.get(pid, "?")

        scheduler._program_class = with_class
    scheduled = [0]
    orig = scheduler.schedule

    def counting_schedule(*a: Any, **k: Any) -> Any:
        out = orig(*a, **k)
        scheduled[0] += sum(out.num_scheduled_tokens.values())
        return out

    if warmup:
        sim.run(
            [ProgramSpec("warm-" + p.program_id, p.arrival_s, p.calls, p.kind) for p in warmup],
            think_scale=setting.think_scale,
        )
        sim.seed += 7919  # fresh prompt tokens: no prefix-cache hits on warm-up prompts
        start = sim.clock.t + 5.0
        programs = [p.with_arrival(p.arrival_s + start) for p in programs]
    scheduler.schedule = counting_schedule
    t0 = time.process_time()
    res = sim.run(programs, think_scale=setting.think_scale)
    cpu = time.process_time() - t0
    summary = summarize(res.program_records())
    useful = sum(c.prompt_tokens - c.cached_tokens + max(0, c.output_tokens - 1) for c in res.calls)
    recomputed = max(0, scheduled[0] - useful)
    m = getattr(scheduler, "nexus_metrics", None)
    mlq = getattr(scheduler, "mlq", None)
    per_kind = {
        k: v["token_latency_s"]["mean"] for k, v in summary["per_kind"].items() if v["programs"]
    }
    return {
        "mean": summary["program_token_latency_s"]["mean"],
        "p95": summary["program_token_latency_s"]["p95"],
        "e2e": summary["program_e2e_s"]["mean"],
        "per_kind": per_kind,
        "computed": scheduled[0],
        "recomputed": recomputed,
        "recompute_share": recomputed / scheduled[0] if scheduled[0] else 0.0,
        "preemptions": res.preemptions,
        "proactive": m.preemptions_proactive if m else 0,
        "promotions": mlq.promotions_total if mlq else 0,
        "hinted_calls": mlq.hinted_calls if mlq else 0,
        "hint_overruns": mlq.hint_overruns if mlq else 0,
        "calls": len(res.calls),
        "unfinished": res.unfinished,
        "cpu_s": cpu,
    }


def family_table(setting: str, by_family: dict[tuple[str, str], list[float]], names: list) -> str:
    """Markdown: per workload, each scheduler's geometric-mean ratio to stock over the runs
    (seeds x rates) and its share of the oracle's gain in log terms (target >= 0.75)."""
    fams = sorted({w for w, _ in by_family})
    head = f"| {setting} | " + " | ".join(names) + " |"
    lines = [head, "|" + "---|" * (len(names) + 1)]
    for w in fams:
        oracle = by_family.get((w, "oracle"), [])
        o = sum(oracle) / len(oracle) if oracle else math.nan
        cells = []
        for n in names:
            g = [x for x in by_family.get((w, n), []) if not math.isnan(x)]
            if not g:
                cells.append("-")
                continue
            m = sum(g) / len(g)
            share = m / o if o and not math.isnan(o) and o > 0.02 else math.nan
            cells.append(f"{math.exp(m):.2f}x" + ("" if math.isnan(share) else f" ({share:.2f})"))
        lines.append(f"| {w} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--settings", default="cpu")
    p.add_argument("--workloads", default="mixed,chat,react,lats")
    p.add_argument("--seeds", default="0")
    p.add_argument("--schedulers", default="stock,plas,gittins,oracle")
    p.add_argument("--rates", help="JSON {workload: [rates]} overriding the setting's")
    p.add_argument("--programs", help="JSON {workload: N} overriding the setting's")
    p.add_argument("--config", help="JSON vllm_nexus section for every vllm_nexus scheduler")
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=SCHED:JSON",
        help="an extra scheduler: a vllm_nexus scheduler with its own config section",
    )
    p.add_argument(
        "--warmup",
        action="store_true",
        help="before each run, replay another seed of the same workload on the same engine "
        "(a server that has seen traffic before; learned sizes are warm)",
    )
    p.add_argument(
        "--classes",
        action="store_true",
        help="clients name each program's class (vllm_xargs.program_class = its kind)",
    )
    p.add_argument(
        "--arrival-cv",
        type=float,
        default=1.0,
        help="coefficient of variation of program inter-arrival gaps (1: Poisson; 3: bursty)",
    )
    p.add_argument(
        "--size-hint-sigma",
        default="",
        metavar="S[,S...]",
        help="also run every vllm_nexus scheduler with clients that send "
        "vllm_xargs.program_size_hint (each program's number of calls x exp(S x N(0,1)), one "
        "draw per program and seed), one row per sigma named NAME+hS; default: no hints",
    )
    p.add_argument("--json", help="append one JSON line per run to this file")
    args = p.parse_args(argv)
    base = json.loads(args.config) if args.config else None
    scheds: dict[str, tuple[str, dict | None, float | None]] = {}
    for s in [x for x in args.schedulers.split(",") if x]:
        scheds[s] = (SCHEDULERS[s], base, None)
    for v in args.variant:
        name, _, rest = v.partition("=")
        key, _, cfg = rest.partition(":")
        scheds[name] = (SCHEDULERS[key], json.loads(cfg) if cfg else base, None)
    sigmas = [float(x) for x in args.size_hint_sigma.split(",") if x.strip()]
    if any(not 0 <= s < math.inf for s in sigmas):
        p.error("--size-hint-sigma: sigmas must be finite and >= 0")
    for name, (sched, section, _) in list(scheds.items()):
        if sched.startswith("vllm_nexus"):
            for s in sigmas:
                scheds[f"{name}+h{s:g}"] = (sched, section, s)
    rate_over = json.loads(args.rates) if args.rates else {}
    prog_over = json.loads(args.programs) if args.programs else {}
    logs = open(args.json, "a") if args.json else None  # noqa: SIM115
    for sname in args.settings.split(","):
        st = SETTINGS[sname]
        if prog_over:
            st = Setting(**{**st.__dict__, "programs": {**st.programs, **prog_over}})
        gains: dict[str, list[float]] = {k: [] for k in scheds}
        by_family: dict[tuple[str, str], list[float]] = {}
        shares: dict[str, list[float]] = {k: [] for k in scheds}
        for w in args.workloads.split(","):
            for seed in [int(x) for x in args.seeds.split(",")]:
                for rate in rate_over.get(w, st.rates[w]):
                    programs = programs_for(st, w, seed, rate, args.arrival_cv)
                    warm = (
                        programs_for(st, w, seed + 1000, rate, args.arrival_cv)
                        if args.warmup
                        else None
                    )
                    rows = {}
                    for name, (sched, section, sigma) in scheds.items():
                        r = run_one(st, sched, programs, seed, section, warm, args.classes, sigma)
                        rows[name] = r
                        if logs:
                            logs.write(
                                json.dumps(
                                    {
                                        "setting": sname,
                                        "workload": w,
                                        "seed": seed,
                                        "rate": rate,
                                        "arrival_cv": args.arrival_cv,
                                        "scheduler": name,
                                        "config": section,
                                        "size_hint_sigma": sigma,
                                        **r,
                                    }
                                )  # fmt: skip
                                + "\n"
                            )
                            logs.flush()
                    stock = rows.get("stock")
                    oracle = rows.get("oracle")
                    for name, r in rows.items():
                        ratio = stock["mean"] / r["mean"] if stock else math.nan
                        share = math.nan
                        if stock and oracle and oracle["mean"] < stock["mean"] * 0.98:
                            share = math.log(ratio) / math.log(stock["mean"] / oracle["mean"])
                        gains[name].append(math.log(ratio) if stock else math.nan)
                        by_family.setdefault((w, name), []).append(
                            math.log(ratio) if stock else math.nan
                        )
                        shares[name].append(share)
                        kinds = " ".join(
                            f"{k}={v * 1e3:.1f}" for k, v in sorted(r["per_kind"].items())
                        )
                        print(
                            f"{sname:6s} {w:6s} s{seed} r{rate:<5g} {name:10s} "
                            f"mean {r['mean'] * 1e3:7.1f} ms/tok  x{ratio:5.2f}  "
                            f"share {share:5.2f}  p95 {r['p95'] * 1e3:7.1f}  "
                            f"e2e {r['e2e']:6.2f}s  recomp {100 * r['recompute_share']:4.1f}%  "
                            f"pre {r['preemptions']:4d}/{r['proactive']:4d}  "
                            f"promo {r['promotions']:4d}/{r['calls']}  [{kinds}]  "
                            f"({r['cpu_s']:.0f} cpu s)",
                            flush=True,
                        )
        print(f"== {sname}: geometric-mean ratio vs stock, median share of oracle gain")
        for name in scheds:
            g = [x for x in gains[name] if not math.isnan(x)]
            s = sorted(x for x in shares[name] if not math.isnan(x))
            gm = math.exp(sum(g) / len(g)) if g else math.nan
            med = s[len(s) // 2] if s else math.nan
            low = s[0] if s else math.nan
            print(f"   {name:10s} x{gm:5.2f}  share median {med:5.2f}  min {low:5.2f}")
        print(family_table(sname, by_family, list(scheds)))
    if logs:
        logs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
