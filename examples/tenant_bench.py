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
    # interleaved: one server per scheduler, all up at once; each repetition runs every
    # (scheduler, strategy) cell once, in a rotated order, and pairs it with its own stock run
    python examples/tenant_bench.py real --model DIR --reps 4 \\
        --cells stock:honest,mlfq:honest,mlfq:noid --out results/tenants.jsonl
    python examples/tenant_bench.py report results/tenants.jsonl [--before OLD.jsonl]

Every run is compared with stock's run of the same command and repetition: on a shared machine
stock alone moves ~2x between windows minutes apart, so a ratio to another window's stock run
carries that spread.

Real runs send the tenant in the ``X-Tenant-ID`` header through
``--middleware vllm_nexus.api.ProgramIdMiddleware`` (which stamps it, signed, into the call);
the simulator stamps it the same way. The workload, its scaling and the queue boundaries are
the benchmark's (``vllm_nexus.bench``; docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
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
LOAD_STRATEGIES = ("abort",)
"""Strategies that change the load stock serves (throwaway calls), not only the ids."""
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
    counters = scheduler_counters(sched)
    if strategy_of is not None:
        phases = {tag: summary(records, tag) for tag in strategy_of if tag != "w"}
        return {"phases": phases, "unfinished": res.unfinished, "server": counters}
    return {"tenants": summary(records), "unfinished": res.unfinished, "server": counters}


def scheduler_counters(sched: Any) -> dict[str, Any] | None:
    """A simulated vllm_nexus scheduler's counters (None for stock): how calls found their
    program (explicit id / lineage-inferred / solo), proactive and withheld preemptions,
    anti-starvation promotions: the real runs' ``/metrics`` deltas, for the simulator."""
    mlq = getattr(sched, "mlq", None)
    if mlq is None:
        return None
    return {
        "program_sources": dict(sched.assigner.counts),
        "preemptions_proactive": sched.nexus_metrics.preemptions_proactive,
        "preemptions_withheld": mlq.preemptions_withheld,
        "starvation_promotions": mlq.promotions_total,
        "demotions": mlq.demotions_total,
    }


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


def _server_args(name: str, args: argparse.Namespace) -> list[str]:
    """``vllm serve`` arguments of a scheduler name (stock: no scheduler class)."""
    cfg = _merge(scheduler_config(name, args.tokens_scale), args.config)
    out = ["--max-num-seqs", str(args.max_num_seqs), "--served-model-name", "tiny",
           "--middleware", "vllm_nexus.api.ProgramIdMiddleware"]  # fmt: skip
    if cfg is not None:
        out += ["--scheduler-cls", "vllm_nexus.Scheduler", "--additional-config", json.dumps(cfg)]
    return out


class _Client:
    """Runs one twin workload against a server (a fresh tenant pair and fresh program ids per
    run) and appends its row with the server's ``/metrics`` deltas."""

    def __init__(self, args: argparse.Namespace, out: Path, extra: dict | None = None) -> None:
        from vllm_nexus.bench.prompts import load_local_tokenizer, pool_from_tokenizer

        self.args, self.out = args, out
        self.extra = {**(extra or {}), **({"config": args.config} if args.config else {})}
        self.pool, _ = pool_from_tokenizer(load_local_tokenizer(args.model))
        self.runner_cls = make_runner_class()

    def run(self, server: Any, strategy: str, seed: int, programs: list[ProgramSpec]) -> Any:
        from vllm_nexus.bench.prompts import PromptFactory
        from vllm_nexus.bench.runner import ClientOptions

        salt = uuid.uuid4().hex[:12]  # fresh program ids and a fresh tenant pair per run
        opts = ClientOptions(
            base_url=server.base_url,
            model="tiny",
            think_scale=self.args.think_scale,
            progress=False,
            program_id_suffix=f"@{salt}",
        )
        runner = self.runner_cls(programs, PromptFactory(seed, salt, self.pool), opts)
        runner.strategy = strategy
        runner.single_tenant = self.args.single_tenant
        runner.tenant_suffix = f"@{salt}"
        return asyncio.run(runner.run())

    def warm_up(self, server: Any, rep: int) -> None:
        """A discarded honest run: a fresh server's first run is slower."""
        if self.args.warmup_programs > 0:
            warm = tenant_programs(self.args, 10_000 + rep)[: self.args.warmup_programs]
            self.run(server, "honest", 10_000 + rep, warm)

    def measured(self, server: Any, name: str, strategy: str, seed: int, rep: int,
                 **fields: Any) -> dict:  # fmt: skip
        from vllm_nexus.bench import runner as bench_runner

        args = self.args
        t0 = time.time()
        before = bench_runner.scrape_metrics(server.base_url)
        records, duration = self.run(server, strategy, seed, tenant_programs(args, seed))
        delta = bench_runner.metrics_delta(before, bench_runner.scrape_metrics(server.base_url))
        row = {"backend": "real", "scheduler": name, "strategy": strategy, "seed": seed,
               "rep": rep, "rate": args.rate, "workload": args.workload,
               "calls_scale": args.calls_scale, "warmup": args.warmup_programs,
               "single_tenant": args.single_tenant, **self.extra, **fields,
               "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0)),
               "duration_s": round(duration, 1), "tenants": summary(records),
               "server": bench_runner.server_breakdown(delta),
               "loadavg": _loadavg()}  # fmt: skip
        _append(self.out, row)
        server.check()
        return row


def _loadavg() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def run_real(name: str, args: argparse.Namespace, out: Path, rep: int, session: str) -> None:
    """A fresh server for one scheduler and repetition: warm-up, then its strategies."""
    from vllm_nexus.serving.launcher import VllmServer

    client = _Client(args, out, {"session": session})
    with VllmServer(args.model, args=_server_args(name, args), startup_timeout_s=600) as server:
        client.warm_up(server, rep)
        strategies = args.stock_strategies if policy_of(name) is None else args.strategies
        for strategy in strategies[::-1] if rep % 2 else strategies:  # order effects cancel
            for seed in args.seeds:
                client.measured(server, name, strategy, seed, rep)


def parse_cells(text: str) -> list[tuple[str, str]]:
    """``stock:honest,mlfq:noid`` -> ``[("stock", "honest"), ("mlfq", "noid")]`` (validated)."""
    cells = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        name, sep, strategy = item.partition(":")
        if not sep or not known_scheduler(name) or strategy not in STRATEGIES:
            raise ValueError(
                f"bad cell {item!r}: SCHEDULER:STRATEGY with a scheduler of "
                f"{','.join(SCHEDULERS)} (+suffix) and a strategy of {','.join(STRATEGIES)}"
            )
        if (name, strategy) in cells:
            raise ValueError(f"cell {item!r} given twice")
        cells.append((name, strategy))
    if not cells:
        raise ValueError("no cells")
    return cells


def rotation(items: list, rep: int) -> list:
    """Order of repetition ``rep``: the list rotated by ``rep`` places (every item takes
    every position once in ``len(items)`` repetitions)."""
    k = rep % len(items)
    return items[k:] + items[:k]


def run_interleaved(cells: list[tuple[str, str]], args: argparse.Namespace, out: Path,
                    session: str) -> None:  # fmt: skip
    """One server per scheduler, all up at once (idle servers use no CPU), a discarded
    warm-up run per server, then every repetition runs every cell once, one run at a time,
    in the cell order rotated by the repetition: each cell sees the same windows of the
    machine, and each run is compared with its own repetition's stock run."""
    from vllm_nexus.serving.launcher import VllmServer

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_sweep import start_servers  # every server starts at once

    client = _Client(args, out, {"session": session, "mode": "interleaved"})
    names = list(dict.fromkeys(name for name, _ in cells))
    servers = {
        n: VllmServer(args.model, args=_server_args(n, args), startup_timeout_s=900) for n in names
    }
    try:
        errors = start_servers(servers.values())
        if errors:
            raise SystemExit(f"a server did not start: {errors[0]}")
        for n in names:
            client.warm_up(servers[n], args.first_rep)
            print(f"warmed up {n} ({servers[n].base_url})", flush=True)
        for rep in range(args.first_rep, args.first_rep + args.reps):
            for pos, (name, strategy) in enumerate(rotation(cells, rep)):
                for seed in args.seeds:
                    client.measured(servers[name], name, strategy, seed, rep, position=pos)
    finally:
        for srv in servers.values():
            srv.stop()


def _rows(path: Path) -> list[dict]:
    """A results file's rows, each tagged with the file (``_file``: rows from before
    ``session`` pair with the stock runs of their own file)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    return [{**r, "_file": str(path)} for r in rows]


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
def pair_key(row: dict) -> tuple:
    """The runs a row is compared with: the same command (``session``; rows from before
    sessions: the same results file), the same repetition and the same seed."""
    return (row.get("session") or row.get("_file", ""), row.get("rep", 0), row.get("seed", 0))


def stock_ratio(row: dict, rows: list[dict]) -> tuple[float, bool] | None:
    """The honest tenant's gain over stock for one run: stock's honest-tenant latency in the
    same command, repetition and seed (:func:`pair_key`) / this run's. Stock's run of the same
    strategy if it ran one, else its ``honest`` run (stock ignores ids and tenants, so only
    ``abort``, whose throwaway calls add load, changes stock's run); the flag is False when
    the load differs (an ``abort`` run against stock's ``honest``). None: no stock run to
    pair with (or a stock row)."""
    if row["scheduler"] == "stock":
        return None
    key = pair_key(row)
    stock = {r["strategy"]: r for r in rows if r["scheduler"] == "stock" and pair_key(r) == key}
    base = stock.get(row["strategy"]) or stock.get("honest")
    if base is None:
        return None
    ratio = base["tenants"]["honest"]["mean_ms"] / row["tenants"]["honest"]["mean_ms"]
    return ratio, base["strategy"] == row["strategy"] or row["strategy"] not in LOAD_STRATEGIES


def geo_mean(xs: list[float]) -> float:
    return math.exp(statistics.mean(math.log(x) for x in xs))


def _cell_order(key: tuple[str, str]) -> tuple:
    return (_order(key[0]), STRATEGIES.index(key[1]))


def report(rows: list[dict]) -> str:
    """Markdown table: per scheduler and strategy, mean latency per tenant (mean over runs),
    the gaming tenant's gain (per run and of the means), and the honest tenant's gain over
    stock: per run against the stock run of the *same* command and repetition
    (:func:`stock_ratio`), and their geometric mean. Runs without a stock run to pair with
    are counted but have no ratio (``-``)."""
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        cells[(r["scheduler"], r["strategy"])].append(r)

    lines = [
        "| scheduler | strategy | runs | honest (ms/token) | gaming (ms/token) "
        "| gaming gain (honest/gaming) | per run | honest vs stock (geo-mean) | per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    starred = False
    for key in sorted(cells, key=_cell_order):
        runs = sorted(cells[key], key=pair_key)
        h = statistics.mean(r["tenants"]["honest"]["mean_ms"] for r in runs)
        g = statistics.mean(r["tenants"]["gaming"]["mean_ms"] for r in runs)
        per_run = ", ".join(
            f"{r['tenants']['honest']['mean_ms'] / r['tenants']['gaming']['mean_ms']:.2f}"
            for r in runs
        )
        vs = vs_runs = ""
        if key[0] != "stock":
            paired = [stock_ratio(r, rows) for r in runs]
            got = [p for p in paired if p is not None]
            vs_runs = ", ".join(
                "-" if p is None else f"{p[0]:.2f}" + ("" if p[1] else "*") for p in paired
            )
            starred |= "*" in vs_runs
            vs = f"{geo_mean([p[0] for p in got]):.2f}x" if got else "-"
        lines.append(
            f"| {key[0]} | {key[1]} | {len(runs)} | {h:.1f} | {g:.1f} | **{h / g:.2f}x** "
            f"| {per_run} | {vs} | {vs_runs} |"
        )
    if starred:
        lines.append("\n\\* vs stock's `honest` run: stock did not run this strategy's load.")
    return "\n".join(lines)


def repetitions(rows: list[dict]) -> str:
    """Markdown table, one line per command, repetition and seed with a stock ``honest`` run:
    that run's honest-tenant latency, and every other run's honest-tenant latency and its
    ratio to it (the interleaved mode's view: every cell of a repetition ran in the same
    window of the machine). Empty if no repetition has a stock run."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[pair_key(r)].append(r)
    keys = sorted(k for k, rs in groups.items() if any(
        r["scheduler"] == "stock" and r["strategy"] == "honest" for r in rs))  # fmt: skip
    cells = sorted(
        {(r["scheduler"], r["strategy"]) for k in keys for r in groups[k]}, key=_cell_order
    )
    if not keys:
        return ""
    head = " | ".join(f"{s}/{t}" for s, t in cells)
    lines = [
        f"| command | rep | seed | {head} |",
        "|---|---|---|" + "---|" * len(cells),
    ]
    for key in keys:
        by_cell = {(r["scheduler"], r["strategy"]): r for r in groups[key]}
        out = []
        for cell in cells:
            r = by_cell.get(cell)
            if r is None:
                out.append("")
                continue
            ms = f"{r['tenants']['honest']['mean_ms']:.1f}"
            p = stock_ratio(r, rows)
            out.append(ms if p is None else f"{ms} ({p[0]:.2f}x)")
        lines.append(f"| {Path(key[0]).name} | {key[1]} | {key[2]} | " + " | ".join(out) + " |")
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
    p.add_argument("results", nargs="*", help="report: the JSONL file(s) to summarise")
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
    p.add_argument(
        "--cells",
        help="real, interleaved: SCHEDULER:STRATEGY,... (e.g. stock:honest,mlfq:honest,"
        "mlfq:noid). One server per scheduler, all up at once, one warm-up run each; then "
        "--reps repetitions, each running every cell once in a rotated order, so every cell "
        "sees the same windows of the machine (include stock:honest: each run is compared "
        "with its own repetition's stock run). Replaces --schedulers/--strategies",
    )
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
    cells = None
    if args.cells:
        if args.mode != "real":
            p.error("--cells is for real runs")
        try:
            cells = parse_cells(args.cells)
        except ValueError as e:
            p.error(str(e))
    if args.mode == "report":
        if not args.results:
            p.error("report needs a results file")
        rows = [r for f in args.results for r in _rows(Path(f))]
        if args.before:
            print(compare(_rows(Path(args.before)), rows))
        else:
            print(report(rows))
            reps = repetitions(rows)
            if reps:
                print("\nPer repetition: honest tenant (ms/token) and its gain over the same "
                      "repetition's stock run\n")  # fmt: skip
                print(reps)
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
        session = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        if cells:
            run_interleaved(cells, args, out, session)
        else:
            for rep in range(args.first_rep, args.first_rep + args.reps):
                for name in rotation(scheds, rep):
                    run_real(name, args, out, rep, session)
        rows = [r for r in _rows(out) if r.get("session") == session]
    print(report(rows))
    reps = repetitions(rows)
    if reps:
        print("\n" + reps)
    print(f"rows appended to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    # `timeout` sends SIGTERM: unwind, so the server we started is stopped with us
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
