"""Simulated evaluation of the intra-GPU prefill/decode split (Nexus §5) — SIMULATED numbers.

One GPU, Poisson arrivals of single calls, two engines compared on the same requests:

- ``stock``: vLLM V1 chunked prefill. Each step runs every running decode plus prefill chunks
  (FCFS) up to the token budget, as one mixed batch on the whole GPU; its time is the roofline
  ``mixed_step_time`` of :mod:`vllm_nexus.perf.latency`.
- ``nexus``: the split. A prefill stream and a decode stream run concurrently, each launching
  its next batch when its previous one ends. At each launch the real
  :class:`~vllm_nexus.split.controller.SplitController` (cost model from a shipped derived
  profile, two modes, hysteresis, granularity) picks the SM split. The launching phase's time
  is its full-GPU roofline time times the SM-share slowdown of the **physics** calibration
  (:mod:`vllm_nexus.split.sm_scaling`: published measurements, not the roofline's own SM
  model), decode additionally times that calibration's bandwidth-contention factor while a
  prefill runs. Prefill order: shortest remaining prompt first with aging; decode: FCFS.
  A phase gets the whole GPU only when the other phase has no request in the system.

The controller's profile and the physics are separate inputs: with ``--physics central`` they
agree (the shipped profiles are derived from the central calibration), which is the best case
for the controller; ``pessimistic`` / ``optimistic`` physics show what happens when the real
GPU scales differently from what the controller believes. Every result carries both labels.

Both engines admit a request only when the KV cache can hold its prompt and output
(reservation; no preemption in either), with the same token budget and batch limit.
Not modelled: the real vLLM scheduler classes (this is a standalone event simulation, unlike
``vllm-nexus simulate``), transient SM over-subscription when the two phases switch splits at
different boundaries, CUDA-graph effects (nexus runs eager on a GPU). Pure Python, no vLLM
import.
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import json
import math
import random
import sys
from dataclasses import dataclass, field
from typing import Any

from vllm_nexus.config import PartitionConfig
from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
from vllm_nexus.split import sm_scaling
from vllm_nexus.split.controller import SplitController
from vllm_nexus.split.cost_model import PROFILE_DIR, CostModel, PhaseWork, load_profile

# Nexus §5 workloads: (prompt mean, output mean) and spread.
WORKLOADS = {
    "longdoc": "Long Data Collections-like: prompts ~5.9k tokens (4-6k+), outputs ~180",
    "sharegpt": "ShareGPT-like chat: prompts ~500, outputs ~100 (log-normal)",
    "mixed": "60% sharegpt + 40% longdoc",
}


@dataclass
class Req:
    rid: int
    arrival: float
    prompt: int
    output: int
    done_prompt: int = 0
    generated: int = 0
    first_token: float | None = None
    last_token: float | None = None
    finish: float | None = None
    gaps: list[float] = field(default_factory=list)

    @property
    def kv(self) -> int:
        return self.prompt + self.output


def _lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def make_requests(workload: str, rate: float, n: int, seed: int) -> list[Req]:
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}: choose one of {sorted(WORKLOADS)}")
    rng = random.Random(seed)
    t = 0.0
    reqs = []
    for i in range(n):
        t += rng.expovariate(rate)
        kind = workload
        if workload == "mixed":
            kind = "longdoc" if rng.random() < 0.4 else "sharegpt"
        if kind == "longdoc":
            p = int(min(9000, max(3000, rng.gauss(5905, 1200))))
            o = int(min(512, max(16, rng.gauss(180, 60))))
        else:
            p = int(min(4096, max(16, _lognormal(rng, 496, 0.9))))
            o = int(min(1024, max(4, _lognormal(rng, 97, 0.9))))
        reqs.append(Req(i, t, p, o))
    return reqs


@dataclass
class Engine:
    lat: StepLatencyModel
    kv_tokens: int
    budget: int = 8192
    max_seqs: int = 256

    def __post_init__(self) -> None:
        self.kv_used = 0

    def admit(self, r: Req) -> bool:
        if self.kv_used + r.kv > self.kv_tokens:
            return False
        self.kv_used += r.kv
        return True

    def emit(self, r: Req, now: float) -> None:
        """One output token for ``r`` at ``now``."""
        r.generated += 1
        if r.first_token is None:
            r.first_token = now
        else:
            r.gaps.append(now - r.last_token)
        r.last_token = now
        if r.generated >= r.output:
            r.finish = now
            self.kv_used -= r.kv


def run_stock(reqs: list[Req], eng: Engine) -> float:
    """vLLM V1 chunked prefill: mixed steps, decodes first, prefill chunks FCFS."""
    pending = sorted(reqs, key=lambda r: r.arrival)
    i, now = 0, 0.0
    waiting: list[Req] = []
    running: list[Req] = []  # admitted, in arrival order
    while i < len(pending) or waiting or running:
        while i < len(pending) and pending[i].arrival <= now:
            waiting.append(pending[i])
            i += 1
        while waiting and len(running) < eng.max_seqs and eng.admit(waiting[0]):
            running.append(waiting.pop(0))
        if not running:
            now = pending[i].arrival
            continue
        budget = eng.budget
        dec = [r for r in running if r.done_prompt >= r.prompt]
        budget -= len(dec)
        chunks = []
        for r in running:
            if r.done_prompt < r.prompt and budget > 0:
                n = min(budget, r.prompt - r.done_prompt)
                chunks.append((r, n))
                budget -= n
        dt = eng.lat.mixed_step_time(
            [(n, r.done_prompt) for r, n in chunks], [r.prompt + r.generated for r in dec]
        )
        now += dt
        for r in dec:
            eng.emit(r, now)
        for r, n in chunks:
            r.done_prompt += n
            if r.done_prompt >= r.prompt:
                eng.emit(r, now)
        running = [r for r in running if r.finish is None]
    return now


def run_nexus(
    reqs: list[Req],
    eng: Engine,
    ctl: SplitController,
    cfg: PartitionConfig,
    physics: sm_scaling.ScalingModel | None = None,
) -> tuple[float, dict[str, int]]:
    """Concurrent prefill and decode streams on an SM split chosen per launch; phase times
    from the full-GPU roofline times ``physics``' published SM scaling and contention."""
    physics = physics or sm_scaling.get_model(sm_scaling.DEFAULT)
    n_sms = ctl.num_sms
    pending = sorted(reqs, key=lambda r: r.arrival)
    i = 0
    waiting: list[Req] = []  # not yet admitted
    prefilling: list[Req] = []  # admitted, prompt not done
    decoding: list[Req] = []  # prompt done
    events: list[tuple[float, int, str]] = []  # (end time, seq, phase)
    seq = 0
    busy = {"prefill": None, "decode": None}  # phase -> (batch, sms)
    stats = {"launches": 0, "held": 0, "prefill_priority": 0, "decode_priority": 0}
    now = 0.0

    def spf_key(r: Req) -> float:
        return (r.prompt - r.done_prompt) - cfg.spf_aging_per_s * (now - r.arrival)

    def launch(phase: str) -> None:
        nonlocal seq
        if phase == "prefill":
            budget = eng.budget
            batch = []
            for r in sorted(prefilling, key=spf_key):
                if budget <= 0:
                    break
                n = min(budget, r.prompt - r.done_prompt)
                batch.append((r, n))
                budget -= n
            if not batch:
                return
        else:
            batch = [(r, 1) for r in decoding[: eng.max_seqs]]
            if not batch:
                return
        pre_work = (
            PhaseWork(
                sum(n for _, n in batch), sum(n * (r.done_prompt + n) for r, n in batch), len(batch)
            )
            if phase == "prefill"
            else _prefill_backlog()
        )
        dec_work = (
            PhaseWork(len(batch), sum(r.prompt + r.generated for r, _ in batch), len(batch))
            if phase == "decode"
            else _decode_backlog()
        )
        d = ctl.decide(pre_work, dec_work, eng.kv_used / eng.kv_tokens)
        stats["launches"] += 1
        stats["held"] += d.held
        if d.mode in stats:
            stats[d.mode] += 1
        sms = d.prefill_sms if phase == "prefill" else d.decode_sms
        sms = max(sms, 1)
        frac = min(1.0, sms / n_sms)
        if phase == "prefill":
            dt = eng.lat.prefill_time([(n, r.done_prompt) for r, n in batch])
        else:
            dt = eng.lat.decode_time(len(batch), [r.prompt + r.generated for r, _ in batch])
            if busy["prefill"] is not None:
                dt *= physics.contention(busy["prefill"][2].mean_context)
        dt *= physics.slowdown(phase, frac)
        work = pre_work if phase == "prefill" else None
        busy[phase] = (batch, sms, work)
        heapq.heappush(events, (now + dt, seq, phase))
        seq += 1

    def _prefill_backlog() -> PhaseWork | None:
        if not prefilling:
            return None
        toks = min(eng.budget, sum(r.prompt - r.done_prompt for r in prefilling))
        return PhaseWork(toks, toks * max(r.prompt for r in prefilling), len(prefilling))

    def _decode_backlog() -> PhaseWork | None:
        if not decoding:
            return None
        b = decoding[: eng.max_seqs]
        return PhaseWork(len(b), sum(r.prompt + r.generated for r in b), len(b))

    while i < len(pending) or waiting or prefilling or decoding or events:
        while i < len(pending) and pending[i].arrival <= now:
            waiting.append(pending[i])
            i += 1
        while waiting and len(prefilling) + len(decoding) < eng.max_seqs and eng.admit(waiting[0]):
            prefilling.append(waiting.pop(0))
        for phase in ("decode", "prefill"):
            if busy[phase] is None:
                launch(phase)
        nxt_arrival = pending[i].arrival if i < len(pending) else math.inf
        if not events:
            if nxt_arrival == math.inf:
                break
            now = nxt_arrival
            continue
        if nxt_arrival < events[0][0]:
            now = nxt_arrival
            continue
        now, _, phase = heapq.heappop(events)
        batch, _sms, _w = busy[phase]
        busy[phase] = None
        if phase == "prefill":
            for r, n in batch:
                r.done_prompt += n
                if r.done_prompt >= r.prompt:
                    eng.emit(r, now)
                    prefilling.remove(r)
                    if r.finish is None:
                        decoding.append(r)
        else:
            for r, _ in batch:
                eng.emit(r, now)
            decoding = [r for r in decoding if r.finish is None]
    return now, stats


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def summarize(reqs: list[Req], end: float) -> dict[str, float]:
    ttft = [r.first_token - r.arrival for r in reqs if r.first_token is not None]
    tbt = [sum(r.gaps) / len(r.gaps) for r in reqs if r.gaps]
    out_tokens = sum(r.generated for r in reqs)
    return {
        "mean_ttft_s": sum(ttft) / len(ttft),
        "p95_ttft_s": _pct(ttft, 0.95),
        "mean_tbt_s": sum(tbt) / len(tbt),
        "p95_tbt_s": _pct(tbt, 0.95),
        "throughput_tok_s": out_tokens / end if end > 0 else 0.0,
        "finished": sum(r.finish is not None for r in reqs),
    }


def simulate(
    system: str, workload: str, rate: float, n: int, seed: int, hardware: str, model: str,
    cfg: PartitionConfig | None = None, profile: str | None = None,
    physics: str = sm_scaling.DEFAULT,
) -> dict[str, Any]:  # fmt: skip
    hw, shape = get_hardware(hardware), get_model(model)
    lat = StepLatencyModel(hw, shape)
    eng = Engine(lat, lat.kv_capacity_tokens())
    reqs = make_requests(workload, rate, n, seed)
    if system == "stock":
        end, extra = run_stock(reqs, eng), {}
    elif system == "nexus":
        cfg = cfg or PartitionConfig(sm_granularity=hw.sm_granularity, min_sms_per_side=hw.min_sms)
        prof = load_profile(profile_path(hardware, model, profile))
        ctl = SplitController(cfg, CostModel(prof), num_sms=hw.num_sms)
        end, extra = run_nexus(reqs, eng, ctl, cfg, sm_scaling.get_model(physics))
        extra["decode_slack"] = cfg.decode_slack
        extra["physics"] = physics
    else:
        raise ValueError(f"unknown system {system!r}: stock or nexus")
    res = summarize(reqs, end)
    res.update(system=system, workload=workload, rate=rate, requests=n, seed=seed, **extra)
    return res


def profile_path(hardware: str, model: str, profile: str | None = None) -> Any:
    path = profile or f"{hardware}-{model}"
    return path if path.endswith(".json") else PROFILE_DIR / f"partition-{path}.json"


def calibration(hardware: str, model: str, physics: str, profile: str | None = None) -> dict:
    """What produced a simulated figure: the label every result file and table carries."""
    from vllm_nexus.perf.hardware import get_hardware

    prof = load_profile(profile_path(hardware, model, profile))
    return {
        "simulated": True,
        "full_gpu_latency": f"roofline preset {hardware} ({get_hardware(hardware).source})",
        "physics": physics,
        "physics_source": sm_scaling.get_model(physics).label(),
        "controller_profile": profile or f"partition-{hardware}-{model}.json (shipped)",
        "controller_profile_source": prof.source,
    }


def max_rate_at_slo(
    results: list[dict[str, Any]], ttft_slo: float, tbt_slo: float, tbt_key: str = "mean_tbt_s"
) -> float | None:
    """Highest simulated rate whose mean TTFT and TBT (``tbt_key``) both meet the SLO."""
    ok = [r["rate"] for r in results if r["mean_ttft_s"] <= ttft_slo and r[tbt_key] <= tbt_slo]
    return max(ok) if ok else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="longdoc,sharegpt,mixed")
    p.add_argument("--rates", required=True, help="per workload: w=r1,r2;w2=...")
    p.add_argument("--requests", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hardware", default="h100")
    p.add_argument("--model", default="llama-3.1-8b")
    p.add_argument("--ttft-slo", default="longdoc=3,sharegpt=1,mixed=2")
    p.add_argument("--tbt-slo", type=float, default=0.1, help="mean TBT SLO (s)")
    p.add_argument("--p95-tbt-slo", type=float, default=0.05, help="P95 TBT SLO (s)")
    p.add_argument(
        "--decode-slack", type=float, default=None, help="override partition.decode_slack"
    )
    p.add_argument(
        "--physics",
        default=sm_scaling.DEFAULT,
        choices=sorted(sm_scaling.MODELS),
        help="published-measurement SM-scaling/contention calibration for the nexus engine",
    )
    p.add_argument("--profile", help="controller profile (default: the shipped one)")
    p.add_argument("-o", "--output", help="JSON file for all results")
    a = p.parse_args(argv)
    rates = dict(
        (w, [float(x) for x in rs.split(",")])
        for w, rs in (part.split("=") for part in a.rates.split(";"))
    )
    slo = {w: float(v) for w, v in (part.split("=") for part in a.ttft_slo.split(","))}
    hw = get_hardware(a.hardware)
    cfg = PartitionConfig(sm_granularity=hw.sm_granularity, min_sms_per_side=hw.min_sms)
    if a.decode_slack is not None:
        cfg = dataclasses.replace(cfg, decode_slack=a.decode_slack)
    allres = []
    cal = calibration(a.hardware, a.model, a.physics, a.profile)
    print(
        f"SIMULATED, not GPU measurements. decode_slack={cfg.decode_slack}\n"
        f"full-GPU step latency: {cal['full_gpu_latency']}\n"
        f"nexus SM scaling/contention (physics): {cal['physics_source']}\n"
        f"controller profile: {cal['controller_profile']} ({cal['controller_profile_source']})"
    )
    for w in a.workloads.split(","):
        res: dict[str, list[dict[str, Any]]] = {}
        for system in ("stock", "nexus"):
            res[system] = [
                simulate(
                    system,
                    w,
                    r,
                    a.requests,
                    a.seed,
                    a.hardware,
                    a.model,
                    cfg=cfg,
                    profile=a.profile,
                    physics=a.physics,
                )  # fmt: skip
                for r in rates[w]
            ]
            allres += res[system]
        print(f"\n## {w} ({WORKLOADS[w]}), {a.hardware}/{a.model}, {a.requests} requests")
        print("| rate/s | system | mean TTFT s | P95 TTFT s | mean TBT ms | P95 TBT ms | tok/s |")
        print("|---|---|---|---|---|---|---|")
        for k, r in enumerate(rates[w]):
            for system in ("stock", "nexus"):
                x = res[system][k]
                print(
                    f"| {r:g} | {system} | {x['mean_ttft_s']:.2f} | {x['p95_ttft_s']:.2f} | "
                    f"{x['mean_tbt_s'] * 1e3:.1f} | {x['p95_tbt_s'] * 1e3:.1f} | "
                    f"{x['throughput_tok_s']:.0f} |"
                )
        print()
        for key, lim, label in (
            ("mean_tbt_s", a.tbt_slo, "mean TBT"),
            ("p95_tbt_s", a.p95_tbt_slo, "P95 TBT"),
        ):
            ms, mn = (max_rate_at_slo(res[s], slo[w], lim, key) for s in ("stock", "nexus"))
            ratio = f"{mn / ms:.2f}x" if ms and mn else "n/a"
            print(
                f"max rate at SLO (mean TTFT <= {slo[w]} s, {label} <= {lim * 1e3:.0f} ms): "
                f"stock {ms}, nexus {mn} -> {ratio}"
            )
        ttft_ratios = [
            s["mean_ttft_s"] / n["mean_ttft_s"]
            for s, n in zip(res["stock"], res["nexus"], strict=True)
        ]
        print("mean TTFT stock/nexus per rate: " + ", ".join(f"{x:.2f}x" for x in ttft_ratios))
    if a.output:
        with open(a.output, "w") as f:
            json.dump(
                {"simulated": True, "calibration": cal, "decode_slack": cfg.decode_slack,
                 "results": allres}, f, indent=1,
            )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
