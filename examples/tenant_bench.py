"""Honest and gaming tenants side by side: does minting program ids pay? (issue 17)

Two tenants send the *same* programs (twin copies of one seeded workload, arrivals interleaved)
at the same rate to one engine. The honest tenant names each program with one id; the gaming
tenant plays a strategy:

- ``fresh``: a new program id with every call;
- ``noid``: no program id at all (every call is its own program);
- ``split``: a new id every two calls (one program split into many);
- ``abort``: before each call, send it once and abort it (cancel and resend);
- ``honest``: the same as the honest tenant (the control: ratio ~1).

Printed per scheduler and strategy: each tenant's mean program token latency (ms per output
token, Autellix §6) and the gaming tenant's gain (honest / gaming latency; > 1 means gaming
pays), plus the honest tenant's gain over stock vLLM in the same mix. Two back ends:

    # virtual time: the real schedulers in the simulator (vllm_nexus.sim), no lock needed
    python examples/tenant_bench.py sim --schedulers stock,plas,atlas,mlfq --seeds 0,1,2
    # real servers (one fresh `vllm serve` per scheduler and repetition), results appended
    flock /tmp/nexus-engine.lock python examples/tenant_bench.py real --model DIR \\
        --schedulers stock,plas --reps 1 --out results/tenants.jsonl
    python examples/tenant_bench.py report results/tenants.jsonl [--before OLD.jsonl]

Real runs send the tenant in the ``X-Tenant-ID`` header through
``--middleware vllm_nexus.api.ProgramIdMiddleware`` (which stamps it, signed, into the call);
the simulator stamps it the same way. The workload, its scaling and the queue boundaries are
the benchmark's (``vllm_nexus.bench``; docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from vllm_nexus.bench import workloads
from vllm_nexus.bench.trace import ProgramSpec

TENANTS = ("honest", "gaming")
STRATEGIES = ("honest", "fresh", "noid", "split", "abort")
TENANT_HEADER = "X-Tenant-ID"
SCHEDULERS = {
    "stock": None,
    "plas": "plas",
    "atlas": "atlas",
    "mlfq": "mlfq",
    "gittins": "gittins",
    "fcfs": "fcfs",
}
"""Stock vLLM and every policy vllm-nexus ships (``vllm_nexus.config.Policy``)."""
NOFAIR = "+nofair"
"""Suffix of a scheduler name (``plas+nofair``): the policy with ``tenants.fair_share`` off
(tenants only counted), for the tenant mechanism's on/off comparison."""
POOLED = "+pooled"
"""Suffix (``gittins+pooled``): gittins with ``scheduler.gittins_size_scope`` ``pooled`` (one
size distribution for all tenants, the build before per-tenant sizes)."""
SUFFIXES = (NOFAIR, POOLED)


def _base(name: str) -> tuple[str, str]:
    """(scheduler, suffix) of a scheduler name."""
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix), suffix
    return name, ""


def policy_of(name: str) -> str | None:
    """The policy a scheduler name runs (None: stock vLLM)."""
    return SCHEDULERS[_base(name)[0]]


def known_scheduler(name: str) -> bool:
    base, suffix = _base(name)
    if base not in SCHEDULERS:
        return False
    return suffix == "" or (base != "stock" and (suffix != POOLED or base == "gittins"))


def _order(name: str) -> tuple[int, int]:
    base, suffix = _base(name)
    return (list(SCHEDULERS).index(base), ("", *SUFFIXES).index(suffix))


# -- workload -----------------------------------------------------------------------------------
def tenant_programs(args: argparse.Namespace, seed: int) -> list[ProgramSpec]:
    """Twin programs for the two tenants: ``<tenant>.<program>``, arrivals half a gap apart
    (alternating which tenant goes first), at ``args.rate`` programs/s in total."""
    opts = workloads.WorkloadOptions(
        calls_scale=args.calls_scale,
        tokens_scale=args.tokens_scale,
        max_context_tokens=max(256, int(4096 * args.tokens_scale)),
    )
    base = workloads.generate(args.workload, args.programs // 2, seed, args.rate / 2, opts)
    half_gap = 0.5 / args.rate
    out = []
    for i, p in enumerate(base):
        for j, tenant in enumerate(TENANTS):
            shift = half_gap if (j + i) % 2 else 0.0
            out.append(
                ProgramSpec(f"{tenant}.{p.program_id}", p.arrival_s + shift, p.calls, p.kind)
            )
    return sorted(out, key=lambda p: p.arrival_s)


def tenant_of(program_id: str) -> str:
    """The tenant a program belongs to (``honest``/``gaming``; a carried run's phase tag
    after ``@`` is dropped)."""
    return program_id.split(".", 1)[0].split("@", 1)[0]


def phase_of(program_id: str) -> str:
    """The phase tag of a carried simulator run (``honest@2.p7`` -> ``2``; ``""`` if none)."""
    head = program_id.split(".", 1)[0]
    return head.split("@", 1)[1] if "@" in head else ""


def carried_programs(
    args: argparse.Namespace, seed: int, strategies: list[str]
) -> tuple[list[ProgramSpec], dict[str, str]]:
    """One simulated server lifetime: a warm-up phase (honest, ``--warmup-programs``), then
    every strategy's twin workload in turn, ``--carry-gap`` virtual seconds after the
    previous phase's last arrival, each phase with its own tenant pair (``honest@k``,
    ``gaming@k``, as the real bench's fresh pair per run). Returns the programs and the
    strategy of each phase tag."""
    phases: list[tuple[str, str, list[ProgramSpec]]] = []
    if args.warmup_programs > 0:
        phases.append(("w", "honest", tenant_programs(args, 10_000 + seed)[: args.warmup_programs]))
    for k, strategy in enumerate(strategies):
        phases.append((str(k), strategy, tenant_programs(args, seed)))
    out, strategy_of, start = [], {}, 0.0
    for tag, strategy, progs in phases:
        strategy_of[tag] = strategy
        for p in progs:
            tenant, rest = p.program_id.split(".", 1)
            out.append(ProgramSpec(f"{tenant}@{tag}.{rest}", start + p.arrival_s, p.calls, p.kind))
        start += max(p.arrival_s for p in progs) + args.carry_gap
    return out, strategy_of


def sent_program_id(strategy: str, program_id: str, call_id: str) -> str | None:
    """The program id the gaming tenant sends for a call (None: no id)."""
    if strategy == "fresh":
        return f"{program_id}/{call_id}"
    if strategy == "noid":
        return None
    if strategy == "split":
        return f"{program_id}~{int(call_id.lstrip('c') or 0) // 2}"
    return program_id


def scheduler_config(name: str, tokens_scale: float) -> dict[str, Any] | None:
    """The policy's section at its defaults (levels tune themselves to the call size, so
    ``tokens_scale`` needs no hand-scaled boundaries)."""
    policy = policy_of(name)
    if policy is None:
        return None
    cfg: dict[str, Any] = {"vllm_nexus": {"scheduler": {"policy": policy}}}
    if name.endswith(NOFAIR):
        cfg["vllm_nexus"]["tenants"] = {"fair_share": False}
    if name.endswith(POOLED):
        cfg["vllm_nexus"]["scheduler"]["gittins_size_scope"] = "pooled"
    return cfg


def summary(records: list[Any], phase: str = "") -> dict[str, dict[str, float]]:
    """Per tenant: programs, mean and P95 program token latency (ms), failed calls (of one
    phase of a carried run when ``phase`` is given)."""
    from vllm_nexus.bench.metrics import percentile

    out = {}
    for tenant in TENANTS:
        recs = [
            r
            for r in records
            if tenant_of(r.program_id) == tenant and phase_of(r.program_id) == phase
        ]
        lat = [r.token_latency_s * 1000 for r in recs if r.token_latency_s is not None]
        out[tenant] = {
            "programs": len(recs),
            "mean_ms": statistics.mean(lat) if lat else float("nan"),
            "p95_ms": percentile(lat, 95) if lat else float("nan"),
            "failed_calls": sum(1 for r in recs for c in r.calls if c.error is not None),
        }
    return out


# -- simulator back end -------------------------------------------------------------------------
def simulate(name: str, strategy: str, programs: list[ProgramSpec], args: argparse.Namespace,
             seed: int, strategy_of: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """One virtual-time run; the gaming tenant's ids are rewritten as a client would send them
    and every call is stamped with its tenant as the HTTP middleware does. With
    ``strategy_of`` (a carried run, :func:`carried_programs`) each phase plays its own
    strategy and the result has one summary per phase (``phases``)."""
    from vllm.v1.request import RequestStatus

    from vllm_nexus.perf.hardware import get_hardware
    from vllm_nexus.perf.models import get_model
    from vllm_nexus.sim.engine import EngineSpec, Simulator

    try:
        from vllm_nexus.programs import tenant_identity as ti
    except ImportError:  # a build from before tenants (for "before" figures): ids only
        ti = None
    secret = ti.ensure_secret() if ti else ""  # before the scheduler is built
    policy = policy_of(name)
    spec = EngineSpec(
        hardware=get_hardware(args.hardware),
        model=get_model(args.sim_model),
        scheduler="stock-fcfs" if policy is None else f"vllm_nexus:{policy}",
        additional_config=_merge(scheduler_config(name, args.tokens_scale), args.config),
        max_num_seqs=args.max_num_seqs,
    )
    sim = Simulator(spec, seed=seed)
    sched = sim.scheduler
    add = sched.add_request

    def add_request(request: Any) -> None:  # the client + the middleware, for one call
        pid, cid = request.request_id.split("/", 1)
        tenant = tenant_of(pid)
        strat = strategy if strategy_of is None else strategy_of[phase_of(pid)]
        sent = sent_program_id(strat, pid, cid) if tenant == "gaming" else pid
        xargs = {} if sent is None else {"program_id": sent}
        head = pid.split(".", 1)[0]  # the tenant, with a carried run's phase tag
        as_tenant = TENANTS[0] + head[len(tenant) :] if args.single_tenant else head
        request.sampling_params.extra_args = ti.stamp(xargs, as_tenant, secret) if ti else xargs
        if tenant == "gaming" and strat == "abort":
            dup = sim._Request(
                request_id=request.request_id + "#aborted",
                prompt_token_ids=list(request.prompt_token_ids),
                sampling_params=request.sampling_params.clone(),
                pooling_params=None,
                arrival_time=request.arrival_time,
            )
            add(dup)
            sched.finish_requests(dup.request_id, RequestStatus.FINISHED_ABORTED)
        add(request)

    sched.add_request = add_request
    res = sim.run(programs, think_scale=args.think_scale)
    records = res.program_records()
    if strategy_of is not None:
        phases = {tag: summary(records, tag) for tag in strategy_of if tag != "w"}
        return {"phases": phases, "unfinished": res.unfinished}
    return {"tenants": summary(records), "unfinished": res.unfinished}


def _merge(base: dict | None, extra: str | None) -> dict | None:
    if not extra:
        return base
    out = json.loads(json.dumps(base or {"vllm_nexus": {}}))
    for section, values in json.loads(extra).get("vllm_nexus", {}).items():
        out["vllm_nexus"].setdefault(section, {}).update(values)
    return out


# -- real-server back end -----------------------------------------------------------------------
def make_runner_class() -> type:
    from vllm_nexus.bench.runner import Runner

    class TenantRunner(Runner):
        """``vllm-nexus bench``'s runner with a tenant header and the gaming strategies."""

        strategy = "honest"
        single_tenant = False
        """Send both halves of the load as one tenant (the honest one's name)."""
        tenant_suffix = ""
        """Appended to the tenant header: a fresh pair of tenants per run, so the decayed
        service of one run (half-life 30 s) does not carry into the next on the same server."""

        def _payload(self, program_id: str, c: Any, prompt: Any) -> tuple[dict, dict]:
            body, headers = super()._payload(program_id, c, prompt)
            tenant = tenant_of(program_id)
            headers[TENANT_HEADER] = (TENANTS[0] if self.single_tenant else tenant) + (
                self.tenant_suffix
            )
            if tenant == "gaming":
                sent = sent_program_id(self.strategy, program_id, c.id)
                if sent is None:
                    body.pop("vllm_xargs", None)
                else:
                    body["vllm_xargs"] = {"program_id": sent + self.opts.program_id_suffix}
            return body, headers

        async def _send(self, program_id: str, c: Any, st: Any) -> None:
            if self.strategy == "abort" and tenant_of(program_id) == "gaming":
                await self._send_and_abort(program_id, c, st)
            await super()._send(program_id, c, st)

        async def _send_and_abort(self, program_id: str, c: Any, st: Any) -> None:
            """Send the call and hang up after its first streamed chunk (a cancel)."""
            body, headers = self._payload(program_id, c, st.prompt)
            try:
                async with self._session.post(
                    f"{self.base}/v1/completions", json=body, headers=headers
                ) as resp:
                    async for line in resp.content:
                        if line.startswith(b"data:"):
                            break
            except Exception:  # noqa: BLE001 - a failed throwaway call is not a result
                pass

    return TenantRunner


def run_real(name: str, args: argparse.Namespace, out: Path, rep: int) -> None:
    from vllm_nexus.bench import runner as bench_runner
    from vllm_nexus.bench.prompts import PromptFactory, load_local_tokenizer, pool_from_tokenizer
    from vllm_nexus.bench.runner import ClientOptions
    from vllm_nexus.serving.launcher import VllmServer

    cfg = _merge(scheduler_config(name, args.tokens_scale), args.config)
    server_args = ["--max-num-seqs", str(args.max_num_seqs), "--served-model-name", "tiny",
                   "--middleware", "vllm_nexus.api.ProgramIdMiddleware"]  # fmt: skip
    if cfg is not None:
        server_args += ["--scheduler-cls", "vllm_nexus.Scheduler"]
        server_args += ["--additional-config", json.dumps(cfg)]
    pool, _ = pool_from_tokenizer(load_local_tokenizer(args.model))
    runner_cls = make_runner_class()

    def one_run(server: Any, strategy: str, seed: int, programs: list[ProgramSpec]) -> Any:
        salt = uuid.uuid4().hex[:12]  # fresh program ids and a fresh tenant pair per run
        opts = ClientOptions(
            base_url=server.base_url,
            model="tiny",
            think_scale=args.think_scale,
            progress=False,
            program_id_suffix=f"@{salt}",
        )
        runner = runner_cls(programs, PromptFactory(seed, salt, pool), opts)
        runner.strategy = strategy
        runner.single_tenant = args.single_tenant
        runner.tenant_suffix = f"@{salt}"
        return asyncio.run(runner.run())

    with VllmServer(args.model, args=server_args, startup_timeout_s=600) as server:
        if args.warmup_programs > 0:  # a fresh server's first run is slower (warm-up, dropped)
            warm = tenant_programs(args, 10_000 + rep)[: args.warmup_programs]
            one_run(server, "honest", 10_000 + rep, warm)
        strategies = args.stock_strategies if cfg is None else args.strategies
        for strategy in strategies[::-1] if rep % 2 else strategies:  # order effects cancel
            for seed in args.seeds:
                t0 = time.time()
                before = bench_runner.scrape_metrics(server.base_url)
                records, duration = one_run(server, strategy, seed, tenant_programs(args, seed))
                delta = bench_runner.metrics_delta(
                    before, bench_runner.scrape_metrics(server.base_url)
                )
                row = {"backend": "real", "scheduler": name, "strategy": strategy, "seed": seed,
                       "rep": rep, "rate": args.rate, "workload": args.workload,
                       "calls_scale": args.calls_scale, "warmup": args.warmup_programs,
                       "single_tenant": args.single_tenant,
                       "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0)),
                       "duration_s": round(duration, 1), "tenants": summary(records),
                       "server": bench_runner.server_breakdown(delta)}  # fmt: skip
                _append(out, row)
                server.check()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def _append(out: Path, row: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as f:
        f.write(json.dumps(row) + "\n")
    t = row["tenants"]
    print(
        f"{row['backend']} {row['scheduler']:5s} {row['strategy']:6s} seed {row['seed']}: "
        f"honest {t['honest']['mean_ms']:.1f} ms, gaming {t['gaming']['mean_ms']:.1f} ms, "
        f"gain {t['honest']['mean_ms'] / t['gaming']['mean_ms']:.2f}x, failed calls "
        f"{t['honest']['failed_calls'] + t['gaming']['failed_calls']}",
        flush=True,
    )


# -- report -------------------------------------------------------------------------------------
def report(rows: list[dict]) -> str:
    """Markdown table: per scheduler and strategy, mean latency per tenant (mean over runs),
    the gaming tenant's gain, and the honest tenant's gain over stock in the same mix."""
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        cells[(r["scheduler"], r["strategy"])].append(r["tenants"])

    def mean(key: tuple[str, str], tenant: str) -> float:
        return statistics.mean(t[tenant]["mean_ms"] for t in cells[key])

    lines = [
        "| scheduler | strategy | runs | honest (ms/token) | gaming (ms/token) "
        "| gaming gain (honest/gaming) | per run | honest vs stock |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key in sorted(cells, key=lambda k: (_order(k[0]), STRATEGIES.index(k[1]))):
        sched, strat = key
        h, g = mean(key, "honest"), mean(key, "gaming")
        per_run = ", ".join(
            f"{t['honest']['mean_ms'] / t['gaming']['mean_ms']:.2f}" for t in cells[key]
        )
        vs = ""
        base = next((k for k in (("stock", strat), ("stock", "honest")) if k in cells), None)
        if sched != "stock" and base is not None:
            vs = f"{mean(base, 'honest') / h:.2f}x" + ("" if base[1] == strat else "*")
        lines.append(
            f"| {sched} | {strat} | {len(cells[key])} | {h:.1f} | {g:.1f} | **{h / g:.2f}x** "
            f"| {per_run} | {vs} |"
        )
    if any(line.endswith("* |") for line in lines):
        lines.append("\n\\* vs stock's `honest` row (stock ignores program ids and tenants).")
    return "\n".join(lines)


def compare(before: list[dict], after: list[dict]) -> str:
    """Markdown table: the gaming tenant's gain and the honest tenant's gain over stock, before
    and after (e.g. a build without tenants vs this one), per policy and strategy."""

    def cells(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
        out: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for r in rows:
            out[(r["scheduler"], r["strategy"])].append(r["tenants"])
        return out

    b, a = cells(before), cells(after)

    def mean(c: dict, key: tuple[str, str], tenant: str) -> float:
        return statistics.mean(t[tenant]["mean_ms"] for t in c[key])

    def stock(c: dict, strat: str) -> float | None:
        for key in (("stock", strat), ("stock", "honest")):
            if key in c:
                return mean(c, key, "honest")
        return None

    lines = [
        "| policy | gaming strategy | gaming gain before | gaming gain after | per run after "
        "| honest vs stock before | honest vs stock after |",
        "|---|---|---|---|---|---|---|",
    ]
    keys = sorted(
        (k for k in a if k[0] != "stock"), key=lambda k: (_order(k[0]), STRATEGIES.index(k[1]))
    )
    for key in keys:
        gain = mean(a, key, "honest") / mean(a, key, "gaming")
        runs = ", ".join(f"{t['honest']['mean_ms'] / t['gaming']['mean_ms']:.2f}" for t in a[key])
        sa = stock(a, key[1])
        vs_after = f"{sa / mean(a, key, 'honest'):.2f}x" if sa else "—"
        gb = vb = "—"
        if key in b:
            gb = f"{mean(b, key, 'honest') / mean(b, key, 'gaming'):.2f}x"
            sb = stock(b, key[1]) or sa
            vb = f"{sb / mean(b, key, 'honest'):.2f}x" if sb else "—"
        lines.append(
            f"| {key[0]} | {key[1]} | {gb} | **{gain:.2f}x** | {runs} | {vb} | {vs_after} |"
        )
    return "\n".join(lines)


# -- command line -------------------------------------------------------------------------------
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["sim", "real", "report"])
    p.add_argument("results", nargs="?", help="report: the JSONL file(s) to summarise")
    p.add_argument("--model", help="real: model directory (default: build the tiny model)")
    p.add_argument(
        "--schedulers", default="stock,plas,atlas,mlfq",
        help=f"of {','.join(SCHEDULERS)}; a policy + '{NOFAIR}' runs it with tenants."
        f"fair_share off; gittins{POOLED}: with scheduler.gittins_size_scope pooled",
    )  # fmt: skip
    p.add_argument(
        "--single-tenant", action="store_true",
        help="both halves of the load are sent as one tenant (tenant fair share has nothing "
        "to balance: the single-tenant comparison)",
    )  # fmt: skip
    p.add_argument("--strategies", default=",".join(STRATEGIES[1:]) + ",honest")
    p.add_argument(
        "--stock-strategies",
        help="real: strategies run under stock vLLM (default: --strategies). Stock ignores "
        "program ids and tenants, so only strategies that change the load differ there "
        "(honest,abort); the report compares with stock's honest row where one is missing",
    )
    p.add_argument("--workload", default="chat", choices=list(workloads.WORKLOADS))
    p.add_argument("--rate", type=float, default=12.0, help="programs/s, both tenants together")
    p.add_argument("--programs", type=int, default=200, help="programs, both tenants together")
    p.add_argument("--seeds", default="0")
    p.add_argument(
        "--reps", type=int, default=1,
        help="real: servers per scheduler (odd repetitions run the strategies in reverse order)",
    )  # fmt: skip
    p.add_argument(
        "--first-rep", type=int, default=0,
        help="real: number of the first repetition (rotates the scheduler order; resuming)",
    )  # fmt: skip
    p.add_argument(
        "--warmup-programs", type=int, default=16,
        help="real: programs of a discarded honest run at the start of every server",
    )  # fmt: skip
    p.add_argument(
        "--carry", action="store_true",
        help="sim: run a scheduler's strategies one after the other on ONE simulated server "
        "(after a warm-up phase; state carried over as on a real server) instead of a fresh "
        "engine per run",
    )  # fmt: skip
    p.add_argument(
        "--carry-gap", type=float, default=60.0,
        help="sim --carry: virtual seconds from a phase's last arrival to the next phase",
    )  # fmt: skip
    p.add_argument("--calls-scale", type=float, default=1.0)
    p.add_argument("--tokens-scale", type=float, default=0.25)
    p.add_argument("--think-scale", type=float, default=0.3)
    p.add_argument("--max-num-seqs", type=int, default=8)
    p.add_argument("--config", help='extra --additional-config, e.g. {"vllm_nexus": {...}}')
    p.add_argument("--hardware", default="cpu-here", help="sim: hardware preset")
    p.add_argument("--sim-model", default="tiny", help="sim: model shape")
    p.add_argument("--out", help="append result rows to this JSONL file")
    p.add_argument("--before", help="report: rows of a baseline build, compared side by side")
    args = p.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    args.strategies = [s for s in args.strategies.split(",") if s]
    args.stock_strategies = (
        [s for s in args.stock_strategies.split(",") if s]
        if args.stock_strategies
        else args.strategies
    )
    scheds = [s for s in args.schedulers.split(",") if s]
    bad = [s for s in scheds if not known_scheduler(s)] + [
        s for s in args.strategies + args.stock_strategies if s not in STRATEGIES
    ]
    if bad:
        p.error(f"unknown scheduler/strategy {bad[0]!r}")
    if args.mode == "report":
        if not args.results:
            p.error("report needs a results file")
        rows = _rows(Path(args.results))
        print(compare(_rows(Path(args.before)), rows) if args.before else report(rows))
        return 0
    out = Path(args.out or f"tenant-bench-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
    rows: list[dict] = []
    if args.mode == "sim" and args.carry:
        for seed in args.seeds:
            for name in scheds:
                strategies = args.strategies
                if policy_of(name) is None:
                    strategies = args.stock_strategies
                programs, strategy_of = carried_programs(args, seed, strategies)
                res = simulate(name, "", programs, args, seed, strategy_of)
                for k, tenants in res["phases"].items():
                    row = {"backend": "sim", "scheduler": name, "strategy": strategy_of[k],
                           "seed": seed, "rate": args.rate, "workload": args.workload,
                           "carry": int(k), "tenants": tenants,
                           "unfinished": res["unfinished"]}  # fmt: skip
                    _append(out, row)
                    rows.append(row)
    elif args.mode == "sim":
        for seed in args.seeds:
            programs = tenant_programs(args, seed)
            for name in scheds:
                for strategy in args.strategies:
                    res = simulate(name, strategy, programs, args, seed)
                    row = {"backend": "sim", "scheduler": name, "strategy": strategy,
                           "seed": seed, "rate": args.rate, "workload": args.workload,
                           **res}  # fmt: skip
                    _append(out, row)
                    rows.append(row)
    else:
        if not args.model:
            from vllm_nexus.serving.tiny_model import build_tiny_model

            args.model = str(build_tiny_model(Path("/tmp/vllm-nexus-tenant-bench/tiny")))
        for rep in range(args.first_rep, args.first_rep + args.reps):  # rotated order
            for name in scheds[rep % len(scheds) :] + scheds[: rep % len(scheds)]:
                run_real(name, args, out, rep)
        rows = _rows(out)
    print(report(rows))
    print(f"rows appended to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    # `timeout` sends SIGTERM: unwind, so the server we started is stopped with us
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
