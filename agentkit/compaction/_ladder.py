"""The two cheap rungs of the ladder: clear old tool results, drop the reasoning of finished turns.

Both return a new list (messages that change are copied; the others are the same objects) and how
many parts they changed. Neither removes a tool call or a result: a cleared result keeps its call id
and name, so every call stays answered.
"""

from __future__ import annotations

import sys

from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, RequestPart, ToolResult
from agentkit.models._kinds import inner_model
from agentkit.models.base import Model
from agentkit.prompts import render

__all__ = ["clear_tool_results", "drop_reasoning", "reasoning_droppable"]

Messages = list[ModelRequest | ModelResponse]


def clear_tool_results(messages: Messages, keep: int) -> tuple[Messages, int]:
    """Replace every tool result but the newest ``keep`` by a short placeholder naming its call."""
    seen = 0
    cleared = 0
    out: Messages = list(messages)
    for index in range(len(out) - 1, -1, -1):
        message = out[index]
        if not isinstance(message, ModelRequest):
            continue
        parts: list[RequestPart] = []
        for part in reversed(message.parts):
            replacement = None
            if isinstance(part, ToolResult):
                seen += 1
                replacement = _placeholder(part) if seen > keep else None
            cleared += replacement is not None
            parts.append(replacement or part)
        parts.reverse()
        if any(new is not old for new, old in zip(parts, message.parts, strict=True)):
            out[index] = message.model_copy(update={"parts": parts})
    return out, cleared


def _placeholder(result: ToolResult) -> ToolResult | None:
    """The cleared form of ``result``, or ``None`` when it is no longer than that (or cleared already)."""
    text = result.content_text()
    placeholder = render("tool_result_cleared", tool=result.name, call_id=result.call_id, chars=len(text))
    if len(text) <= len(placeholder):
        return None
    return ToolResult(call_id=result.call_id, name=result.name, content=placeholder)


def reasoning_droppable(model: Model) -> bool:
    """Whether the model's adapter replays reasoning in a way that allows dropping it from finished turns.

    Chat Completions adapters (the OpenAI-compatible one and litellm) send reasoning back as a message
    field (DeepSeek ``reasoning_content``, Anthropic thinking blocks through litellm): the providers ignore
    or accept its absence on an assistant message without tool calls once the turn is over. The Responses
    API is left alone: its reasoning items are tied to the items that follow them.
    """
    inner = inner_model(model)
    chat = sys.modules.get("agentkit.models.openai_chat")
    litellm = sys.modules.get("agentkit.models.litellm")
    return (chat is not None and isinstance(inner, chat.OpenAIChatModel)) or (
        litellm is not None and isinstance(inner, litellm.LiteLLMModel)
    )


def drop_reasoning(messages: Messages) -> tuple[Messages, int]:
    """Remove all reasoning of each finished response without tool calls (not the last message).

    A response with tool calls keeps its reasoning (DeepSeek needs it in every later request; Anthropic
    thinking of the current tool loop must stay), and so does the newest response.
    """
    dropped = 0
    out: Messages = list(messages)
    for index, message in enumerate(out[:-1]):
        if not isinstance(message, ModelResponse) or message.tool_calls:
            continue
        kept = [p for p in message.parts if not isinstance(p, ReasoningPart)]
        if len(kept) < len(message.parts) and kept:
            dropped += len(message.parts) - len(kept)
            out[index] = message.model_copy(update={"parts": kept})
    return out, dropped
