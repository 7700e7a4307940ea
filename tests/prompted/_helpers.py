"""Shared tools and specs for the prompted-mode tests."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agentkit import tool
from agentkit._output import OutputSpec
from agentkit.models._prompted_schema import ActionSpec
from agentkit.tools import ToolDefinition


@tool(side_effect="pure")
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


@tool(side_effect="pure")
def multiply(a: float, b: float) -> float:
    """Multiply two numbers.

    Args:
        a: The first factor.
        b: The second factor.
    """
    return a * b


class Place(BaseModel):
    """A place."""

    city: str
    country: str = "France"


@tool(side_effect="pure")
def weather(place: Place, unit: Literal["c", "f"] = "c", days: list[int] | None = None) -> str:
    """Weather at a place."""
    return f"sunny in {place.city}"


class City(BaseModel):
    """A city and its population."""

    city: str
    population: int


class Named(BaseModel):
    name: str


def output_tool(output_type: type) -> ToolDefinition:
    definition = OutputSpec.of(output_type).tool_definition()
    assert definition is not None
    return definition


TEXT = ActionSpec((add.definition, multiply.definition))
"""Two tools, text output."""
INT = ActionSpec((add.definition,), output_tool(int))
"""One tool, int output (wrapped under "result")."""
CITY = ActionSpec((), output_tool(City))
"""No tools, object output."""
