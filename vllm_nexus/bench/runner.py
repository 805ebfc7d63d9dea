"""Replays programs against an OpenAI-compatible server: Poisson arrivals of whole programs,
calls following their DAG, streaming to measure TTFT/TBT, every failure recorded.

Robustness: a fresh TCP connection per call (the server closes idle keep-alive sockets after
~5 s, which pooled clients misread as failures across think times); a call is retried only when
the connection could not be opened (nothing was sent); any other error is recorded on the call
and its dependants are recorded as not sent. Nothing is dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from vllm_nexus.bench.metrics import CallRecord, ProgramRecord
from vllm_nexus.bench.prompts import PromptFactory
from vllm_nexus.bench.trace import CallSpec, ProgramSpec


@dataclass(frozen=True)
class ClientOptions:
    base_url: str
    model: str
    id_transport: str = "xargs"  # or "session-header", or "none" (ids stripped)
    prompt_format: str = "ids"  # or "text"
    think_scale: float = 1.0
    temperature: float = 0.0
    timeout_s: float = 600.0
    max_retries: int = 3
    progress: bool = True
    program_id_suffix: str = ""
    """Appended to every program id sent (not to the recorded one): a per-run namespace, so
    a server's program table (attained service, kept for ``program_ttl_s``) never carries
    over from one run to the next. Without it, a program of run 2 would arrive with the
    service its namesake attained in run 1 — knowledge of its size no real program gives."""
    send_program_class: bool = False
    """Also send each program's kind as ``vllm_xargs.program_class`` (the agent type a client
    can name; the scheduler learns program sizes per class). Off: the server sees no class
    (the bench prompts share no system prompt it could infer one from)."""

    size_hint_sigma: float | None = None
    """Also send ``vllm_xargs.program_size_hint`` on every call: the program's number of calls
    with log-normal error of this sigma (:meth:`ProgramSpec.size_hint`, seeded by
    ``size_hint_seed``); None (default): no hint."""
    size_hint_seed: int = 0

    def __post_init__(self) -> None:
        if self.size_hint_sigma is not None and not (
            0 <= self.size_hint_sigma and math.isfinite(self.size_hint_sigma)
        ):
            raise ValueError("size_hint_sigma must be a finite number >= 0")
        if self.id_transport not in ("xargs", "session-header", "none"):
            raise ValueError("id_transport must be 'xargs', 'session-header' or 'none'")
        if self.prompt_format not in ("ids", "text"):
            raise ValueError("prompt_format must be 'ids' or 'text'")
        if self.think_scale < 0:
            raise ValueError("think_scale must be >= 0")


def call_request_id(program_id: str, call_id: str) -> str:
    """Opaque request id sent with ``id_transport="none"`` (16 hex digits of a hash)."""
    return hashlib.blake2b(f"{program_id}/{call_id}".encode(), digest_size=8).hexdigest()


def normalize_base_url(url: str) -> str:
    """``http://h:p``, ``http://h:p/``, ``http://h:p/v1`` -> ``http://h:p``."""
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


class _CallState:
    __slots__ = ("done", "prompt", "output", "rec")

    def __init__(self, rec: CallRecord):
        self.rec = rec
        self.done = asyncio.Event()
        self.prompt: Any = None
        self.output: Any = None


def _thread_schedstat() -> tuple[float, float] | None:
    """This thread's (seconds on a CPU, seconds waiting on a run queue) from Linux's
    ``/proc/thread-self/schedstat``; None where it is not available."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as f:
            on_cpu, waiting = f.read().split()[:2]
    except (OSError, ValueError):
        return None
    return int(on_cpu) * 1e-9, int(waiting) * 1e-9


class LoopWatch:
    """Stalls of the client's own event loop: a task that wakes every ``period_s`` and records
    each wake-up later than ``threshold_s``: (run time it fell due, seconds late, of those
    seconds on a CPU, and waiting for a CPU on a run queue; the last two from Linux's
    schedstat, NaN elsewhere). On a CPU: the loop ran code that blocked it; on a run queue:
    the machine gave the client no CPU; neither: the thread slept or waited (a page fault,
    a lock, a stolen virtual CPU). A client stall delays every stream it reads at once, so a
    benchmark's latency gaps can be told from the server's."""

    def __init__(self, now: Any, period_s: float = 0.01, threshold_s: float = 0.05) -> None:
        self._now, self.period_s, self.threshold_s = now, period_s, threshold_s
        self.stalls: list[tuple[float, float, float, float]] = []

    async def watch(self) -> None:
        """Run until cancelled."""
        period, threshold, nan = self.period_s, self.threshold_s, math.nan
        before = _thread_schedstat()
        while True:
            due = self._now() + period
            await asyncio.sleep(period)
            late = self._now() - due
            after = _thread_schedstat() if before is not None else None
            if late > threshold:
                if before is not None and after is not None:
                    cpu, queued = after[0] - before[0], after[1] - before[1]
                else:
                    cpu = queued = nan
                self.stalls.append((due, late, cpu, queued))
            before = after

    def summary(self) -> dict[str, Any]:
        """Count, total and largest stall, the stalled time on a CPU and on a run queue, and
        the ten largest stalls (run time, seconds late, on a CPU, on a run queue)."""
        lags = [s[1] for s in self.stalls]
        worst = sorted(self.stalls, key=lambda s: -s[1])[:10]
        return {
            "threshold_s": self.threshold_s,
            "stalls": len(lags),
            "stall_s": round(sum(lags), 4),
            "max_stall_s": round(max(lags), 4) if lags else 0.0,
            "on_cpu_s": round(sum(s[2] for s in self.stalls), 4),
            "run_queue_s": round(sum(s[3] for s in self.stalls), 4),
            "worst": [[round(x, 4) for x in s] for s in worst],
        }


class Runner:
    """One run of a list of programs against one server."""

    def __init__(self, programs: list[ProgramSpec], factory: PromptFactory, opts: ClientOptions):
        self.programs = programs
        self.factory = factory
        self.opts = opts
        self.base = normalize_base_url(opts.base_url)
        self.records: list[ProgramRecord] = []
        self._t0 = 0.0
        self.t0_unix = 0.0
        """Unix time of the records' time 0 (lines them up with server-side logs)."""
        self._bar: Any = None
        self._failed_calls = 0
        self.loop_watch = LoopWatch(self._now)
        """The client's own event-loop stalls during the run (:class:`LoopWatch`)."""

    def _now(self) -> float:
        return time.monotonic() - self._t0

    async def run(self) -> tuple[list[ProgramRecord], float]:
        """Run all programs; return their records and the run duration (s)."""
        timeout = aiohttp.ClientTimeout(total=self.opts.timeout_s)
        connector = aiohttp.TCPConnector(force_close=True, limit=0)
        if self.opts.progress:
            from tqdm import tqdm

            self._bar = tqdm(total=len(self.programs), unit="prog", desc="programs", leave=False)
        try:
            async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
                self._session = session
                self._t0 = time.monotonic()
                self.t0_unix = time.time()
                watch = asyncio.ensure_future(self.loop_watch.watch())
                try:
                    await asyncio.gather(*(self._program(p) for p in self.programs))
                    duration = self._now()
                finally:
                    watch.cancel()
        finally:
            if self._bar is not None:
                self._bar.close()
        return self.records, duration

    async def _program(self, spec: ProgramSpec) -> None:
        full = spec.full_prompt_tokens()
        rec = ProgramRecord(spec.program_id, spec.kind, spec.arrival_s)
        states: dict[str, _CallState] = {}
        for c in spec.calls:
            cr = CallRecord(c.id, list(c.after), full[c.id], c.output_tokens)
            rec.calls.append(cr)
            states[c.id] = _CallState(cr)
        self.records.append(rec)
        delay = spec.arrival_s - self._now()
        if delay > 0:
            await asyncio.sleep(delay)
        await asyncio.gather(*(self._call(spec, c, states) for c in spec.calls))
        if self._bar is not None:
            self._bar.update(1)
            if self._failed_calls:
                self._bar.set_postfix(failed_calls=self._failed_calls)

    async def _call(self, prog: ProgramSpec, c: CallSpec, states: dict[str, _CallState]) -> None:
        st = states[c.id]
        rec = st.rec
        try:
            for a in c.after:
                await states[a].done.wait()
            failed = [a for a in c.after if not states[a].rec.ok]
            if failed:
                rec.error = f"not sent: dependency {failed[0]!r} failed"
                return
            rec.ready_s = self._now() if c.after else prog.arrival_s
            think = c.think_s * self.opts.think_scale
            if think > 0:
                await asyncio.sleep(think)
            st.prompt = self._prompt(prog, c, states)
            await self._send(prog.program_id, c, st, prog.kind, self._hint(prog))
        except asyncio.CancelledError:
            rec.error = rec.error or "cancelled"
            raise
        except Exception as e:  # recorded, never dropped
            rec.error = f"{type(e).__name__}: {e}"[:300]
        finally:
            if rec.error is not None:
                self._failed_calls += 1
            st.done.set()

    def _prompt(self, prog: ProgramSpec, c: CallSpec, states: dict[str, _CallState]) -> Any:
        ids = self.opts.prompt_format == "ids"
        if ids:
            new: Any = self.factory.ids(prog.program_id, c.id, c.prompt_tokens)
        else:
            new = self.factory.text(prog.program_id, c.id, c.prompt_tokens)
        if c.context_from is None:
            return new
        parent = states[c.context_from]
        return parent.prompt + parent.output + new

    def _hint(self, prog: ProgramSpec) -> float | None:
        """The program's size hint (``size_hint_sigma``), or None."""
        sigma = self.opts.size_hint_sigma
        return None if sigma is None else prog.size_hint(sigma, self.opts.size_hint_seed)

    def _payload(
        self,
        program_id: str,
        c: CallSpec,
        prompt: Any,
        kind: str | None = None,
        hint: float | None = None,
    ) -> tuple[dict, dict]:
        body: dict[str, Any] = {
            "model": self.opts.model,
            "prompt": prompt,
            "max_tokens": c.output_tokens,
            "ignore_eos": True,
            "temperature": self.opts.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.opts.prompt_format == "ids":
            body["return_token_ids"] = True
        headers = {}
        program_id += self.opts.program_id_suffix
        if self.opts.id_transport == "xargs":
            body["vllm_xargs"] = {"program_id": program_id}
        elif self.opts.id_transport == "session-header":
            headers["X-Session-ID"] = program_id
        else:  # no id; an opaque request id lets a server-side log be checked against truth
            body["request_id"] = call_request_id(program_id, c.id)
        if self.opts.send_program_class and kind:
            body.setdefault("vllm_xargs", {})["program_class"] = kind
        if hint is not None:
            body.setdefault("vllm_xargs", {})["program_size_hint"] = round(hint, 3)
        return body, headers

    async def _send(
        self,
        program_id: str,
        c: CallSpec,
        st: _CallState,
        kind: str | None = None,
        hint: float | None = None,
    ) -> None:
        rec = st.rec
        body, headers = self._payload(program_id, c, st.prompt, kind, hint)
        url = f"{self.base}/v1/completions"
        for attempt in range(self.opts.max_retries + 1):
            rec.send_s = self._now()
            try:
                async with self._session.post(url, json=body, headers=headers) as resp:
                    if resp.status != 200:
                        text = (await resp.text())[:300]
                        raise RuntimeError(f"HTTP {resp.status}: {text}")
                    await self._consume(resp, st)
                    return
            except aiohttp.ClientConnectorError:
                # The connection was never established: nothing was sent, safe to retry.
                if attempt >= self.opts.max_retries:
                    raise
                rec.retries += 1
                await asyncio.sleep(0.5 * (attempt + 1))

    async def _consume(self, resp: aiohttp.ClientResponse, st: _CallState) -> None:
        rec = st.rec
        ids = self.opts.prompt_format == "ids"
        out_ids: list[int] = []
        out_text: list[str] = []
        last = None
        usage = None
        async for raw in resp.content:
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                break
            msg = json.loads(data)
            if "error" in msg:
                raise RuntimeError(f"stream error: {str(msg['error'])[:200]}")
            if msg.get("usage"):
                usage = msg["usage"]
            for ch in msg.get("choices") or ():
                n = len(ch.get("token_ids") or ()) if ids else (1 if ch.get("text") else 0)
                if n == 0:
                    continue
                now = self._now()
                if rec.first_token_s is None:
                    rec.first_token_s = now
                elif last is not None:
                    gap = now - last
                    if rec.max_gap_s is None or gap > rec.max_gap_s:
                        rec.max_gap_s, rec.max_gap_end_s = gap, now
                last = now
                if ids:
                    out_ids.extend(ch["token_ids"])
                else:
                    out_text.append(ch["text"])
        rec.end_s = self._now()
        if rec.first_token_s is None:
            raise RuntimeError("stream ended without any output token")
        if ids:
            rec.output_tokens = len(out_ids)
            st.output = out_ids
            rec.prompt_tokens = len(st.prompt)
        else:
            st.output = "".join(out_text)
            rec.output_tokens = int(usage["completion_tokens"]) if usage else len(out_text)
        if usage and usage.get("prompt_tokens") is not None:
            rec.prompt_tokens = int(usage["prompt_tokens"])


def run_programs(
    programs: list[ProgramSpec], factory: PromptFactory, opts: ClientOptions
) -> tuple[list[ProgramRecord], float, dict[str, Any]]:
    """Synchronous wrapper around :class:`Runner`: records, duration (s) and the client's
    event-loop stalls (:meth:`LoopWatch.summary`)."""
    r = Runner(programs, factory, opts)
    records, duration = asyncio.run(r.run())
    return records, duration, r.loop_watch.summary()


# ---------------------------------------------------------------- server-side counters

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_KEEP_PREFIXES = ("vllm:", "vllm_nexus_")
_KEEP_SUFFIXES = ("_total", "_sum", "_count")


def parse_prometheus(text: str) -> dict[str, float]:
    """Counter-like samples (``*_total``, ``*_sum``, ``*_count``) of vLLM and vllm-nexus,
    summed over label sets."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        name, value = m.group(1), m.group(3)
        if not name.startswith(_KEEP_PREFIXES) or not name.endswith(_KEEP_SUFFIXES):
            continue
        try:
            out[name] = out.get(name, 0.0) + float(value)
        except ValueError:
            continue
    return out


async def _fetch_text(url: str, timeout_s: float = 10.0) -> str | None:
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as s, s.get(url) as r:
            return await r.text() if r.status == 200 else None
    except (TimeoutError, aiohttp.ClientError):
        return None


def scrape_metrics(base_url: str) -> dict[str, float] | None:
    """Counters from the server's ``/metrics`` (None if unavailable)."""
    text = asyncio.run(_fetch_text(f"{normalize_base_url(base_url)}/metrics"))
    return None if text is None else parse_prometheus(text)


def metrics_delta(before: dict | None, after: dict | None) -> dict[str, float] | None:
    if before is None or after is None:
        return None
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0) != 0}


def server_breakdown(delta: dict[str, float] | None) -> dict[str, float] | None:
    """Engine-side view of a run from ``/metrics`` deltas: mean queue/prefill/decode time per
    request, preemptions, prefix-cache hit rate (and vllm_nexus counters, if any)."""
    if not delta:
        return None
    n = delta.get("vllm:request_queue_time_seconds_count", 0.0)

    def per_req(name: str) -> float | None:
        v = delta.get(f"vllm:{name}_seconds_sum")
        return v / n if (v is not None and n) else None

    q = delta.get("vllm:prefix_cache_queries_total", 0.0)
    steps = delta.get("vllm:iteration_tokens_total_count", 0.0)
    out: dict[str, Any] = {
        "requests": n,
        "mean_queue_s": per_req("request_queue_time"),
        "mean_prefill_s": per_req("request_prefill_time"),
        "mean_decode_s": per_req("request_decode_time"),
        "preemptions": delta.get("vllm:num_preemptions_total", 0.0),
        "prefix_cache_hit_rate": (
            delta.get("vllm:prefix_cache_hits_total", 0.0) / q if q else None
        ),
        "prompt_tokens": delta.get("vllm:prompt_tokens_total"),
        "generation_tokens": delta.get("vllm:generation_tokens_total"),
        "prompt_tokens_cached": delta.get("vllm:prompt_tokens_cached_total"),
        # prefill tokens actually computed per finished request (includes recompute after
        # preemption; compare with prompt_tokens - prompt_tokens_cached)
        "prefill_tokens_computed": delta.get("vllm:request_prefill_kv_computed_tokens_sum"),
        # engine steps and mean tokens per step (batch efficiency)
        "engine_steps": steps,
        "tokens_per_step": (
            delta.get("vllm:iteration_tokens_total_sum", 0.0) / steps if steps else None
        ),
    }
    out.update({k: v for k, v in delta.items() if k.startswith("vllm_nexus_")})
    return out
