"""Streaming a prompted reply: turn the raw JSON text as it arrives into the loop's deltas.

Inline reasoning (leading ``<think>`` blocks, or text before an orphan ``</think>``, split by
:mod:`._think`) streams as reasoning; the string of ``{"final_answer": "..."}`` streams as
answer text, decoded as it arrives (in plain mode the text after the reasoning streams as it is).
Tool calls (and structured answers) are sent once the reply is complete and no re-ask replaces it
(:func:`tool_call_deltas`); :meth:`StreamTranslator.finish` sends the text or reasoning the final parse
found that was not streamed yet.
"""

from __future__ import annotations

import json
import re

from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import ReasoningPart, ResponsePart, TextPart, ToolCall
from agentkit.models._prompted_parse import REPLY_STARTS
from agentkit.models._think import ThinkSplitter
from agentkit.models.base import ModelStreamEvent

__all__ = ["StreamTranslator", "tool_call_deltas"]

_ANSWER_START = re.compile(r'\s*(?:```[A-Za-z]*\s*)?\{\s*"final_answer"\s*:\s*"')


class StreamTranslator:
    """Feed text deltas in with :meth:`feed`; call :meth:`finish` with the parsed parts at the end."""

    def __init__(self, stream_answer: bool, plain: bool = False) -> None:
        self._stream_answer = stream_answer
        self._plain = plain
        self._splitter = ThinkSplitter(orphan=not plain, text_starts=REPLY_STARTS)
        self.text = ""
        self._body = ""
        self._reasoning = ""
        self._answer = ""

    def feed(self, delta: str) -> list[ModelStreamEvent]:
        """The deltas that ``delta`` (the next piece of reply text) makes known."""
        self.text += delta
        events: list[ModelStreamEvent] = []
        for kind, piece in self._splitter.feed(delta):
            if kind == "reasoning":
                self._reasoning += piece
                events.append(ReasoningDelta(text=piece))
            else:
                self._body += piece
        if self._plain:
            self._send_answer(self._body.lstrip(), events)
        elif self._stream_answer:
            self._stream_answer_text(self._body, events)
        return events

    def finish(self, parts: tuple[ResponsePart, ...] | list[ResponsePart]) -> list[ModelStreamEvent]:
        """The reasoning and text deltas of ``parts`` (the parsed reply) not streamed yet.

        Tool calls are left to :func:`tool_call_deltas`, once it is sure they will run.
        """
        events: list[ModelStreamEvent] = []
        reasoning = "\n".join(p.content for p in parts if isinstance(p, ReasoningPart) and p.content)
        answer = "".join(p.content for p in parts if isinstance(p, TextPart))
        if missing := _unsent(reasoning, self._reasoning):
            events.append(ReasoningDelta(text=missing))
        if missing := _unsent(answer, self._answer):
            events.append(TextDelta(text=missing))
        return events

    def _stream_answer_text(self, body: str, events: list[ModelStreamEvent]) -> None:
        match = _ANSWER_START.match(body)
        if match is None:
            return
        self._send_answer(_decode_prefix(body[match.end() :]), events)

    def _send_answer(self, answer: str, events: list[ModelStreamEvent]) -> None:
        """Send what ``answer`` (the answer so far) adds to what was sent."""
        if len(answer) > len(self._answer) and answer.startswith(self._answer):
            events.append(TextDelta(text=answer[len(self._answer) :]))
            self._answer = answer


def tool_call_deltas(parts: list[ResponsePart]) -> list[ModelStreamEvent]:
    """One delta per tool call of a final response, with the whole arguments."""
    return [
        ToolCallDelta(index=index, call_id=part.id, name=part.name, args_delta=part.arguments)
        for index, part in enumerate(parts)
        if isinstance(part, ToolCall)
    ]


def _unsent(full: str, sent: str) -> str:
    """What of ``full`` is still to send after ``sent`` (all of it if ``sent`` is not its prefix)."""
    if full == sent:
        return ""
    return full[len(sent) :] if full.startswith(sent) else full


def _decode_prefix(raw: str) -> str:
    """The decoded part of a JSON string body that is complete so far (stops at the closing quote)."""
    end = 0
    while end < len(raw) and raw[end] != '"':
        if raw[end] == "\\":
            size = 6 if raw[end + 1 : end + 2] == "u" else 2
            if end + size > len(raw):
                break
            end += size
        else:
            end += 1
    try:
        decoded: str = json.loads('"' + raw[:end] + '"')
    except ValueError:
        return ""
    if decoded and "\ud800" <= decoded[-1] <= "\udbff":
        decoded = decoded[:-1]  # half of a surrogate pair: wait for the other half
    return decoded
