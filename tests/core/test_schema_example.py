"""Generated examples validate against their schemas (property test over derived tool schemas)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field

from agentkit import Tool
from agentkit._schema_example import example_for


class Mode(Enum):
    A = "a"


class Inner(BaseModel):
    x: Annotated[int, Field(ge=5, le=9)]
    tags: Annotated[list[str], Field(min_length=2)]


def f1(a: int, b: str, c: float = 1.5) -> None: ...
def f2(mode: Mode, lit: Literal["x", "y"]) -> None: ...
def f3(inner: Inner, maybe: int | None) -> None: ...
def f4(point: tuple[int, str], name: Annotated[str, Field(min_length=3)]) -> None: ...
def f5(n: Annotated[int, Field(gt=10)]) -> None: ...


@pytest.mark.parametrize("func", [f1, f2, f3, f4, f5])
def test_example_is_valid(func: object) -> None:
    schema = Tool.from_function(func).parameters  # type: ignore[arg-type]
    Draft202012Validator(schema).validate(example_for(schema))
