"""ProgramIdMiddleware: HTTP 400 for malformed ids, untouched pass-through otherwise."""

import asyncio
import json

import pytest

from vllm_nexus.serving.middleware import ProgramIdMiddleware, check_request


def run(body, headers=(), path="/v1/completions", method="POST"):
    seen = {}

    async def app(scope, receive, send):
        msg = await receive()
        seen["body"] = msg["body"]
        seen["more"] = await receive()  # must reach the real receive (disconnect watch)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    messages = [
        {"type": "http.request", "body": raw[:5], "more_body": True},
        {"type": "http.request", "body": raw[5:], "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive():
        return messages.pop(0)

    async def send(m):
        sent.append(m)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }
    asyncio.run(ProgramIdMiddleware(app)(scope, receive, send))
    return sent[0]["status"], sent[1]["body"], seen


@pytest.mark.parametrize(
    "body,headers",
    [
        ({"prompt": "x", "vllm_xargs": {"program_id": 7}}, ()),
        ({"prompt": "x", "vllm_xargs": {"program_id": ""}}, ()),
        ({"prompt": "x", "vllm_xargs": {"program_id": "a" * 257}}, ()),
        ({"prompt": "x", "vllm_xargs": {"program_id": "a\tb"}}, ()),
        ({"prompt": "x", "vllm_xargs": {"thread_id": 3.5}}, ()),
        ({"prompt": "x", "session_id": ["s"]}, ()),
        ({"prompt": "x"}, (("x-session-id", "a\x01b"),)),
    ],
)
def test_bad_ids_get_400(body, headers):
    status, payload, seen = run(body, headers)
    assert status == 400 and not seen
    err = json.loads(payload)["error"]
    assert err["code"] == 400 and "invalid program id" in err["message"]


def test_good_request_passes_through_unchanged():
    body = {"prompt": "x", "vllm_xargs": {"program_id": "prog-1", "thread_id": "t"}}
    status, _, seen = run(body, (("x-session-id", "s1"),))
    assert status == 200
    got = json.loads(seen["body"])
    # only the tenant stamp is added (test_tenant_edge.py); everything else is untouched
    assert set(got["vllm_xargs"]) == {"program_id", "thread_id", "tenant_id", "tenant_tag"}
    for key in ("tenant_id", "tenant_tag"):
        del got["vllm_xargs"][key]
    assert got == body
    assert seen["more"] == {"type": "http.disconnect"}


def test_other_paths_and_non_json_are_not_inspected():
    assert run({"vllm_xargs": {"program_id": 1}}, path="/v1/models")[0] == 200
    assert run(b"not json at all", path="/v1/completions")[0] == 200


def test_check_request_direct():
    assert check_request({"vllm_xargs": {"program_id": "ok"}}, {}, 10) is None
    assert "limit is 10" in check_request({"vllm_xargs": {"program_id": "x" * 11}}, {}, 10)


def _unstamped(xargs: dict) -> dict:
    """``vllm_xargs`` without the tenant stamp the middleware adds to every JSON body."""
    assert xargs.pop("tenant_id") == "default" and xargs.pop("tenant_tag")
    return xargs


def test_harness_headers_are_written_into_vllm_xargs():
    headers = (("x-claude-code-session-id", "cc-9"), ("x-claude-code-agent-id", "sub"))
    status, _, seen = run({"prompt": "x", "vllm_xargs": {"k": 1}}, headers)
    assert status == 200
    body = json.loads(seen["body"])
    assert _unstamped(body["vllm_xargs"]) == {"k": 1, "program_id": "cc-9", "thread_id": "sub"}
    status, _, seen = run({"prompt": "x"}, (("x-dynamo-session-final", "1"),))
    assert _unstamped(json.loads(seen["body"])["vllm_xargs"]) == {"program_end": True}
    status, payload, _ = run({"prompt": "x"}, (("thread-id", "t" * 300),))
    assert status == 400 and b"thread-id header" in payload


def test_rewritten_body_gets_a_matching_content_length():
    seen = {}

    async def app(scope, receive, send):
        seen["headers"] = dict(scope["headers"])
        seen["body"] = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    raw = json.dumps({"prompt": "x"}).encode()
    msgs = [{"type": "http.request", "body": raw, "more_body": False}]

    async def receive():
        return msgs.pop(0)

    async def send(m):
        pass

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [(b"content-length", str(len(raw)).encode()), (b"thread-id", b"T")],
    }
    asyncio.run(ProgramIdMiddleware(app)(scope, receive, send))
    assert int(seen["headers"][b"content-length"]) == len(seen["body"])
    assert _unstamped(json.loads(seen["body"])["vllm_xargs"]) == {"program_id": "T"}
