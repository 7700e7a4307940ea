"""Test models: :class:`ScriptedModel` (a list of responses) and :class:`FunctionModel` (a function).

Both are real :class:`~agentkit.models.Model` implementations, so a test exercises the whole loop
without a network::

    from agentkit.testing import ScriptedModel, call, text

    model = ScriptedModel([call("add", a=1, b=2), text("3")])
    result = Agent(model, tools=[add]).run_sync("1+2?")
    assert model.requests[1].messages[-1]  # what the model saw

:func:`block_network` stops anything but loopback connections (use it in ``conftest.py``).
"""

from __future__ import annotations

import inspect
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from agentkit._schema_example import example_for
from agentkit.events import ToolCallDelta
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, ResponsePart, TextPart, ToolCall
from agentkit.models.base import Model, ModelStreamEvent, RequestParams, ResponseDone, deltas_of
from agentkit.settings import ModelSettings
from agentkit.usage import Usage

__all__ = [
    "FunctionModel",
    "RecordedRequest",
    "ScriptedModel",
    "TestModel",
    "block_network",
    "call",
    "reasoning",
    "response",
    "text",
]

Messages = list[ModelRequest | ModelResponse]


def text(content: str, *, usage: Usage | None = None) -> ModelResponse:
    """A response with one text part."""
    return response(TextPart(content=content), usage=usage)


def call(
    name: str, args: dict[str, Any] | str | None = None, /, *, id: str | None = None, **kwargs: Any
) -> ModelResponse:
    """A response with one tool call (arguments as a dict, keyword arguments or raw JSON text).

    ``id`` sets the call id; for a tool argument named ``id`` pass the arguments as a dict.
    """
    arguments: dict[str, Any] | str = args if args is not None else kwargs
    return response(ToolCall.create(name, arguments, id=id))


def reasoning(content: str, **opaque: Any) -> ReasoningPart:
    """A reasoning part, e.g. ``reasoning("thinking...", provider="test", signature="sig")``."""
    return ReasoningPart(content=content, **opaque)


def response(*parts: ResponsePart | ModelResponse, usage: Usage | None = None) -> ModelResponse:
    """A response from parts (and other responses, whose parts are merged in order)."""
    flat: list[ResponsePart] = []
    for item in parts:
        flat += item.parts if isinstance(item, ModelResponse) else [item]
    return ModelResponse(parts=flat, usage=usage or Usage(input_tokens=10, output_tokens=5))


@dataclass(frozen=True)
class RecordedRequest:
    """What a test model received in one request."""

    messages: Messages
    settings: ModelSettings
    params: RequestParams


class _TestModel(Model):
    def __init__(self, name: str, provider: str, supports_tools: bool, chunk_size: int | None = None) -> None:
        if chunk_size is not None and chunk_size < 1:
            raise UserError(f"chunk_size must be >= 1 (or None: one delta per part), got {chunk_size}.")
        self._name = name
        self._provider = provider
        self.supports_tools = supports_tools
        self.chunk_size = chunk_size
        """When streamed, text, reasoning and tool arguments arrive in pieces of this many characters."""
        self.requests: list[RecordedRequest] = []

    async def request_stream(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncIterator[ModelStreamEvent]:
        response = await self.request(messages, settings, params)
        for event in deltas_of(response):
            for piece in _in_chunks(event, self.chunk_size):
                yield piece
        yield ResponseDone(response)

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def provider(self) -> str:
        return self._provider

    def _record(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> None:
        self.requests.append(RecordedRequest([m.model_copy(deep=True) for m in messages], settings, params))


class ScriptedModel(_TestModel):
    """Answers with the given responses, in order. ``str`` items become text responses.

    Running out of responses raises a clear error naming how many were scripted.
    """

    def __init__(
        self,
        responses: Sequence[ModelResponse | str],
        *,
        name: str = "scripted",
        provider: str = "test",
        supports_tools: bool = True,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__(name, provider, supports_tools, chunk_size)
        self._responses = [text(r) if isinstance(r, str) else r for r in responses]

    @property
    def remaining(self) -> int:
        """Responses not yet used."""
        return len(self._responses) - len(self.requests)

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        index = len(self.requests)
        self._record(messages, settings, params)
        if index >= len(self._responses):
            raise UserError(
                f"ScriptedModel ran out of responses: request {index + 1} but only {len(self._responses)} "
                "were scripted. Add responses to the script."
            )
        return _stamped(self._responses[index], self)


ModelFunction = Callable[[Messages, RecordedRequest], "ModelResponse | str | Awaitable[ModelResponse | str]"]


class FunctionModel(_TestModel):
    """Answers with ``function(messages, info)`` (sync or async); a ``str`` result becomes text."""

    def __init__(
        self,
        function: ModelFunction,
        *,
        name: str = "function",
        provider: str = "test",
        supports_tools: bool = True,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__(name, provider, supports_tools, chunk_size)
        self.function = function

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        self._record(messages, settings, params)
        result = self.function(messages, self.requests[-1])
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, str):
            result = text(result)
        if not isinstance(result, ModelResponse):
            raise UserError(
                f"FunctionModel's function returned {type(result).__name__}; return a ModelResponse or a str."
            )
        return _stamped(result, self)


class TestModel(_TestModel):
    """Calls every tool once (arguments generated from its schema), then answers.

    The answer is ``final_text`` for text output, or a value generated from the output schema. Use it
    to exercise an agent's wiring (tools, schemas, output type) without writing a script.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self, *, final_text: str = "done", call_tools: bool = True, name: str = "test", chunk_size: int | None = None
    ) -> None:
        super().__init__(name, "test", True, chunk_size)
        self.final_text = final_text
        self.call_tools = call_tools

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        self._record(messages, settings, params)
        if self.call_tools and len(self.requests) == 1 and params.tools and not params.final_answer:
            calls = [
                ToolCall.create(t.name, example_for(t.parameters), id=f"test_{i}") for i, t in enumerate(params.tools)
            ]
            return _stamped(response(*calls), self)
        if params.output_tool is not None:
            args = example_for(params.output_tool.parameters)
            return _stamped(response(ToolCall.create(params.output_tool.name, args, id="test_final")), self)
        return _stamped(text(self.final_text), self)


def _in_chunks(event: ModelStreamEvent, size: int | None) -> list[ModelStreamEvent]:
    """``event`` cut into deltas of ``size`` characters (a tool call's id and name come with its first piece)."""
    if size is None or isinstance(event, ResponseDone):
        return [event]
    if isinstance(event, ToolCallDelta):
        pieces = _pieces(event.args_delta, size)
        rest = [ToolCallDelta(index=event.index, args_delta=piece) for piece in pieces[1:]]
        return [event.model_copy(update={"args_delta": pieces[0]}), *rest]
    return [event.model_copy(update={"text": piece}) for piece in _pieces(event.text, size)]


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _stamped(result: ModelResponse, model: Model) -> ModelResponse:
    return result.model_copy(update={"model_name": model.model_name, "provider": model.provider})


class NetworkBlockedError(RuntimeError):
    """A test tried to reach a non-loopback address."""


@contextmanager
def block_network() -> Iterator[None]:
    """Refuse socket connections to anything but loopback and Unix sockets while active."""
    original = socket.socket.connect
    original_ex = socket.socket.connect_ex

    def _check(address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback(str(address[0])):
            raise NetworkBlockedError(
                f"Test tried to connect to {address[0]}:{address[1]}; tests may only use loopback. "
                "Use ScriptedModel/FunctionModel or the loopback emulator."
            )

    def connect(self: socket.socket, address: Any) -> None:
        _check(address)
        original(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(address)
        return original_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]
        socket.socket.connect_ex = original_ex  # type: ignore[method-assign]


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")
