"""Property tests: the parser never crashes on any text, and valid calls survive every wrapping."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit.events import TextDelta
from agentkit.messages import ReasoningPart, TextPart, ToolCall
from agentkit.models._prompted_parse import format_call, format_final, parse_reply
from agentkit.models._prompted_repair import loads_lenient
from agentkit.models._prompted_schema import ActionSpec
from agentkit.models._prompted_stream import StreamTranslator

from ._helpers import INT, TEXT

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    *"{}[]\"':,\\ \n\tabe0123456789.-<>/`",
    *["true", "false", "null", "None", "True", "<think>", "</think>", "<tool_call>", "</tool_call>", "```json\n"],
    *['"tool"', '"final_answer"', '"arguments"', '"name"', '"add"'],
]
JSONISH = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=300), JSONISH)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
arguments = st.dictionaries(st.text(max_size=10), json_values, max_size=5)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
noise = st.text(alphabet=st.characters(exclude_characters="{}<`", exclude_categories=["Cs"]), max_size=40).filter(
    lambda s: "</think" not in s
)


def check_invariants(reply: str, spec: ActionSpec) -> None:
    parsed = parse_reply(reply, spec)
    answer = [p for p in parsed.parts if not isinstance(p, ReasoningPart)]
    if parsed.problem is None:
        assert answer, "a usable reply has a tool call or an answer"
    else:
        assert isinstance(parsed.problem, str) and parsed.problem
        assert not answer
    for part in answer:
        if isinstance(part, ToolCall):
            assert isinstance(json.loads(part.arguments), dict)


@FUZZ
@given(ANY_TEXT)
def test_parse_never_crashes(reply: str) -> None:
    for spec in (TEXT, TEXT.final(), INT):
        check_invariants(reply, spec)


@FUZZ
@given(ANY_TEXT)
def test_lenient_json_never_crashes(text: str) -> None:
    result = loads_lenient(text)
    assert result.ok or result.error


@FUZZ
@given(json_values)
def test_valid_json_reads_as_itself(value: Any) -> None:
    text = json.dumps(value)
    assert loads_lenient(text).value == value


def wrappings(call: str, before: str, after: str) -> list[str]:
    return [
        call,
        f"{before}\n{call}\n{after}",
        f"```json\n{call}\n```",
        f"<tool_call>\n{call}\n</tool_call>",
        f"<think>{before}</think>\n{call}",
    ]


@FUZZ
@given(names, arguments, noise, noise)
def test_valid_calls_round_trip(name: str, args: dict[str, Any], before: str, after: str) -> None:
    call = format_call(name, args)
    for reply in wrappings(call, before, after):
        parsed = parse_reply(reply, TEXT)
        calls = parsed.tool_calls
        assert parsed.problem is None, (reply, parsed.problem)
        assert [(c.name, json.loads(c.arguments)) for c in calls] == [(name, args)], reply


@FUZZ
@given(
    names,
    st.dictionaries(
        st.from_regex(r"[a-z]{1,6}", fullmatch=True),
        st.integers() | st.booleans() | st.none() | st.from_regex(r"[A-Za-z0-9 ,.!?-]{0,12}", fullmatch=True),
        max_size=4,
    ),
)
def test_python_style_calls_round_trip(name: str, args: dict[str, Any]) -> None:
    reply = repr({"tool": name, "arguments": args}).replace("}", ",}")  # single quotes, True/None, trailing commas
    assert [(c.name, json.loads(c.arguments)) for c in parse_reply(reply, TEXT).tool_calls] == [(name, args)]


@FUZZ
@given(st.text(max_size=60), st.integers(min_value=1, max_value=9), noise)
def test_text_answers_round_trip_and_stream(answer: str, size: int, thought: str) -> None:
    reply = (f"<think>{thought}</think>" if thought.strip() else "") + format_final(answer)
    parsed = parse_reply(reply, TEXT)
    texts = [p.content for p in parsed.parts if isinstance(p, TextPart)]
    assert texts == [answer]
    translator = StreamTranslator(stream_answer=True)
    events = []
    for start in range(0, len(reply), size):
        events += translator.feed(reply[start : start + size])
    events += translator.finish(parsed.parts)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == answer
