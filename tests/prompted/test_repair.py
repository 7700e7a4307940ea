"""The lenient JSON reader: each common fault, repaired to an exact value."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.models._prompted_repair import loads_lenient, repair_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1, "b": [1, 2,],}', {"a": 1, "b": [1, 2]}),
        ("{'a': 'x', 'b': 'it\\'s'}", {"a": "x", "b": "it's"}),
        ("{'quote': 'say \"hi\"'}", {"quote": 'say "hi"'}),
        ('{"t": True, "f": False, "n": None}', {"t": True, "f": False, "n": None}),
        ('{"a": {"b": [1, 2', {"a": {"b": [1, 2]}}),
        ('{"a": "unterminated', {"a": "unterminated"}),
        ('{"a": ', {"a": None}),
        ('{"a": 1,', {"a": 1}),
        ('{"a": 1} and then some text }', {"a": 1}),
        ("{tool: add, arguments: {a: 1}}", {"tool": "add", "arguments": {"a": 1}}),
        ('{"a": "line one\nline two\ttab"}', {"a": "line one\nline two\ttab"}),
        ('{"path": "C:\\dir\\queue\\new"}', {"path": "C:\\dir\\queue\new"}),
        ('{"a": [1, 2}', {"a": [1, 2]}),
        ('{"a": 1]}', {"a": 1}),
        ('{"x": NaN}', {"x": "NaN"}),
        ('{"u": "\\u00e9\\u12"}', {"u": "é\\u12"}),
    ],
    ids=[
        "trailing-commas",
        "single-quotes",
        "double-quote-in-single",
        "python-literals",
        "unclosed-brackets",
        "unclosed-string",
        "dangling-colon",
        "dangling-comma",
        "text-after",
        "unquoted-words",
        "raw-control-chars",
        "invalid-escapes",
        "mismatched-closer",
        "stray-closer",
        "nan-is-not-json",
        "short-unicode-escape",
    ],
)
def test_repairs(text: str, expected: Any) -> None:
    result = loads_lenient(text)
    assert result.ok, result.error
    assert result.value == expected


def test_valid_json_is_read_strictly() -> None:
    result = loads_lenient(' {"a": [1, {"b": null}]} ')
    assert result == type(result)({"a": [1, {"b": None}]}, ok=True, end=25)


def test_repair_text_and_end() -> None:
    text = "{'a': [1, 2,], 'b': None} tail"
    assert repair_json(text) == ('{"a": [1, 2], "b": null}', 25)


def test_unrepairable_reports_the_strict_error() -> None:
    result = loads_lenient('{"a": 1 "b": 2}')
    assert not result.ok
    assert result.error == "Expecting ',' delimiter at line 1 column 9"


def test_deep_nesting_does_not_crash() -> None:
    result = loads_lenient("[" * 100_000)
    assert not result.ok
    assert result.error == "it is nested too deeply"
    assert loads_lenient('{"a": ' + "[" * 100_000).error == "it is nested too deeply"
