"""The reply's JSON schema (the union of tool calls and the final answer) and the prompt's type text."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from agentkit.models._prompted_history import describe_tool, system_prompt
from agentkit.models._prompted_schema import ActionSpec, type_text
from agentkit.models.base import RequestParams

from ._helpers import CITY, INT, TEXT, Named, add, output_tool, weather

NUMBERS = {
    "type": "object",
    "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
    "required": ["a", "b"],
    "additionalProperties": False,
}


def test_union_of_tools_and_text_answer() -> None:
    spec = ActionSpec((add.definition,))
    assert spec.schema() == {
        "anyOf": [
            {
                "type": "object",
                "properties": {"tool": {"const": "add"}, "arguments": NUMBERS},
                "required": ["tool", "arguments"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"final_answer": {"type": "string"}},
                "required": ["final_answer"],
                "additionalProperties": False,
            },
        ]
    }


def test_final_only_has_just_the_answer_branch() -> None:
    assert INT.final().schema() == {
        "type": "object",
        "properties": {"final_answer": {"type": "integer"}},
        "required": ["final_answer"],
        "additionalProperties": False,
    }
    assert ActionSpec.of(RequestParams(tools=[add.definition], final_answer=True)).schema() == TEXT.final().schema()


def test_object_output_is_not_unwrapped() -> None:
    assert CITY.answer_schema() == {
        "description": "A city and its population.",
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
    }
    assert not CITY.wrapped
    assert CITY.output_arguments({"city": "Paris", "population": 1}) == '{"city": "Paris", "population": 1}'
    assert INT.wrapped
    assert INT.output_arguments(7) == '{"result": 7}'
    assert INT.answer_of_arguments({"result": 7}) == 7


def test_defs_are_hoisted_and_renamed() -> None:
    spec = ActionSpec((weather.definition,), output_tool(list[Named]))
    schema = spec.schema()
    assert set(schema["$defs"]) == {"weather.Place", "final_answer.Named"}
    tool_branch, final_branch = schema["anyOf"]
    assert tool_branch["properties"]["arguments"]["properties"]["place"] == {"$ref": "#/$defs/weather.Place"}
    assert final_branch["properties"]["final_answer"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/final_answer.Named"},
    }
    jsonschema.Draft202012Validator.check_schema(schema)


VALID = [
    {"tool": "weather", "arguments": {"place": {"city": "Paris"}}},
    {"tool": "weather", "arguments": {"place": {"city": "Oslo", "country": "Norway"}, "unit": "f", "days": [1]}},
    {"final_answer": [{"name": "Paris"}]},
]
INVALID = [
    {"tool": "weather", "arguments": {}},
    {"tool": "weather", "arguments": {"place": {"city": "Paris"}, "unit": "k"}},
    {"tool": "other", "arguments": {}},
    {"final_answer": "Paris"},
    {"tool": "weather", "arguments": {"place": {"city": "Paris"}}, "final_answer": []},
]


@pytest.mark.parametrize("reply", VALID)
def test_valid_replies_match(reply: dict[str, Any]) -> None:
    jsonschema.validate(reply, ActionSpec((weather.definition,), output_tool(list[Named])).schema())


@pytest.mark.parametrize("reply", INVALID)
def test_invalid_replies_do_not_match(reply: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply, ActionSpec((weather.definition,), output_tool(list[Named])).schema())


@pytest.mark.parametrize(
    ("schema", "text"),
    [
        ({"type": "number"}, "number"),
        ({"enum": ["c", "f"]}, '"c" | "f"'),
        ({"const": 3}, "3"),
        ({"type": "array", "items": {"type": "string"}}, "list[string]"),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "integer | null"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "dict[string, integer]"),
        ({"type": "object"}, "object"),
        ({}, "any"),
        (
            {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "string"}}, "required": ["a"]},
            "{a: number, b?: string}",
        ),
        ({"$ref": "#/$defs/X", "$defs": {"X": {"type": "boolean"}}}, "boolean"),
        ({"$ref": "#/$defs/Missing"}, "Missing"),
    ],
)
def test_type_text(schema: dict[str, Any], text: str) -> None:
    assert type_text(schema) == text


def test_describe_tools() -> None:
    from ._helpers import multiply

    assert describe_tool(add.definition) == "- add(a: number, b: number): Add two numbers."
    assert describe_tool(multiply.definition) == (
        "- multiply(a: number, b: number): Multiply two numbers.\n    a: The first factor.\n    b: The second factor."
    )
    assert describe_tool(weather.definition) == (
        '- weather(place: {city: string, country: string = "France"}, unit: "c" | "f" = "c", '
        "days: list[integer] | null = null): Weather at a place."
    )


def test_system_prompt_text() -> None:
    assert system_prompt(TEXT, "Be brief.") == (
        "Be brief.\n\n"
        "You can call these tools:\n"
        "- add(a: number, b: number): Add two numbers.\n"
        "- multiply(a: number, b: number): Multiply two numbers.\n"
        "    a: The first factor.\n"
        "    b: The second factor.\n"
        "Reply with one JSON object and nothing else:\n"
        '{"tool": "<tool name>", "arguments": {...}} to call a tool, or\n'
        '{"final_answer": "<your answer>"} to give your final answer.'
    )
    assert system_prompt(CITY, "") == (
        'Reply with one JSON object and nothing else:\n{"final_answer": <{city: string, population: integer}>}'
    )
