"""Program identity: precedence of transports and malformed ids."""

import pytest

from vllm_nexus.programs.identity import InvalidProgramId, resolve_program_id, validate_program_id


def test_precedence_xargs_then_session_then_solo():
    assert resolve_program_id({"program_id": "p"}, "s", "r1") == ("p", None)
    assert resolve_program_id({}, "s", "r1") == ("s", None)
    assert resolve_program_id(None, None, "r1") == ("call:r1", None)


@pytest.mark.parametrize("bad", [123, "", "x" * 300, "a\nb", "a\x00", None, ["a"], "a\x85"])
def test_malformed_ids_are_rejected(bad):
    with pytest.raises(InvalidProgramId):
        validate_program_id(bad)


def test_malformed_xargs_falls_back_with_reason():
    pid, why = resolve_program_id({"program_id": 5}, "sess", "r")
    assert pid == "sess" and "string" in why
    pid, why = resolve_program_id({"program_id": ""}, None, "r")
    assert pid == "call:r" and "empty" in why


def test_unicode_ids_are_fine():
    assert validate_program_id("agent-ß-42/π") == "agent-ß-42/π"


# -- HTTP identity: agent-harness headers, subagents, program end --------------------------
from vllm_nexus.programs.identity import (  # noqa: E402
    SessionTree,
    http_identity,
    program_end_of,
    program_id_of_http,
)


def ident(headers, body=None, tree=None):
    return http_identity(body or {}, headers, 256, tree)


def test_harness_headers_name_the_program_below_explicit_ids():
    claude = {"X-Claude-Code-Session-Id": "cc-1"}
    assert ident(claude).program_id == "cc-1"
    assert ident(claude).inject == {"program_id": "cc-1"}
    assert ident(claude, {"vllm_xargs": {"program_id": "p"}}).program_id == "p"
    assert ident(claude, {"session_id": "s"}).program_id == "s"
    both = ident({**claude, "X-Session-ID": "vs"})
    assert both.program_id == "vs" and both.inject == {}  # vLLM reads X-Session-ID itself
    assert ident({"thread-id": "t1"}).program_id == "t1"  # Codex
    assert ident({"session-id": "old"}).program_id == "old"  # older Codex
    assert ident({"x-dynamo-session-id": "d", "thread-id": "t"}).program_id == "d"
    assert ident({}).program_id is None and ident({}).inject == {}


def test_subagents_are_threads_of_the_root_program():
    sub = ident({"x-claude-code-session-id": "cc", "x-claude-code-agent-id": "ag"})
    assert (sub.program_id, sub.thread_id) == ("cc", "ag")
    assert sub.inject == {"program_id": "cc", "thread_id": "ag"}
    tree = SessionTree()
    child = ident({"thread-id": "c", "x-codex-parent-thread-id": "root"}, tree=tree)
    assert (child.program_id, child.thread_id) == ("root", "c")
    grandchild = ident({"thread-id": "g", "x-codex-parent-thread-id": "c"}, tree=tree)
    assert grandchild.program_id == "root"  # resolved through the tree
    oc = ident({"x-session-id": "kid", "x-parent-session-id": "mom"})  # OpenCode
    assert (oc.program_id, oc.inject["program_id"], oc.thread_id) == ("mom", "mom", "kid")
    dyn = ident({"x-dynamo-session-id": "k", "x-dynamo-parent-session-id": "p"})
    assert (dyn.program_id, dyn.thread_id) == ("p", "k")
    assert ident({"thread-id": "x", "x-codex-parent-thread-id": "x"}).program_id == "x"


def test_session_tree_is_bounded():
    tree = SessionTree(max_entries=2)
    for i in range(5):
        tree.root(f"c{i}", "r")
    assert len(tree._root) == 2 and tree.root("c4", None) == "r"


def test_program_end_markers():
    assert ident({"x-dynamo-session-final": "true", "x-dynamo-session-id": "d"}).end
    assert ident({"x-dynamo-session-final": "true"}).inject == {"program_end": True}
    assert not ident({"x-dynamo-session-final": "false"}).end
    assert ident({}, {"vllm_xargs": {"program_end": 1}}).end
    with pytest.raises(InvalidProgramId, match="true or false"):
        ident({"x-dynamo-session-final": "maybe"})
    assert program_end_of({"program_end": 1}) == (True, None)
    assert program_end_of({"program_end": "false"}) == (False, None)
    assert program_end_of(None) == (False, None)
    end, why = program_end_of({"program_end": [1]})
    assert not end and "true or false" in why


@pytest.mark.parametrize(
    "headers",
    [
        {"x-claude-code-session-id": ""},
        {"thread-id": "x" * 300},
        {"x-claude-code-session-id": "ok", "x-claude-code-agent-id": "a\nb"},
        {"x-codex-parent-thread-id": "\x01", "thread-id": "t"},
        {"x-parent-session-id": ""},
    ],
)
def test_malformed_harness_headers_are_rejected(headers):
    with pytest.raises(InvalidProgramId):
        program_id_of_http({}, headers)
