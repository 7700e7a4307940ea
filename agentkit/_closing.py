"""Closing a history: every tool call answered by exactly one result, so another run can continue it.

Providers refuse a history with a tool call that has no result (Chat Completions, Responses, Anthropic:
HTTP 400). A run can end with such calls: the ``final_result`` call that carried the answer, calls the
model made in the same turn, calls cut off by a cancellation or an error. :func:`close_history` answers
each of them with a short result placed in the request right after the call's response, where every
provider expects it; nothing else changes (reasoning parts stay where they are).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal

from agentkit._output import OUTPUT_TOOL_NAME
from agentkit.messages import ModelRequest, ModelResponse, RequestPart, RetryPrompt, ToolCall, ToolResult
from agentkit.prompts import render

__all__ = ["Ending", "close_after_error", "close_history"]

Messages = list[ModelRequest | ModelResponse]
Ending = Literal["answered", "cancelled", "stopped"]
"""How the run that left the calls ended: with its final answer, cancelled, or stopped by an error."""


def close_history(
    messages: Sequence[ModelRequest | ModelResponse], ending: Ending = "stopped", why: str = ""
) -> Messages:
    """A copy of ``messages`` in which every tool call has exactly one result.

    An unanswered call gets a result in the request right after its response (a new request when there
    is none). ``ending`` picks the text: ``"answered"`` records the last response's ``final_result`` call
    and marks its other calls as not run; ``"cancelled"`` and ``"stopped"`` (with ``why``, e.g. the
    error's name) say the run ended before the call was answered. Requests already complete are kept
    as they are, so a closed history is returned equal (not a copy of each message).
    """
    out: Messages = []
    last = _last_response_index(messages)
    skip = -1
    for index, message in enumerate(messages):
        if index == skip:
            continue  # the request after a response: rebuilt with that response
        out.append(message)
        if not isinstance(message, ModelResponse) or not message.tool_calls:
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        request = following if isinstance(following, ModelRequest) else None
        if request is not None:
            skip = index + 1
        closed = _answer_missing(message.tool_calls, request, _Texts(ending, why, final=index == last))
        if closed is not None:
            out.append(closed)
    return out


def close_after_error(exc: BaseException, messages: Sequence[ModelRequest | ModelResponse]) -> Messages:
    """Close ``messages`` (and ``exc.messages``, when the error carries a transcript) after ``exc`` ended a run."""
    ending: Ending = "cancelled" if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt) else "stopped"
    why = type(exc).__name__
    carried = getattr(exc, "messages", None)
    if isinstance(carried, list):
        exc.messages = close_history(carried, ending, why)  # type: ignore[attr-defined]
    return close_history(messages, ending, why)


class _Texts:
    """The result text for an unanswered call."""

    def __init__(self, ending: Ending, why: str, final: bool) -> None:
        self.ending = ending
        self.why = why or "the history ended there"
        self.final = final
        self.recorded = False

    def answer(self, call: ToolCall) -> ToolResult:
        return ToolResult(call_id=call.id, name=call.name, content=self._text(call))

    def _text(self, call: ToolCall) -> str:
        if self.ending == "answered" and self.final:
            if call.name == OUTPUT_TOOL_NAME and not self.recorded:
                self.recorded = True
                return render("final_answer_recorded")
            return render("tool_skipped_final", tool=call.name)
        if self.ending == "cancelled":
            return render("tool_call_cancelled", tool=call.name)
        return render("tool_call_unanswered", tool=call.name, why=self.why)


def _answer_missing(calls: list[ToolCall], request: ModelRequest | None, texts: _Texts) -> ModelRequest | None:
    """``request`` with a result for every call in ``calls`` it does not answer (``None``: nothing to send)."""
    parts: list[RequestPart] = list(request.parts) if request is not None else []
    answered = {p.call_id for p in parts if isinstance(p, ToolResult | RetryPrompt) and p.call_id is not None}
    missing: list[RequestPart] = [texts.answer(c) for c in calls if c.id not in answered]
    if not missing:
        return request
    cut = next((i for i, p in enumerate(parts) if not _answers(p)), len(parts))
    new_parts = [*parts[:cut], *missing, *parts[cut:]]
    if request is None:
        return ModelRequest(parts=new_parts)
    return request.model_copy(update={"parts": new_parts})


def _answers(part: RequestPart) -> bool:
    return isinstance(part, ToolResult) or (isinstance(part, RetryPrompt) and part.call_id is not None)


def _last_response_index(messages: Sequence[ModelRequest | ModelResponse]) -> int:
    return next((i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], ModelResponse)), -1)
