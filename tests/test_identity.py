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
