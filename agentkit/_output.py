"""The typed final output: its schema, the output tool, and validation."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from agentkit._json import BadJSON, parse_json
from agentkit._schema import clean_schema, describe_validation_error
from agentkit.prompts import render
from agentkit.tools import ToolDefinition

__all__ = ["OUTPUT_TOOL_NAME", "OutputInvalid", "OutputSpec"]

OutputT = TypeVar("OutputT")

OUTPUT_TOOL_NAME = "final_result"


class OutputInvalid(Exception):
    """The model's answer did not validate; the message is written for the model."""


@dataclass(frozen=True)
class OutputSpec(Generic[OutputT]):
    """How a run ends: with text (``output_type=str``) or by calling the output tool."""

    output_type: type[OutputT]
    adapter: TypeAdapter[OutputT]
    wrapped: bool
    """True when the type is not an object schema and sits under a ``result`` key."""

    @classmethod
    def of(cls, output_type: type[OutputT]) -> OutputSpec[OutputT]:
        """Prepare validation for ``output_type``."""
        adapter: TypeAdapter[OutputT] = TypeAdapter(output_type)
        is_model = isinstance(output_type, type) and issubclass(output_type, BaseModel)
        return cls(output_type, adapter, wrapped=not is_model)

    @property
    def is_text(self) -> bool:
        """Whether plain text is the answer."""
        return self.output_type is str

    @functools.cached_property
    def schema(self) -> dict[str, Any]:
        """The JSON schema of the answer object (the output tool's parameters)."""
        inner = clean_schema(self.adapter.json_schema())
        if not self.wrapped:
            return inner
        defs = inner.pop("$defs", None)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {"result": inner},
            "required": ["result"],
            "additionalProperties": False,
        }
        if defs:
            schema["$defs"] = defs
        return schema

    def tool_definition(self) -> ToolDefinition | None:
        """The output tool, or ``None`` for text output."""
        return self._tool_definition

    @functools.cached_property
    def _tool_definition(self) -> ToolDefinition | None:
        if self.is_text:
            return None
        return ToolDefinition(OUTPUT_TOOL_NAME, render("output_tool_description"), self.schema)

    def validate_arguments(self, arguments: str) -> OutputT:
        """Validate the output tool's JSON arguments."""
        try:
            data = parse_json(arguments or "{}")
        except BadJSON as exc:
            raise OutputInvalid(f"the arguments are not valid JSON ({exc.detail})") from exc.__cause__
        return self._validate_object(data)

    def validate_text(self, text: str) -> OutputT:
        """Validate a plain text answer: the text itself for ``str``, else JSON in the text."""
        if self.is_text:
            return self._validate_python(text)
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # not JSON, an integer over 4,300 digits, too deep
            raise OutputInvalid(render("output_tool_required", tool=OUTPUT_TOOL_NAME)) from exc
        return self._validate_object(data)

    def _validate_object(self, data: Any) -> OutputT:
        if self.wrapped:
            if not isinstance(data, dict) or "result" not in data:
                raise OutputInvalid('expected a JSON object with the answer under the key "result"')
            data = data["result"]
        return self._validate_python(data)

    def _validate_python(self, data: Any) -> OutputT:
        try:
            return self.adapter.validate_python(data)
        except ValidationError as exc:
            raise OutputInvalid(describe_validation_error(exc)) from exc
