"""The discretized multi-level queue with program-level entry (Autellix §4.3, Alg. 1).

K levels with boundaries ``[lo_i, hi_i)`` (``lo_1 = 0``, ``hi_K = inf``, geometric growth):

- a NEW call enters the level that contains its *program's* attained service (atlas/plas) —
  or level 1 for the call-level baseline (mlfq);
- inside a level calls are served FCFS (by the time they entered the level);
- with request priorities on (``--scheduling-policy priority``), strict priority tiers come
  first: the queue order is (tier, level, FCFS), and preemption only displaces a worse
  (tier, level);
- a call that receives more than its level's quantum of service is demoted one level;
- program-level anti-starvation (:mod:`vllm_nexus.programs.starvation`): a waiting call is
  promoted to the top level when its program has waited beta times longer than it ran (or,
  with ``starvation_wait_factor``, it waited k x the recent admitted calls' mean);
- proactive preemption: the best waiting calls displace running calls of a strictly worse
  level (strict, so calls of one level never thrash each other).

``fcfs`` keeps a single level and arrival order: the stock behaviour, for comparisons.
``gittins`` ranks a call by its program's Gittins rank at its attained service, learned from
the sizes of recent programs (:mod:`vllm_nexus.programs.sizes`), and maps the rank onto the
same levels; it ranks by attained service (PLAS) while too few programs have ended. Level
boundaries and quanta follow the observed call service (:mod:`vllm_nexus.programs.levels`).

Cost-aware preemption (``preemption_cost_factor``): a running call is displaced only when
the priority gap is worth the tokens it would compute again. Unproven programs
(``unproven_preemption`` off; ``Call.may_preempt``): calls of a program that no id or lineage
vouches for keep their level but displace no running call, nor do calls queued behind them.

Stages (``parallel_stages``, :mod:`vllm_nexus.programs.stages`): programs whose calls run
in parallel are ranked by stage (fan-out / fan-in), not call by call.

Across tenants (:mod:`vllm_nexus.programs.tenants`): a new call of a tenant above its fair
share enters that many levels lower, and anti-starvation promotes it only up to that level.

Size hints (``size_hints``, atlas/plas; docs/programs.md §9): a call of a program whose
client states its expected total number of calls (``vllm_xargs.program_size_hint``) enters
the level of the program's hinted remaining work, ``(hint - calls started) x its service per
completed call``, instead of its attained service: shortest-remaining-work on a client's
estimate (the SRPT baseline of Autellix §6 with the oracle replaced by the client), mapped
onto the same levels so hinted and unhinted programs share one queue. The latest hint wins;
a program that starts more calls than its standing hint is levelled by its attained service
for the rest of its life (the hint was an underestimate, and understating it buys nothing
beyond the call that overran). Quanta, anti-starvation, tenant lifts and preemption treat a
hinted call like any other. O(1) per arriving call.

Times (W, T) come from an injectable clock (``now`` arguments); service comes from
:meth:`MultiLevelQueue.charge` in whatever unit the caller uses. Pure Python, no vLLM import.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from vllm_nexus.config import SchedulerConfig, TenantConfig
from vllm_nexus.programs.levels import LevelScale
from vllm_nexus.programs.preemption import PreemptionRules
from vllm_nexus.programs.sizes import ProgramSizes
from vllm_nexus.programs.stages import STAGE_POLICIES, stage_call_aborted, stage_entry
from vllm_nexus.programs.starvation import StarvationRules
from vllm_nexus.programs.table import SERVICE_RULES, Program, ProgramTable
from vllm_nexus.programs.tenants import DEFAULT_TENANT, Tenant, TenantLedger

OUTPUT_WARMUP = 16
"""``output_weight_exponent``: completed calls needed before output weights apply."""
OUTPUT_WINDOW = 256
"""``output_weight_exponent``: calls behind the typical output per call (its averaging)."""
OUTPUT_WEIGHT_MAX = 16.0
"""``output_weight_exponent``: bound of the inverse of the weight (how far a program that
writes few tokens per call may rise; ``output_weight_max`` bounds how far one may sink)."""
OUTPUT_LOG_MAX = math.log(OUTPUT_WEIGHT_MAX)


@dataclass(slots=True)
class Call:
    """Scheduling state of one LLM call (one vLLM request)."""

    call_id: str
    program: Program
    level: int
    start_priority: float
    """Program service when the call arrived (ATLAS: the call's priority)."""
    seq: int
    """FCFS tie-break inside the level (order of entering it)."""
    arrival: float = 0.0
    """Time the call arrived (for shortest-prompt-first with aging)."""
    enter: float = 0.0
    """FCFS position inside the level, on the time base of the ``arrival_time`` given to
    :meth:`MultiLevelQueue.add`: a new call's arrival time (FCFS among new calls follows
    arrival times, as vLLM's queues do); a demoted/promoted call joins the back of its new
    level, behind every call that had arrived by then (ties broken by ``seq``)."""
    tier: int = 0
    """Strict priority tier (request priority; lower first); 0 when priorities are off."""
    service: float = 0.0
    level_service: float = 0.0
    """Service received since entering the current level (quantum accounting)."""
    wait_s: float = 0.0
    run_s: float = 0.0
    """Call-level W/T since the last starvation reset."""
    total_wait_s: float = 0.0
    total_run_s: float = 0.0
    running: bool = False
    since: float = 0.0
    """Time of the last waiting/running transition."""
    preemptions: int = 0
    promotions: int = 0
    thread_id: str | None = None
    """Optional ``vllm_xargs.thread_id`` (observability only)."""
    tenant: Tenant | None = None
    """Who sent the call (tenant fair share, :mod:`vllm_nexus.programs.tenants`)."""
    admitted: int = 0
    """Order of the call's last admission to the running batch (set by the vLLM adapter)."""
    deadline_token: int = 0
    """Version of the call's entry in the starvation-deadline heap (stale entries skipped):
    unique across calls (a queue-wide counter), so an entry names its call by id."""
    may_preempt: bool = True
    """False for a call of an unproven program (``unproven_preemption`` off): it takes free
    batch slots and KV in queue order but displaces no running call."""
    withheld: bool = False
    """A preemption this call would have made was withheld (counted once per call)."""
    size_declined: bool = False
    """A preemption this call would have made was declined by the learned program sizes
    (``preemption_size_check``; counted once per call)."""
    fresh_key: tuple[float, int] | None = None
    """Its place in the queue's service index (:meth:`MultiLevelQueue.relevel_all`)."""
    weight_levels: int = 0
    """Levels the fan-out weight moved the call down when it was last levelled (kept only
    under ``fanout_weight_preempts: false``; preemption compares ``level - weight_levels``)."""
    hint_rank: float | None = None
    """``size_hints``: its program's hinted remaining work when it arrived (service units;
    the calls the hint expects after this one x the program's service per completed call),
    the value it is levelled by instead of its start priority; None: not hinted."""

    def order_key(self) -> tuple[int, int, float, int]:
        """Queue order: tier, level, then FCFS inside the level (lower first)."""
        return (self.tier, self.level, self.enter, self.seq)


def _learned_sizes(cfg: SchedulerConfig, num_levels: int) -> ProgramSizes:
    """The learned program-size model (:mod:`sizes`) the config describes."""
    return ProgramSizes(
        num_levels=num_levels,
        min_samples=cfg.gittins_min_samples,
        window=cfg.gittins_window,
        end_idle_s=cfg.size_end_idle_s,
        max_end_idle_s=cfg.program_ttl_s,
        per_token=cfg.gittins_objective == "token_latency",
        scope=cfg.gittins_size_scope,
    )


class MultiLevelQueue(PreemptionRules, StarvationRules):
    """Priority bookkeeping for calls; the vLLM adapter asks it for order and victims."""

    def __init__(
        self, cfg: SchedulerConfig | None = None, tenant_cfg: TenantConfig | None = None
    ) -> None:
        self.cfg = cfg or SchedulerConfig()
        self.policy = self.cfg.policy
        self.num_levels = 1 if self.policy == "fcfs" else self.cfg.num_queues
        cfg = self.cfg
        self.levels = LevelScale(
            self.num_levels,
            cfg.boundary_growth,
            cfg.first_boundary,
            cfg.min_first_boundary,
            cfg.max_first_boundary,
            adaptive=cfg.adaptive_levels and self.policy != "fcfs",
            scale_fraction=cfg.level_scale_fraction,
            quantum_ratio=cfg.first_quantum / cfg.first_boundary,
        )
        self.sizes: ProgramSizes | None = None
        if self.policy == "gittins":
            self.sizes = _learned_sizes(cfg, self.num_levels)
        self.size_gate: ProgramSizes | None = None
        """Learned sizes behind ``preemption_size_check``: the ranking model itself under
        gittins, else a model kept only for the preemption decision (its rebuilds do not
        re-level the queue)."""
        if cfg.preemption_size_check and cfg.preemption and self.policy != "fcfs":
            self.size_gate = self.sizes or _learned_sizes(cfg, self.num_levels)
        self._level_rank = cfg.level_order != "fcfs" and self.policy != "fcfs"
        """``level_order`` rank/class: inside a level, calls are placed by
        :meth:`level_position`."""
        self._order_window = cfg.level_order_window_s
        self._class_order = cfg.level_order in ("class", "class-best")
        self._best_order = cfg.level_order == "class-best"
        self._order_min_queue = cfg.level_order_min_queue
        """``level_order_min_queue``: waiting calls per running call below which FCFS holds."""
        self._running_calls = 0
        """Tracked calls that are running (the rest wait): O(1) bookkeeping."""
        self.order_sizes: ProgramSizes | None = None
        """Learned sizes behind ``level_order`` (the ranking model or the preemption
        gate's when there is one: one model learns once)."""
        if self._level_rank:
            self.order_sizes = self.sizes or self.size_gate or _learned_sizes(cfg, self.num_levels)
        self._fed: list[ProgramSizes] = []
        """Size models other than :attr:`sizes` that arrivals and completions feed."""
        for model in (self.size_gate, self.order_sizes):
            if model is not None and model is not self.sizes and model not in self._fed:
                self._fed.append(model)
        self.programs = ProgramTable(
            SERVICE_RULES[self.policy],
            cfg.program_ttl_s,
            cfg.max_programs,
            cfg.program_pack_after_s,
        )
        self._size_models = ([self.sizes] if self.sizes is not None else []) + self._fed
        """Every size model: each is told when a program it may hold changes (O(1))."""
        if self._size_models:
            self.programs.on_end = self._program_ended
        self.calls: dict[str, Call] = {}
        self._stages_apply = cfg.parallel_stages != "off" and self.policy in STAGE_POLICIES
        self._stage_rerank = cfg.stage_rerank if self._stages_apply else "off"
        self._fanout_weight = cfg.fanout_service_weight if self._stages_apply else 1.0
        """Weight of a fanned-out program's service in its level (``fanout_service_weight``)."""
        self._fanout_min = cfg.fanout_min_stages
        self._seq_weight = cfg.sequential_service_weight if self._stages_apply else 1.0
        self._plain_preempt = not cfg.fanout_weight_preempts and (
            self._fanout_weight != 1.0 or self._seq_weight != 1.0
        )
        """``fanout_weight_preempts: false`` with a weight in force: record each levelled
        call's :attr:`Call.weight_levels`."""
        self._program_order = cfg.program_order and self.policy in ("atlas", "plas")
        """``program_order``: a call enters its level at its program's first arrival."""
        self._out_exp = cfg.output_weight_exponent if self.policy in ("atlas", "plas") else 0.0
        """``output_weight_exponent`` (0: off)."""
        self._out_log_max = math.log(cfg.output_weight_max)
        """Upper bound of the output weight, log (1: programs only rise)."""
        self._log_out = 0.0
        """Mean log output tokens per completed call (a running mean over the first
        ``OUTPUT_WARMUP`` calls, then an exponential average over ~``OUTPUT_WINDOW``)."""
        self._out_samples = 0
        self._indexed = (
            self.sizes is None
            and self.policy in ("atlas", "plas")
            and self._fanout_weight == self._seq_weight
            and not self._out_exp
        )
        """A call's entry level is a function of its start priority alone (one weight for
        every program; not with ``output_weight_exponent``, whose weight differs per program
        and moves with the typical output), so :meth:`relevel_all` can find the calls a
        boundary move re-levels in :attr:`_fresh` instead of walking every call."""
        self._fresh: list[tuple[float, int, Call]] = []
        """(weighted start priority, unique tie, call) of every tracked call (:attr:`_indexed`
        only), sorted; a call's entry leaves when it finishes or its start priority changes."""
        self._fresh_tie = itertools.count()
        self._returned: list[Call] = []
        """Calls that went back to waiting without service (levelled while running: a
        re-levelling skipped them); the next :meth:`relevel_all` looks at them."""
        self._bounds_seen: list[list[float]] | None = []
        """Boundaries in force since the last :meth:`relevel_all` (None: too many to track,
        the next one walks every call)."""
        self._clean_epoch = 0
        """``tenants.multi_periods`` when every queued call's level last held no fair-share
        lift (:meth:`relevel_all`)."""
        self._moved: list[Call] = []
        """Queued calls re-levelled outside a step (stage re-ranking): the adapter re-keys
        them at its next step (:meth:`take_moved`)."""
        self.tenants = _ledger(tenant_cfg or TenantConfig(), self.cfg)
        self._bounds_seen.append(list(self.levels.boundaries))
        self._seq = itertools.count()
        self._latest_enter = -math.inf
        self._init_starvation(cfg)
        # counters for metrics
        self.promotions_total = 0
        self.demotions_total = 0
        self.preemptions_withheld = 0
        """Waiting calls of unproven programs that were denied a preemption (once per call)."""
        self.preemptions_size_declined = 0
        """Waiting calls denied a preemption by the learned sizes (``preemption_size_check``;
        once per call)."""
        self._hints = cfg.size_hints and self.policy in ("atlas", "plas")
        """``size_hints``: calls with ``program_size_hint`` are levelled by hinted remaining
        work (:meth:`_hint_rank`)."""
        self.hinted_programs = 0
        """Programs that stated a size hint (counted at their first accepted hint)."""
        self.hinted_calls = 0
        """Calls levelled by their program's size hint."""
        self.hint_overruns = 0
        """Hinted programs that started more calls than their standing hint (hint dropped)."""

    # -- levels -------------------------------------------------------------------------
    @property
    def boundaries(self) -> list[float]:
        """hi_i of levels 0..K-2 (the last level is unbounded)."""
        return self.levels.boundaries

    @property
    def quanta(self) -> list[float]:
        return self.levels.quanta

    @property
    def version(self) -> int:
        """Changes whenever levels or rank tables were rebuilt (queued calls may re-level)."""
        return self.levels.version + (self.sizes.version if self.sizes else 0)

    def level_for_service(self, service: float) -> int:
        """Index of the level whose ``[lo, hi)`` contains ``service``."""
        return self.levels.level_of(service)

    def _ranked(self) -> bool:
        """gittins with a learned size table (else PLAS levels)."""
        return self.sizes is not None and self.sizes.global_table is not None

    def _rank_level(self, call: Call) -> int:
        """gittins: the level of the call's program rank at its attained service, on the rank
        levels of the size tables (PLAS, the level of the attained service, without one)."""
        attained = call.start_priority + call.service
        prog = call.program
        table = self.sizes.table_for(prog.program_class, prog.tenant) if self.sizes else None
        if table is None or not self.sizes.rank_boundaries:
            return self.levels.level_of(attained)
        return bisect.bisect_right(self.sizes.rank_boundaries, table.rank(attained))

    def entry_level(self, call: Call, now: float) -> int:
        """Level of a new (or re-levelled) call: its program's (rank, hinted remaining work or
        service), shifted down by its tenant's fair-share lift."""
        if self.sizes is not None:
            level = self._rank_level(call)
        elif call.hint_rank is not None:
            # (set under atlas/plas only; no service weight: the hint is the size)
            level = self.level_for_service(call.hint_rank)
            if self._plain_preempt:
                call.weight_levels = 0
        elif self.policy in ("atlas", "plas"):
            level = self.level_for_service(call.start_priority * self._weight(call.program))
            if self._plain_preempt:
                call.weight_levels = level - self.level_for_service(call.start_priority)
        else:
            level = 0
        if call.tenant is not None:
            level += self.tenant_lift(call.tenant, now)
        return min(self.num_levels - 1, level)

    def level_position(self, call: Call) -> float:
        """Place of a waiting call inside its level (lower first). ``level_order: fcfs``:
        the time it entered the level (:attr:`Call.enter`). ``rank``: that time plus
        ``level_order_window_s x r / (r + r0)``, ``r`` its program's weighted Gittins rank at
        its attained service under its class's learned sizes (the global table's without
        one), ``r0`` the global table's rank of a new program; ``class``: ``r`` the rank of a
        new program of its class (calls of one class keep their FCFS order); ``class-best``:
        ``window x (1 - r_best / r)`` instead, ``r_best`` the smallest rank of a new program
        over the class tables (the best class, and a lone class, is never delayed; nothing
        without a class table). So among calls
        that entered a level within the window, those of typically small programs (small
        expected service per output token) go first, and no call is passed by one that
        entered more than the window after it. ``enter`` alone while no size table exists,
        and while fewer than ``level_order_min_queue`` calls wait per running call. O(log
        grid)."""
        model = self.order_sizes
        glob = model.global_table if model is not None else None
        if glob is None:
            return call.enter
        if self._order_min_queue:
            running = self._running_calls
            if len(self.calls) - running < self._order_min_queue * max(1, running):
                return call.enter
        prog = call.program
        table = model.table_for(prog.program_class, prog.tenant) or glob
        r = table.weighted_rank(0.0 if self._class_order else call.start_priority + call.service)
        if self._best_order:
            best = model.best_new_rank
            if best is None or not r > 0:
                return call.enter
            return call.enter + self._order_window * max(0.0, 1.0 - best / r)
        r0 = glob.weighted_rank(0.0)
        if not r + r0 > 0:
            return call.enter
        return call.enter + self._order_window * r / (r + r0)

    def order_key(self, call: Call) -> tuple[int, int, float, int]:
        """Queue order of a waiting call: tier, level, :meth:`level_position`, then its
        sequence number (:meth:`Call.order_key` under ``level_order: fcfs``)."""
        if not self._level_rank:
            return call.order_key()
        return (call.tier, call.level, self.level_position(call), call.seq)

    def _weight(self, prog: Program) -> float:
        """Weight of ``prog``'s service in its level: ``fanout_service_weight`` once it has
        fanned out in ``fanout_min_stages`` stages, else ``sequential_service_weight``; times
        its output weight (``output_weight_exponent``) while it has never fanned out (the
        weight lifting a whole map stage undid ``stage_rerank`` on map-reduce: measured)."""
        w = self._fanout_weight if prog.fanouts >= self._fanout_min else self._seq_weight
        if (
            self._out_exp
            and prog.completed_calls
            and not prog.fanouts
            and self._out_samples >= OUTPUT_WARMUP
        ):
            w *= self._output_weight(prog)
        return w

    def _output_weight(self, prog: Program) -> float:
        """``(mean output tokens per completed call of prog / typical) ** exponent``, clamped
        to [1/``OUTPUT_WEIGHT_MAX``, ``output_weight_max``]."""
        per_call = max(1.0, prog.output_tokens / prog.completed_calls)
        x = self._out_exp * (math.log(per_call) - self._log_out)
        return math.exp(min(self._out_log_max, max(-OUTPUT_LOG_MAX, x)))

    def _observe_output(self, output_tokens: int) -> None:
        """A completed call's output tokens (the typical output per call)."""
        n = self._out_samples = self._out_samples + 1
        step = 1.0 / min(n, OUTPUT_WINDOW)
        self._log_out += step * (math.log(max(1, output_tokens)) - self._log_out)

    def relevel_all(self, now: float) -> list[Call]:
        """:meth:`relevel` of every tracked call, looking only at the calls whose level can
        have changed (returns the same calls in the same order, with the same effects).

        A queued call that has not run nor been promoted sits at the level of its weighted
        start priority ``s`` on the boundaries in force when it was levelled, shifted by
        its tenant's fair-share lift. When one weight applies to every program
        (:attr:`_indexed`) and no lift can have applied (at most one tenant active now and
        at every time since the last re-levelling that walked every call, or fair share
        off), its level changes only if ``s`` lies between an old and the new position of
        some boundary: those calls are read from the index sorted by ``s`` (O(log n) per
        boundary plus the calls in between), plus the calls that returned to waiting
        without service (:attr:`_returned`). Otherwise every call is walked (:meth:`relevel`).
        Called when :attr:`version` changed (every few dozen completed calls at most)."""
        bounds = self.levels.boundaries
        seen, self._bounds_seen = self._bounds_seen, [list(bounds)]
        returned, self._returned = self._returned, []
        tenants = self.tenants
        lift_free = not tenants.fair_share or tenants.active_tenants <= 1
        if not (
            self._indexed
            and seen is not None
            and lift_free
            and tenants.multi_periods == self._clean_epoch
        ):
            moved = self.relevel(self.calls.values(), now)
            if lift_free:
                self._clean_epoch = tenants.multi_periods
            return moved
        fresh, calls = self._fresh, self.calls
        found: dict[int, Call] = {id(c): c for c in returned if calls.get(c.call_id) is c}
        for old in seen:
            for a, b in zip(old, bounds, strict=True):
                if a == b:
                    continue
                lo, hi = (a, b) if a < b else (b, a)
                # a call's level counts the boundaries <= s: the count moves for lo <= s < hi
                # ((s,) sorts before every entry (s, tie, call): both ends are bisect_left)
                first, end = bisect.bisect_left(fresh, (lo,)), bisect.bisect_left(fresh, (hi,))
                for entry in fresh[first:end]:
                    call = entry[2]
                    found[id(call)] = call
        if not found:
            return []
        # the full walk's order: the calls' table order, i.e. their order of arrival (a
        # call that has not run nor been promoted still has the seq it arrived with)
        return self.relevel(sorted(found.values(), key=attrgetter("seq")), now)

    def _index(self, call: Call) -> None:
        """File (or re-file) ``call`` in the service index at its weighted start priority (its
        hinted remaining work when it has one: the value its level is a function of)."""
        if call.fresh_key is not None:
            self._unindex(call)
        s = call.hint_rank
        if s is None:
            s = call.start_priority * self._weight(call.program)
        tie = next(self._fresh_tie)
        call.fresh_key = (s, tie)
        bisect.insort(self._fresh, (s, tie, call))

    def _unindex(self, call: Call) -> None:
        fresh, key = self._fresh, call.fresh_key
        call.fresh_key = None
        i = bisect.bisect_left(fresh, key)  # (s, tie) sorts right before (s, tie, call)
        if i < len(fresh) and fresh[i][2] is call:
            del fresh[i]

    def relevel(self, waiting: Iterable[Call], now: float) -> list[Call]:
        """Recompute the level of queued calls after the levels or rank tables changed
        (O(len(waiting)): called when :attr:`version` changed, every few dozen completed
        calls at most, never per step; ``waiting`` may hold running calls, skipped). Calls
        that ran or were promoted keep their level (quantum accounting). Returns the calls
        whose level changed."""
        moved: list[Call] = []
        entries: list[tuple[float, int, int, str]] = []  # their deadlines, pushed at once
        lifts: dict[int, int] = {id(None): 0}
        """Each tenant's lift (by ``id``), once: it depends on the tenant and ``now`` only."""
        plain = self.sizes is None  # the level of the program's service (entry_level's rule)
        plain_preempt = self._plain_preempt
        by_service = self.policy in ("atlas", "plas")
        bounds, last = self.levels.boundaries, self.num_levels - 1
        # one weight for every program (no per-call _weight): the index's condition
        weight = self._fanout_weight if self._fanout_weight == self._seq_weight else None
        if self._out_exp:
            weight = None
        watched = self._starvation_on
        tokens, seq, by_program = self._tokens, self._seq, self._waiting_of_program
        deadline_of, bisect_right = self.starvation_deadline, bisect.bisect_right
        for call in waiting:
            if call.promotions or call.running or call.service > 0:
                continue
            if plain:
                lift = lifts.get(id(call.tenant))
                if lift is None:
                    lift = lifts[id(call.tenant)] = self.tenant_lift(call.tenant, now)
                if call.hint_rank is not None:  # hinted: entry_level's rule, unweighted
                    base = bisect_right(bounds, call.hint_rank)
                    if plain_preempt:
                        call.weight_levels = 0
                else:
                    w = self._weight(call.program) if weight is None else weight
                    base = bisect_right(bounds, call.start_priority * w) if by_service else 0
                    if plain_preempt and by_service:
                        call.weight_levels = base - bisect_right(bounds, call.start_priority)
                level = min(last, base + lift)
            else:
                level = self.entry_level(call, now)
            if level != call.level:
                call.level, call.level_service = level, 0.0
                moved.append(call)
                # _deadline_entry inline (a re-levelling moves hundreds of calls): unwatch
                # (a new token, out of its program's watched calls), then, below level 0,
                # watched again with its deadline (the call is waiting: skipped if running)
                token = call.deadline_token = next(tokens)
                pid, cid = call.program.program_id, call.call_id
                siblings = by_program.get(pid)
                if siblings is not None and siblings.pop(cid, None) is not None and not siblings:
                    del by_program[pid]
                    siblings = None
                if level and watched:
                    entries.append((deadline_of(call), next(seq), token, cid))
                    if siblings is None:
                        by_program[pid] = {cid: call}
                    else:
                        siblings[cid] = call
        if entries:
            self._push_deadlines(entries)
        return moved

    # -- lifecycle ------------------------------------------------------------------------
    def add(
        self,
        call_id: str,
        program_id: str,
        now: float,
        tenant_id: str = DEFAULT_TENANT,
        arrival_time: float | None = None,
        tier: int = 0,
        program_class: str | None = None,
        size_hint: float | None = None,
    ) -> Call:
        """A new call arrives (waiting). Its level: its program's, shifted down by its
        tenant's fair-share lift (:meth:`TenantLedger.lift`). ``arrival_time`` (default
        ``now``) places it in FCFS order on the caller's time base; ``tier`` is its strict
        priority tier; ``program_class`` (agent type) is recorded on the program's first call
        and selects its size distribution (gittins); ``size_hint`` (a validated
        ``program_size_hint``, expected total calls of the program) revises the program's
        hint (``size_hints``: :meth:`_hint_rank`)."""
        if call_id in self.calls:
            raise ValueError(f"call {call_id!r} is already tracked")
        known = self.programs.get(program_id)
        idle = known is None or known.active_calls == 0
        if known is not None and idle:
            if self.sizes is not None:
                self.sizes.observe_gap(now - known.last_seen)
            for model in self._fed:
                model.observe_gap(now - known.last_seen)
        prog = self.programs.call_started(program_id, now)
        if known is None:
            prog.program_class = program_class
            prog.tenant = tenant_id
            for model in self._size_models:
                model.track(prog)
        else:
            for model in self._size_models:
                model.observe(prog)  # a call in flight: no longer idle
        tenant = self.tenants.call_started(tenant_id, now)
        enter = now if arrival_time is None else arrival_time
        self._latest_enter = max(self._latest_enter, enter)
        start, enter = prog.service, enter
        if self._stages_apply:
            cfg = self.cfg
            mode, order = cfg.parallel_stages, cfg.stage_order
            start, enter = stage_entry(prog, idle, enter, mode, order, self.levels.typical)
        if self._program_order:
            if known is None:
                prog.first_enter = enter
            else:  # FCFS among programs: the program's first arrival, not the call's
                enter = min(enter, prog.first_enter)
        call = Call(call_id, prog, 0, start, next(self._seq), arrival=now, since=now, enter=enter)
        call.tenant = tenant
        call.tier = tier
        if self._hints and (size_hint is not None or prog.size_hint is not None):
            call.hint_rank = self._hint_rank(prog, size_hint)
        call.level = self.entry_level(call, now)
        self.calls[call_id] = call
        if self._indexed:
            self._index(call)
        self._watch(call, now)
        if self._stage_rerank != "off":
            if idle:  # a new stage (or a join): nothing to re-rank yet, no allocation
                prog.stage_first, prog.stage_calls = call, None
                prog.stage_level = self.levels.level_of(start * self._weight(prog))
            else:
                stage = prog.stage_calls
                if stage is None:
                    first = prog.stage_first
                    stage = prog.stage_calls = {first.call_id: first} if first else {}
                stage[call_id] = call
                self._rerank_stage(prog, now)
        return call

    def _hint_rank(self, prog: Program, hint: float | None) -> float | None:
        """Hinted remaining work of ``prog`` as one of its calls arrives (that call already
        counted among its active calls), after applying the call's hint ``hint`` (None: the
        standing hint, if any, holds): the calls the hint expects after this one x the
        program's attained service per completed call (the median call service, the levels'
        scale, before one has completed). None, the program levelled by its attained
        service, once it has started more calls than its standing hint, checked before a
        revision applies: an understated hint cannot be renewed call by call. O(1)."""
        if prog.hint_overrun:
            return None
        started = prog.completed_calls + prog.active_calls
        standing = prog.size_hint
        if standing is None or started <= standing:
            if hint is not None:
                if standing is None:
                    self.hinted_programs += 1
                prog.size_hint = standing = hint
            if started <= standing:
                self.hinted_calls += 1
                done = prog.completed_calls
                per_call = prog.service / done if done else self.levels.typical
                return (standing - started) * per_call
        prog.hint_overrun, prog.size_hint = True, None
        self.hint_overruns += 1
        return None

    def _rerank_stage(self, prog: Program, now: float) -> None:
        """Stage re-ranking (``stage_rerank``): the stage's queued calls that have not run
        take the stage's rank, when its level changed. O(queued calls of the stage), at
        most once per level change of the stage."""
        stage = prog.stage_calls
        if not stage:
            return
        n = prog.stage_width if self._stage_rerank == "width" else prog.active_calls
        rank = prog.stage_start + max(0, n - 1) * self.levels.typical
        level = self.levels.level_of(rank * self._weight(prog))
        if level == prog.stage_level:
            return
        prog.stage_level = level
        calls = self.calls
        for cid, c in list(stage.items()):
            if c.running or c.service > 0 or c.promotions or calls.get(cid) is not c:
                del stage[cid]
                continue
            c.start_priority = rank
            if self._indexed:
                self._index(c)
            new = self.entry_level(c, now)
            if new != c.level:
                c.level, c.level_service = new, 0.0
                self._watch(c, now)
                self._moved.append(c)

    def take_moved(self) -> list[Call]:
        """Queued calls whose level changed since the last call (re-key them)."""
        moved, self._moved = self._moved, []
        return moved

    def tenant_lift(self, tenant: Tenant, now: float) -> int:
        """Levels a call of ``tenant`` is shifted down by (0 under ``fcfs``)."""
        if self.policy == "fcfs":
            return 0
        return self.tenants.lift(tenant, now, self.level_for_service)

    @staticmethod
    def _close_interval(call: Call, now: float) -> None:
        """Add the time since the call's last transition to its run or wait totals (whichever
        state it is in) and start the next interval at ``now``."""
        dt = max(0.0, now - call.since)
        if call.running:
            call.run_s += dt
            call.total_run_s += dt
        else:
            call.wait_s += dt
            call.total_wait_s += dt
        call.since = now

    def set_running(self, call: Call, now: float) -> None:
        if not call.running:
            if self._wait_factor:
                self._observe_wait(call.wait_s + max(0.0, now - call.since), now)
            self._close_interval(call, now)
            call.running = True
            self._running_calls += 1
            self._unwatch(call)

    def set_waiting(self, call: Call, now: float, preempted: bool = False) -> None:
        if call.running:
            self._close_interval(call, now)
            call.running = False
            self._running_calls -= 1
            if preempted:
                call.preemptions += 1
            self._watch(call, now)
            if call.fresh_key is not None and not call.service and not call.promotions:
                self._returned.append(call)  # a re-levelling may have skipped it
                if len(self._returned) > len(self.calls) + 64:  # nobody re-levels: bounded
                    self._returned, self._bounds_seen = [], None

    def charge(
        self, call: Call, service: float, now: float | None = None, charge_tenant: bool = True
    ) -> bool:
        """Add executed service to a call (and, unless the caller charges it, its tenant,
        decayed at ``now``, default: the call's last transition); demote it when its quantum
        is used up (entering the next level at ``now``). True when the call was demoted."""
        call.service += service
        call.level_service += service
        if call.tenant is not None and charge_tenant:
            self.tenants.charge(call.tenant, service, call.since if now is None else now)
        if self._ranked():
            return self._rerank(call, call.since if now is None else now)
        if self.policy == "fcfs" or call.level >= self.num_levels - 1:
            return False
        if call.level_service >= self.quanta[call.level]:
            call.level += 1
            call.level_service = 0.0
            self._enter_level(call, call.since if now is None else now)
            self.demotions_total += 1
            if not call.running:
                self._watch(call, call.since if now is None else now)
            return True
        return False

    def charge_all(
        self, costs: dict[str, float], extra: dict[str, float], now: float
    ) -> list[Call]:
        """:meth:`charge` for a step: call id -> service (plus ``extra`` for some ids); ids no
        longer tracked are skipped. Returns the demoted calls. One tight loop: it runs over
        the whole batch every step."""
        if self._ranked():
            return self._charge_all_ranked(costs, extra, now)
        calls, quanta, tenants = self.calls, self.quanta, self.tenants
        last = 0 if self.policy == "fcfs" else self.num_levels - 1
        demoted = []
        # Tenants are charged once per run of consecutive calls of one tenant (usually once
        # per step): charges at one ``now`` add up, and each costs two exponentials.
        tenant, tenant_cost = None, 0.0
        for call_id, cost in costs.items():
            call = calls.get(call_id)
            if call is None:
                continue
            if extra:
                cost += extra.get(call_id, 0.0)
            call.service += cost
            if call.tenant is not tenant:
                if tenant is not None:
                    tenants.charge(tenant, tenant_cost, now)
                tenant, tenant_cost = call.tenant, 0.0
            tenant_cost += cost
            level_service = call.level_service + cost
            call.level_service = level_service
            if call.level < last and level_service >= quanta[call.level]:
                call.level += 1
                call.level_service = 0.0
                self._enter_level(call, now)
                self.demotions_total += 1
                if not call.running:
                    self._watch(call, now)
                demoted.append(call)
        if tenant is not None:
            tenants.charge(tenant, tenant_cost, now)
        return demoted

    def _charge_all_ranked(
        self, costs: dict[str, float], extra: dict[str, float], now: float
    ) -> list[Call]:
        """:meth:`charge_all` under gittins with a learned size table (:meth:`_rerank`)."""
        moved = []
        for call_id, cost in costs.items():
            call = self.calls.get(call_id)
            if call is None:
                continue
            cost += extra.get(call_id, 0.0) if extra else 0.0
            call.service += cost
            call.level_service += cost
            if call.tenant is not None:
                self.tenants.charge(call.tenant, cost, now)
            if self._rerank(call, now):
                moved.append(call)
        return moved

    def _rerank(self, call: Call, now: float) -> bool:
        """gittins: after each first-level quantum (half a typical call) of service the call's
        level is its program's rank at the attained service reached (up or down); in between
        it keeps its level (Alg. 1's discretisation: re-ranking at every grid point of
        attained service loses to PLAS on ReAct under overload, measured). Rank levels do not
        grow with the level index, so neither does this quantum. True when it moved."""
        if call.level_service < self.quanta[0]:
            return False
        call.level_service = 0.0
        level = self._rank_level(call)
        if call.tenant is not None:
            level = min(self.num_levels - 1, level + self.tenant_lift(call.tenant, now))
        if level == call.level:
            return False
        call.level = level
        self._enter_level(call, now)
        self.demotions_total += 1
        if not call.running:
            self._watch(call, now)
        return True

    def _enter_level(self, call: Call, now: float) -> None:
        """The call joins the back of its (new) level: behind every call arrived so far."""
        call.enter = max(call.enter, self._latest_enter)
        call.seq = next(self._seq)

    def _program_ended(self, program: Program, reason: str) -> None:
        """The program table released ``program`` (marked final, idle past the TTL or
        pushed out by capacity): its service is a size now."""
        for model in self._size_models:
            model.observe(program)

    def finish(
        self, call_id: str, now: float, aborted: bool = False, output_tokens: int = 0
    ) -> Call | None:
        """A call ended (finished or aborted). Updates (or cleans) its program; a completed
        call's service feeds the self-tuning levels and the learned sizes."""
        call = self.calls.pop(call_id, None)
        if call is None:
            return None
        self._close_interval(call, now)
        if call.running:
            self._running_calls -= 1
        call.running = False
        self._unwatch(call)  # (no starvation deadline filed for a call that has ended)
        if call.fresh_key is not None:
            self._unindex(call)
        pid = call.program.program_id
        charge = (pid, now, call.start_priority, call.service, call.total_wait_s, call.total_run_s)
        stage = call.program.stage_calls
        if stage is not None:
            stage.pop(call_id, None)
        if call.program.stage_first is call:
            call.program.stage_first = None
        if aborted:
            self.programs.call_aborted(*charge)
            for model in self._size_models:
                model.observe(call.program)  # no size sample from it any more
            if self._stages_apply:
                stage_call_aborted(call.program)
        else:
            self.programs.call_finished(*charge, output_tokens=output_tokens)
            if stage and self._stage_rerank == "remaining":
                self._rerank_stage(call.program, now)  # fewer calls in flight: it may rise
            if self.levels.observe(call.service) and self._indexed:
                seen = self._bounds_seen
                if seen is not None:  # bounded: a caller that never re-levels keeps none
                    self._bounds_seen = None if len(seen) >= 16 else [*seen, self.levels.boundaries]
            if self._out_exp:
                self._observe_output(output_tokens)
            for model in self._size_models:
                model.call_finished(now, call.program)
        # W_program / T_program changed: the deadlines of its waiting calls moved.
        siblings = self._waiting_of_program.get(pid)
        if siblings:
            for sibling in list(siblings.values()):
                self._watch(sibling, now)
        if call.tenant is not None:
            self.tenants.call_ended(call.tenant, now, aborted, call.total_wait_s)
        return call


def _ledger(tcfg: TenantConfig, cfg: SchedulerConfig) -> TenantLedger:
    return TenantLedger(
        half_life_s=tcfg.half_life_s,
        weights=tcfg.weights,
        fair_share=tcfg.fair_share,
        max_tenants=tcfg.max_tenants,
        idle_ttl_s=cfg.program_ttl_s,
        metrics_top_k=tcfg.metrics_top_k,
    )
