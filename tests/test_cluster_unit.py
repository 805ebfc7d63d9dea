"""Cluster pieces without engines: call facts, app arguments, the Ray router adapter,
usage parsing and the /metrics rendering."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace as NS

import pytest

from vllm_nexus.cluster import calls
from vllm_nexus.cluster.app import ClusterArgError, resolve
from vllm_nexus.cluster.metrics import ClusterStats, make_registry, render
from vllm_nexus.config import ConfigError
from vllm_nexus.programs.identity import InvalidProgramId, program_id_of_http


# -- program ids and prompt lengths -------------------------------------------------------
def test_program_id_precedence():
    body = NS(vllm_xargs={"program_id": "px"}, session_id="s")
    assert program_id_of_http(body, {"X-Session-ID": "h"}) == "px"
    assert program_id_of_http(NS(vllm_xargs=None, session_id="s"), {"x-session-id": "h"}) == "s"
    assert program_id_of_http(NS(vllm_xargs={}, session_id=None), {"X-Session-Id": "h"}) == "h"
    assert program_id_of_http(NS(vllm_xargs=None, session_id=None), {}) is None


@pytest.mark.parametrize("bad", ["", "a\x01b", "x" * 300, 7])
def test_program_id_rejects_malformed(bad):
    with pytest.raises(InvalidProgramId):
        program_id_of_http(NS(vllm_xargs={"program_id": bad}, session_id=None))


def test_prompt_tokens_estimate_and_token_lists():
    assert calls.count_prompt_tokens(NS(prompt="abcd" * 10), None) == 10
    assert calls.count_prompt_tokens(NS(prompt=[1, 2, 3]), None) == 3
    chat = NS(prompt=None, messages=[{"role": "user", "content": "abcd" * 10}])
    assert calls.count_prompt_tokens(chat, None) == 14  # 10 + 4 per message


class _Tok:
    def encode(self, text, add_special_tokens=False):
        return text.split()

    def apply_chat_template(self, msgs, tokenize, add_generation_prompt):
        return [0] * (sum(len(m["content"].split()) for m in msgs) + 3)


def test_prompt_tokens_with_tokenizer():
    assert calls.count_prompt_tokens(NS(prompt="a b c"), _Tok()) == 3
    chat = NS(prompt=None, messages=[{"role": "user", "content": "a b"}])
    assert calls.count_prompt_tokens(chat, _Tok()) == 5


def test_load_tokenizer_falls_back_to_estimate(tmp_path):
    assert calls.load_tokenizer(None) is None
    assert calls.load_tokenizer(str(tmp_path / "missing")) is None


# -- application arguments ----------------------------------------------------------------
def test_resolve_defaults_cpu(tmp_path):
    spec = resolve({"model": str(tmp_path), "device": "cpu"})
    assert spec["replicas"] == 2 and spec["model_id"] == tmp_path.name
    kw = spec["engine_kwargs"]
    assert kw["scheduler_cls"] == "vllm_nexus.Scheduler" and kw["dtype"] == "float32"
    assert kw["enable_prompt_tokens_details"] is True
    assert spec["env"]["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"
    assert spec["router_kwargs"]["strategy"] == "program-affine"
    assert spec["router_kwargs"]["long_prompt_tokens"] == 2048


def test_resolve_router_section_and_stock(tmp_path):
    extra = {"vllm_nexus": {"router": {"strategy": "round-robin", "long_prompt_tokens": 64}}}
    spec = resolve(
        {"model": str(tmp_path), "scheduler": "stock", "additional_config": json.dumps(extra)}
    )
    assert "scheduler_cls" not in spec["engine_kwargs"]
    assert spec["engine_kwargs"]["additional_config"] == extra
    assert spec["router_kwargs"]["strategy"] == "round-robin"
    assert spec["router_kwargs"]["long_prompt_tokens"] == 64


@pytest.mark.parametrize(
    "args, match",
    [
        ({}, "model is required"),
        ({"model": "/no/such/dir"}, "does not exist"),
        ({"model": "m", "replicas": 0}, "replicas must be >= 1"),
        ({"model": "m", "replicas": "two"}, "must be an integer"),
        ({"model": "m", "scheduler": "fifo"}, "scheduler must be"),
        ({"model": "m", "engine_kwargs": "{bad"}, "not valid JSON"),
        ({"model": "m", "colour": 1}, "unknown cluster argument"),
    ],
)
def test_resolve_errors(args, match):
    with pytest.raises(ClusterArgError, match=match):
        resolve(args)


def test_resolve_bad_router_option_names_key():
    with pytest.raises(ConfigError, match="vllm_nexus.router.strategy"):
        resolve({"model": "m", "additional_config": {"vllm_nexus": {"router": {"strategy": "x"}}}})


def test_cli_rejects_bad_args_before_starting_ray(capsys):
    from vllm_nexus.cli import main

    assert main(["cluster", "/no/such/model"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_ray_start_command_ports():
    from vllm_nexus.cluster.cli import ray_start_command

    cmd = ray_start_command(18500, 6)
    assert "--port=18500" in cmd and "--max-worker-port=18579" in cmd
    assert "--include-dashboard=false" in cmd and "--num-cpus=6" in cmd


# -- metrics ------------------------------------------------------------------------------
def test_metrics_render_router_and_replica_stats():
    from vllm_nexus.cluster.policy import ProgramRouter

    policy = ProgramRouter(long_prompt_tokens=10)
    policy.set_replicas(["r1", "r2"])
    policy.choose("c1", "p", 100)
    from vllm_nexus.cluster.admission import Admission

    admission = Admission(3)
    tickets = [admission.enter(), admission.enter()]
    stats = ClusterStats(admission)
    stats.charge("r1", 100, 75)
    stats.count("rejected_total")
    text = render(make_registry(stats, lambda: [NS(policy=policy)])).decode()
    assert "vllm_nexus_router_calls_inside 2.0" in text
    assert "vllm_nexus_router_capacity 3.0" in text
    tickets[0].release()
    assert "vllm_nexus_router_calls_inside 1.0" in render(make_registry(stats, lambda: [])).decode()
    assert "vllm_nexus_router_pins{replica=" in text
    assert 'vllm_nexus_router_decisions_total{reason="new-pin"} 1.0' in text
    assert 'vllm_nexus_replica_prefix_cache_hit_rate{replica="r1"} 0.75' in text
    assert "vllm_nexus_router_rejected_total 1.0" in text
    assert "vllm:prefix_cache_hits_total 75.0" in text
    assert stats.hit_rate() == 0.75 and stats.hit_rate("r2") is None


# -- Ray adapter and ingress helpers (need Ray Serve) -------------------------------------
def test_router_adapter_pins_and_records_route():
    pytest.importorskip("ray.serve")
    from ray.serve._private.common import (
        DeploymentHandleSource,
        DeploymentID,
        ReplicaID,
        RequestMetadata,
    )
    from ray.serve.request_router import PendingRequest

    from vllm_nexus.cluster import registry
    from vllm_nexus.cluster.router import ProgramAffineRouter

    did = DeploymentID(name="LLMServer", app_name="t")
    router = ProgramAffineRouter(deployment_id=did, handle_source=DeploymentHandleSource.UNKNOWN)
    router.initialize_state(long_prompt_tokens=10)
    reps = [NS(replica_id=ReplicaID(unique_id=u, deployment_id=did)) for u in ("r1", "r2")]
    router._replicas_list = reps
    router._sync_replicas()

    def pending(i: int, program: str, prompt: str) -> PendingRequest:
        body = NS(prompt=prompt, vllm_xargs={"program_id": program}, request_id=f"req{i}")
        meta = RequestMetadata(request_id=f"x{i}", internal_request_id=f"i{i}")
        return PendingRequest(args=[body, NS(headers={})], kwargs={}, metadata=meta)

    async def choose(i: int, program: str, prompt: str) -> str:
        ranks = await router.choose_replicas(router._replicas_list, pending(i, program, prompt))
        assert len(ranks) == 1 and len(ranks[0]) == 1
        return ranks[0][0].replica_id.unique_id

    async def scenario() -> None:
        long = "word " * 100
        first = await choose(0, "p", long)
        assert registry.replica_of("req0") == first
        for i in range(1, 5):
            assert await choose(i, "p", long) == first
        router.on_request_completed(None, "i1")
        assert router.policy.inflight(first) == 4
        other = "r2" if first == "r1" else "r1"
        # short calls go to the least-used replica: the one without the 4 pinned calls
        shorts = [await choose(i, "q", "hi") for i in range(10, 16)]
        assert shorts[:4] == [other] * 4 and set(shorts[4:]) == {"r1", "r2"}
        for i in range(10, 16):
            router.on_request_completed(None, f"i{i}")
        policy = router.policy
        busy = {r: policy.inflight(r) for r in ("r1", "r2")}
        # a call that waits for room and is cancelled by its client frees its reservation
        waiting = pending(30, "q", "hi")
        chosen = (await router.choose_replicas(router._replicas_list, waiting))[0][0]
        assert policy.inflight(chosen.replica_id.unique_id) == busy[chosen.replica_id.unique_id] + 1
        waiting.future.cancel()
        await asyncio.sleep(0)
        assert {r: policy.inflight(r) for r in ("r1", "r2")} == busy
        assert registry.peek_replica("req30") is None
        # a replica takes the waiting call: counted there once, however often it was retried
        waiting = pending(31, "q", "hi")
        for _ in range(3):
            chosen = (await router.choose_replicas(router._replicas_list, waiting))[0][0]
        took = chosen.replica_id.unique_id
        waiting.future.set_result(chosen)
        await asyncio.sleep(0)
        assert registry.peek_replica("req31") == took
        assert policy.inflight(took) == busy[took] + 1 and policy.routed == {took: 1}
        assert policy.decisions["short"] == 8  # 6 shorts, the cancelled call, this one once
        router.on_request_completed(None, "i31")
        assert {r: policy.inflight(r) for r in ("r1", "r2")} == busy
        # the pinned replica dies: the program moves on its next call
        router._replicas_list = [r for r in reps if r.replica_id.unique_id != first]
        router._sync_replicas()
        assert await choose(20, "p", long) != first
        assert router.policy.reroutes_total == 1

    asyncio.run(scenario())


def test_router_frees_a_handed_over_call_whose_client_left_before_it_was_sent(monkeypatch):
    """CI 2026-12-06: after the overload test cancelled its held calls, one reservation
    stayed, and least-used routing then put every new program on the other replica. Ray
    Serve hands a waiting call its replica (``future.set_result``) and the caller is
    cancelled before it wakes: the call is never sent, so no completion is ever reported,
    yet the router saw the hand-over. Played here with real asyncio tasks."""
    pytest.importorskip("ray.serve")
    from ray.serve._private.common import (
        DeploymentHandleSource,
        DeploymentID,
        ReplicaID,
        RequestMetadata,
    )
    from ray.serve.request_router import PendingRequest

    from vllm_nexus.cluster import registry
    from vllm_nexus.cluster import router as router_mod

    monkeypatch.setattr(registry, "_TRACKING", [])
    monkeypatch.setattr(registry, "_INSIDE", __import__("collections").Counter())
    did = DeploymentID(name="LLMServer", app_name="t")
    router = router_mod.ProgramAffineRouter(
        deployment_id=did, handle_source=DeploymentHandleSource.UNKNOWN
    )
    router.initialize_state(long_prompt_tokens=10)
    # Ray Serve unpickles the class by value (its config does so in this process during the
    # cluster tests, and replicas run such a copy): its methods then read their own copy of
    # the module's globals, so a module-level patch would not reach them. Same state here
    # whatever ran before; the interval is set on the instance.
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(router_mod)
    try:
        assert cloudpickle.loads(cloudpickle.dumps(type(router))) is type(router)
    finally:
        cloudpickle.unregister_pickle_by_value(router_mod)
    router.reconcile_s = 0.05
    reps = [NS(replica_id=ReplicaID(unique_id=u, deployment_id=did)) for u in ("r1", "r2")]
    router._replicas_list = reps
    router._sync_replicas()
    policy = router.policy

    def pending(i: int) -> PendingRequest:
        body = NS(prompt="hi", vllm_xargs={}, request_id=f"race{i}")
        meta = RequestMetadata(request_id=f"x{i}", internal_request_id=f"race-i{i}")
        return PendingRequest(args=[body, NS(headers={})], kwargs={}, metadata=meta)

    async def scenario() -> None:
        registry.track_calls()
        pr = pending(0)
        registry.call_entered("race0")  # the ingress admits the call before routing
        chosen = (await router.choose_replicas(router._replicas_list, pr))[0][0]

        async def caller() -> None:  # Ray's ``_choose_replica_for_request``
            await pr.future
            pytest.fail("the caller was cancelled: it never sends the call")

        waiting = asyncio.ensure_future(caller())
        await asyncio.sleep(0)  # the caller now awaits the routing future
        pr.future.set_result(chosen)  # a replica frees up: the call is handed over ...
        waiting.cancel()  # ... as its client goes away, in the same loop turn
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.sleep(0)
        held = chosen.replica_id.unique_id
        assert policy.inflight(held) == 1  # counted there; no completion will ever come
        assert router.reconcile() == 0  # the ingress still holds the call: kept
        registry.call_left("race0")  # the ingress ends the cancelled call
        await asyncio.sleep(0.2)  # the once-a-"second" check runs on the router's loop
        assert policy.inflight(held) == 0 and policy.reservations == 0, router._reconciler
        assert policy.ended_released_total == 1 and "race-i0" not in router._tokens
        # a call settled while its prompt was being counted is not reserved at all
        pr = pending(1)
        registry.call_entered("race1")
        pr.future.cancel()
        await router.choose_replicas(router._replicas_list, pr)
        assert policy.reservations == 0

    asyncio.run(scenario())
    # a router in a process without our ingress never takes missing ids for ended calls
    monkeypatch.setattr(registry, "_TRACKING", [])
    policy.choose("c", None, 1, key="not-held")
    assert router.reconcile() == 0 and policy.reservations == 1


def test_usage_parsing():
    pytest.importorskip("ray.serve.llm")
    from vllm_nexus.cluster.ingress import usage_of

    usage = {"prompt_tokens": 40, "prompt_tokens_details": {"cached_tokens": 32}}
    sse = f"data: {json.dumps({'choices': [], 'usage': usage})}\n\ndata: [DONE]\n\n"
    assert usage_of(sse) == (40, 32)
    assert usage_of(["data: {}\n\n", sse]) == (40, 32)
    assert usage_of({"usage": {"prompt_tokens": 5}}) == (5, 0)
    assert usage_of("data: {}\n\n") is None


def test_strategy_switch_applies_to_existing_and_future_routers():
    from vllm_nexus.cluster import registry
    from vllm_nexus.cluster.policy import ProgramRouter

    fake = NS(policy=ProgramRouter())
    registry.ROUTERS.append(fake)
    try:
        assert registry.set_strategy("round-robin") >= 1
        assert fake.policy.strategy == "round-robin"
        assert registry.STRATEGY_OVERRIDE == ["round-robin"]
    finally:
        registry.ROUTERS.remove(fake)
        registry.STRATEGY_OVERRIDE.clear()


def test_resolve_strategy_switch_flag(tmp_path):
    assert resolve({"model": str(tmp_path)})["allow_strategy_switch"] is False
    assert resolve({"model": str(tmp_path), "allow_strategy_switch": True})["allow_strategy_switch"]


def test_example_serve_config_is_valid(tmp_path):
    yaml = pytest.importorskip("yaml")
    schema = pytest.importorskip("ray.serve.schema")
    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    data = yaml.safe_load((root / "examples" / "cluster_serve.yaml").read_text())
    schema.ServeDeploySchema.parse_obj(data)
    app = data["applications"][0]
    assert app["import_path"] == "vllm_nexus.cluster.app:build_app"
    spec = resolve({**app["args"], "model": str(tmp_path)})
    assert spec["router_kwargs"]["strategy"] == "program-affine"


def test_local_ray_refuses_a_busy_port():
    import socket

    from vllm_nexus.cluster.cli import LocalRay, port_free

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert not port_free(port)
        with pytest.raises(RuntimeError, match="in use"):
            LocalRay(port, num_cpus=1)


# -- engines' scheduler metrics on the cluster's /metrics ---------------------------------
def test_engine_snapshots_are_published_and_rendered_per_replica(tmp_path):
    import threading

    from vllm_nexus.cluster import engine_metrics as em
    from vllm_nexus.programs.metrics import SchedulerMetrics, SnapshotWriter

    m = SchedulerMetrics(engine="0", known_programs=7, program_assignments={"inferred": 3})
    m.waiting_by_level, m.running_by_level = [1, 0], [0, 2]
    SnapshotWriter(str(tmp_path), "0").write(m, 0.0)
    store: dict[bytes, bytes] = {}
    stop = threading.Event()

    def put(key, value):
        store[key.encode()] = value
        stop.set()  # one round is enough

    em.publish_loop(str(tmp_path), lambda: "rep-A", put, stop, interval_s=0)
    assert list(store) == [b"engine_metrics/rep-A"]
    old = em.encode("rep-dead", [json.loads(store[b"engine_metrics/rep-A"])["snapshots"][0]], 0.0)
    store[b"engine_metrics/rep-dead"] = old
    now = json.loads(store[b"engine_metrics/rep-A"])["time"]
    found, stale = em.decode_all(store, now)
    assert [r for r, _ in found] == ["rep-A"] and stale == [b"engine_metrics/rep-dead"]
    text = render(make_registry(ClusterStats(), lambda: [], lambda: found)).decode()
    assert 'vllm_nexus_known_programs{engine="0",replica="rep-A"} 7.0' in text
    assert 'vllm_nexus_calls{engine="0",level="1",replica="rep-A",state="running"} 2.0' in text
    line = 'vllm_nexus_program_assignments_total{engine="0",replica="rep-A",source="inferred"} 3.0'
    assert line in text
    assert "vllm_nexus_router_replicas 0.0" in text  # router families still there


def test_engine_snapshots_are_read_off_the_event_loop():
    """The ingress's scrape reads Ray's key-value store in a thread: a read that waits for the
    event loop to make progress completes (it would deadlock on the loop), and a failing read
    leaves the engine rows out instead of failing the scrape."""
    import threading

    from vllm_nexus.cluster import engine_metrics as em

    loop_ran = threading.Event()

    def slow_read():
        assert loop_ran.wait(timeout=30), "the event loop was blocked during the read"
        return [("rep-A", {"engine": "0"})]

    def broken_read():
        raise RuntimeError("GCS unavailable")

    async def main():
        task = asyncio.create_task(em.read_published_off_loop(slow_read))
        await asyncio.sleep(0)  # the read has started in its thread
        loop_ran.set()  # only possible while the loop is free
        return await task, await em.read_published_off_loop(broken_read)

    assert asyncio.run(main()) == ([("rep-A", {"engine": "0"})], [])


def test_publisher_stays_off_outside_ray(monkeypatch):
    from vllm_nexus.cluster import engine_metrics as em

    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    assert em.start_publisher("/nonexistent") is False


# -- admission (the 429 bound) --------------------------------------------------------------
def test_admission_admits_up_to_capacity_then_rejects():
    import gc

    from vllm_nexus.cluster.admission import Admission

    adm = Admission(3)
    tickets = [adm.enter() for _ in range(3)]
    assert all(tickets) and adm.inside == 3
    assert adm.enter() is None and adm.rejected_total == 1
    tickets[0].release()
    tickets[0].release()  # idempotent
    assert adm.inside == 2
    again = adm.enter()
    assert again is not None and adm.inside == 3
    del tickets[:], again  # dropped without release (a response that never ran)
    gc.collect()
    assert adm.inside == 0
    with pytest.raises(ValueError):
        Admission(0)


def test_simultaneous_calls_within_capacity_are_never_rejected():
    """The bug behind the old retry in test_cluster_engine.py: calls still being routed
    counted as queued. Here 10 calls arrive at once for capacity 2 x 4 + 2."""
    from concurrent.futures import ThreadPoolExecutor

    from vllm_nexus.cluster.admission import Admission

    adm = Admission(2 * 4 + 2)
    with ThreadPoolExecutor(10) as pool:
        tickets = list(pool.map(lambda _: adm.enter(), range(10)))
    assert all(tickets) and adm.enter() is None


def test_engine_replica_gives_its_engine_a_metrics_dir_before_it_starts(monkeypatch, tmp_path):
    import os

    from ray.serve.llm import LLMServer

    from vllm_nexus.cluster import server
    from vllm_nexus.programs import metrics
    from vllm_nexus.programs.metrics import METRICS_DIR_ENV

    seen = {}

    async def fake_init(self, llm_config, **kwargs):  # the engine starts in here
        seen["engine_env"] = os.environ.get(METRICS_DIR_ENV)

    monkeypatch.setattr(LLMServer, "__init__", fake_init)
    monkeypatch.setattr(server, "start_publisher", lambda d: seen.setdefault("published", d))
    monkeypatch.setenv(METRICS_DIR_ENV, "")  # recorded, so the replica's setting is undone
    monkeypatch.delenv(METRICS_DIR_ENV)
    monkeypatch.setattr(metrics, "SHM_DIR", str(tmp_path))  # the memory directory, here
    at_exit = []
    monkeypatch.setattr(metrics.atexit, "register", lambda f, *a, **k: at_exit.append((f, a, k)))
    replica = object.__new__(server.NexusLLMServer)
    asyncio.run(server.NexusLLMServer.__init__(replica, "cfg"))
    assert seen["engine_env"] and seen["published"] == seen["engine_env"]
    assert os.path.dirname(seen["engine_env"]) == str(tmp_path)
    assert os.path.isdir(seen["engine_env"])
    [(f, a, k)] = at_exit  # and it is removed when the replica's process exits
    f(*a, **k)
    assert not os.path.exists(seen["engine_env"])


def test_local_head_uses_its_own_ray_auth_token(monkeypatch):
    """A token another Ray user left in ~/.ray/auth_token turned token auth on for our head
    but not for our driver (explicit address): the head now gets its own token via the
    environment, and Ray's private ``Config.initialize`` (pinned here) re-reads it."""
    raylet = pytest.importorskip("ray._raylet")
    assert callable(raylet.Config.initialize)
    import vllm_nexus.cluster.cli as cli

    started = {}

    class FakePopen:
        def __init__(self, cmd, env, **kw):
            started["env"] = env
            self.pid = 1

    monkeypatch.setattr(cli.subprocess, "Popen", FakePopen)
    refreshed = []
    monkeypatch.setattr(cli, "_refresh_ray_config", lambda: refreshed.append(True))
    monkeypatch.setattr(cli, "port_free", lambda port, host="127.0.0.1": True)
    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    cli.LocalRay(18990, num_cpus=1)
    env = started["env"]
    assert env["RAY_AUTH_MODE"] == "token" and len(env["RAY_AUTH_TOKEN"]) == 64
    import os

    assert os.environ["RAY_AUTH_TOKEN"] == env["RAY_AUTH_TOKEN"]  # the driver's too
    assert refreshed == [True]


def test_ingress_app_answers_a_bad_size_hint_with_400_before_routing(monkeypatch):
    """The ingress's FastAPI app (the routes and request parsing Ray Serve runs, Ray Serve
    LLM's own app factory) driven over HTTP in-process, without Ray: Serve finds the ingress
    instance of a replica with a FastAPI dependency, overridden here with a local one."""
    pytest.importorskip("ray.serve.llm")
    import inspect

    from fastapi.responses import JSONResponse
    from fastapi.testclient import TestClient
    from ray.llm._internal.serve.core.ingress.ingress import init as serve_llm_app

    from vllm_nexus.cluster.ingress import NexusIngress, make_ingress_class

    app = serve_llm_app()
    make_ingress_class(app)
    from vllm_nexus.cluster import registry

    monkeypatch.setattr(registry, "_TRACKING", [])
    ingress = NexusIngress({}, {})
    assert registry.held_calls() == frozenset()  # this process's ingress tracks its calls
    routed: list = []

    async def route(body, call_method, raw_request, ticket):
        routed.append((call_method, dict(body.vllm_xargs or {})))
        assert body.request_id in registry.held_calls()  # held while it is routed
        ticket.release()
        assert body.request_id not in registry.held_calls()
        return JSONResponse({"routed": call_method})

    ingress._route = route
    deps = {
        inspect.signature(r.endpoint).parameters["self"].default.dependency
        for r in app.routes
        if getattr(r.endpoint, "_serve_cls", None) is not None
    }
    assert len(deps) == 1  # every class route asks Serve for the replica's ingress object
    app.dependency_overrides[deps.pop()] = lambda: ingress
    client = TestClient(app)
    comp = {"model": "m", "prompt": "hi", "max_tokens": 2}
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    bad = [("NaN", "finite"), (0.5, "[1, 1000000]"), ("lots", "number of calls"),
           (2e6, "[1, 1000000]"), ("-inf", "finite")]  # fmt: skip
    for path, body in (("/v1/completions", comp), ("/v1/chat/completions", chat)):
        for hint, why in bad:
            xargs = {"program_id": "agent-1", "program_size_hint": hint}
            r = client.post(path, json={**body, "vllm_xargs": xargs})
            assert r.status_code == 400, (path, hint, r.text)
            err = r.json()["error"]
            assert err["type"] == "BadRequestError" and err["code"] == 400
            assert err["message"].startswith("invalid program size hint: ")
            assert "vllm_xargs.program_size_hint" in err["message"] and why in err["message"]
    assert routed == []  # nothing reached the engines
    assert ingress._stats.invalid_program_ids_total == 2 * len(bad)
    r = client.post("/v1/completions", json={**comp, "vllm_xargs": {"program_size_hint": "30"}})
    assert r.status_code == 200 and r.json() == {"routed": "completions"}
    assert routed == [("completions", {"program_size_hint": "30"})]  # passed on unchanged
    r = client.post(
        "/v1/chat/completions",
        json={**chat, "vllm_xargs": {"program_id": "agent-1", "program_size_hint": 30}},
    )
    assert r.status_code == 200 and routed[-1] == (
        "chat",
        {"program_id": "agent-1", "program_size_hint": 30},
    )
    assert ingress._admission.inside == 0


@pytest.mark.parametrize("library", ["except Exception", "except BaseException", "ray.get"])
def test_a_stop_signal_during_deployment_stops_even_if_a_library_catches_it(
    library: str, tmp_path, monkeypatch, capsys
) -> None:
    # CI 2026-12-05 06:42: SIGINT 5 s into the deployment, then Serve became ready and the
    # command served on: the handler's raise had been swallowed inside serve.run's wait.
    import argparse
    import signal

    from vllm_nexus.cluster import cli

    stopped_heads = []

    class FakeHead:
        address = "127.0.0.1:1"

        def __init__(self, *args, **kwargs) -> None:
            pass

        def wait_ready(self) -> None:
            pass

        def stop(self, grace_s: float) -> None:
            stopped_heads.append(grace_s)

    def deploy_that_swallows(spec_args, host, port) -> None:
        try:  # the signal handler runs inside the library's wait loop
            cli._raise_stopped(signal.SIGINT, None)
        except Exception:  # noqa: BLE001
            pass
        except KeyboardInterrupt:
            if library == "ray.get":  # Ray's C-level signal check raises its own
                raise KeyboardInterrupt() from None
            if library == "except Exception":
                raise
        except BaseException:
            if library == "ray.get":  # any other exception is dropped there: Ray waits on
                pytest.fail("the deployment went on after the signal")
        # the library returned normally: the application is "ready"

    def never_serve(seconds: float) -> None:
        pytest.fail("served on after a stop signal")  # a BaseException: run() cannot take it

    saved = {s: signal.getsignal(s) for s in cli.STOP_SIGNALS}
    monkeypatch.setattr(cli, "LocalRay", FakeHead)
    monkeypatch.setattr(cli, "deploy", deploy_that_swallows)
    monkeypatch.setattr(cli, "_shutdown_serve", lambda *a: None)
    monkeypatch.setattr(cli, "_received", [])
    monkeypatch.setattr(cli.time, "sleep", never_serve)
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    try:
        assert cli.run(p.parse_args([str(tmp_path), "--replicas", "1"])) == 0
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
    assert "SIGINT: stopping" in capsys.readouterr().err
    assert len(stopped_heads) == 1  # the local head was stopped
