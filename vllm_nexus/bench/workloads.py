"""Seeded agentic workload generators with the statistics of the Autellix evaluation.

Autellix §6.1 (digest: shared/papers/autellix.md) reports, per workload, calls per program,
mean prefill and mean decode tokens per call:

=========  ==========================  ==============  =============  =====================
workload   source                      calls/program   prompt tokens  output tokens
=========  ==========================  ==============  =============  =====================
chat       ShareGPT multi-turn         6.66 (max 80)   256            277
react      BFCL v3 multi-turn ReAct    10.75 (max 70)  735            34
lats       LATS tree search, HotpotQA  159.7           467            73
mixed      equal mix of the three
=========  ==========================  ==============  =============  =====================

Our reading of the statistics: ``prompt_tokens`` is the *new* prompt text of a call; the
conversation history comes on top through ``context_from`` (prefix-cached by the engine), so the
prefill work the engine does matches the paper's mean. All counts are heavy-tailed (discretised
log-normals whose clipped mean equals the target). Program structure:

* ``chat``: a chain of turns, each continuing the previous turn's context (growing history),
  with a short user think time between turns.
* ``react``: a chain of reason/act steps with a tool call (``think_s``) between steps; each
  step continues the previous context.
* ``lats``: a root call, then ``levels`` rounds of tree search; each round expands
  ``branching`` children in parallel from the previously selected node (fan-out, each child
  after an environment/tool delay) and one selection/reflection call after all of them
  (fan-in) that continues the chosen child's context.

``calls_scale`` and ``tokens_scale`` shrink programs for CPU runs (documented in docs/bench.md);
a chain restarts its context when the history would exceed ``max_context_tokens``. Arrivals are
Poisson: unit-rate exponential gaps drawn from the seed, divided by the rate, so one seed gives
the same programs and the same arrival *pattern* at every rate. Pure Python: no vLLM import.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from vllm_nexus.bench.trace import CallSpec, ProgramSpec


@dataclass(frozen=True)
class WorkloadStats:
    """Target statistics of one program class (Autellix §6.1)."""

    calls_mean: float
    calls_max: int
    prompt_mean: float
    output_mean: float
    think_mean_s: float
    """Mean think/tool time between dependent calls at GPU speed (scale with --think-scale)."""
    first_prompt_mean: float | None = None
    """Mean new prompt of a program's first call (and of a call that restarts a full
    context: system prompt, task, summary); None: ``prompt_mean``."""
    fanout_mean: float = 0.0
    """map-reduce: mean parallel map calls per program (heavy-tailed, at most ``calls_max``)."""


STATS: dict[str, WorkloadStats] = {
    "chat": WorkloadStats(6.66, 80, 256, 277, 0.5),
    "react": WorkloadStats(10.75, 70, 735, 34, 1.0),
    "lats": WorkloadStats(159.7, 601, 467, 73, 0.5),
    # Evaluation families (ours, not from Autellix; see EVALUATION_WORKLOADS):
    "coding-agent": WorkloadStats(24.0, 150, 400, 120, 1.5, first_prompt_mean=1500),
    "map-reduce": WorkloadStats(10.0, 65, 600, 100, 0.1, first_prompt_mean=800, fanout_mean=8.0),
}
MIXES: dict[str, tuple[str, ...]] = {
    "mixed": ("chat", "react", "lats"),
    "agentic": ("coding-agent", "chat", "map-reduce", "lats"),
}
"""Workloads that are an equal, shuffled mix of program classes."""
TUNING_WORKLOADS = ("chat", "react", "lats", "mixed")
"""The Autellix families: what policies and the simulator's calibration may be tuned on."""
EVALUATION_WORKLOADS = ("coding-agent", "map-reduce", "agentic")
"""Held out: policies, defaults and the cpu-here calibration are never tuned on these; they
judge (docs/bench.md, "Tuning and evaluation workloads")."""
WORKLOADS = TUNING_WORKLOADS + EVALUATION_WORKLOADS
REDUCE_PROMPT_MEAN = 200
"""map-reduce: new instruction tokens of the reduce call, on top of the map outputs it reads."""

CALLS_SIGMA = 0.9
"""Log-normal shape of calls per program (heavy tail; e.g. chat: P(>=30 turns) ~ 4%)."""
TOKENS_SIGMA = 0.8
"""Log-normal shape of prompt/output token counts."""
LATS_BRANCHING = 5
"""Children expanded per LATS round (LATS default n_generate_sample = 5)."""


@dataclass(frozen=True)
class WorkloadOptions:
    """Scaling knobs for small (CPU) runs; 1.0 reproduces the paper's statistics."""

    calls_scale: float = 1.0
    tokens_scale: float = 1.0
    max_context_tokens: int = 4096
    lats_branching: int = LATS_BRANCHING
    arrival_cv: float = 1.0
    """Coefficient of variation of program inter-arrival gaps: 1 is Poisson; > 1 is bursty
    (Gamma-distributed gaps, same mean rate: programs arrive in clumps with lulls between)."""

    def __post_init__(self) -> None:
        if not (self.calls_scale > 0 and self.tokens_scale > 0):
            raise ValueError("calls_scale and tokens_scale must be > 0")
        if not self.arrival_cv > 0:
            raise ValueError("arrival_cv must be > 0")
        if self.max_context_tokens < 16:
            raise ValueError("max_context_tokens must be >= 16")
        if self.lats_branching < 1:
            raise ValueError("lats_branching must be >= 1")


def _ln_cdf(x: float, mu: float, sigma: float) -> float:
    if x <= 0:
        return 0.0
    return 0.5 * (1.0 + math.erf((math.log(x) - mu) / (sigma * math.sqrt(2.0))))


@functools.lru_cache(maxsize=256)
def _mu_for_mean(mean: float, sigma: float, lo: int, hi: int) -> float:
    """mu such that E[clip(round(LogNormal(mu, sigma)), lo, hi)] == mean (bisection)."""

    def clipped_mean(mu: float) -> float:
        total = lo * _ln_cdf(lo + 0.5, mu, sigma)
        prev = _ln_cdf(lo + 0.5, mu, sigma)
        for k in range(lo + 1, hi):
            cur = _ln_cdf(k + 0.5, mu, sigma)
            total += k * (cur - prev)
            prev = cur
        return total + hi * (1.0 - prev)

    if not lo <= mean <= hi:
        raise ValueError(f"mean {mean} outside [{lo}, {hi}]")
    a, b = math.log(max(mean, 1e-9)) - 3 * sigma**2 - 5, math.log(hi) + 5
    for _ in range(60):
        m = 0.5 * (a + b)
        if clipped_mean(m) < mean:
            a = m
        else:
            b = m
    return 0.5 * (a + b)


def heavy_int(rng: random.Random, mean: float, lo: int, hi: int, sigma: float) -> int:
    """A discretised log-normal integer in [lo, hi] with expected value ``mean``."""
    mean = min(max(mean, lo), hi)
    if hi <= lo:
        return lo
    mu = _mu_for_mean(round(mean, 6), sigma, lo, hi)
    return min(hi, max(lo, round(rng.lognormvariate(mu, sigma))))


class _Builder:
    """Accumulates the calls of one program, tracking context lengths for the cap."""

    def __init__(self, rng: random.Random, stats: WorkloadStats, opts: WorkloadOptions):
        self.rng, self.stats, self.opts = rng, stats, opts
        self.calls: list[CallSpec] = []
        self.full_prompt: dict[str, int] = {}
        self.output: dict[str, int] = {}

    def tokens(self, mean: float, scaled: bool = True) -> int:
        m = max(1.0, mean * (self.opts.tokens_scale if scaled else 1.0))
        hi = max(2, min(self.opts.max_context_tokens // 2, int(m * 16)))
        return heavy_int(self.rng, m, 1, hi, TOKENS_SIGMA)

    def think(self) -> float:
        mean = self.stats.think_mean_s
        return round(self.rng.expovariate(1.0 / mean), 4) if mean > 0 else 0.0

    def add(
        self,
        after: list[str],
        context_from: str | None,
        think: bool = True,
        prompt: int | None = None,
    ) -> str:
        """Append a call (new prompt drawn unless given) and return its id. A fresh context
        (no ``context_from``, or a history that would pass ``max_context_tokens``) draws the
        first-call prompt mean, when the class has one (system prompt, task, summary)."""
        cid = f"c{len(self.calls)}"
        s = self.stats
        fresh_mean = s.first_prompt_mean or s.prompt_mean
        if prompt is None:
            prompt = self.tokens(s.prompt_mean if context_from is not None else fresh_mean)
        output = self.tokens(s.output_mean)
        if context_from is not None:
            ctx = self.full_prompt[context_from] + self.output[context_from]
            if ctx + prompt + output > self.opts.max_context_tokens:
                context_from, ctx = None, 0  # history too long: start a fresh context
                if s.first_prompt_mean:
                    prompt = self.tokens(fresh_mean)
        else:
            ctx = 0
        self.full_prompt[cid] = ctx + prompt
        self.output[cid] = output
        self.calls.append(
            CallSpec(
                id=cid,
                prompt_tokens=prompt,
                output_tokens=output,
                after=tuple(after),
                think_s=self.think() if (after and think) else 0.0,
                context_from=context_from,
            )
        )
        return cid

    def num_calls(self, scale_mean: float | None = None) -> int:
        s = self.stats
        mean = scale_mean if scale_mean is not None else s.calls_mean * self.opts.calls_scale
        hi = max(1, round(s.calls_max * min(1.0, self.opts.calls_scale * 2)))
        return heavy_int(self.rng, max(1.0, mean), 1, max(hi, 1), CALLS_SIGMA)


def _chain(b: _Builder) -> None:
    prev: str | None = None
    for _ in range(b.num_calls()):
        prev = b.add([prev] if prev else [], prev)


def _lats(b: _Builder) -> None:
    k = b.opts.lats_branching
    per_level = k + 1
    s = b.stats
    level_mean = max(1.0, (s.calls_mean * b.opts.calls_scale - 1) / per_level)
    level_max = max(1, (s.calls_max - 1) // per_level)
    if b.opts.calls_scale < 0.5:
        level_max = max(1, round(level_max * b.opts.calls_scale * 2))
    levels = heavy_int(b.rng, min(level_mean, level_max), 1, level_max, CALLS_SIGMA)
    node = b.add([], None)
    for _ in range(levels):
        children = [b.add([node], node) for _ in range(k)]
        chosen = b.rng.choice(children)
        node = b.add(children, chosen, think=False)


def _map_reduce(b: _Builder) -> None:
    """A plan call, ``fanout`` parallel map calls continuing it (each its own chunk after a
    short dispatch delay), one reduce call after all of them reading every map's output."""
    s = b.stats
    mean = max(1.0, s.fanout_mean * min(1.0, b.opts.calls_scale * 2))
    fanout = heavy_int(b.rng, mean, 1, s.calls_max - 2, CALLS_SIGMA)
    plan = b.add([], None)
    maps = [b.add([plan], plan) for _ in range(fanout)]
    prompt = b.tokens(REDUCE_PROMPT_MEAN) + sum(b.output[m] for m in maps)
    prompt = min(prompt, max(1, b.opts.max_context_tokens // 2))
    b.add(maps, None, think=False, prompt=prompt)


_SHAPES: dict[str, Callable[[_Builder], None]] = {
    "chat": _chain,
    "react": _chain,
    "lats": _lats,
    "coding-agent": _chain,
    "map-reduce": _map_reduce,
}


def generate(
    workload: str,
    num_programs: int,
    seed: int,
    rate: float,
    options: WorkloadOptions | None = None,
) -> list[ProgramSpec]:
    """Generate ``num_programs`` programs of ``workload`` with Poisson(``rate``) arrivals."""
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}: choose one of {list(WORKLOADS)}")
    if num_programs < 1:
        raise ValueError("num_programs must be >= 1")
    opts = options or WorkloadOptions()
    rng = random.Random(f"vllm-nexus/{workload}/{seed}")
    kinds = MIXES.get(workload, (workload,))
    programs: list[ProgramSpec] = []
    gaps = unit_gaps(num_programs, seed, opts.arrival_cv)
    t = 0.0
    for i in range(num_programs):
        kind = kinds[i % len(kinds)]
        b = _Builder(rng, STATS[kind], opts)
        _SHAPES[kind](b)
        programs.append(ProgramSpec(f"{kind}-{i:05d}", t, tuple(b.calls), kind))
        if i + 1 < num_programs:
            t += gaps[i] / rate if rate > 0 else 0.0
    if len(kinds) > 1:  # equal mix, shuffled order (kinds stay balanced)
        order = list(range(num_programs))
        random.Random(f"vllm-nexus/{workload}-order/{seed}").shuffle(order)
        arrivals = [p.arrival_s for p in programs]
        programs = [programs[j].with_arrival(arrivals[i]) for i, j in enumerate(order)]
    return programs


def unit_gaps(n: int, seed: int, cv: float = 1.0) -> list[float]:
    """Mean-1 inter-arrival gaps for ``n`` programs, deterministic from ``seed``:
    exponential (Poisson arrivals) for ``cv`` 1, else Gamma with that coefficient of
    variation (``cv`` > 1: bursts)."""
    rng = random.Random(f"vllm-nexus/arrivals/{seed}")
    if cv == 1.0:
        return [rng.expovariate(1.0) for _ in range(max(0, n - 1))]
    shape = 1.0 / (cv * cv)
    return [rng.gammavariate(shape, 1.0 / shape) for _ in range(max(0, n - 1))]


def retime(
    programs: list[ProgramSpec], rate: float, seed: int, cv: float = 1.0
) -> list[ProgramSpec]:
    """Same programs, same order, new arrival times at ``rate`` (0 = all at once): Poisson,
    or bursty with gap coefficient of variation ``cv`` > 1."""
    if rate < 0:
        raise ValueError("rate must be >= 0")
    gaps = unit_gaps(len(programs), seed, cv)
    out, t = [], 0.0
    for i, p in enumerate(programs):
        out.append(p.with_arrival(t))
        if i < len(gaps):
            t += gaps[i] / rate if rate > 0 else 0.0
    return out
