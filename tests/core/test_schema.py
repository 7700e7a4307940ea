"""Schema derivation from signatures and docstrings: one test per signature shape."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

import pytest
from inline_snapshot import snapshot
from pydantic import BaseModel, Field

from agentkit import RunContext, Tool, ToolDefinitionError, tool


class Color(Enum):
    RED = "red"
    GREEN = "green"


class Address(BaseModel):
    street: str
    city: str = "Paris"


class Person(BaseModel):
    name: str
    address: Address
    tags: list[str] = []


def schema_of(func: Any) -> dict[str, Any]:
    return Tool.from_function(func).parameters


def test_simple_required_params() -> None:
    def f(a: int, b: str) -> None: ...

    assert schema_of(f) == snapshot(
        {
            "additionalProperties": False,
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["a", "b"],
            "type": "object",
        }
    )


def test_defaults() -> None:
    def f(a: int = 3, b: float = 0.5, c: bool = False) -> None: ...

    assert schema_of(f) == snapshot(
        {
            "additionalProperties": False,
            "properties": {
                "a": {"default": 3, "type": "integer"},
                "b": {"default": 0.5, "type": "number"},
                "c": {"default": False, "type": "boolean"},
            },
            "type": "object",
        }
    )


def test_optional() -> None:
    def f(a: int | None = None) -> None: ...

    assert schema_of(f) == snapshot(
        {
            "additionalProperties": False,
            "properties": {"a": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None}},
            "type": "object",
        }
    )


def test_union() -> None:
    def f(x: int | str) -> None: ...

    assert schema_of(f) == snapshot(
        {
            "additionalProperties": False,
            "properties": {"x": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
            "required": ["x"],
            "type": "object",
        }
    )


def test_literal() -> None:
    def f(unit: Literal["c", "f"] = "c") -> None: ...

    assert schema_of(f) == snapshot(
        {
            "additionalProperties": False,
            "properties": {"unit": {"default": "c", "enum": ["c", "f"], "type": "string"}},
            "type": "object",
        }
    )


def test_enum() -> None:
    def f(color: Color) -> None: ...

    assert schema_of(f) == snapshot(
        {
            "$defs": {"Color": {"enum": ["red", "green"], "type": "string"}},
            "additionalProperties": False,
            "properties": {"color": {"$ref": "#/$defs/Color"}},
            "required": ["color"],
            "type": "object",
        }
    )


def test_nested_pydantic_models() -> None:
    def f(person: Person) -> None: ...

    assert schema_of(f) == snapshot(
        {
            "$defs": {
                "Address": {
                    "properties": {"street": {"type": "string"}, "city": {"default": "Paris", "type": "string"}},
                    "required": ["street"],
                    "type": "object",
                },
                "Person": {
                    "properties": {
                        "name": {"type": "string"},
                        "address": {"$ref": "#/$defs/Address"},
                        "tags": {"default": [], "items": {"type": "string"}, "type": "array"},
                    },
                    "required": ["name", "address"],
                    "type": "object",
                },
            },
            "additionalProperties": False,
            "properties": {"person": {"$ref": "#/$defs/Person"}},
            "required": ["person"],
            "type": "object",
        }
    )


def test_list_and_dict() -> None:
    def f(items: list[int], weights: dict[str, float]) -> None: ...

    assert schema_of(f) == snapshot(
        {
            "additionalProperties": False,
            "properties": {
                "items": {"items": {"type": "integer"}, "type": "array"},
                "weights": {"additionalProperties": {"type": "number"}, "type": "object"},
            },
            "required": ["items", "weights"],
            "type": "object",
        }
    )


def test_google_docstring() -> None:
    def get_weather(city: str, unit: Literal["c", "f"] = "c") -> None:
        """Current weather for a city.

        Args:
            city: City name, e.g. "Paris".
            unit: Temperature unit.
        """

    made = Tool.from_function(get_weather)
    assert made.description == "Current weather for a city."
    assert made.parameters["properties"]["city"]["description"] == 'City name, e.g. "Paris".'
    assert made.parameters["properties"]["unit"]["description"] == "Temperature unit."


def test_numpy_docstring() -> None:
    def f(x: int, y: int) -> None:
        """Add numbers.

        Parameters
        ----------
        x : int
            The first number.
        y : int
            The second number.
        """

    made = Tool.from_function(f)
    assert made.description == "Add numbers."
    assert made.parameters["properties"]["x"]["description"] == "The first number."
    assert made.parameters["properties"]["y"]["description"] == "The second number."


def test_sphinx_docstring() -> None:
    def f(path: str) -> None:
        """Read a file.

        Longer explanation.

        :param path: Where the file is.
        :returns: nothing
        """

    made = Tool.from_function(f)
    assert made.description == "Read a file.\n\nLonger explanation."
    assert made.parameters["properties"]["path"]["description"] == "Where the file is."


def test_annotated_string_description() -> None:
    def f(q: Annotated[str, "The search query"]) -> None: ...

    assert schema_of(f)["properties"]["q"] == {"description": "The search query", "type": "string"}


def test_pydantic_field_default_and_annotated_field() -> None:
    def f(
        n: Annotated[int, Field(ge=1, le=10, description="How many")],
        s: str = Field(default="x", max_length=3, description="Short text"),
    ) -> None: ...

    assert schema_of(f)["properties"] == snapshot(
        {
            "n": {"description": "How many", "maximum": 10, "minimum": 1, "type": "integer"},
            "s": {"default": "x", "description": "Short text", "maxLength": 3, "type": "string"},
        }
    )


def test_run_context_first_is_hidden() -> None:
    def f(ctx: RunContext[int], a: int) -> None: ...

    made = Tool.from_function(f)
    assert made.takes_ctx is True
    assert list(made.parameters["properties"]) == ["a"]


def test_no_parameters() -> None:
    def now() -> str:
        """The time."""
        return "noon"

    assert schema_of(now) == {"additionalProperties": False, "properties": {}, "type": "object"}


def test_any_param_accepts_any_json_value() -> None:  # an unannotated one is an error: test_tool_definitions.py
    def f(x: Any) -> None: ...

    assert schema_of(f) == {
        "additionalProperties": False,
        "properties": {"x": {}},
        "required": ["x"],
        "type": "object",
    }


def test_async_function_and_options() -> None:
    @tool(side_effect="pure", timeout=2.0, retries=5, name="lookup")
    async def f(key: str) -> str:
        """Look up a key."""
        return key

    assert (f.name, f.side_effect, f.timeout, f.retries, f.is_async) == ("lookup", "pure", 2.0, 5, True)


def test_tuple_and_set() -> None:
    def f(point: tuple[int, int], ids: set[str]) -> None: ...

    assert schema_of(f)["properties"] == snapshot(
        {
            "point": {
                "maxItems": 2,
                "minItems": 2,
                "prefixItems": [{"type": "integer"}, {"type": "integer"}],
                "type": "array",
            },
            "ids": {"items": {"type": "string"}, "type": "array", "uniqueItems": True},
        }
    )


def test_property_named_title_is_kept() -> None:
    def f(title: str) -> None: ...

    assert schema_of(f)["properties"] == {"title": {"type": "string"}}


def test_raw_schema_tool() -> None:
    raw = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    made = Tool.from_schema(name="search", description="Search.", parameters=raw, function=lambda q: q)
    assert made.parameters is raw
    assert made.validate_arguments('{"q": "x"}') == {"q": "x"}


@pytest.mark.parametrize(
    ("func_src", "message"),
    [
        ("def f(*args: int) -> None: ...", "Tool 'f': parameter 'args' is *args/**kwargs"),
        ("def f(**kw: int) -> None: ...", "Tool 'f': parameter 'kw' is *args/**kwargs"),
        ("def f(a: int, /) -> None: ...", "Tool 'f': parameter 'a' is positional-only"),
        ("def f(a: int, ctx: RunContext[int]) -> None: ...", "Tool 'f': RunContext must be the first parameter"),
    ],
)
def test_unsupported_signatures(func_src: str, message: str) -> None:
    namespace: dict[str, Any] = {"RunContext": RunContext}
    exec(func_src, namespace)
    with pytest.raises(ToolDefinitionError, match=message.replace("*", r"\*")):
        Tool.from_function(namespace["f"])


def test_bad_tool_options() -> None:
    def f() -> None: ...

    with pytest.raises(ToolDefinitionError, match="side_effect must be one of"):
        tool(side_effect="sometimes")(f)  # type: ignore[call-overload]
    with pytest.raises(ToolDefinitionError, match="Tool name 'bad name' is invalid"):
        tool(name="bad name")(f)
    with pytest.raises(ToolDefinitionError, match="timeout must be a positive number"):
        tool(timeout=0)(f)
    with pytest.raises(ToolDefinitionError, match=r"secret_args names unknown parameters \['token'\]"):
        tool(secret_args=["token"])(f)
    with pytest.raises(ToolDefinitionError, match='the parameters schema must have "type": "object"'):
        Tool.from_schema(name="x", description="", parameters={"type": "string"}, function=f)
    with pytest.raises(ToolDefinitionError, match="Tool 'x': invalid JSON schema"):
        Tool.from_schema(name="x", description="", parameters={"type": 5}, function=f)
