"""The one typed, validated configuration of vllm-nexus.

Read from ``--additional-config '{"vllm_nexus": {...}}'`` (``vllm_config.additional_config``).
Every tunable lives here, with its default; ``docs/configuration.md`` says why each default
was chosen. Unknown keys and bad values raise :class:`ConfigError` naming the key, so a typo
stops startup instead of being silently ignored.

Pure Python: no vLLM import.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

CONFIG_KEY = "vllm_nexus"

Policy = Literal["atlas", "plas", "mlfq", "fcfs", "gittins"]
SizeScope = Literal["tenant", "pooled"]
ServiceUnit = Literal["time", "tokens"]
SplitMode = Literal["auto", "off", "sequential", "concurrent"]
PartitionBackend = Literal["auto", "green_context", "none"]
RoutingStrategy = Literal["program-affine", "least-used", "round-robin"]
ProgramInference = Literal["lineage", "off"]
InferenceExplicit = Literal["after-idless", "always"]
GittinsObjective = Literal["token_latency", "latency"]
OffloadConnector = Literal["offloading", "simple-cpu"]
StageMode = Literal["off", "gang", "join", "spread"]
StageRerank = Literal["off", "width", "remaining"]
UnprovenPreemption = Literal[False, True, "long-calls"]
RecomputeAhead = Literal["better", "level"]
LevelOrder = Literal["fcfs", "rank", "class", "class-best"]
SchedulerProfile = Literal["auto", "cpu", "gpu"]


class ConfigError(ValueError):
    """A bad vllm_nexus option. The message names the offending key."""


GPU_PROFILE: dict[str, Any] = {
    "num_queues": 10,
    "fanout_service_weight": 8.0,
    "fanout_min_stages": 2,
    "fanout_weight_preempts": False,
}
"""``scheduler`` defaults of the ``gpu`` profile (``scheduler.profile``); every other key keeps
its default. Chosen on the simulator's A100/H100 presets (Llama-3.1-8B; batch-bound and the
KV-bound ``gpu-kv-bound`` setting) by a rule fixed before held-out seeds were run
(docs/results/gpuprof-2026-12-04b/)."""
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {"cpu": {}, "gpu": GPU_PROFILE}
GPU_PLATFORMS = ("cuda", "rocm")
"""vLLM platforms on which ``scheduler.profile: auto`` resolves to ``gpu``."""


@dataclass(frozen=True)
class ProfileChoice:
    """How ``scheduler.profile`` resolved: the profile, why, the profile defaults in effect and
    the profile keys the config set itself (those keep the config's value)."""

    profile: str
    reason: str
    applied: dict[str, Any]
    explicit: tuple[str, ...]

    def describe(self) -> str:
        out = f"profile={self.profile} ({self.reason})"
        if self.applied:
            out += " defaults " + " ".join(f"{k}={v}" for k, v in self.applied.items())
        if self.explicit:
            out += "; set explicitly: " + ",".join(self.explicit)
        return out


def resolve_profile(requested: str, platform: str | None) -> tuple[str, str]:
    """(``cpu`` or ``gpu``, why) for a requested ``scheduler.profile`` on a vLLM platform
    (``cuda``, ``rocm``, ``cpu``, ...; None: not known, as outside the engine)."""
    if requested != "auto":
        return requested, "set explicitly"
    if platform in GPU_PLATFORMS:
        return "gpu", f"auto: vLLM platform {platform}"
    return "cpu", f"auto: vLLM platform {platform or 'not known'}"


def profile_choice(section: Any, platform: str | None = None) -> ProfileChoice:
    """The profile a ``vllm_nexus`` config section resolves to on ``platform``."""
    sched = section.get("scheduler", {}) if isinstance(section, dict) else {}
    if not isinstance(sched, dict):
        sched = {}
    path = f"{CONFIG_KEY}.scheduler.profile"
    requested = _coerce(SchedulerProfile, sched.get("profile", "auto"), path, "profile")
    profile, reason = resolve_profile(requested, platform)
    defaults = PROFILE_DEFAULTS[profile]
    applied = {k: v for k, v in defaults.items() if k not in sched}
    return ProfileChoice(profile, reason, applied, tuple(k for k in defaults if k in sched))


def _with_profile(data: Any, platform: str | None) -> Any:
    """``data`` (a ``vllm_nexus`` section) with the resolved profile's defaults under the keys
    it leaves unset, and ``scheduler.profile`` resolved."""
    if not isinstance(data, dict) or not isinstance(data.get("scheduler", {}), dict):
        return data  # _build names the error
    choice = profile_choice(data, platform)
    sched = {**choice.applied, **data.get("scheduler", {}), "profile": choice.profile}
    return {**data, "scheduler": sched}


@dataclass(frozen=True)
class SchedulerConfig:
    """Program-level scheduling (Autellix §4, Alg. 1)."""

    profile: SchedulerProfile = "auto"
    """Which defaults the keys below take when the config does not set them: ``cpu`` (the
    defaults written here, tuned and measured on the CPU real engine) or ``gpu`` (the
    :data:`GPU_PROFILE` defaults, from the simulator's A100/H100 presets; docs/benchmarks.md
    "2026-12-04 (b)"). ``auto``: ``gpu`` when vLLM's platform is CUDA or ROCm, else ``cpu``
    (resolved by the scheduler at startup and logged with the reason; the built config
    holds the resolved value). A key set explicitly always wins over either profile."""
    policy: Policy = "plas"
    """plas: sum of completed calls' service (Autellix PLAS, §4.2); atlas: critical-path
    program service (= PLAS for sequential programs); mlfq: call-level MLFQ (FastServe-style
    baseline); fcfs: stock; gittins: Gittins index of learned program sizes (opt-in). Default
    plas, with self-tuning levels: ahead on the simulator's tuning families
    (docs/configuration.md)."""
    num_queues: int = 7
    """K, the number of discrete priority levels."""
    first_boundary: float = 256.0
    """hi_1: upper service bound of queue 1 (service units); later bounds grow by
    ``boundary_growth``."""
    boundary_growth: float = 2.0
    """Ratio between consecutive queue boundaries and quanta."""
    first_quantum: float = 256.0
    """Service a call may receive in queue 1 before it is demoted; later quanta grow by
    ``boundary_growth``."""
    service_unit: ServiceUnit = "tokens"
    """tokens: executed tokens, prefill tokens weighted by ``prefill_token_weight`` (portable
    across hardware, deterministic); time: model-executor seconds charged to every call of a
    step (the paper's unit; set boundaries/quanta in seconds then)."""
    prefill_token_weight: float = 0.25
    """tokens unit only: service of one prefill token relative to one decode token."""
    starvation_beta: float = 32.0
    """Promote a call to queue 1 when (W_prog + W_call) / (T_prog + T_call) >= beta.
    0 disables anti-starvation. 32 (was 8) since 2026-12-03, with ``stage_rerank``: at 8 the
    siblings a re-ranked fan-out defers (young programs, little run time) were promoted to
    the top one by one under overload and lost the gain (docs/benchmarks.md, "2026-12-03")."""
    starvation_min_wait_s: float = 1.0
    """A call must have waited at least this long before the starvation ratio is checked
    (avoids promoting calls with no history on their first step)."""
    preemption: bool = True
    """Proactive preemption: a waiting call of a better level displaces a running call of a
    worse level when the batch or the KV cache is full."""
    max_preemptions_per_step: int = 4
    """Bound on proactive preemptions per step (bounds thrash and per-step work)."""
    program_ttl_s: float = 600.0
    """Forget a program idle (no active call) for this long."""
    max_programs: int = 100_000
    """Program-table capacity; the least recently seen idle program is evicted beyond it."""
    program_pack_after_s: float = 60.0
    """An idle program is stored packed (bytes, outside the cyclic collector's heap) once it
    has been idle this long and nothing outside the table refers to it; revived on its next
    call. 0: as soon as it is idle (every call of a program then revives and packs it)."""
    max_program_id_length: int = 256
    """Longest accepted program id (characters)."""
    program_inference: ProgramInference = "lineage"
    """Calls that name no program: lineage: join the program of the earlier call whose prompt
    and output the new prompt continues (docs/programs.md); off: each is a program of its
    own (call-level scheduling for id-less clients)."""
    program_inference_explicit: InferenceExplicit = "after-idless"
    """Whether completed calls that named their program are remembered for lineage inference
    (so a later id-less call that continues one joins its program): after-idless: only while
    an id-less call has arrived within ``program_ttl_s`` (a server whose clients all send ids
    hashes nothing; the first id-less call after such a period cannot join an explicit
    program, docs/programs.md §2); always: every one."""
    program_inference_max_calls: int = 32_768
    """Completed calls remembered for lineage inference (~0.7 KB each); older ones are
    forgotten first, all after ``program_ttl_s``."""
    program_inference_log: str | None = None
    """Path of a JSONL audit log: one line per call that named no program (request id, the
    program it was given, how). Off by default."""
    adaptive_levels: bool = True
    """Level boundaries and quanta follow the observed service scale (programs/levels.py):
    first boundary = first quantum = ``level_scale_fraction`` x the median service of recently
    completed calls, within [``min_first_boundary``, ``max_first_boundary``];
    ``first_boundary``/``first_quantum`` are then only the starting point. false: fixed."""
    level_scale_fraction: float = 1.0
    """Adaptive levels: first boundary as a fraction of the median call service."""
    min_first_boundary: float = 0.01
    """Adaptive levels: lower bound of the first boundary (service units; the default also
    fits the time unit)."""
    max_first_boundary: float = 1.0e6
    """Adaptive levels: upper bound of the first boundary (service units)."""
    gittins_min_samples: int = 20
    """gittins: ended programs needed before a size distribution (per class, else global)
    replaces PLAS."""
    gittins_window: int = 1000
    """gittins: recent programs kept as size samples (ended: sizes; active: censored)."""
    size_end_idle_s: float | None = None
    """gittins: a program idle this long counts as ended for size learning; null: 4 x the 95th
    percentile of observed gaps between a program's calls (at least 1 s, at most the TTL)."""
    starvation_relative: bool = True
    """Anti-starvation threshold = ``starvation_beta`` x the current queueing ratio (waiting
    calls per running call, averaged over ~5 s; at least ``starvation_beta``), which by
    Little's law is how long calls wait per unit of service at this load: a call is promoted
    when its program waited beta times longer than is typical now. false: the absolute
    Autellix rule, which under heavy load fires for a large share of calls."""
    starvation_wait_factor: float = 0.0
    """Wait-bound anti-starvation: a waiting call below level 1 is also promoted once it has
    waited this factor x the recent mean wait of admitted calls (an average over the last ~32
    admissions; at least ``starvation_min_wait_s``), whatever its program's run time. Bounds
    how long later calls of programs in flight are held behind a burst of new programs, which
    the ratio rule cannot (a program that ran 0.5 s needs ~beta x 0.5 s of waiting). Calls of
    a program with other calls in flight (fan-out siblings, which ``stage_rerank`` defers on
    purpose) are left to the ratio rule. 0: off."""
    starvation_fast_rise: bool = False
    """With ``starvation_relative``: the queueing ratio behind the threshold follows a rise
    at once (and still decays with its ~5 s time constant), and a rise of the threshold is
    applied without waiting out the hysteresis interval. At the start of a burst the slow
    average otherwise keeps the threshold near beta while the queue is already long, and
    young programs (little run time) are promoted to the top level one by one. false: the
    average follows rises and falls alike (docs/benchmarks.md, "2026-12-03 (d)")."""
    gittins_objective: GittinsObjective = "token_latency"
    """gittins: minimise mean program token latency (each program weighted by 1 / its output
    tokens; the Autellix metric) or mean program latency (equal weights)."""
    preemption_cost_factor: float = 8.0
    """Proactive preemption weighs what it costs: a running call is displaced only when the
    priority gap (between the two calls' level lower bounds, service units) is at least this
    factor x (1 + the victim's earlier preemptions) x the service of the tokens it would
    compute again (prefill-weighted; all its tokens when its KV is needed by the newcomer;
    else its last partial block plus the blocks that the waiting calls admitted before it
    returns (``recompute_ahead``) take beyond the free KV blocks: programs/preemption.py). 0: any
    strictly worse level is displaced (Autellix Alg. 1). tokens service unit only."""
    recompute_ahead: RecomputeAhead = "level"
    """Which waiting calls the recompute estimate behind ``preemption_cost_factor`` assumes
    are admitted before a victim returns (their KV demand beyond the free blocks evicts the
    victim's cached blocks): better: those of a strictly better (tier, level); level: also
    those of the victim's own level (a call demoted at its quantum, the usual victim, rejoins
    the back of its level, behind them). See docs/configuration.md for the default."""
    preemption_min_level_gap: int = 1
    """Proactive preemption within a priority tier needs the victim this many levels below
    the waiting call (1: any strictly worse level, Autellix Alg. 1). 2 spares calls of
    programs one level apart, which on even sizes are about as far from done."""
    preemption_size_check: bool = True
    """Proactive preemption also asks the learned program sizes (the Gittins rank of each
    program's attained service under the empirical distribution of recent programs' sizes,
    per class when one is known, programs/sizes.py; tracked for every policy when on): a
    waiting call displaces a running call only when its program's rank times
    ``preemption_size_margin`` is below the victim program's. On even sizes the rank falls as
    a program nears the typical size (an older program is closer to done), so newer
    programs stop preempting older ones (FCFS-like); on heavy tails it grows with the
    attained service and the level rule stands (LAS-like). Until ``gittins_min_samples``
    programs have ended the level rule alone decides. O(log grid) per candidate victim."""
    preemption_size_margin: float = 1.0
    """With ``preemption_size_check``: the newcomer's rank times this must be below the
    victim's (> 1 asks for a clearer size gap before a preemption)."""
    kv_watermark: float = 0.05
    """Fraction of KV blocks kept free when admitting waiting calls (sets vLLM's
    ``--watermark`` when that is left at 0): running calls can grow without being preempted
    and recomputed when the KV cache binds. 0: vLLM's default (admit while blocks last)."""
    program_class_prefix_tokens: int = 128
    """gittins: without ``vllm_xargs.program_class``, a program's class is a hash of its first
    call's first this-many prompt tokens (the agent's system prompt); 0 disables."""
    unproven_preemption: UnprovenPreemption = False
    """Calls of an *unproven* program may proactively preempt running calls. A program is
    unproven when its first call named no program and continued no earlier call (lineage
    inference found nothing): a genuinely new program, or a fragment of a larger one whose
    context restarted (docs/programs.md section 2). false: such calls keep their queue level
    and take free batch slots and KV blocks in queue order, but displace no running call
    (neither do calls queued behind them). "long-calls": they may displace a running call
    only when that call's *own* service (not its program's) ranks it below them, i.e. a
    call that is long itself. true: like any call. Programs with an id, and id-less calls
    that continue an identified program, are unaffected."""
    parallel_stages: StageMode = "spread"
    """Programs whose calls run in parallel (programs/queues.py, "Stages"): gang: a call that
    arrives while its program has calls in flight joins their stage, entering at the
    program's service when the stage began (siblings share one level); join: also the call
    that closes a fan-out (arrives once >= 2 parallel calls finished) belongs to that stage,
    so the reduce is not ranked behind its own maps' service; spread: join, and a sibling is
    ranked as if the siblings in flight before it had run first (+ one median call service
    each). off: each call enters at the program's service at its arrival (PLAS/ATLAS as in
    Autellix). Sequential programs are unaffected by every mode. Default spread, with
    stage_order: on the real engine (3 interleaved repetitions) it beat off on map-reduce and
    mixed and tied on lats (docs/benchmarks.md, "Parallel stages on the real engine")."""
    stage_order: bool = True
    """With ``parallel_stages``: a stage's calls keep the FCFS position of the stage's first
    call inside their level, so a fan-out is served together rather than interleaved with
    the calls that arrived between its siblings. Under ``spread`` (the default) only the
    join (the call that closes the fan-out) takes that position; the siblings keep their
    own arrival (giving them the stage's position too changed nothing measurable:
    docs/benchmarks.md, "2026-12-03 (later)")."""
    stage_rerank: StageRerank = "width"
    """With ``parallel_stages``: a stage's queued calls that have not run yet are re-levelled
    as the stage grows, so a fan-out is ranked by the work it has committed to (a stage of k
    parallel calls is a bigger program: the fan-out width is a size signal available at the
    stage's start). width: every queued call of the stage takes the level of stage start +
    (widest the stage has been - 1) x the median call service, i.e. where ``spread`` puts its
    last sibling; remaining: the same with the calls in flight now, so the stage also rises
    as it drains (SRPT-like). Work only when the stage's level changes (O(queued calls of
    the stage), at a call's arrival or end, never per step). off: ``spread`` alone ranks
    each sibling at its arrival. Default width since 2026-12-03 (docs/benchmarks.md,
    "2026-12-03": held-out simulator seeds and the real engine, mixed and map-reduce)."""
    fanout_service_weight: float = 1.0
    """atlas/plas with ``parallel_stages``: the attained service of a program that has fanned
    out (had >= 2 calls in flight at once) counts this many times when its calls are levelled,
    so tree searches and map-reduce jobs sink below sequential programs of the same attained
    service (a program that fans out is a larger program: experiment of docs/benchmarks.md,
    "2026-12-03 (evening)"). O(1) per arriving call. 1: off (every program by its service)."""
    fanout_min_stages: int = 1
    """``fanout_service_weight`` applies once a program has fanned out in this many stages
    (1: from its first fan-out; 2: from its second, so a single fan-out such as one map-reduce
    job keeps its rank and repeated fan-outs, a tree search's rounds, sink)."""
    fanout_weight_preempts: bool = True
    """With ``fanout_service_weight``: whether the weight also counts in preemption decisions.
    false: a running call is displaced only if it is worse than the waiting call both with
    and without the weight, and the level gap and recompute-cost rule use the levels without
    it: the weight orders the queue (who is admitted next) but a sunk fan-out's running
    calls are not preempted more often for it (in the KV-bound setting the weight alone
    raised recomputed tokens from 2% to 9-12%: docs/benchmarks.md, "2026-12-03 (h)"). O(1)
    per levelled call. true: preemption compares the weighted levels."""
    sequential_service_weight: float = 1.0
    """atlas/plas with ``parallel_stages``: the weight of the attained service of a program
    that has not fanned out (fewer than ``fanout_min_stages`` fan-out stages) in its level;
    below 1 lifts sequential programs above tree searches of the same attained service
    while leaving the order among fanned-out programs as it is. 1: off."""
    program_order: bool = False
    """atlas/plas: inside a level, calls are ordered by their *program's* first arrival
    rather than their own (FCFS among programs; a call demoted at its quantum still joins the
    back of its new level). In a burst every program's first call enters level 0 at once;
    with call-level FCFS a program's next call queues behind every younger program's first
    call. O(1) per arriving call. false: FCFS among calls (docs/benchmarks.md,
    "2026-12-03 (d)")."""
    output_weight_exponent: float = 0.0
    """atlas/plas: the attained service of a program that has never fanned out (never two
    calls in flight at once) counts ``(o / typical) ** exponent`` times when its calls are
    levelled, where ``o`` is its mean output tokens per completed call and ``typical`` the
    (geometric) mean output tokens per call of recently completed calls (clamped to
    [1/16, ``output_weight_max``]; 1 for a program with no completed call, for one that has
    fanned out, whose stages ``stage_rerank`` ranks, and before 16 calls have completed). The objective is the mean program token latency (latency / output tokens), so
    a program that writes few tokens per call weighs more per second it waits: under load it
    ranks above programs of the same attained service that write many (the weighted form of
    least-attained-service, Smith's rule on the observed rate). O(1) per levelled call,
    nothing per step. 0: off (docs/benchmarks.md, "2026-12-03 (d)")."""
    output_weight_max: float = 16.0
    """Upper bound of the ``output_weight_exponent`` weight (its lower bound is 1/16): 1 lets
    programs that write few tokens per call rise without sinking those that write many."""
    level_order: LevelOrder = "fcfs"
    """Order of the waiting calls inside one queue level. fcfs: by the time they entered it.
    rank: by that time plus a delay of up to ``level_order_window_s`` that grows with the
    call's program's Gittins index under the learned size distribution of its class
    (``vllm_xargs.program_class``, or the first-prompt-block hash of
    ``program_class_prefix_tokens``; the class's table when it has ``gittins_min_samples``
    ended programs, else the global one), ``delay = window x r / (r + r0)`` with ``r`` the
    program's weighted rank (expected service per unit of holding cost at its attained
    service; per output token under ``gittins_objective: token_latency``) and ``r0`` the
    global table's rank of a new program. class: the same with ``r`` the rank of a *new*
    program of the call's class (the class's typical size, whatever the program attained),
    so calls of one class keep FCFS among themselves and only classes are ordered.
    class-best: ``window x (1 - r_best / r)`` with ``r`` the class's rank of a new program
    and ``r_best`` the smallest such rank over the class tables (set at each refresh), so
    the typically smallest class, and a workload of one class, is never delayed. In a
    burst every program's first call enters the top level at once; this serves the first
    calls of typically small programs first. A call is never passed by one that entered its
    level more than the window later, so no call starves inside a level. FCFS while no size
    table exists. O(log grid) per queued call, nothing per step. fcfs: the default
    (docs/benchmarks.md, "2026-12-03 (h)")."""
    level_order_window_s: float = 10.0
    """With ``level_order: rank``: the largest delay (seconds) a call's rank adds to its place
    inside a level (the bound on how much later a call that passes it may have entered)."""
    level_order_min_queue: float = 0.0
    """With ``level_order`` rank/class: the order applies only to calls queued while at least
    this many calls wait per running call (a queue to order; under light load a call keeps
    its FCFS place, and so does the head that proactive preemption reads). 0: always."""
    size_hints: bool = True
    """atlas/plas: honour ``vllm_xargs.program_size_hint``, a client's expected total number
    of LLM calls of the program (docs/programs.md §9). A hinted call enters the level of its
    program's hinted remaining work, ``(hint - calls started) x the program's service per
    completed call`` (the median call service before its first completes), on the same
    self-tuning levels as every other call; programs without a hint keep PLAS/ATLAS exactly.
    The latest hint wins; a program that starts more calls than its standing hint loses hint
    ranking for the rest of its life (it falls back to its attained-service level), so an
    understated hint buys at most what minting a new program id buys, which the tenant fair
    share bounds across tenants. Inside a call, quanta demote a hinted call as any other.
    Ignored by gittins/mlfq/fcfs. O(1) per arriving call, nothing per step. true by default:
    nothing changes for clients that send no hint (docs/benchmarks.md "2026-12-04 (c)");
    false: hints are ignored (still validated and counted)."""
    gittins_size_scope: SizeScope = "tenant"
    """gittins: whose programs a program's size distribution is learned from. tenant: its own
    tenant's (per tenant, and per tenant and class); a tenant with too few ended programs is
    ranked by a global table in which every tenant weighs the same, so a client that mints a
    program id per call cannot skew the sizes other tenants are ranked by (docs/programs.md).
    pooled: one distribution of all recent programs, each one sample."""

    def __post_init__(self) -> None:
        if self.min_first_boundary > self.max_first_boundary:
            raise ConfigError(
                f"vllm_nexus.scheduler.min_first_boundary={self.min_first_boundary} is invalid: "
                f"must be <= max_first_boundary ({self.max_first_boundary})"
            )


@dataclass(frozen=True)
class PartitionConfig:
    """Intra-GPU prefill/decode split (Nexus §4)."""

    split: SplitMode = "auto"
    """auto: unsplit on every device in this release (overlap is opt-in); off: never split;
    sequential: run the two sub-batches one after the other (correctness mode, any device);
    concurrent: overlap the two sub-batches on two threads with a second model runner (CPU:
    correctness path; CUDA: green-context streams, needs --enforce-eager); startup error where
    unsupported."""
    backend: PartitionBackend = "auto"
    """CUDA partition mechanism: green_context (disjoint via cuda-python; torch's overlapping
    ones for sequential only), none, or auto (green contexts when available). MPS is not
    offered: it limits SMs per process (docs/nexus.md)."""
    kv_decode_priority_threshold: float = 0.70
    """KV usage at or above which the controller favours decode (Nexus §4.3)."""
    decode_slack: float = 1.1
    """Prefill-priority mode: decode gets just enough SMs for T_dec <= slack * T_dec(100%)."""
    prefill_slack: float = 1.3
    """Decode-priority mode: prefill gets just enough SMs for T_pre <= slack * T_pre(100%)."""
    hysteresis: float = 0.1
    """Apply a new split only if its SM share differs from the applied one by more than this."""
    sm_granularity: int = 8
    """Partition sizes are multiples of this many SMs (8 on Hopper, 2 on Ampere)."""
    min_sms_per_side: int = 8
    """Smallest partition either phase may get."""
    max_search_steps: int = 16
    """Bound on cost-model evaluations per controller decision."""
    spf_aging_per_s: float = 15.0
    """Prefill order: remaining_prompt_tokens - aging * age_s, ascending (Nexus §4.4)."""
    profile: str | None = None
    """Path of a cost-model profile (JSON); default: the built-in profile for the GPU/model."""
    allow_cuda_graphs: bool = False
    """CUDA with partitions: let split=sequential run without --enforce-eager. Off by
    default: CUDA graph kernels run in the context they were captured in (CUDA Programming
    Guide §4.6.5), so graph-replayed sub-steps leave their partition; for validation only."""


@dataclass(frozen=True)
class RouterConfig:
    """Program-affine routing across engines (Autellix §5, Alg. 2)."""

    strategy: RoutingStrategy = "program-affine"
    """program-affine: Alg. 2; least-used / round-robin: the paper's baselines (benchmarks)."""
    long_prompt_tokens: int = 2048
    """Calls with more prompt tokens than this stick to their program's engine."""
    max_inflight_per_replica: int = 256
    """Calls a replica takes at once (Ray Serve ``max_ongoing_requests``); more wait at the
    router."""
    max_queued_requests: int = 64
    """Calls allowed to wait at the router for a full replica; beyond it HTTP 429."""
    retry_after_s: int = 1
    """Retry-After header value sent with HTTP 429 (and 503 after a replica failure)."""
    first_token_timeout_s: float = 600.0
    """A call with no first token from its replica within this many seconds is answered 504
    (a hung replica must not hold the client forever)."""


@dataclass(frozen=True)
class TenantConfig:
    """Tenants: who is calling, and fair share between callers (docs/programs.md, issue 17)."""

    header: str = "X-Tenant-ID"
    """Trusted request header naming the tenant, set by an authenticating gateway in front of
    the server ("" disables it). Without it: the API key the request authenticated with (when
    vLLM has --api-key), else ``default_tenant``. Read by the HTTP middleware only."""
    default_tenant: str = "default"
    """Tenant of calls with no header and no API key (and of every call when the middleware
    is not installed)."""
    fair_share: bool = True
    """Shift a tenant's new calls down by the queue level of its service above its fair share
    (``vllm_nexus.programs.tenants``). Off: tenants are only counted in the metrics."""
    half_life_s: float = 30.0
    """Half-life of the decayed per-tenant service the fair share compares."""
    weights: dict[str, float] = field(default_factory=dict)
    """Optional per-tenant weights (default 1): a tenant of weight 2 may take twice the share
    of one of weight 1 before its calls are shifted."""
    max_tenants: int = 10_000
    """Tenant-table capacity; idle tenants beyond it (or idle for ``scheduler.program_ttl_s``)
    are forgotten, least recently seen first."""
    metrics_top_k: int = 10
    """Tenants labelled by name on /metrics (the most served ones); the rest are summed under
    ``tenant="other"``, so label cardinality stays bounded."""


@dataclass(frozen=True)
class KVOffloadConfig:
    """Host-memory KV tier on CUDA GPUs: a preempted call's KV comes back from host memory
    instead of being recomputed (Autellix §4 swaps; vLLM 0.32's offloading connectors).
    ``vllm_nexus.kv_offload`` turns it into vLLM's ``kv_transfer_config``."""

    host_gib: float = 0.0
    """GiB of host memory for offloaded KV across the engine's GPUs; 0 (default): off."""
    connector: OffloadConnector = "offloading"
    """vLLM's connector: ``offloading`` (``OffloadingConnector``, vLLM's default for
    ``--kv-offloading-size``) or ``simple-cpu`` (``SimpleCPUOffloadConnector``)."""


@dataclass(frozen=True)
class NexusConfig:
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    partition: PartitionConfig = field(default_factory=PartitionConfig)
    router: RouterConfig = field(default_factory=RouterConfig)
    tenants: TenantConfig = field(default_factory=TenantConfig)
    kv_offload: KVOffloadConfig = field(default_factory=KVOffloadConfig)

    @classmethod
    def from_additional_config(
        cls, additional_config: Any, platform: str | None = None
    ) -> NexusConfig:
        """Build from vLLM's ``additional_config`` (dict, JSON string or None);
        ``scheduler.profile: auto`` resolves on ``platform`` (see :func:`resolve_profile`)."""
        return cls.from_dict(vllm_nexus_section(additional_config), platform)

    @classmethod
    def from_dict(cls, data: Any, platform: str | None = None) -> NexusConfig:
        return _build(cls, _with_profile(data, platform), CONFIG_KEY)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def vllm_nexus_section(additional_config: Any) -> dict[str, Any]:
    """The ``vllm_nexus`` section of vLLM's ``additional_config`` (dict, JSON string or
    None; ``{}`` when absent)."""
    if additional_config is None:
        return {}
    if isinstance(additional_config, str):
        try:
            additional_config = json.loads(additional_config)
        except json.JSONDecodeError as e:
            raise ConfigError(f"--additional-config is not valid JSON: {e}") from e
    if not isinstance(additional_config, dict):
        raise ConfigError("--additional-config must be a JSON object")
    return additional_config.get(CONFIG_KEY, {})


# Range checks: key -> (predicate, requirement text).
_CHECKS: dict[str, tuple[Any, str]] = {
    "num_queues": (lambda v: 1 <= v <= 64, "an integer in [1, 64]"),
    "first_boundary": (lambda v: v > 0, "> 0"),
    "boundary_growth": (lambda v: v > 1, "> 1"),
    "fanout_service_weight": (lambda v: v >= 1, ">= 1"),
    "fanout_min_stages": (lambda v: v >= 1, ">= 1"),
    "sequential_service_weight": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "output_weight_exponent": (lambda v: 0 <= v <= 4, "in [0, 4]"),
    "output_weight_max": (lambda v: 1 <= v <= 16, "in [1, 16]"),
    "level_order_window_s": (lambda v: v > 0, "> 0"),
    "level_order_min_queue": (lambda v: v >= 0, ">= 0"),
    "first_quantum": (lambda v: v > 0, "> 0"),
    "prefill_token_weight": (lambda v: v >= 0, ">= 0"),
    "starvation_beta": (lambda v: v >= 0, ">= 0 (0 disables)"),
    "starvation_min_wait_s": (lambda v: v >= 0, ">= 0"),
    "starvation_wait_factor": (lambda v: v >= 0, ">= 0 (0 disables)"),
    "max_preemptions_per_step": (lambda v: v >= 0, ">= 0"),
    "program_ttl_s": (lambda v: v > 0, "> 0"),
    "max_programs": (lambda v: v >= 1, ">= 1"),
    "program_pack_after_s": (lambda v: v >= 0, ">= 0"),
    "max_program_id_length": (lambda v: 1 <= v <= 4096, "in [1, 4096]"),
    "kv_decode_priority_threshold": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "decode_slack": (lambda v: v >= 1, ">= 1"),
    "prefill_slack": (lambda v: v >= 1, ">= 1"),
    "hysteresis": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "sm_granularity": (lambda v: v >= 1, ">= 1"),
    "min_sms_per_side": (lambda v: v >= 1, ">= 1"),
    "max_search_steps": (lambda v: v >= 1, ">= 1"),
    "spf_aging_per_s": (lambda v: v >= 0, ">= 0"),
    "long_prompt_tokens": (lambda v: v >= 0, ">= 0"),
    "max_inflight_per_replica": (lambda v: v >= 1, ">= 1"),
    "retry_after_s": (lambda v: v >= 0, ">= 0"),
    "first_token_timeout_s": (lambda v: v > 0, "> 0"),
    "max_queued_requests": (lambda v: v >= 1, ">= 1"),
    "program_inference_max_calls": (lambda v: v >= 1, ">= 1"),
    "header": (lambda v: v == "" or _is_header_name(v), "an HTTP header name or empty"),
    "default_tenant": (lambda v: 0 < len(v) <= 256 and v.isprintable(), "1-256 printable chars"),
    "half_life_s": (lambda v: v > 0, "> 0"),
    "weights": (lambda v: v > 0, "> 0 (a weight per tenant)"),
    "max_tenants": (lambda v: v >= 1, ">= 1"),
    "metrics_top_k": (lambda v: 0 <= v <= 1000, "in [0, 1000]"),
    "level_scale_fraction": (lambda v: v > 0, "> 0"),
    "min_first_boundary": (lambda v: v > 0, "> 0"),
    "max_first_boundary": (lambda v: v > 0, "> 0"),
    "gittins_min_samples": (lambda v: v >= 1, ">= 1"),
    "gittins_window": (lambda v: v >= 1, ">= 1"),
    "size_end_idle_s": (lambda v: v > 0, "> 0"),
    "program_class_prefix_tokens": (lambda v: v >= 0, ">= 0"),
    "preemption_cost_factor": (lambda v: v >= 0, ">= 0"),
    "preemption_size_margin": (lambda v: v >= 1, ">= 1"),
    "preemption_min_level_gap": (lambda v: 1 <= v <= 64, "an integer in [1, 64]"),
    "kv_watermark": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "host_gib": (lambda v: 0 <= v <= 65536, "in [0, 65536] (GiB; 0 disables)"),
}


def _is_header_name(v: str) -> bool:
    """RFC 9110 token characters."""
    return bool(v) and all(c.isalnum() or c in "!#$%&'*+-.^_`|~" for c in v) and v.isascii()


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a JSON object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown option {path}.{unknown[0]} (valid: {', '.join(sorted(fields))})"
        )
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, f"{path}.{name}", name)
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, path: str, name: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}={value!r} is invalid: expected a JSON object")
        _, vtype = typing.get_args(tp)
        out = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k:
                raise ConfigError(f"{path}: keys must be non-empty strings, got {k!r}")
            out[k] = _coerce(vtype, v, f"{path}.{k}", name)
        return out
    if origin is Literal:
        choices = typing.get_args(tp)
        if not any(value == c and type(value) is type(c) for c in choices):
            raise ConfigError(f"{path}={value!r} is invalid: choose one of {list(choices)}")
        return value
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, path, name)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}={value!r} is invalid: expected true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}={value!r} is invalid: expected an integer")
    elif tp is float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{path}={value!r} is invalid: expected a finite number")
        value = float(value)
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}={value!r} is invalid: expected a string")
    check = _CHECKS.get(name)
    if check is not None and not check[0](value):
        raise ConfigError(f"{path}={value!r} is invalid: must be {check[1]}")
    return value
