"""Typed output as it streams: ``agent.stream_output()`` turns a run's events into partial outputs.

Text output (``output_type=str``) is the answer text so far; any other output type is the output tool's
arguments so far, partially validated (:mod:`agentkit._partial`). Values restart at each model request
(a retried answer starts over), only changed values are yielded, and the run's validated output comes last.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Generic, TypeVar, cast

from agentkit._output import OUTPUT_TOOL_NAME, OutputSpec
from agentkit._partial import NOTHING, PartialValidator
from agentkit.events import AgentEvent, FinalResultEvent, ModelRequestStart, TextDelta, ToolCallDelta

__all__ = ["OutputTracker", "partial_outputs"]

OutputT = TypeVar("OutputT")


class OutputTracker(Generic[OutputT]):
    """Feed a run's events in order; :meth:`feed` returns each new partial output (else :data:`NOTHING`)."""

    def __init__(self, spec: OutputSpec[OutputT]) -> None:
        self._spec = spec
        self._validator = PartialValidator(spec)
        self._last: Any = NOTHING
        self._text = ""
        self._names: dict[int, str] = {}
        self._arguments: dict[int, str] = {}

    def feed(self, event: AgentEvent) -> Any:
        """The partial output after ``event`` if it changed, else :data:`NOTHING`."""
        if event.parent_call_id is not None or event.branch is not None:
            return NOTHING  # a sub-agent's or a strategy branch's event: not this run's answer
        return self._changed(self._value(event))

    def _value(self, event: AgentEvent) -> Any:
        if isinstance(event, ModelRequestStart):
            self._text, self._names, self._arguments = "", {}, {}
        elif isinstance(event, TextDelta) and self._spec.is_text:
            self._text += event.text
            return self._text or NOTHING
        elif isinstance(event, ToolCallDelta):
            return self._output_call(event)
        elif isinstance(event, FinalResultEvent):
            return event.output
        return NOTHING

    def _output_call(self, event: ToolCallDelta) -> Any:
        if event.name:
            self._names[event.index] = event.name
        if self._names.get(event.index) != OUTPUT_TOOL_NAME or self._spec.is_text:
            return NOTHING
        arguments = self._arguments[event.index] = self._arguments.get(event.index, "") + event.args_delta
        return self._validator.from_arguments(arguments)

    def _changed(self, value: Any) -> Any:
        if value is NOTHING or (self._last is not NOTHING and _same(value, self._last)):
            return NOTHING
        self._last = value
        return value


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # a type whose == raises or is not a bool: treat as changed
        return False


async def partial_outputs(events: AsyncIterator[AgentEvent], spec: OutputSpec[OutputT]) -> AsyncIterator[OutputT]:
    """The partial outputs of a run from its event stream (closed when the consumer stops reading)."""
    tracker = OutputTracker(spec)
    async with aclosing(cast(Any, events)) as stream:
        async for event in stream:
            value = tracker.feed(event)
            if value is not NOTHING:
                yield cast(OutputT, value)
