"""Learned program sizes: the Gittins index on the empirical distribution of program sizes.

PLAS/ATLAS are least-attained-service at program level: the best non-clairvoyant order only
when sizes have a decreasing hazard rate (heavy tails). On even sizes (a tree search whose
programs are all about as large) LAS degrades toward processor sharing and loses to FCFS. The
Gittins index is optimal in the M/G/1 with preemption for *every* size distribution and
contains both (digest: shared/papers/gittins.md; Scully & Harchol-Balter 2021; Aalto, Ayesta
& Righter 2009). For a job with attained service ``a`` and size ``S``:

    rank(a) = 1 / G(a) = min over thresholds s > a of
              E[min(S, s) - a | S > a] / P(S <= s | S > a)

(service expected to be spent per completion); smaller ranks are served first. A fixed size
``s`` gives ``rank = s - a`` (serve the job closest to done: FCFS-like), a memoryless size
gives a constant, a heavy tail gives a rank growing with ``a`` (LAS-like).

Here a job is a program and ``S`` its total service (the PLAS sum over its calls). Samples:
every program seen recently, kept in a bounded window; a program that ended (idle longer than
the end gap, evicted, or marked ended) gives its size, one still active gives a right-censored
observation (size > service so far), so the distribution comes from the Kaplan-Meier
estimator and long programs are not under-represented while they run. Distributions are kept
per program class (``vllm_xargs.program_class``, or inferred by the adapter from the first
prompt block) and globally; a class with fewer than ``min_samples`` ended programs uses the
global one, and with fewer than that globally the caller falls back to PLAS.

Tenants (``scope="tenant"``, the default): a program's size distribution is learned from its
own tenant's programs (per tenant, and per tenant and class), and the global table weights
every tenant in the window equally. Program ids come from the client: a tenant that mints a
fresh id per call feeds the window hundreds of one-call "programs", and a pooled distribution
then ranks every other tenant's multi-call programs against sizes that are not theirs (and
the rank levels span that mix). The tenant is information the scheduler has (the Gittins
policy with job classes ranks each job by its own class's distribution), so with a table of
its own a tenant is ranked by what it sends; a tenant with fewer than ``min_samples`` ended
programs uses the tenant-weighted global table, in which a minting tenant weighs as much as
one honest tenant. ``scope="pooled"``: one window for all tenants, every program one sample.

Rank tables are rebuilt every ``refresh_every`` completed calls on a geometric grid of
attained-service values, never per step: a window's programs are summed into a few dozen grid
bins (O(window) in a handful of numpy operations), the estimator and the index run on the bins
(O(bins) and one grid x bins numpy pass), and one completed call builds at most
``REFRESH_BUDGET`` samples' worth of tables, the rest of a refresh following over the next
calls (O(1) amortised per call, a bounded cost in any step). A lookup is a bisection on the
grid (O(log grid)). Pure Python + numpy, no vLLM import.

Samples are kept as numpy arrays, one slot per tracked program (:class:`SamplePool`): its
grid bin, when it went idle (or that it ended, or runs), its output tokens and its tenant,
written in O(1) when the program is tracked and whenever it changes; the windows are rings of
slots (:class:`SampleWindow`). The owner of the programs reports each change of a tracked
program (:meth:`ProgramSizes.observe`: a call started, completed or aborted, the program
ended; :class:`vllm_nexus.programs.queues.MultiLevelQueue` does), so the binning never walks
the program objects.
"""

from __future__ import annotations

import bisect
import math
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np

GRID_STEPS_PER_DOUBLING = 4
"""Grid resolution: 4 points per doubling of attained service (ratio 2**0.25 ~ 1.19)."""
MIN_TAIL_SAMPLES = 5
"""Where fewer ended programs than this are larger than the attained service, the sample
says little about what remains: the rank is then at least the attained service (LAS in the
sparse tail; a heavy tail's largest sample must not look like a common completion point)."""
TAIL_FACTOR = 2.0
RANK_LEVEL_MIN_GROWTH = 1.2
"""Smallest ratio between consecutive rank levels (a narrow rank range still spreads out)."""
"""Survival mass left after the largest observation (all larger programs still running) is
placed on one atom at this multiple of the largest observed size."""


class SizedProgram(Protocol):
    """What the size model reads of a program (see :class:`vllm_nexus.programs.table.Program`):
    when it is tracked, and again whenever it is reported changed (:meth:`ProgramSizes.observe`,
    :meth:`ProgramSizes.call_finished`); ``tenant`` and ``program_class`` are read once."""

    service: float
    active_calls: int
    last_seen: float
    ended: bool
    aborted_calls: int
    program_class: str | None
    output_tokens: int
    tenant: str | None


Observation = tuple[float, bool, float] | tuple[float, bool, float, float]
"""(size, ended, weight[, mass]): ``ended=False`` is right-censored (the true size is larger);
``weight`` is the program's holding cost (1, or 1 / output tokens for token latency);
``mass`` is how much the sample counts in the distribution (default 1; the tenant-weighted
global table gives each of a tenant's ``n`` samples ``1 / n``)."""
SIZE_SCOPES = ("tenant", "pooled")
REFRESH_BUDGET = 2048
"""Samples (programs in a window) that one completed call gathers into rank tables at most.
A refresh of the defaults' tables (the global window of 1000 and up to four class windows of
256) completes within the call that starts it; dozens of classes or tenants spread over the
following calls, so no scheduler step pays for all of them (2026-12-03: 84 ms in one step
with 64 classes before). Measured cost: docs/benchmarks.md, "2026-12-03 (f)"; since the samples
are numpy arrays ("2026-12-04") binning costs ~40 ns per sample and a table's index a fixed
~0.2 ms: a call's table work now follows the number of tables it builds (up to eight class
tables of 256 samples, ~3 ms measured with 16 classes) more than their samples."""


def kaplan_meier(
    observations: Iterable[Observation], tail_factor: float = TAIL_FACTOR
) -> tuple[list[float], list[float], list[float]]:
    """Discrete size distribution from observations (Kaplan-Meier, right-censoring). The
    reference on raw samples; the refresh runs the same estimator on grid bins
    (:func:`kaplan_meier_bins`, tested against this one).

    Returns the atoms (ascending), their probabilities (summing to 1) and the mean weight of
    the ended programs at each atom. Survival left after the last ended size (only censored
    programs are larger) goes to one atom at ``tail_factor`` times the largest observation,
    with the censored programs' mean weight. Empty when no observation ended. Observations
    with a ``mass`` count that much (at risk and as events; weighted Kaplan-Meier)."""
    obs = sorted(observations, key=lambda o: (o[0], not o[1]))  # events before censorings
    mass_of = [o[3] if len(o) > 3 else 1.0 for o in obs]  # type: ignore[misc]
    at_risk = float(sum(mass_of))
    surv = 1.0
    atoms: list[float] = []
    masses: list[float] = []
    weights: list[float] = []
    i = 0
    while i < len(obs):
        size = obs[i][0]
        events = censored = wsum = 0.0
        while i < len(obs) and obs[i][0] == size:
            m = mass_of[i]
            if obs[i][1]:
                events += m
                wsum += m * obs[i][2]
            else:
                censored += m
            i += 1
        if events > 0 and at_risk > 1e-12:
            mass = surv * min(1.0, events / at_risk)
            atoms.append(size)
            masses.append(mass)
            weights.append(wsum / events)
            surv -= mass
        at_risk -= events + censored
    if not atoms:
        return [], [], []
    if surv > 1e-9:
        tail = [
            (o[2], m) for o, m in zip(obs, mass_of, strict=True) if not o[1] and o[0] >= atoms[-1]
        ]
        atoms.append(max(atoms[-1], obs[-1][0]) * tail_factor)
        masses.append(surv)
        tail_mass = sum(m for _, m in tail)
        weights.append(sum(w * m for w, m in tail) / tail_mass if tail_mass > 0 else weights[-1])
    return atoms, masses, weights


def gittins_ranks(
    atoms: list[float],
    masses: list[float],
    grid: list[float],
    weights: list[float] | None = None,
) -> list[float]:
    """``rank(a) = 1 / G(a)`` of the discrete distribution at every attained service ``a`` in
    ``grid`` (inf at or beyond the largest atom). For a discrete distribution the sup over
    quanta is reached at an atom, so with prefix sums each grid point costs O(support).

    With ``weights`` (a holding cost revealed at completion, e.g. 1 / output tokens when the
    objective is mean token latency) the completion probability in the index becomes the
    expected weight completed, ``E[w; S <= s | S > a]``; ranks are scaled by the mean weight
    so they stay in service units (equal weights give the unweighted ranks)."""
    s = np.asarray(atoms, dtype=float)
    p = np.asarray(masses, dtype=float)
    p = p / p.sum()
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=float)
    mean_w = float(np.sum(p * w))
    cum_p = np.cumsum(p)
    cum_pw = np.cumsum(p * w)
    cum_ps = np.cumsum(p * s)
    a = np.asarray(grid, dtype=float)[:, None]  # one row per grid point
    k = np.searchsorted(s, a[:, 0], side="right")  # first atom > a
    before = np.maximum(k - 1, 0)
    has = (k > 0)[:, None]
    p0 = np.where(has, cum_p[before][:, None], 0.0)
    pw0 = np.where(has, cum_pw[before][:, None], 0.0)
    ps0 = np.where(has, cum_ps[before][:, None], 0.0)
    done = cum_p - p0  # P(a < S <= s_j)
    gain = cum_pw - pw0  # E[w; a < S <= s_j]
    den = (cum_ps - ps0) - a * done + np.clip(1.0 - cum_p, 0.0, None) * (s - a)
    valid = np.arange(len(s))[None, :] >= k[:, None]  # thresholds s_j > a only
    ratio = np.full(den.shape, np.inf)
    np.divide(den, gain, out=ratio, where=valid)
    best = ratio.min(axis=1) if len(s) else np.full(len(a), np.inf)
    return [math.inf if kk >= len(s) else float(r) * mean_w for kk, r in zip(k, best, strict=True)]


def grid_index(size: float) -> int:
    """The index ``i`` of :func:`grid_point` (``size`` rounded up to ``2**(i / steps)``)."""
    return math.ceil(GRID_STEPS_PER_DOUBLING * math.log2(size) - 1e-9)


def grid_point(size: float) -> float:
    """The smallest grid point ``2**(i / GRID_STEPS_PER_DOUBLING) >= size`` (integer i)."""
    return 2.0 ** (grid_index(size) / GRID_STEPS_PER_DOUBLING)


SizeBins = dict[int, list[float]]
"""Observations rounded up to the grid and summed per grid index: ``[ended mass, ended
mass x weight, censored mass, censored mass x weight, ended count]``. A window of a thousand
programs falls into a few dozen bins, so the estimator runs on the bins, not the samples."""


def add_sample(bins: SizeBins, size: float, ended: bool, weight: float, mass: float) -> None:
    """Add one observation to ``bins`` (its size rounded *up*, see :class:`RankTable`)."""
    k = grid_index(max(size, 1e-6))
    b = bins.get(k)
    if b is None:
        b = bins[k] = [0.0, 0.0, 0.0, 0.0, 0]
    if ended:
        b[0] += mass
        b[1] += mass * weight
        b[4] += 1
    else:
        b[2] += mass
        b[3] += mass * weight


def bin_observations(observations: Iterable[Observation]) -> SizeBins:
    """Sum ``observations`` per grid index."""
    bins: SizeBins = {}
    for o in observations:
        add_sample(bins, o[0], o[1], o[2], o[3] if len(o) > 3 else 1.0)  # type: ignore[misc]
    return bins


def kaplan_meier_bins(
    bins: SizeBins, tail_factor: float = TAIL_FACTOR
) -> tuple[list[float], list[float], list[float]]:
    """:func:`kaplan_meier` of binned observations (atoms are grid points); the same
    estimator, O(bins) instead of O(samples log samples)."""
    ks = sorted(bins)
    at_risk = float(sum(bins[k][0] + bins[k][2] for k in ks))
    surv = 1.0
    atoms: list[float] = []
    masses: list[float] = []
    weights: list[float] = []
    last = 0
    for k in ks:
        events, wsum, censored = bins[k][0], bins[k][1], bins[k][2]
        if events > 0 and at_risk > 1e-12:
            mass = surv * min(1.0, events / at_risk)
            atoms.append(2.0 ** (k / GRID_STEPS_PER_DOUBLING))
            masses.append(mass)
            weights.append(wsum / events)
            surv -= mass
            last = k
        at_risk -= events + censored
    if not atoms:
        return [], [], []
    if surv > 1e-9:  # only censored programs are larger: one atom above the largest seen
        atoms.append(max(atoms[-1], 2.0 ** (ks[-1] / GRID_STEPS_PER_DOUBLING)) * tail_factor)
        masses.append(surv)
        tail_mass = sum(bins[k][2] for k in ks if k >= last)
        tail_w = sum(bins[k][3] for k in ks if k >= last)
        weights.append(tail_w / tail_mass if tail_mass > 0 else weights[-1])
    return atoms, masses, weights


class RankTable:
    """Gittins ranks of a size distribution on a geometric grid of attained service.

    Sizes are first rounded *up* to the grid (ratio 2**0.25), the "shifted" empirical
    distribution: with one sample per program the raw empirical index spikes just before
    every sample (a program about to reach a size seen once looks nearly done); on the grid
    the rank of a cell ``[g_k, g_k+1)`` is evaluated at ``g_k``, its largest value."""

    def __init__(self, observations: list[Observation] | SizeBins, samples: int) -> None:
        """``observations`` raw, or already binned by :func:`bin_observations`."""
        self.samples = samples
        bins = observations if isinstance(observations, dict) else bin_observations(observations)
        atoms, masses, weights = kaplan_meier_bins(bins)
        self.max_size = atoms[-1]
        steps = GRID_STEPS_PER_DOUBLING
        k_lo = round(steps * math.log2(atoms[0])) - steps  # from half the smallest size
        k_hi = round(steps * math.log2(self.max_size))
        # the same expression as grid_point, so grid points equal the atoms exactly
        self.grid = [0.0] + [2.0 ** (k / steps) for k in range(k_lo, k_hi + 1)]
        self.ranks = gittins_ranks(atoms, masses, self.grid, weights)
        total = sum(masses)
        self.mean_weight = sum(m * w for m, w in zip(masses, weights, strict=True)) / total
        """Mean holding cost of the distribution (the scale :func:`gittins_ranks` multiplies
        the ranks by to keep them in service units)."""
        ended = 0
        for k in sorted(bins, reverse=True):  # the MIN_TAIL_SAMPLES-th largest ended size
            ended += int(bins[k][4])
            if ended >= MIN_TAIL_SAMPLES:
                cutoff = 2.0 ** (k / steps)
                self.ranks = [
                    max(r, a) if a >= cutoff else r
                    for a, r in zip(self.grid, self.ranks, strict=True)
                ]
                break

    def rank(self, attained: float) -> float:
        """Rank at ``attained`` service (the value at the grid point below it). Beyond the
        largest size seen the rank is the attained service (LAS in the unknown tail)."""
        r = self.ranks[bisect.bisect_right(self.grid, attained) - 1]
        return attained if math.isinf(r) else r

    def weighted_rank(self, attained: float) -> float:
        """:meth:`rank` divided by the mean holding cost: the expected service per unit of
        weight completed (the index itself, not rescaled to service units), so ranks of
        different classes' tables compare (a class whose programs write few output tokens
        weighs more per unit of service under the token-latency objective)."""
        return self.rank(attained) / self.mean_weight


_NO_SAMPLE = -(2**62)
"""Grid index of a program that gives no sample (an aborted call, or no service yet)."""
_ENDED = -math.inf
"""``since`` of an ended program (idle forever)."""
_RUNNING = math.inf
"""``since`` of a program with a call in flight (never idle long enough)."""


class SamplePool:
    """What the binning reads of each tracked program, one slot per program in numpy arrays:
    ``k`` its size's grid index (:func:`grid_index`, or ``_NO_SAMPLE``), ``since`` when it
    went idle (``-inf``: ended, ``+inf``: a call in flight; it counts as ended once idle for
    the end gap), ``tokens`` its output tokens (the token-latency weight) and ``tenant`` a code
    of its tenant (codes are reused once no slot holds the tenant). A slot lives while a window
    holds the program (reference counted over the windows) and keeps the program object alive,
    so the program is not packed by the program table meanwhile and its ``id`` names it.
    Every operation is O(1) (amortised: the arrays double when full)."""

    __slots__ = (
        "k",
        "since",
        "tokens",
        "tenant",
        "_objs",
        "_binned",
        "_refs",
        "_free",
        "_slot_of",
        "_codes",
        "_code_tenant",
        "_code_live",
        "_free_codes",
    )

    def __init__(self, capacity: int = 64) -> None:
        self.k = np.full(capacity, _NO_SAMPLE, dtype=np.int64)
        self.since = np.zeros(capacity)
        self.tokens = np.zeros(capacity, dtype=np.int64)
        self.tenant = np.zeros(capacity, dtype=np.int64)
        self._objs: list[SizedProgram | None] = []
        self._binned: list[float] = []
        """The service whose grid index ``k`` holds (NaN: none)."""
        self._refs: list[int] = []
        """Window entries holding the slot (a program tracked twice is two samples)."""
        self._free: list[int] = []
        self._slot_of: dict[int, int] = {}
        """``id(program)`` -> slot (the slot keeps the program alive: ids are not reused)."""
        self._codes: dict[str | None, int] = {}
        self._code_tenant: list[str | None] = []
        self._code_live: list[int] = []
        """Slots per tenant code."""
        self._free_codes: list[int] = []

    def __len__(self) -> int:
        """Live slots."""
        return len(self._slot_of)

    def acquire(self, program: SizedProgram) -> int:
        """A window takes ``program``: its slot (a new one written from the program's fields,
        or its existing one with one more holder)."""
        slot = self._slot_of.get(id(program))
        if slot is not None:
            self._refs[slot] += 1
            return slot
        if self._free:
            slot = self._free.pop()
            self._objs[slot] = program
            self._binned[slot] = math.nan
            self._refs[slot] = 1
        else:
            slot = len(self._objs)
            if slot == len(self.k):
                self._grow(2 * slot)
            self._objs.append(program)
            self._binned.append(math.nan)
            self._refs.append(1)
        self._slot_of[id(program)] = slot
        tenant = getattr(program, "tenant", None)
        code = self._codes.get(tenant)
        if code is None:
            if self._free_codes:
                code = self._free_codes.pop()
                self._code_tenant[code] = tenant
            else:
                code = len(self._code_tenant)
                self._code_tenant.append(tenant)
                self._code_live.append(0)
            self._codes[tenant] = code
        self._code_live[code] += 1
        self.tenant[slot] = code
        self.write(slot, program)
        return slot

    def release(self, slot: int) -> None:
        """A window let go of ``slot`` (freed with its last holder)."""
        self._refs[slot] -= 1
        if self._refs[slot]:
            return
        del self._slot_of[id(self._objs[slot])]
        self._objs[slot] = None
        code = int(self.tenant[slot])
        self._code_live[code] -= 1
        if not self._code_live[code]:
            del self._codes[self._code_tenant[code]]
            self._code_tenant[code] = None
            self._free_codes.append(code)
        self.k[slot] = _NO_SAMPLE
        self._free.append(slot)

    def observe(self, program: SizedProgram) -> None:
        """Re-read ``program``'s fields into its slot (nothing if no window holds it)."""
        slot = self._slot_of.get(id(program))
        if slot is not None:
            self.write(slot, program)

    def write(self, slot: int, p: SizedProgram) -> None:
        service = p.service
        if p.aborted_calls or service <= 0:
            self.k[slot] = _NO_SAMPLE
            self._binned[slot] = math.nan
        elif service != self._binned[slot]:  # (a call start leaves the service as it was)
            self.k[slot] = grid_index(max(service, 1e-6))
            self._binned[slot] = service
        self.since[slot] = _ENDED if p.ended else (_RUNNING if p.active_calls else p.last_seen)
        self.tokens[slot] = p.output_tokens

    def program(self, slot: int) -> SizedProgram:
        program = self._objs[slot]
        assert program is not None, "a window holds a released slot"
        return program

    def _grow(self, capacity: int) -> None:
        for name, fill in (("k", _NO_SAMPLE), ("since", 0.0), ("tokens", 0), ("tenant", 0)):
            old = getattr(self, name)
            new = np.full(capacity, fill, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)


class SampleWindow:
    """The last ``maxlen`` programs of a window, oldest first, as a ring of
    :class:`SamplePool` slots (allocated as it fills). Iterating or indexing it gives the
    programs (for tools and tests); the binning reads :meth:`slots`."""

    __slots__ = ("maxlen", "_pool", "_ring", "_n", "_next")

    def __init__(self, pool: SamplePool, maxlen: int) -> None:
        self.maxlen = max(1, maxlen)
        self._pool = pool
        self._ring = np.empty(min(self.maxlen, 16), dtype=np.int64)
        self._n = 0
        self._next = 0
        """Once full: the position of the oldest slot, the next to be replaced."""

    def __len__(self) -> int:
        return self._n

    def append(self, program: SizedProgram) -> None:
        slot = self._pool.acquire(program)
        n, ring = self._n, self._ring
        if n < self.maxlen:
            if n == len(ring):
                ring = np.empty(min(2 * n, self.maxlen), dtype=np.int64)
                ring[:n] = self._ring
                self._ring = ring
            ring[n] = slot
            self._n = n + 1
            return
        pos = self._next
        old = int(ring[pos])
        ring[pos] = slot
        self._next = pos + 1 if pos + 1 < n else 0
        self._pool.release(old)

    def slots(self) -> np.ndarray:
        """The window's slots, oldest first."""
        ring, n, pos = self._ring, self._n, self._next
        if n < self.maxlen or pos == 0:
            return ring[:n]
        return np.concatenate((ring[pos:], ring[:pos]))

    def clear(self) -> None:
        """Let go of every program (the window is dropped)."""
        for slot in self._ring[: self._n].tolist():
            self._pool.release(slot)
        self._n = self._next = 0

    def __iter__(self) -> Iterator[SizedProgram]:
        pool = self._pool
        return iter([pool.program(s) for s in self.slots().tolist()])

    def __getitem__(self, i: int) -> SizedProgram:
        n = self._n
        if not -n <= i < n:
            raise IndexError("window index out of range")
        i %= n
        pos = i if n < self.maxlen else (self._next + i) % n
        return self._pool.program(int(self._ring[pos]))


class ProgramSizes:
    """Windows of recent programs (global, per class, per tenant) and their Gittins rank
    tables."""

    def __init__(
        self,
        num_levels: int = 7,
        min_samples: int = 20,
        window: int = 1000,
        class_window: int = 256,
        max_classes: int = 256,
        refresh_every: int = 32,
        end_idle_s: float | None = None,
        max_end_idle_s: float = 600.0,
        per_token: bool = True,
        scope: str = "tenant",
        refresh_budget: int = REFRESH_BUDGET,
    ) -> None:
        if scope not in SIZE_SCOPES:
            raise ValueError(f"scope must be one of {SIZE_SCOPES}, got {scope!r}")
        self.scope = scope
        """``tenant``: sizes learned per tenant, the global table weights tenants equally;
        ``pooled``: one distribution of all programs (see the module docstring)."""
        self.min_samples = max(1, min_samples)
        self.refresh_every = max(1, refresh_every)
        self.num_levels = max(1, num_levels)
        self.rank_boundaries: list[float] = []
        """Upper rank bounds of levels 0..K-2: geometric between the smallest and the largest
        finite rank of the global table (ranks span orders of magnitude: a level grid tied to
        the call service put every program past a few calls into the last level, FCFS)."""
        self.per_token = per_token
        """Objective: mean program token latency (weight 1 / output tokens) or mean latency."""
        self.fixed_end_idle_s = end_idle_s
        self.max_end_idle_s = max_end_idle_s
        self._pool = SamplePool()
        """The samples of every program a window holds (the windows are rings of its slots)."""
        self._window = SampleWindow(self._pool, max(1, window))
        self._class_window = max(1, class_window)
        self._max_classes = max(0, max_classes)
        self._classes: OrderedDict[str, SampleWindow] = OrderedDict()
        self._tenants: OrderedDict[str, SampleWindow] = OrderedDict()
        """scope ``tenant``: each tenant's recent programs (LRU, at most ``max_classes``)."""
        self._dirty: set[str] = set()
        """Tenants with a new program or a completed call since their table was built."""
        self._dirty_classes: set[str] = set()
        """Classes (keys of ``_classes``) with a new program or a completed call since their
        table was built: only those are rebuilt (an idle class costs nothing)."""
        self._gaps: deque[float] = deque(maxlen=256)
        self._since = 0
        self.global_table: RankTable | None = None
        self.class_tables: dict[str, RankTable] = {}
        """Per class (scope ``tenant``: per tenant and class, key ``tenant + "\\0" + class``)."""
        self.tenant_tables: dict[str, RankTable] = {}
        self.version = 0
        """Incremented when the rank tables are rebuilt."""
        self.best_new_rank: float | None = None
        """The smallest weighted rank of a new program over the class tables (the typically
        smallest class; None without one), set with each refresh: O(classes) per refresh."""
        self.refresh_budget = refresh_budget
        """Samples one completed call may gather into tables (:meth:`call_finished`)."""
        self._jobs: deque[tuple[str, str]] = deque()
        """Tables of the refresh under way not built yet (kind, key)."""
        self._refresh_at = 0.0
        self._staged_global: RankTable | None = None
        self._staged_classes: dict[str, RankTable | None] = {}
        self._staged_tenants: dict[str, RankTable | None] = {}
        self.end_idle_s = end_idle_s if end_idle_s is not None else 5.0

    # -- samples ----------------------------------------------------------------------------
    def track(self, program: SizedProgram) -> None:
        """A program was seen for the first time (its ``tenant``, if any, set already). Its
        fields are read now; the caller reports later changes (:meth:`observe`)."""
        self._window.append(program)
        tenant = self._tenant_key(program)
        cls = self._class_key(program, tenant)
        if cls is not None and self._max_classes:
            self._append(self._classes, cls, program, self.class_tables)
            self._dirty_classes.add(cls)
        if tenant is not None and self._max_classes:
            self._append(self._tenants, tenant, program, self.tenant_tables)
            self._dirty.add(tenant)

    @staticmethod
    def _class_key(program: SizedProgram, tenant: str | None) -> str | None:
        """Key of the program's class window (scope ``tenant``: per tenant and class)."""
        cls = program.program_class
        return tenant + "\0" + cls if cls is not None and tenant is not None else cls

    def _tenant_key(self, program: SizedProgram) -> str | None:
        """The program's tenant under scope ``tenant`` (None: pooled, or no tenant known)."""
        return getattr(program, "tenant", None) if self.scope == "tenant" else None

    def observe(self, program: SizedProgram) -> None:
        """A program's fields the sizes are learned from changed (a call started or was
        aborted, the program ended; :meth:`call_finished` reads them itself): O(1), nothing
        for a program no window holds. The tables see a program as of its last report."""
        self._pool.observe(program)

    def _append(
        self,
        windows: OrderedDict[str, SampleWindow],
        key: str,
        program: SizedProgram,
        tables: dict[str, RankTable],
    ) -> None:
        win = windows.get(key)
        if win is None:
            # a tenant keeps as many programs as the global window (one tenant: the same table)
            cap = self._window.maxlen if windows is self._tenants else self._class_window
            win = windows[key] = SampleWindow(self._pool, cap)
            while len(windows) > self._max_classes:
                old, old_win = windows.popitem(last=False)
                old_win.clear()
                tables.pop(old, None)
                (self._dirty if windows is self._tenants else self._dirty_classes).discard(old)
        else:
            windows.move_to_end(key)
        win.append(program)

    def observe_gap(self, gap_s: float) -> None:
        """An idle program's next call arrived ``gap_s`` after its previous call ended (think
        or tool time): programs idle much longer than the usual gap count as ended."""
        if gap_s >= 0:
            self._gaps.append(gap_s)

    def _update_end_idle(self) -> None:
        if self.fixed_end_idle_s is not None or len(self._gaps) < 16:
            return
        ordered = sorted(self._gaps)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        self.end_idle_s = min(max(4.0 * p95, 1.0), self.max_end_idle_s)

    def _bins(self, window: SampleWindow, now: float, by_tenant: bool = False) -> SizeBins:
        """Size observations of ``window``'s programs, binned (as :func:`bin_observations`
        would): a program with an aborted call or no service gives none; one that ended (or
        idle for ``end_idle_s`` with no call in flight) gives its size, one still active a
        censored lower bound; its weight is 1 / output tokens for the token-latency objective.
        ``by_tenant``: each tenant's samples together weigh 1 (every tenant counts equally,
        however many program ids it sent). A few numpy operations over the window's slots
        (sums in window order, so the bins equal those of one pass over the programs): this
        is the whole cost of a refresh."""
        pool = self._pool
        slots = window.slots()
        k = pool.k[slots]
        keep = k != _NO_SAMPLE
        if not keep.all():
            slots, k = slots[keep], k[keep]
        if not len(k):
            return {}
        ended = now - pool.since[slots] >= self.end_idle_s
        if self.per_token:
            weight = 1.0 / np.maximum(pool.tokens[slots], 1)
        else:
            weight = np.ones(len(k))
        lo = int(k.min())
        idx = k - lo
        nb = int(idx.max()) + 1
        if by_tenant:
            tenant = pool.tenant[slots]
            mass = 1.0 / np.bincount(tenant)[tenant]
            mass_w = mass * weight
        else:
            mass, mass_w = None, weight  # mass 1 each (1.0 * w == w)
        cens = ~ended
        ie, ic = idx[ended], idx[cens]
        ended_n = np.bincount(ie, minlength=nb)
        sums = (
            ended_n.astype(float) if mass is None else np.bincount(ie, mass[ended], nb),
            np.bincount(ie, mass_w[ended], nb),
            np.bincount(ic, None if mass is None else mass[cens], nb).astype(float),
            np.bincount(ic, mass_w[cens], nb),
        )
        em, ew, cm, cw = (a.tolist() for a in sums)
        en = ended_n.tolist()
        present = np.flatnonzero(np.bincount(idx, minlength=nb)).tolist()
        return {lo + i: [em[i], ew[i], cm[i], cw[i], en[i]] for i in present}

    # -- tables -----------------------------------------------------------------------------
    def call_finished(self, now: float, program: SizedProgram | None = None) -> bool:
        """A call (of ``program``) completed. Every ``refresh_every`` calls a refresh of the
        rank tables starts; each completed call does at most ``refresh_budget`` samples of
        its work (one table at least), so a refresh with many tables finishes over the next
        calls instead of stalling one scheduler step. Returns True when a refresh finished
        (the new tables are in use)."""
        if program is not None:
            self._pool.observe(program)
            tenant = self._tenant_key(program)
            if tenant is not None:
                self._dirty.add(tenant)
            cls = self._class_key(program, tenant)
            if cls is not None and cls in self._classes:
                self._dirty_classes.add(cls)
        self._since += 1
        if not self._jobs:
            if self._since < self.refresh_every:
                return False
            self._since = 0
            self._start_refresh(now)
        return self._build(self.refresh_budget)

    def _table(self, window: SampleWindow, now: float, by_tenant: bool = False) -> RankTable | None:
        bins = self._bins(window, now, by_tenant)
        ended = int(sum(b[4] for b in bins.values()))
        if ended < self.min_samples:
            return None
        return RankTable(bins, ended)

    def refresh(self, now: float) -> None:
        """Rebuild the rank tables from the windows at once: the global one always, per
        class and per tenant those with a new program or a completed call since their last
        build (an idle class's or tenant's table waits until it sends again)."""
        self._start_refresh(now)
        self._build(math.inf)

    def _start_refresh(self, now: float) -> None:
        """Queue the tables of one refresh; they are built by :meth:`_build` and put in use
        together when the last one is done (ranks of one refresh are never mixed with the
        previous one's)."""
        self._update_end_idle()
        self._refresh_at = now
        self._jobs.clear()
        self._jobs.append(("global", ""))
        self._jobs.extend(("tenant", t) for t in self._dirty)
        self._dirty.clear()
        self._jobs.extend(("class", c) for c in self._dirty_classes)
        self._dirty_classes.clear()
        self._staged_classes = {}
        self._staged_tenants = {}

    def _build(self, budget: float) -> bool:
        """Build queued tables until ``budget`` samples are spent (at least one table);
        True when the refresh is complete and its tables are in use."""
        now, spent = self._refresh_at, 0
        while self._jobs and spent < budget:
            kind, key = self._jobs.popleft()
            if kind == "global":
                self._staged_global = self._table(
                    self._window, now, by_tenant=self.scope == "tenant"
                )
                spent += len(self._window)
            elif kind == "tenant":
                win = self._tenants.get(key)
                ok = win is not None and len(win) >= self.min_samples
                self._staged_tenants[key] = self._table(win, now) if ok else None
                spent += len(win) if ok else 0
            else:
                win = self._classes.get(key)
                ok = win is not None and len(win) >= self.min_samples
                self._staged_classes[key] = self._table(win, now) if ok else None
                spent += len(win) if ok else 0
        if self._jobs:
            return False
        self.global_table = self._staged_global
        for staged, tables, windows in (
            (self._staged_tenants, self.tenant_tables, self._tenants),
            (self._staged_classes, self.class_tables, self._classes),
        ):
            for key, t in staged.items():
                if t is None:
                    tables.pop(key, None)
                elif key in windows:  # (not evicted while the refresh ran)
                    tables[key] = t
        self._staged_global, self._staged_classes, self._staged_tenants = None, {}, {}
        self.rank_boundaries = self._rank_levels()
        ranks = (t.weighted_rank(0.0) for t in self.class_tables.values())
        self.best_new_rank = min(ranks, default=None)
        self.version += 1
        return True

    def _rank_levels(self) -> list[float]:
        table = self.global_table
        if table is None:
            return []
        finite = [r for r in table.ranks if 0 < r < math.inf]
        if not finite:
            return []
        lo, hi = min(finite), max(finite)
        k = self.num_levels
        growth = max(RANK_LEVEL_MIN_GROWTH, (hi / lo) ** (1.0 / max(1, k - 1)))
        return [lo * growth ** (i + 1) for i in range(k - 1)]

    def table_for(self, program_class: str | None, tenant: str | None = None) -> RankTable | None:
        """The table a program is ranked by: its class's (scope ``tenant``: its tenant's
        class's, then its tenant's) if it has enough samples, else the global one (or
        None)."""
        if self.scope != "tenant":
            tenant = None
        if program_class is not None:
            key = program_class if tenant is None else tenant + "\0" + program_class
            t = self.class_tables.get(key)
            if t is not None:
                return t
        if tenant is not None:
            t = self.tenant_tables.get(tenant)
            if t is not None:
                return t
        return self.global_table
