"""Estimating a request's input tokens, incrementally and calibrated from the provider's reports.

The estimate of the next request is the input tokens the provider reported for the last request
(``ModelResponse.usage.input_tokens``) plus ``ratio`` tokens per character of what was added since
(that response and the messages after it). ``ratio`` starts at 1 token per 4 characters and is set
from each report: reported tokens / characters sent. Reports that are not plausible (less than one
token per 20 characters or more than one per character: a test model's fixed usage) are ignored.

Characters are summed once per message (a running prefix sum), so a step costs the new messages only.
"""

from __future__ import annotations

import math

from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.tools import ToolDefinition

__all__ = ["BASE_RATIO", "TokenCounter", "message_chars", "tools_chars"]

BASE_RATIO = 0.25
"""Tokens per character before any report (about 4 characters per token)."""
MIN_RATIO, MAX_RATIO = 0.05, 1.0
PART_OVERHEAD = 16
"""Characters counted for each part's framing (role, ids, JSON keys), about 4 tokens."""

Message = ModelRequest | ModelResponse


def part_chars(part: object) -> int:
    """The characters of one message part a provider counts (opaque reasoning state aside)."""
    if isinstance(part, SystemPart | UserPart | TextPart | RetryPrompt | ReasoningPart):
        return len(part.content) + PART_OVERHEAD
    if isinstance(part, ToolResult):
        return len(part.content_text()) + len(part.name) + len(part.call_id) + PART_OVERHEAD
    if isinstance(part, ToolCall):
        return len(part.arguments) + len(part.name) + len(part.id) + PART_OVERHEAD
    return PART_OVERHEAD


def message_chars(message: Message) -> int:
    """The characters of ``message`` as counted by :class:`TokenCounter`."""
    return sum(part_chars(part) for part in message.parts) + PART_OVERHEAD


def tools_chars(tools: list[ToolDefinition]) -> int:
    """The characters the tool definitions add to every request."""
    return sum(len(t.name) + len(t.description) + len(str(t.parameters)) + PART_OVERHEAD for t in tools)


class TokenCounter:
    """Estimates the input tokens of a growing message list (one per run).

    ``fixed_chars`` is what every request carries besides the messages (tool definitions). Call
    :meth:`estimate` before each request; after a rewrite of the list call :meth:`reset`.
    """

    def __init__(self, fixed_chars: int = 0) -> None:
        self.ratio = BASE_RATIO
        self.fixed_chars = fixed_chars
        self._prefix = [0]  # _prefix[i]: characters of messages[:i]
        self._last: Message | None = None
        self._anchor: tuple[int, int] | None = None  # (index of a response, the input tokens it reported)
        self._anchors_from: int | None = None  # responses before this index are not anchors

    def copy(self) -> TokenCounter:
        """An independent copy (for a forked run)."""
        twin = TokenCounter(self.fixed_chars)
        twin.ratio, twin._prefix, twin._last = self.ratio, list(self._prefix), self._last
        twin._anchor, twin._anchors_from = self._anchor, self._anchors_from
        return twin

    def estimate(self, messages: list[Message]) -> int:
        """The estimated input tokens of a request sending ``messages``."""
        self._sync(messages)
        if self._anchor is None:
            return math.ceil(self.ratio * (self._prefix[-1] + self.fixed_chars))
        index, tokens = self._anchor
        return tokens + math.ceil(self.ratio * (self._prefix[-1] - self._prefix[index]))

    def estimate_fresh(self, messages: list[Message]) -> int:
        """The estimate for ``messages`` counted whole at the current ratio (no report to build on)."""
        chars = sum(message_chars(m) for m in messages)
        return math.ceil(self.ratio * (chars + self.fixed_chars))

    def reset(self, messages: list[Message], tokens: int | None = None) -> None:
        """``messages`` was rewritten: count it again (earlier reports no longer describe it), and build
        on ``tokens``, its estimate, when given."""
        self._prefix, self._last, self._anchor = [0], None, None
        self._anchors_from = len(messages)
        self._sync(messages)
        if tokens is not None:
            self._anchor = (len(messages), tokens)

    def scale(self, factor: float) -> None:
        """Correct the ratio by ``factor`` (a provider said the request was that much larger)."""
        self.ratio = min(MAX_RATIO, max(MIN_RATIO, self.ratio * factor))

    def _sync(self, messages: list[Message]) -> None:
        counted = len(self._prefix) - 1
        if counted > len(messages) or (counted and messages[counted - 1] is not self._last):
            self._prefix, self._anchor, self._anchors_from, counted = [0], None, len(messages), 0
        if self._anchors_from is None:
            self._anchors_from = len(messages)  # the first request of the run: earlier reports are stale
        for index in range(counted, len(messages)):
            message = messages[index]
            if isinstance(message, ModelResponse) and index >= self._anchors_from:
                self._observe(index, message.usage.input_tokens)
            self._prefix.append(self._prefix[-1] + message_chars(message))
        self._last = messages[-1] if messages else None

    def _observe(self, index: int, tokens: int) -> None:
        sent = self._prefix[index] + self.fixed_chars
        if tokens <= 0 or sent <= 0:
            return
        measured = tokens / sent
        if MIN_RATIO <= measured <= MAX_RATIO:
            self.ratio = measured
            self._anchor = (index, tokens)
