"""Service charging of vLLM steps: the adapter side of the multi-level queue's quantum
accounting (Autellix §4.3), mixed into :class:`vllm_nexus.programs.scheduler.Scheduler`.

``schedule()`` records what each step will charge (:meth:`StepCharging._record_step`);
``update_from_output()`` charges it once executed (:meth:`StepCharging._charge`): prompt
chunks per call (weighted by ``prefill_token_weight``), the executor time per call under
the ``time`` unit, and — with the ``tokens`` unit, no speculative decoding and no learned
size table — decode tokens lazily (:mod:`vllm_nexus.programs.decode_charge`: a call's
decode service is read off its request's token counters when needed, no per-step loop over
the batch). The policy itself stays in the pure modules.
"""

from __future__ import annotations

import contextlib
from typing import Any

from vllm.v1.core.sched.output import SchedulerOutput
from vllm.v1.request import Request, RequestStatus

from vllm_nexus.programs.queues import Call

_NONE: dict[str, float] = {}
"""The costs and extras of a decode-only step (shared, never modified)."""


def _in_batch_order(costs: dict[str, int], scheduled: dict[str, int]) -> dict[str, int]:
    """``costs`` (ids all in ``scheduled``) in the batch's order. The prompt chunks are
    mostly the batch's last entries (vLLM schedules this step's admissions after the running
    calls), so the batch is read from its end, only until every id is found: O(chunks) in
    the usual case instead of a walk of the whole batch."""
    found: list[str] = []
    left = len(costs)
    for rid in reversed(scheduled):
        if rid in costs:
            found.append(rid)
            left -= 1
            if not left:
                break
    return {rid: costs[rid] for rid in reversed(found)}


class StepCharging:
    """Per-step service charging (see the module docstring); state lives on the scheduler."""

    mlq: Any
    nexus_cfg: Any
    nexus_metrics: Any
    requests: dict[str, Request]
    running: list[Request]
    _decode: Any
    _steps: Any
    _prefilling: dict[str, None]
    _dropped_kv: dict[str, int]
    _recomputing: set[str]
    _last_charge: float
    _time_unit: bool
    _tokens_unit: bool
    _prefill_extra: float
    clock: Any
    _insert_running: Any
    _remove_running: Any
    waiting: Any
    kv_holding_waiting: Any

    def _record_step(self, out: SchedulerOutput, now: float) -> None:
        """Track running/waiting transitions and what each scheduled call will be charged.

        O(admitted + prefilling + preempted): only calls with prompt tokens in the step (new,
        resumed, or mid chunked prefill) are charged per call; a call whose prompt is done
        decodes from the next step on and is charged lazily (each tenant per step by its count
        of decoding calls), or, without lazy charging, the whole batch is walked once when the
        step is charged (decode tokens cost their count)."""
        mlq = self.mlq
        calls = mlq.calls
        if out.preempted_req_ids:
            for rid in out.preempted_req_ids:
                call = calls.get(rid)
                if call is not None and call.running:
                    mlq.set_waiting(call, now, preempted=True)
                    self.nexus_metrics.preemptions_kv += 1
        scheduled = out.num_scheduled_tokens
        if not scheduled:
            return
        new_reqs, resumed = out.scheduled_new_reqs, out.scheduled_cached_reqs.resumed_req_ids
        decode, steps = self._decode, self._steps
        if decode is not None and not new_reqs and not resumed and not self._prefilling:
            # A decode-only step (most steps): no prompt chunk, so nothing is charged per
            # call; each tenant is charged its decoding calls in the step (all of them, the
            # usual case, else counted over the batch). What the general path below records
            # for such a step, without building it.
            if self._dropped_kv and self._recomputing:
                self._count_recomputed(scheduled)
            tally = decode.step_counts(scheduled)
            steps[id(out)] = (now, _NONE, _NONE, tally, out.total_num_scheduled_tokens, scheduled)
            if len(steps) > 16:
                self._drop_uncharged_steps()
            return
        requests = self.requests
        admitted: list[str] = []
        if new_reqs or resumed:
            admitted = [r.req_id for r in new_reqs]
            admitted.extend(resumed)
            for rid in admitted:
                call = calls.get(rid)
                if call is not None and not call.running:
                    mlq.set_running(call, now)
        if self._dropped_kv:
            dropped, recomputing = self._dropped_kv, self._recomputing
            if admitted:
                recomputing.update(rid for rid in admitted if rid in dropped)
            if recomputing:
                self._count_recomputed(scheduled)
        extra: dict[str, float] = {}
        costs, tally, lazy_total = scheduled, None, 0
        if self._tokens_unit:
            weight = self._prefill_extra
            prefilling = self._prefilling
            if admitted:
                prefilling.update(dict.fromkeys(admitted))  # an ordered set: no hash-seed order
            started = []
            if decode is not None:
                costs = {}  # the prompt chunks; decode tokens are charged lazily
            if prefilling:
                for rid in list(prefilling):
                    n = scheduled.get(rid)
                    req = requests.get(rid)
                    if req is None or req.status != RequestStatus.RUNNING:
                        del prefilling[rid]
                        continue
                    if n is None:
                        continue
                    if decode is not None:
                        costs[rid] = n
                    # prompt tokens in this chunk: up to num_tokens - 1 - (computed before it)
                    prefill = min(n, req.num_tokens - 1 - req.num_computed_tokens + n)
                    if prefill > 0:
                        extra[rid] = weight * prefill
                    if req.num_computed_tokens >= req.num_tokens - 1:
                        del prefilling[rid]
                        started.append(rid)
            if decode is not None:
                if len(costs) > 1:  # batch order, as the loop charges (not set order)
                    costs = _in_batch_order(costs, scheduled)
                tally = decode.step_counts(scheduled, len(costs))
                lazy_total = out.total_num_scheduled_tokens - sum(costs.values())
                for rid in started:  # decoding from the next step on (this chunk is in costs)
                    call = calls.get(rid)
                    if call is not None:  # filed once this chunk is charged (_charge)
                        decode.start(call, requests[rid].num_computed_tokens, file=False)
        steps[id(out)] = (now, costs, extra, tally, lazy_total, scheduled)
        if len(steps) > 16:
            self._drop_uncharged_steps()

    def _drop_uncharged_steps(self) -> None:
        """Forget the oldest recorded steps beyond 16: outputs that never came back (engine
        reset). Calls that started decoding in such a step are filed at their quantum
        crossing now (:meth:`_charge` would have, after charging their last prompt chunk)."""
        steps, decode = self._steps, self._decode
        while len(steps) > 16:
            _, (_, costs, *_) = steps.popitem(last=False)
            if decode is not None:
                for rid in costs:
                    decode.file(rid)

    def _count_recomputed(self, scheduled: dict[str, int]) -> None:
        """Tokens below a preempted request's old frontier are recomputed (what the prefix
        cache restored is skipped by vLLM and never scheduled). Only requests admitted again
        since their preemption (``_recomputing``) can be scheduled: O(those), not a walk of
        every preempted request still waiting."""
        dropped, requests, m = self._dropped_kv, self.requests, self.nexus_metrics
        for rid in list(self._recomputing):
            high = dropped.get(rid)
            if high is None:
                self._recomputing.discard(rid)
                continue
            n = scheduled.get(rid)
            request = requests.get(rid)
            if n is None or request is None:
                continue
            before = request.num_computed_tokens - n
            m.recomputed_tokens += max(0, min(before + n, high) - before)
            if before + n >= high:
                del dropped[rid]
                self._recomputing.discard(rid)

    def _charge(self, out: SchedulerOutput, now: float) -> None:
        """Charge executed service: tokens, or the step's executor time to each call in it
        (decoding calls lazily, :mod:`vllm_nexus.programs.decode_charge`)."""
        decode = self._decode
        if decode is not None:
            decode.step += 1  # (next_step) at most one more token behind each call's frontier
        step = self._steps.pop(id(out), None)
        if step is None:
            return
        scheduled_at, costs, extra, tally, lazy_total, _ = step
        if self._time_unit:
            dt = max(0.0, now - max(scheduled_at, self._last_charge))
            costs, extra = dict.fromkeys(costs, dt), {}
        self._last_charge = now
        demoted = None
        if costs:
            self.nexus_metrics.service_total += (
                sum(costs.values()) + sum(extra.values()) + lazy_total
            )
            demoted = self.mlq.charge_all(costs, extra, now)
            if decode is not None:  # last prompt chunks of calls now decoding: file them
                for rid in costs:
                    decode.file(rid)
        else:  # a decode-only step: its tokens are all charged lazily
            self.nexus_metrics.service_total += (
                sum(extra.values()) + lazy_total if extra else lazy_total
            )
        if tally:  # decoding calls' tokens, per tenant (their calls are charged lazily)
            tenants = self.mlq.tenants
            for tenant, n in tally.values():
                if tenant is not None:
                    tenants.charge(tenant, float(n), now)
        if demoted:
            self._move_demoted(demoted)

    def _move_demoted(self, demoted: list[Call]) -> None:
        """Demoted calls move to their place: in ``running`` (queue order), or in the waiting
        queues (a call preempted while its last step was in flight is charged after it)."""
        self.nexus_metrics.demotions += len(demoted)
        moved = []  # all out first: with two keys changed, `running` is unsorted until then
        for call in demoted:
            request = self.requests.get(call.call_id)
            if request is None:
                continue
            if request.status == RequestStatus.RUNNING:
                with contextlib.suppress(ValueError):
                    self._remove_running(request)
                    moved.append(request)
            elif hasattr(self.waiting, "update"):
                self.waiting.update(request)
                self.kv_holding_waiting.update(request)
        if moved:
            self._insert_running(moved)

    def _frontier(self, call: Call) -> int | None:
        """A call's executed-token frontier (:meth:`_request_frontier`), None once gone."""
        request = self.requests.get(call.call_id)
        return None if request is None else self._request_frontier(request)

    @staticmethod
    def _request_frontier(request: Request) -> int:
        """Tokens whose execution is done: vLLM advances ``num_computed_tokens`` when it
        schedules a step; under async scheduling the outputs still in flight are
        ``num_output_placeholders`` (0 otherwise), one per in-flight decode step."""
        return request.num_computed_tokens - request.num_output_placeholders

    def _stop_decoding(self, request: Request, preempted: bool, now: float | None = None) -> None:
        """A decoding call is preempted or ends: settle its decode tokens. A preempted one is
        charged every token scheduled for it so far (under async scheduling one step may be
        in flight: a per-step charge would still count it); an ending one up to its frontier
        (a step in flight for it is never charged). ``now``: the caller's clock reading."""
        rid = request.request_id
        frontier = request.num_computed_tokens if preempted else self._request_frontier(request)
        call, demoted = self._decode.stop(rid, frontier, self.clock() if now is None else now)
        if demoted:
            self.nexus_metrics.demotions += 1
        if call is None or preempted or not self._steps:
            return
        # Steps scheduled but not yet charged (async scheduling) counted it for its tenant;
        # a per-step charge would skip a call that has ended: so do they. A step's counts
        # may be shared (with other steps, with the live ones): each gets a changed copy.
        steps, key = self._steps, id(call.tenant)
        for step_id, step in list(steps.items()):
            tally, scheduled = step[3], step[5]
            if tally and key in tally and rid in scheduled and rid not in step[1]:
                tally = {k: [t, n - 1 if k == key else n] for k, (t, n) in tally.items()}
                steps[step_id] = (*step[:3], tally, *step[4:])

    def call_service(self, request_id: str) -> float | None:
        """Service a call has received so far (its decode tokens settled), None if unknown."""
        call = self.mlq.calls.get(request_id)
        if call is None:
            return None
        if self._decode is not None:
            self._move_demoted(
                [call]
                if self._decode.settle(request_id, self._frontier(call), self.clock())
                else []
            )
        return call.service
