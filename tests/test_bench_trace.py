"""Trace parsing and validation (vllm_nexus.bench.trace)."""

import gzip
import json

import pytest

from vllm_nexus.bench.trace import (
    CallSpec,
    ProgramSpec,
    TraceError,
    dump_trace,
    load_trace,
    parse_trace,
)

GOOD = {
    "program_id": "p1",
    "arrival_s": 0.8,
    "calls": [
        {"id": "c0", "prompt_tokens": 700, "output_tokens": 30},
        {
            "id": "c1",
            "after": ["c0"],
            "think_s": 0.4,
            "context_from": "c0",
            "prompt_tokens": 120,
            "output_tokens": 40,
        },
    ],
}


def lines(*objs):
    return [o if isinstance(o, str) else json.dumps(o) for o in objs]


def with_calls(calls, **kw):
    return {"program_id": "p", "arrival_s": 0, "calls": calls, **kw}


def test_parses_issue_example():
    [p] = parse_trace(lines(GOOD))
    assert p.program_id == "p1" and p.arrival_s == 0.8 and p.kind == "trace"
    c1 = p.call("c1")
    assert c1.after == ("c0",) and c1.think_s == 0.4 and c1.context_from == "c0"
    # c1's prompt = c0's prompt (700) + c0's output (30) + its new tokens (120)
    assert p.full_prompt_tokens() == {"c0": 700, "c1": 850}
    assert p.total_output_tokens() == 70


def test_sorted_by_arrival_and_comments_skipped():
    a = dict(GOOD, program_id="a", arrival_s=5)
    b = dict(GOOD, program_id="b", arrival_s=1)
    ps = parse_trace(["# comment", "", *lines(a, b)])
    assert [p.program_id for p in ps] == ["b", "a"]


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "must be a JSON object"),
        (
            with_calls([{"id": "c0", "prompt_tokens": 1, "output_tokens": 1, "x": 1}]),
            "unknown key 'x'",
        ),
        (with_calls([]), "non-empty list"),
        (
            with_calls([{"id": "c0", "prompt_tokens": -5, "output_tokens": 1}]),
            "prompt_tokens must be >= 1",
        ),
        (
            with_calls([{"id": "c0", "prompt_tokens": 5, "output_tokens": 0}]),
            "output_tokens must be >= 1",
        ),
        (
            with_calls([{"id": "c0", "prompt_tokens": 5.5, "output_tokens": 1}]),
            "must be an integer",
        ),
        (
            {**with_calls([{"id": "c0", "prompt_tokens": 1, "output_tokens": 1}]), "arrival_s": -1},
            "arrival_s must be >= 0",
        ),
        (
            with_calls([{"id": "c0", "prompt_tokens": 1, "output_tokens": 1, "think_s": -0.1}]),
            "think_s must be >= 0",
        ),
        (
            with_calls([{"id": "c0", "prompt_tokens": 1, "output_tokens": 1, "after": ["zz"]}]),
            "unknown call 'zz'",
        ),
        (
            with_calls(
                [{"id": "c0", "prompt_tokens": 1, "output_tokens": 1, "context_from": "zz"}]
            ),
            "unknown call 'zz'",
        ),
        (
            with_calls(
                [
                    {"id": "a", "prompt_tokens": 1, "output_tokens": 1, "after": ["b"]},
                    {"id": "b", "prompt_tokens": 1, "output_tokens": 1, "after": ["a"]},
                ]
            ),
            "cycle",
        ),
        (
            with_calls([{"id": "a", "prompt_tokens": 1, "output_tokens": 1, "after": ["a"]}]),
            "itself",
        ),
        (
            with_calls(
                [
                    {"id": "a", "prompt_tokens": 1, "output_tokens": 1},
                    {"id": "a", "prompt_tokens": 1, "output_tokens": 1},
                ]
            ),
            "duplicate call id",
        ),
        (
            with_calls(
                [
                    {"id": "a", "prompt_tokens": 1, "output_tokens": 1},
                    {"id": "b", "prompt_tokens": 1, "output_tokens": 1, "context_from": "a"},
                ]
            ),
            "must also be in after",
        ),
        ({"arrival_s": 0, "calls": []}, "program_id"),
    ],
)
def test_invalid_lines_fail_with_line_number(bad_line, message):
    text = lines(GOOD, "", bad_line if isinstance(bad_line, str) else json.dumps(bad_line))
    with pytest.raises(TraceError) as e:
        parse_trace(text, "t.jsonl")
    assert str(e.value).startswith("t.jsonl:3:"), str(e.value)
    assert message in str(e.value)


def test_duplicate_program_id_names_first_line():
    with pytest.raises(
        TraceError, match=r"t.jsonl:2: duplicate program_id 'p1' \(first on line 1\)"
    ):
        parse_trace(lines(GOOD, GOOD), "t.jsonl")


def test_empty_trace_and_missing_file(tmp_path):
    with pytest.raises(TraceError, match="no programs"):
        parse_trace(["", "# nothing"], "e.jsonl")
    with pytest.raises(TraceError, match="cannot read trace"):
        load_trace(tmp_path / "missing.jsonl")


def test_dump_load_roundtrip(tmp_path):
    progs = [
        ProgramSpec(
            "x",
            1.5,
            (
                CallSpec("c0", 10, 5),
                CallSpec("c1", 3, 4, after=("c0",), think_s=0.25, context_from="c0"),
                CallSpec("c2", 3, 4, after=("c0",)),
                CallSpec("c3", 2, 2, after=("c1", "c2"), context_from="c0"),
            ),
            "lats",
        )
    ]
    f = tmp_path / "t.jsonl"
    dump_trace(progs, f)
    assert load_trace(f) == progs
    # transitive ancestor is a valid context source
    assert load_trace(f)[0].full_prompt_tokens()["c3"] == 10 + 5 + 2
    # a gzipped copy (as committed under docs/results/) reads the same; a truncated one is
    # a clear error
    gz = tmp_path / "t.jsonl.gz"
    gz.write_bytes(gzip.compress(f.read_bytes()))
    assert load_trace(gz) == progs
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gz.read_bytes()[:-12])
    with pytest.raises(TraceError, match="cut.jsonl.gz: cannot read trace"):
        load_trace(cut)
