"""Token estimates, argument encoding and stream chunking shared by the wire formats."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .script import Reply, ToolCall, Usage
from .signing import new_id


def estimate(text: str | None) -> int:
    """About one token per four characters; 0 for nothing."""
    return math.ceil(len(text) / 4) if text else 0


def arguments_json(call: ToolCall) -> str:
    """The call's arguments as the JSON string sent on the wire (raw strings verbatim)."""
    if isinstance(call.arguments, str):
        return call.arguments
    return json.dumps(dict(call.arguments), separators=(", ", ": "))


@dataclass(frozen=True)
class Call:
    """A tool call with its wire id and JSON arguments decided."""

    call_id: str
    name: str
    arguments: str

    @property
    def parsed(self) -> Any:
        """The arguments as JSON, or the raw string when they do not parse."""
        try:
            return json.loads(self.arguments)
        except ValueError:
            return self.arguments


def calls(reply: Reply, prefix: str) -> list[Call]:
    """The reply's tool calls with ids (``prefix`` + random when the test gave none)."""
    return [Call(c.call_id or new_id(prefix, 12), c.name, arguments_json(c)) for c in reply.tool_calls]


def choices(reply: Reply, n: int) -> list[Reply]:
    """``n`` replies: this one, then its extra choices, padded with copies of it."""
    chosen = [reply, *reply.extra_choices][: max(1, n)]
    return chosen + [reply] * (max(1, n) - len(chosen))


def split(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of ``size`` characters (at least one piece)."""
    if not text:
        return [""]
    return [text[i : i + size] for i in range(0, len(text), max(1, size))]


@dataclass(frozen=True)
class Counts:
    """Token counts for one reply."""

    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_tokens: int

    @property
    def total(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


def count(request_tokens: int, replies: list[Reply]) -> Counts:
    """Usage for ``replies`` answering a request of ``request_tokens`` (``window.count_tokens``): the first
    reply's overrides win."""
    override = replies[0].usage or Usage()
    reasoning = sum(estimate(r.reasoning) for r in replies)
    visible = sum(_visible(r) for r in replies)
    reasoning_tokens = _pick(override.reasoning_tokens, reasoning)
    return Counts(
        input_tokens=_pick(override.input_tokens, max(1, request_tokens)),
        output_tokens=_pick(override.output_tokens, visible + reasoning_tokens),
        reasoning_tokens=reasoning_tokens,
        cached_tokens=_pick(override.cached_tokens, 0),
    )


def _visible(reply: Reply) -> int:
    return estimate(reply.text) + sum(estimate(arguments_json(c)) + 1 for c in reply.tool_calls)


def _pick(value: int | None, default: int) -> int:
    return default if value is None else value
