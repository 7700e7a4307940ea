"""What the emulator decides to send back, before any byte is written.

The application returns one of these; ``httpserver`` turns it into bytes on the socket
(or into a broken connection, for the faults).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from .common import arguments_json
from .endpoints import encode
from .errors import ProviderError
from .script import Reply, ToolCall


@dataclass(frozen=True)
class JsonAnswer:
    """A complete JSON response."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamAnswer:
    """An SSE stream; ``truncate_after`` frames then the connection closes mid-body."""

    frames: list[bytes]
    truncate_after: int | None = None
    delay_s: float = 0.0


@dataclass(frozen=True)
class TruncatedJsonAnswer:
    """A JSON response whose announced length is never reached: half is sent, then close."""

    body: bytes


@dataclass(frozen=True)
class ResetAnswer:
    """No response: the TCP connection is reset (RST)."""


@dataclass(frozen=True)
class CloseAnswer:
    """No response: the connection is closed (FIN), e.g. after hanging past the client's timeout."""


Answer = JsonAnswer | StreamAnswer | TruncatedJsonAnswer | ResetAnswer | CloseAnswer


def json_answer(body: object, status: int = 200) -> JsonAnswer:
    """A JSON response."""
    return JsonAnswer(status, encode(body))


def error_answer(problem: ProviderError) -> JsonAnswer:
    """The provider's error as a JSON response with its status and headers."""
    return JsonAnswer(problem.status, encode(problem.body), problem.headers)


INVALID_JSON = b'{"id":"emulator-cut","object":"chat.completion","choices":[{"index":0,"message":{"role":"assi'
"""A complete HTTP body that is JSON cut off in the middle (the ``invalid_json`` fault)."""


def invalid_json_answer(stream: bool, named_events: bool) -> JsonAnswer | StreamAnswer:
    """HTTP 200 whose JSON does not parse: the whole body, or (streaming) the data of the first event."""
    if not stream:
        return JsonAnswer(200, INVALID_JSON)
    event = b"event: response.created\n" if named_events else b""
    return StreamAnswer([event + b"data: " + INVALID_JSON + b"\n\n", b"data: [DONE]\n\n"])


def damage_arguments(reply: Reply) -> Reply:
    """The reply with every tool call's JSON arguments cut in half."""
    broken = [dataclasses.replace(c, arguments=_half(c)) for c in reply.tool_calls]
    return dataclasses.replace(reply, tool_calls=broken)


def _half(call: ToolCall) -> str:
    text = arguments_json(call)
    return text[: max(1, len(text) // 2)]
