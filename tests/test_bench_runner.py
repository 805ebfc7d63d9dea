"""The bench client against a fake OpenAI-compatible server (no engine): streaming, program
ids, context reuse, failures recorded (never dropped), retry only when nothing was sent."""

import asyncio
import json

import pytest
from aiohttp import web

from vllm_nexus.bench.prompts import PromptFactory
from vllm_nexus.bench.runner import ClientOptions, Runner, parse_prometheus, server_breakdown
from vllm_nexus.bench.trace import CallSpec, ProgramSpec


class FakeServer:
    def __init__(self, fail_program: str | None = None):
        self.requests: list[tuple[dict, dict]] = []
        self.fail_program = fail_program

    async def completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((body, dict(request.headers)))
        pid = (body.get("vllm_xargs") or {}).get("program_id") or request.headers.get(
            "X-Session-ID"
        )
        if pid == self.fail_program:
            return web.json_response({"error": {"message": "boom"}}, status=500)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        n = body["max_tokens"]
        for i in range(n):
            chunk = {"choices": [{"index": 0, "text": f"t{i}", "token_ids": [1000 + i]}]}
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await asyncio.sleep(0.001)
        usage = {"prompt_tokens": len(body["prompt"]), "completion_tokens": n}
        await resp.write(f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        return resp


def chain_program(pid: str, arrival: float = 0.0) -> ProgramSpec:
    return ProgramSpec(
        pid,
        arrival,
        (
            CallSpec("c0", 20, 5),
            CallSpec("c1", 7, 3, after=("c0",), think_s=0.02, context_from="c0"),
            CallSpec("c2", 4, 2, after=("c0",)),
        ),
        "chat",
    )


async def _run(
    programs, fake, transport="xargs", port=None, retries=3, suffix="", cls=False, sigma=None
):
    app = web.Application()
    app.router.add_post("/v1/completions", fake.completions)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    bound = port or site._server.sockets[0].getsockname()[1]
    try:
        opts = ClientOptions(
            base_url=f"http://127.0.0.1:{bound}/v1",
            model="m",
            id_transport=transport,
            progress=False,
            max_retries=retries,
            program_id_suffix=suffix,
            send_program_class=cls,
            size_hint_sigma=sigma,
            size_hint_seed=31,
        )
        factory = PromptFactory(1, "salt", list(range(50, 150)))
        return await Runner(programs, factory, opts).run()
    finally:
        await runner.cleanup()


def test_programs_run_with_context_and_ids():
    fake = FakeServer()
    records, duration = asyncio.run(_run([chain_program("a"), chain_program("b", 0.05)], fake))
    assert len(fake.requests) == 6 and duration > 0.05
    by = {(r.program_id, c.call_id): c for r in records for c in r.calls}
    for pid in "ab":
        c0, c1 = by[(pid, "c0")], by[(pid, "c1")]
        assert c0.ok and c1.ok and c0.output_tokens == 5
        assert c1.prompt_tokens == c1.prompt_tokens_expected == 20 + 5 + 7
        assert c1.send_s >= c0.end_s + 0.02  # think time after the parent
        assert c0.ttft_s is not None and c0.tbt_s is not None
    bodies = {(b["vllm_xargs"]["program_id"], len(b["prompt"])): b for b, _ in fake.requests}
    a0, a1 = bodies[("a", 20)], bodies[("a", 32)]
    # c1's prompt = c0's exact prompt + c0's output ids + new ids (real prefix reuse)
    assert a1["prompt"][:25] == a0["prompt"] + [1000, 1001, 1002, 1003, 1004]
    assert a0["max_tokens"] == 5 and a0["ignore_eos"] and a0["stream"] and a0["return_token_ids"]


def test_program_ids_get_the_run_namespace_on_the_wire_only():
    for transport in ("xargs", "session-header"):
        fake = FakeServer()
        records, _ = asyncio.run(_run([chain_program("a")], fake, transport, suffix="@run1"))
        sent = {
            (b.get("vllm_xargs") or {}).get("program_id") or h.get("X-Session-ID")
            for b, h in fake.requests
        }
        assert sent == {"a@run1"} and [r.program_id for r in records] == ["a"]


def test_program_class_is_sent_only_when_asked():
    fake = FakeServer()
    asyncio.run(_run([chain_program("a")], fake, suffix="@run1", cls=True))
    assert {b["vllm_xargs"]["program_class"] for b, _ in fake.requests} == {"chat"}
    assert {b["vllm_xargs"]["program_id"] for b, _ in fake.requests} == {"a@run1"}
    fake = FakeServer()
    asyncio.run(_run([chain_program("a")], fake))
    assert all("program_class" not in b["vllm_xargs"] for b, _ in fake.requests)


def test_size_hint_is_sent_on_every_call_only_when_asked():
    progs = [chain_program("a"), chain_program("b")]
    for transport in ("xargs", "session-header"):
        fake = FakeServer()
        asyncio.run(_run(progs, fake, transport, suffix="@run1", sigma=0.5))
        assert len(fake.requests) == 6
        sent: dict[str, set] = {}
        for b, h in fake.requests:
            pid = (b["vllm_xargs"].get("program_id") or h["X-Session-ID"]).removesuffix("@run1")
            sent.setdefault(pid, set()).add(b["vllm_xargs"]["program_size_hint"])
        # one draw per program id (not per call, not per run namespace), seeded by --seed
        assert sent == {p.program_id: {round(p.size_hint(0.5, 31), 3)} for p in progs}
        assert sent["a"] != sent["b"]
    fake = FakeServer()
    asyncio.run(_run(progs, fake))
    assert all("program_size_hint" not in b["vllm_xargs"] for b, _ in fake.requests)


def test_no_program_ids_sends_only_an_opaque_request_id():
    from vllm_nexus.bench.runner import call_request_id

    fake = FakeServer(fail_program="-")  # (the fake fails calls of program None by default)
    asyncio.run(_run([chain_program("a")], fake, "none", suffix="@run1"))
    assert all("vllm_xargs" not in b and "X-Session-ID" not in h for b, h in fake.requests)
    sent = sorted(b["request_id"] for b, _ in fake.requests)
    assert sent == sorted(call_request_id("a@run1", c) for c in ("c0", "c1", "c2"))
    assert all(len(r) == 16 and int(r, 16) >= 0 for r in sent)  # opaque hex


def test_run_id_suffix_is_per_salt_unless_kept():
    import argparse

    from vllm_nexus.bench.cli import run_id_suffix

    fresh = argparse.Namespace(keep_program_ids=False)
    a, b = run_id_suffix("salt-0", fresh), run_id_suffix("salt-1", fresh)
    assert a.startswith("@") and len(a) == 9 and a != b and a == run_id_suffix("salt-0", fresh)
    assert run_id_suffix("salt-0", argparse.Namespace(keep_program_ids=True)) == ""


def test_session_header_transport():
    fake = FakeServer()
    asyncio.run(_run([chain_program("s")], fake, transport="session-header"))
    assert all(h.get("X-Session-ID") == "s" and "vllm_xargs" not in b for b, h in fake.requests)


def test_failures_recorded_and_dependants_not_sent():
    fake = FakeServer(fail_program="bad")
    records, _ = asyncio.run(_run([chain_program("ok"), chain_program("bad")], fake))
    bad = next(r for r in records if r.program_id == "bad")
    assert not bad.ok
    errs = {c.call_id: c.error for c in bad.calls}
    assert errs["c0"].startswith("RuntimeError: HTTP 500")
    assert errs["c1"] == errs["c2"] == "not sent: dependency 'c0' failed"
    assert next(r for r in records if r.program_id == "ok").ok
    assert len(fake.requests) == 4  # 3 of "ok" + the failed c0; dependants never sent


def test_connection_refused_is_retried_then_recorded():
    fake = FakeServer()
    records, _ = asyncio.run(
        _run([ProgramSpec("p", 0, (CallSpec("c0", 3, 2),))], fake, port=1, retries=1)
    )
    [c] = records[0].calls
    assert c.retries == 1 and c.error and "Cannot connect" in c.error
    assert not fake.requests


def test_prometheus_parsing_and_breakdown():
    before = parse_prometheus(
        '# HELP x\nvllm:num_preemptions_total{engine="0"} 2\n'
        "vllm:request_queue_time_seconds_sum 1.0\nvllm:request_queue_time_seconds_count 4\n"
        'vllm:request_queue_time_seconds_bucket{le="1"} 4\nother_total 5\n'
    )
    assert before == {
        "vllm:num_preemptions_total": 2.0,
        "vllm:request_queue_time_seconds_sum": 1.0,
        "vllm:request_queue_time_seconds_count": 4.0,
    }
    bd = server_breakdown(
        {
            "vllm:request_queue_time_seconds_count": 4,
            "vllm:request_queue_time_seconds_sum": 2.0,
            "vllm:prefix_cache_hits_total": 30,
            "vllm:prefix_cache_queries_total": 40,
            "vllm_nexus_preemptions_total": 3,
        }
    )
    assert bd["mean_queue_s"] == 0.5 and bd["prefix_cache_hit_rate"] == 0.75
    assert bd["vllm_nexus_preemptions_total"] == 3


def test_bad_client_options():
    with pytest.raises(ValueError):
        ClientOptions("http://x", "m", id_transport="carrier-pigeon")


def test_loop_watch_tells_a_blocked_loop_from_a_busy_one() -> None:
    import asyncio
    import math
    import time

    from vllm_nexus.bench.runner import LoopWatch, _thread_schedstat

    async def main() -> LoopWatch:
        t0 = time.monotonic()
        w = LoopWatch(lambda: time.monotonic() - t0, period_s=0.01, threshold_s=0.05)
        task = asyncio.ensure_future(w.watch())
        await asyncio.sleep(0.03)
        time.sleep(0.3)  # the loop blocked, off the CPU
        await asyncio.sleep(0.03)
        c0 = time.thread_time()
        while time.thread_time() - c0 < 0.2:  # the loop busy: 0.2 s of its own CPU time
            pass
        await asyncio.sleep(0.03)
        task.cancel()
        return w

    w = asyncio.run(main())
    s = w.summary()
    blocked = [x for x in w.stalls if x[1] >= 0.25]
    busy = [x for x in w.stalls if not math.isnan(x[2]) and x[2] >= 0.19]
    assert s["stalls"] >= 2 and s["max_stall_s"] >= 0.25 and s["worst"][0][1] == s["max_stall_s"]
    assert blocked
    if _thread_schedstat() is not None:  # Linux: where each stall's time went
        assert busy and busy[0][0] > blocked[0][0]
        assert blocked[0][2] < 0.1  # sleeping is not on a CPU


def test_summary_names_client_stalls_only_when_there_were_some() -> None:
    from vllm_nexus.bench import report

    run = {"rate": 1.0, "summary": {"programs_ok": 1, "programs_failed": 0}}
    quiet = {"label": "x", "runs": [dict(run, client_loop={"stalls": 0, "threshold_s": 0.05})]}
    assert "stalls" not in report.markdown_summary(quiet)
    loop = {"stalls": 2, "stall_s": 0.5, "max_stall_s": 0.4, "threshold_s": 0.05, "worst": [],
            "on_cpu_s": 0.0, "run_queue_s": 0.5}  # fmt: skip
    md = report.markdown_summary({"label": "x", "runs": [dict(run, client_loop=loop)]})
    assert "Client event-loop stalls over 50 ms: 2 in 1 of 1 runs, 0.50 s" in md
    assert "largest 400 ms; of the stalled time 0.00 s on a CPU, 0.50 s waiting for one" in md
