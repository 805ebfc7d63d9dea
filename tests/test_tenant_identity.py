"""Tenant identity: the edge names and signs the tenant, the engine trusts only the signature."""

import asyncio
import hashlib
import json
from types import SimpleNamespace

import pytest

from vllm_nexus.programs import tenant_identity as ti
from vllm_nexus.serving.middleware import ProgramIdMiddleware
from vllm_nexus.serving.tenancy import TenantEdge, with_content_length

SECRET = "s3cret"


def test_signed_tenant_is_accepted_anything_else_is_the_default():
    good = ti.stamp({"program_id": "p"}, "acme", SECRET)
    assert good["program_id"] == "p"
    assert ti.tenant_of_call(good, SECRET, "default") == ("acme", False)
    forged = {"tenant_id": "acme", "tenant_tag": "0" * 32}
    assert ti.tenant_of_call(forged, SECRET, "default") == ("default", True)
    unsigned = {"tenant_id": "acme"}
    assert ti.tenant_of_call(unsigned, SECRET, "default") == ("default", True)
    other_tenant = dict(good, tenant_id="victim")  # a tag is bound to its tenant
    assert ti.tenant_of_call(other_tenant, SECRET, "default") == ("default", True)
    # an engine that does not know the secret trusts nobody
    assert ti.tenant_of_call(good, None, "default") == ("default", True)
    assert ti.tenant_of_call({"program_id": "p"}, SECRET, "d") == ("d", False)
    assert ti.tenant_of_call(None, SECRET, "d") == ("d", False)
    assert ti.tenant_of_call({"tenant_id": 5, "tenant_tag": []}, SECRET, "d") == ("d", True)


def test_http_tenant_precedence_header_then_api_key_then_default():
    keys = ti.api_key_digests(["key-one", None, "key-two"])
    assert "key-one" not in keys and len(keys) == 2  # only digests are kept
    h = {"x-tenant-id": "team-a", "authorization": "Bearer key-one"}
    assert ti.tenant_of_http(h, "X-Tenant-ID", keys, "default") == "team-a"
    digest = hashlib.sha256(b"key-one").hexdigest()
    by_key = ti.tenant_of_http({"authorization": "Bearer key-one"}, "X-Tenant-ID", keys, "d")
    assert by_key == "key:" + digest[:16] and "key-one" not in by_key
    # an unknown key (vLLM answers 401 anyway) or no keys configured: the default tenant
    assert ti.tenant_of_http({"authorization": "Bearer nope"}, "X-Tenant-ID", keys, "d") == "d"
    no_keys = frozenset()
    assert ti.tenant_of_http({"authorization": "Bearer x"}, "X-Tenant-ID", no_keys, "d") == "d"
    # header disabled: the header is ignored
    assert ti.tenant_of_http({"x-tenant-id": "team-a"}, "", no_keys, "d") == "d"


@pytest.mark.parametrize("bad", ["", "a\x01b", "x" * 300])
def test_malformed_tenant_header_raises(bad):
    with pytest.raises(ti.InvalidTenantId):
        ti.tenant_of_http({"x-tenant-id": bad}, "X-Tenant-ID", frozenset(), "d")


def test_ensure_secret_is_created_once(monkeypatch):
    monkeypatch.delenv(ti.SECRET_ENV, raising=False)
    first = ti.ensure_secret()
    assert len(first) == 64 and ti.ensure_secret() == first


def _app_state(additional=None, api_key=None):
    vllm_config = SimpleNamespace(additional_config=additional)
    return SimpleNamespace(state=SimpleNamespace(vllm_config=vllm_config, args=SimpleNamespace(api_key=api_key)))  # fmt: skip


def run(body, headers=(), app_obj=None):
    seen = {}

    async def app(scope, receive, send):
        seen["body"] = (await receive())["body"]
        seen["headers"] = dict(scope["headers"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    raw = json.dumps(body).encode()
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(m):
        sent.append(m)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [(b"content-length", str(len(raw)).encode())]
        + [(k.encode(), v.encode()) for k, v in headers],
        "app": app_obj,
    }
    asyncio.run(ProgramIdMiddleware(app)(scope, receive, send))
    return sent[0]["status"], sent[1]["body"], seen


def test_middleware_stamps_header_tenant_and_overwrites_client_values(monkeypatch):
    monkeypatch.setenv(ti.SECRET_ENV, SECRET)
    body = {
        "messages": [],
        "vllm_xargs": {"program_id": "p", "tenant_id": "victim", "tenant_tag": "forged"},
    }
    status, _, seen = run(body, [("X-Tenant-ID", "team-a")], _app_state())
    assert status == 200
    got = json.loads(seen["body"])
    assert got["vllm_xargs"]["program_id"] == "p"
    assert ti.tenant_of_call(got["vllm_xargs"], SECRET, "default") == ("team-a", False)
    assert int(seen["headers"][b"content-length"]) == len(seen["body"])


def test_middleware_uses_api_key_and_default_tenant(monkeypatch):
    monkeypatch.setenv(ti.SECRET_ENV, SECRET)
    state = _app_state(api_key=["k1"])
    _, _, seen = run({"prompt": "x"}, [("authorization", "Bearer k1")], state)
    tenant, _ = ti.tenant_of_call(json.loads(seen["body"])["vllm_xargs"], SECRET, "d")
    assert tenant.startswith("key:") and "k1" not in seen["body"].decode()
    # without keys and header: the configured default tenant
    cfg = {"vllm_nexus": {"tenants": {"default_tenant": "public", "header": ""}}}
    _, _, seen = run({"prompt": "x"}, [("X-Tenant-ID", "team-a")], _app_state(cfg))
    assert ti.tenant_of_call(json.loads(seen["body"])["vllm_xargs"], SECRET, "d")[0] == "public"


def test_middleware_rejects_malformed_tenant_header(monkeypatch):
    monkeypatch.setenv(ti.SECRET_ENV, SECRET)
    status, payload, seen = run({"prompt": "x"}, [("X-Tenant-ID", "a\x02")], _app_state())
    assert status == 400 and not seen
    err = json.loads(payload)["error"]
    assert "invalid tenant id" in err["message"] and err["param"] == "tenant_id"


def test_middleware_leaves_a_non_object_vllm_xargs_to_vllm(monkeypatch):
    monkeypatch.setenv(ti.SECRET_ENV, SECRET)
    body = {"prompt": "x", "vllm_xargs": ["not", "an", "object"]}
    status, _, seen = run(body, (), _app_state())
    assert status == 200 and json.loads(seen["body"]) == body  # vLLM answers 400 itself


def test_edge_defaults_without_app_state(monkeypatch):
    monkeypatch.setenv(ti.SECRET_ENV, SECRET)
    edge = TenantEdge.from_state(None)
    assert edge.header == "X-Tenant-ID" and edge.default == "default" and not edge.key_digests
    scope = {"headers": [(b"Content-Length", b"3"), (b"transfer-encoding", b"chunked")]}
    assert with_content_length(scope, 10)["headers"] == [(b"content-length", b"10")]


def test_scheduler_counts_unverified_tenants_and_uses_default(monkeypatch):
    pytest.importorskip("vllm")
    from sched_harness import FakeClock, make_request, make_scheduler, run_until_idle

    monkeypatch.setenv(ti.SECRET_ENV, SECRET)
    clock = FakeClock()
    s = make_scheduler(clock=clock)
    s.add_request(make_request("a", extra=ti.stamp({"program_id": "P"}, "acme", SECRET)))
    s.add_request(make_request("b", extra={"program_id": "Q", "tenant_id": "acme"}))
    assert s.mlq.calls["a"].tenant.tenant_id == "acme"
    assert s.mlq.calls["b"].tenant.tenant_id == "default"
    assert s.nexus_metrics.unverified_tenant_ids == 1
    run_until_idle(s, clock)
    assert s.mlq.tenants.get("acme").calls_completed == 1


def test_tenant_metrics_reach_prometheus_with_bounded_labels(tmp_path, monkeypatch):
    pytest.importorskip("vllm")
    from prometheus_client import CollectorRegistry, generate_latest
    from sched_harness import FakeClock, make_request, make_scheduler, run_until_idle

    from vllm_nexus.programs.metrics import METRICS_DIR_ENV, SnapshotCollector

    monkeypatch.setenv(METRICS_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(ti.SECRET_ENV, SECRET)
    clock = FakeClock()
    s = make_scheduler(clock=clock, nexus={"tenants": {"metrics_top_k": 2}})
    # calls per tenant t0..t4: t4 is served > 2x t0, t3 < 2x t1 (clear margins, no ties); each
    # call's prompt is its own (no prefix-cache hit makes one tenant's service smaller)
    for i, n in enumerate((1, 2, 2, 3, 5)):
        for j in range(n):
            xargs = ti.stamp({"program_id": f"p{i}"}, f"t{i}", SECRET)
            prompt = [3 + 7 * i + j] * 32
            s.add_request(make_request(f"r{i}-{j}", extra=xargs, max_tokens=4, prompt=prompt))
    run_until_idle(s, clock)
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(tmp_path))
    text = generate_latest(reg).decode()
    lines = [x for x in text.splitlines() if x.startswith("vllm_nexus_tenant_calls_total{")]
    tenants = {x.split('tenant="')[1].split('"')[0] for x in lines}
    # 2 by name + the bucket: t0 and t1 took the free labels, t4 (served > 2x t0) took t0's
    assert tenants == {"t1", "t4", "other"}
    done = 'vllm_nexus_tenant_calls_total{engine="0",outcome="completed",tenant="'
    assert done + 't1"} 2.0' in text  # labelled from its first call: complete
    completed = [float(x.rsplit(" ", 1)[1]) for x in lines if 'outcome="completed"' in x]
    assert sum(completed) == 13  # nothing lost between the rows
    assert 'vllm_nexus_tenant_entries{engine="0"} 5.0' in text
    assert 'vllm_nexus_tenant_lift_levels{engine="0",tenant="t1"} 0.0' in text
