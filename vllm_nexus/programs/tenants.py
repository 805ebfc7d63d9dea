"""Tenant-level fair share: a client gains no priority by minting program ids.

Autellix ranks a call by its *program's* attained service (§4.2). Program ids come from the
client, so a client that sends a fresh id with every call (or none, or splits one program
into many, or aborts and resends) looks like a stream of brand-new programs and always enters
the top queue level. The tenant (who the caller is, set by a trusted edge:
:mod:`vllm_nexus.programs.tenant_identity`) is the one identity a client cannot mint, so the
ledger here accounts service per tenant and shifts the queue level of a tenant's new calls by
how far the tenant is ahead of its fair share:

- ``D_t``: the tenant's attained service, decayed exponentially with half-life ``h``
  (recent service counts, old service fades; a tenant cannot bank an idle period for longer
  than about ``h``).
- Among the tenants with a call in the engine ("active"), tenant ``t``'s fair share of the
  active tenants' decayed service is ``w_t / W_active * D_active``; its excess is
  ``E_t = max(0, D_t - fair share)``.
- A new call of tenant ``t`` enters at ``program level + lift_t`` (capped at the last level),
  where ``lift_t`` is the queue level the excess ``E_t`` would fall into (0 below the first
  boundary). Within a tenant the program order is kept (the same shift for all its calls).

A tenant that takes more than its share during contention (because its calls claim to be new
programs, or for any other reason) sinks until the others caught up; a tenant at or below its
share is not moved. With one active tenant nothing changes (``E_t = 0``), so single-tenant
scheduling is exactly Autellix's. The ledger also gives anti-starvation a tenant-level
ceiling (:meth:`TenantLedger.lift`) and keeps per-tenant counters for ``/metrics``.

Every operation is O(1): the active tenants' decayed sum is maintained incrementally (one
decay rate for all tenants, so sums decay like their parts); nothing iterates over tenants
except the metrics snapshot, which takes the top ``k`` by service. Idle tenants are evicted
after ``idle_ttl_s`` or beyond ``max_tenants`` (least recently seen first). Pure Python.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DEFAULT_TENANT = "default"


def decay_factor(rate: float, dt: float) -> float:
    """What a value decays by at ``rate`` (per second) over ``dt`` seconds (1.0 for
    ``dt <= 0``): the one place the ledger's decay arithmetic lives; for several values
    decayed over the same ``dt``, one exponential."""
    return math.exp(-rate * dt) if dt > 0 else 1.0


def decay(value: float, rate: float, dt: float) -> float:
    """``value`` decayed exponentially at ``rate`` over ``dt`` seconds (:func:`decay_factor`)."""
    return value * decay_factor(rate, dt)


@dataclass(slots=True)
class Tenant:
    """Accounting state of one tenant."""

    tenant_id: str
    weight: float = 1.0
    decayed: float = 0.0
    """Decayed attained service as of ``stamp``."""
    stamp: float = 0.0
    active_calls: int = 0
    last_seen: float = 0.0
    service_total: float = 0.0
    """Undecayed service charged (monotonic, for metrics)."""
    calls_started: int = 0
    calls_completed: int = 0
    calls_aborted: int = 0
    wait_s_total: float = 0.0
    """Seconds its finished calls spent waiting (monotonic, for metrics)."""

    def counters(self) -> tuple[float, float, float, float]:
        """(service, completed calls, aborted calls, wait seconds): the exported counters."""
        return (self.service_total, self.calls_completed, self.calls_aborted, self.wait_s_total)


COUNTERS = ("service", "completed", "aborted", "wait_s")
OTHER = "other"
"""Label of the tenants not shown by name on /metrics (their counters summed)."""


class TenantLedger:
    """Decayed per-tenant service, fair-share excess and the level lift it implies."""

    def __init__(
        self,
        half_life_s: float = 30.0,
        weights: Mapping[str, float] | None = None,
        fair_share: bool = True,
        max_tenants: int = 10_000,
        idle_ttl_s: float = 600.0,
        metrics_top_k: int = 10,
    ) -> None:
        if half_life_s <= 0:
            raise ValueError("half_life_s must be > 0")
        self.rate = math.log(2.0) / half_life_s
        self.weights = dict(weights or {})
        self.fair_share = fair_share
        self.max_tenants = max_tenants
        self.idle_ttl_s = idle_ttl_s
        self.metrics_top_k = metrics_top_k
        self._tenants: dict[str, Tenant] = {}
        self._idle: OrderedDict[str, None] = OrderedDict()  # least recently seen first
        self._active_decayed = 0.0
        self._active_stamp = 0.0
        self._active_weight = 0.0
        self._active_count = 0
        self.multi_periods = 0
        """Times the number of active tenants rose above one: a fair-share lift can only be
        non-zero while it is above one (:meth:`excess`), so a caller that saw this count
        unchanged, with at most one tenant active at both ends, knows no lift was applied
        in between (the queue's re-levelling fast path)."""
        self.evicted_total = 0
        self._totals = [0.0, 0.0, 0.0, 0.0]  # COUNTERS over all tenants ever (monotonic)
        self._labelled: dict[str, tuple[float, ...]] = {}  # tenant -> counters when labelled
        self._other = [0.0, 0.0, 0.0, 0.0]  # last exported "other" row (kept monotonic)

    # -- queries ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._tenants)

    def __contains__(self, tenant_id: str) -> bool:
        return tenant_id in self._tenants

    def get(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    @property
    def active_tenants(self) -> int:
        return self._active_count

    def decayed_service(self, tenant: Tenant, now: float) -> float:
        """``D_t`` at ``now``."""
        return decay(tenant.decayed, self.rate, now - tenant.stamp)

    def excess(self, tenant: Tenant, now: float) -> float:
        """Decayed service above the tenant's fair share among active tenants (>= 0)."""
        if not self.fair_share or self._active_count <= 1 or tenant.active_calls <= 0:
            return 0.0
        total = self._active_now(now)
        share = tenant.weight / self._active_weight if self._active_weight > 0 else 1.0
        return max(0.0, self.decayed_service(tenant, now) - share * total)

    def lift(self, tenant: Tenant, now: float, level_for_service: Callable[[float], int]) -> int:
        """Queue levels a new call of ``tenant`` is shifted down by: the level its excess
        service falls into (0 while the excess is below the first boundary)."""
        e = self.excess(tenant, now)
        return level_for_service(e) if e > 0 else 0

    def metrics_rows(self) -> tuple[list[tuple[Tenant, list[float]]], list[float]]:
        """Counters for ``/metrics`` with at most ``metrics_top_k`` tenants by name, the rest
        summed as :data:`OTHER`; every series stays monotonic.

        The labelled set is sticky: new tenants take free labels when first seen (their
        series are complete); when all are taken, a labelled tenant is replaced only by one
        served more than twice as much (or when evicted), and the newcomer's series counts
        from then on. ``other`` counts everything else, so the rows always sum to the
        totals. O(n log k), called once per metrics snapshot (at most every 0.5 s), never
        per step."""
        lab, k = self._labelled, self.metrics_top_k
        for tid in [t for t in lab if t not in self._tenants]:
            del lab[tid]
        if k <= 0:
            lab.clear()
        else:
            candidates = heapq.nlargest(
                k,
                (t for t in self._tenants.values() if t.tenant_id not in lab and t.tenant_id != OTHER),
                key=lambda t: t.service_total,
            )  # fmt: skip
            for cand in candidates:
                if len(lab) >= k:
                    low = min(lab, key=lambda tid: self._tenants[tid].service_total)
                    if cand.service_total <= 2 * self._tenants[low].service_total:
                        break
                    del lab[low]
                lab[cand.tenant_id] = cand.counters()
        rows, other = [], list(self._totals)
        for tid, base in lab.items():
            t = self._tenants[tid]
            vals = [now - b for now, b in zip(t.counters(), base, strict=True)]
            rows.append((t, vals))
            other = [o - v for o, v in zip(other, vals, strict=True)]
        self._other = [max(o, last) for o, last in zip(other, self._other, strict=True)]
        return rows, list(self._other)

    def tenants(self) -> list[Tenant]:
        return list(self._tenants.values())

    # -- lifecycle --------------------------------------------------------------------------
    def call_started(self, tenant_id: str, now: float) -> Tenant:
        """A call of ``tenant_id`` entered the engine (creates the tenant on first sight)."""
        t = self._tenants.get(tenant_id)
        if t is None:
            t = Tenant(tenant_id, weight=self.weights.get(tenant_id, 1.0), stamp=now)
            self._tenants[tenant_id] = t
            if len(self._labelled) < self.metrics_top_k and tenant_id != OTHER:
                self._labelled[tenant_id] = t.counters()  # a free label: complete series
        else:
            self._idle.pop(tenant_id, None)
        if t.active_calls == 0:
            self._activate(t, now)
        t.active_calls += 1
        t.calls_started += 1
        t.last_seen = now
        self.evict(now)
        return t

    def charge(self, tenant: Tenant, service: float, now: float) -> None:
        """Add executed service to ``tenant`` (and to the active sum if it is active)."""
        if service <= 0:
            return
        rate, dt = self.rate, now - tenant.stamp
        factor = decay_factor(rate, dt)
        tenant.decayed = tenant.decayed * factor + service
        tenant.stamp = now
        tenant.service_total += service
        self._totals[0] += service
        if tenant.active_calls > 0:
            # usually stamped together with the tenant (one active tenant charged per
            # step): the same decay, one exponential
            active_dt = now - self._active_stamp
            if active_dt != dt:
                factor = decay_factor(rate, active_dt)
            self._active_decayed = self._active_decayed * factor + service
            self._active_stamp = now

    def call_ended(self, tenant: Tenant, now: float, aborted: bool, wait_s: float = 0.0) -> None:
        """A call of ``tenant`` left the engine (its service was charged while it ran)."""
        if aborted:
            tenant.calls_aborted += 1
        else:
            tenant.calls_completed += 1
        tenant.wait_s_total += wait_s
        self._totals[2 if aborted else 1] += 1
        self._totals[3] += wait_s
        tenant.last_seen = now
        if tenant.active_calls <= 0:
            return
        tenant.active_calls -= 1
        if tenant.active_calls == 0:
            self._deactivate(tenant, now)
            self._idle[tenant.tenant_id] = None
            self._idle.move_to_end(tenant.tenant_id)
            self.evict(now)

    def evict(self, now: float) -> list[str]:
        """Drop idle tenants past ``idle_ttl_s``, then the oldest idle ones beyond capacity."""
        evicted = []
        while self._idle:
            tid = next(iter(self._idle))
            t = self._tenants[tid]
            if now - t.last_seen < self.idle_ttl_s and len(self._tenants) <= self.max_tenants:
                break
            self._idle.popitem(last=False)
            del self._tenants[tid]
            evicted.append(tid)
        self.evicted_total += len(evicted)
        return evicted

    # -- internals --------------------------------------------------------------------------
    def _active_now(self, now: float) -> float:
        return decay(self._active_decayed, self.rate, now - self._active_stamp)

    def _activate(self, t: Tenant, now: float) -> None:
        self._active_decayed = self._active_now(now) + self.decayed_service(t, now)
        self._active_stamp = now
        self._active_weight += t.weight
        self._active_count += 1
        if self._active_count == 2:
            self.multi_periods += 1

    def _deactivate(self, t: Tenant, now: float) -> None:
        self._active_count -= 1
        if self._active_count <= 0:  # exact reset: no drift carried into the next busy period
            self._active_count, self._active_decayed, self._active_weight = 0, 0.0, 0.0
        else:
            left = self._active_now(now) - self.decayed_service(t, now)
            self._active_decayed = max(0.0, left)
            self._active_weight = max(0.0, self._active_weight - t.weight)
        self._active_stamp = now
