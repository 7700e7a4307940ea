"""Reading replies: every accepted style, reasoning, repairs, and the exact problem for bad replies."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.messages import ReasoningPart, TextPart, ToolCall
from agentkit.models._prompted_parse import ParsedReply, format_call, format_final, parse_reply, split_think
from agentkit.models._prompted_schema import ActionSpec

from ._helpers import CITY, INT, TEXT


def shape(parsed: ParsedReply) -> list[tuple[str, Any]]:
    """Parts without the random call ids."""
    out: list[tuple[str, Any]] = []
    for part in parsed.parts:
        if isinstance(part, ToolCall):
            out.append(("call", (part.name, part.arguments)))
        elif isinstance(part, TextPart):
            out.append(("text", part.content))
        elif isinstance(part, ReasoningPart):
            out.append(("reasoning", part.content))
    return out


ADD_1_2 = ("call", ("add", '{"a": 1, "b": 2}'))


@pytest.mark.parametrize(
    "reply",
    [
        '{"tool": "add", "arguments": {"a": 1, "b": 2}}',
        '  {"tool":"add","arguments":{"a":1,"b":2}}\n',
        'I will add them.\n{"tool": "add", "arguments": {"a": 1, "b": 2}}\nDone.',
        '```json\n{"tool": "add", "arguments": {"a": 1, "b": 2}}\n```',
        '```\n{"tool": "add", "arguments": {"a": 1, "b": 2}}\n```',
        '<tool_call>\n{"name": "add", "arguments": {"a": 1, "b": 2}}\n</tool_call>',
        '<tool_call>{"name": "add", "arguments": "{\\"a\\": 1, \\"b\\": 2}"}</tool_call>',
        '{"type": "function", "function": {"name": "add", "arguments": {"a": 1, "b": 2}}}',
        '{"tool": "add", "args": {"a": 1, "b": 2}}',
        "{'tool': 'add', 'arguments': {'a': 1, 'b': 2,},}",
        '{"tool": "add", "arguments": {"a": 1, "b": 2',
    ],
    ids=[
        "bare",
        "compact",
        "inside-text",
        "fenced-json",
        "fenced-plain",
        "hermes",
        "hermes-string-arguments",
        "openai-function",
        "args-alias",
        "python-style",
        "cut-off",
    ],
)
def test_tool_call_styles(reply: str) -> None:
    assert shape(parse_reply(reply, TEXT)) == [ADD_1_2]


def test_several_calls_in_hermes_blocks() -> None:
    reply = (
        '<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>\n'
        '<tool_call>{"name": "multiply", "arguments": {"a": 3, "b": 4}}</tool_call>'
    )
    assert shape(parse_reply(reply, TEXT)) == [ADD_1_2, ("call", ("multiply", '{"a": 3, "b": 4}'))]


def test_several_bare_objects_in_a_list() -> None:
    reply = '[{"tool": "add", "arguments": {"a": 1, "b": 2}}, {"tool": "multiply", "arguments": {}}]'
    assert shape(parse_reply(reply, TEXT)) == [ADD_1_2, ("call", ("multiply", "{}"))]


def test_a_call_wins_over_a_guessed_final_answer() -> None:
    reply = '{"tool": "add", "arguments": {"a": 1, "b": 2}}\n{"final_answer": "3"}'
    assert shape(parse_reply(reply, TEXT)) == [ADD_1_2]


def test_missing_arguments_mean_none() -> None:
    assert shape(parse_reply('{"tool": "add"}', TEXT)) == [("call", ("add", "{}"))]
    assert shape(parse_reply('{"tool": "add", "arguments": null}', TEXT)) == [("call", ("add", "{}"))]


def test_unknown_tools_are_left_to_the_loop() -> None:
    assert shape(parse_reply('{"tool": "divide", "arguments": {"a": 1}}', TEXT)) == [("call", ("divide", '{"a": 1}'))]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"final_answer": "It is 3."}', "It is 3."),
        ('{"final_answer": 3}', "3"),
        ('{"final_answer": {"x": [1, "é"]}}', '{"x": [1, "é"]}'),
        ("The answer is 3.", "The answer is 3."),
        ('```json\n{"final_answer": "3"}\n```', "3"),
        ('{"final_answer": "cut off', "cut off"),
    ],
    ids=["string", "number", "object", "plain-text", "fenced", "cut-off"],
)
def test_text_answers(reply: str, expected: str) -> None:
    assert shape(parse_reply(reply, TEXT)) == [("text", expected)]


def test_structured_answers_become_output_tool_calls() -> None:
    assert shape(parse_reply('{"final_answer": 42}', INT)) == [("call", ("final_result", '{"result": 42}'))]
    assert shape(parse_reply('{"final_answer": {"city": "Paris", "population": 2}}', CITY)) == [
        ("call", ("final_result", '{"city": "Paris", "population": 2}'))
    ]
    native_style = '{"tool": "final_result", "arguments": {"result": 42}}'
    assert shape(parse_reply(native_style, INT)) == [("call", ("final_result", '{"result": 42}'))]


def test_think_blocks_become_reasoning() -> None:
    reply = '<think>\n12 * 7, so multiply.\n</think>\n{"tool": "add", "arguments": {"a": 1, "b": 2}}'
    assert shape(parse_reply(reply, TEXT)) == [("reasoning", "12 * 7, so multiply."), ADD_1_2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>a</think>b", ("a", "b")),
        ("a</think>b", ("a", "b")),
        ("<think>a</think>\n<think>c</think>d", ("a\nc", "d")),
        ("b<think>c</think>d", ("", "b<think>c</think>d")),
        ("<thinking>a</thinking>b", ("a", "b")),
        ("<think>cut off", ("cut off", "")),
        ("no tags", ("", "no tags")),
    ],
)
def test_split_think(text: str, expected: tuple[str, str]) -> None:
    assert split_think(text) == expected


@pytest.mark.parametrize(
    ("reply", "spec", "problem"),
    [
        ("", TEXT, "it was empty"),
        ("<think>only thinking</think>", TEXT, "it was empty"),
        ("The answer is 42.", INT, "it contains no JSON object"),
        (
            '{"tool": "add", "arguments": {"a": 1 "b": 2}}',
            TEXT,
            "its JSON is invalid (Expecting ',' delimiter at line 1 column 38)",
        ),
        ('{"a": 1, "b": 2}', TEXT, 'the JSON object has neither a "tool" nor a "final_answer" key (keys: a, b)'),
        ('{"tool": 7, "arguments": {}}', TEXT, '"tool" must be a string naming a tool, not 7'),
        ('{"tool": "add", "arguments": [1, 2]}', TEXT, '"arguments" of tool add must be a JSON object, not [1, 2]'),
        (
            '{"tool": "add", "arguments": {"a": 1}}',
            TEXT.final(),
            "no more tools may be called (you called add); give your final answer",
        ),
    ],
    ids=[
        "empty",
        "only-thinking",
        "prose-for-structured",
        "bad-json",
        "no-action",
        "bad-tool",
        "bad-arguments",
        "final-only",
    ],
)
def test_problems(reply: str, spec: ActionSpec, problem: str) -> None:
    parsed = parse_reply(reply, spec)
    assert parsed.problem == problem
    assert not [p for p in parsed.parts if not isinstance(p, ReasoningPart)]


def test_final_only_still_takes_the_answer_next_to_a_call() -> None:
    reply = '{"tool": "add", "arguments": {}} {"final_answer": "3"}'
    assert shape(parse_reply(reply, TEXT.final())) == [("text", "3")]


def test_prose_with_braces_is_a_text_answer() -> None:
    reply = "Use a set like {1, 2} in Python."
    assert shape(parse_reply(reply, TEXT)) == [("text", reply)]


def test_format_helpers_round_trip() -> None:
    call = format_call("add", {"a": 1, "b": [2, "é"]})
    assert call == '{"tool": "add", "arguments": {"a": 1, "b": [2, "é"]}}'
    assert shape(parse_reply(call, TEXT)) == [("call", ("add", '{"a": 1, "b": [2, "é"]}'))]
    assert shape(parse_reply(format_final("done"), TEXT)) == [("text", "done")]
