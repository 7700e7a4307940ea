"""Request rules of the Anthropic Messages API: thinking per turn, signatures, tool choice, tool results.

A *turn* starts after the last user message that is not only tool results; its assistant messages (a tool
loop) share one thinking configuration. Manual thinking (``enabled``) needs the turn's first assistant
message to start with a thinking block; adaptive thinking does not (Claude may skip thinking there); with
thinking off, no assistant message of the turn may hold a thinking block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import errors
from .errors import ProviderError
from .signing import Signer

JSON = dict[str, Any]
THINKING_TYPES = ("thinking", "redacted_thinking")
INTERLEAVED_BETA = "interleaved-thinking-2025-05-14"
FORCING_TOOL_CHOICES = ("any", "tool")


def thinking_type(body: JSON) -> str | None:
    """The request's ``thinking.type`` (``enabled``, ``adaptive``, ``disabled``), None without one."""
    thinking = body.get("thinking")
    return str(thinking.get("type")) if isinstance(thinking, dict) else None


def thinking_enabled(body: JSON) -> bool:
    """True when the request turns extended thinking on (``enabled`` or ``adaptive``)."""
    return thinking_type(body) in ("enabled", "adaptive")


def check(body: JSON, signer: Signer) -> ProviderError | None:
    """The first rule the request breaks, worded as Anthropic words it."""
    messages = _messages(body)
    return _check_forced_tool(body) or _check_thinking(body, messages, signer) or _check_tool_results(messages)


def check_headers(body: JSON, headers: Mapping[str, str]) -> ProviderError | None:
    """Rules that depend on the request's headers: ``budget_tokens`` below ``max_tokens`` unless interleaved."""
    thinking = body.get("thinking")
    if thinking_type(body) != "enabled" or not isinstance(thinking, dict):
        return None
    budget, max_tokens = thinking.get("budget_tokens"), body.get("max_tokens")
    if not isinstance(budget, int) or not isinstance(max_tokens, int) or budget < max_tokens:
        return None
    if INTERLEAVED_BETA in {b.strip() for b in headers.get("anthropic-beta", "").split(",")}:
        return None
    return errors.anthropic_error(400, errors.MAX_TOKENS_NOT_ABOVE_BUDGET)


def turn_assistants(messages: list[JSON]) -> list[int]:
    """Indexes of the assistant messages of the turn in progress (after the last user message that is
    not only tool results)."""
    start = 0
    for index, message in enumerate(messages):
        if message.get("role") == "user" and not _only_tool_results(message):
            start = index + 1
    return [i for i in range(start, len(messages)) if messages[i].get("role") == "assistant"]


def blocks(message: JSON) -> list[JSON]:
    """A message's content blocks (a plain string content has none)."""
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _check_signatures(messages: list[JSON], signer: Signer) -> ProviderError | None:
    for index, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        for position, block in enumerate(blocks(message)):
            problem = _check_block(block, signer)
            if problem is not None:
                return errors.anthropic_error(400, problem.format(index=index, block=position))
    return None


def _check_block(block: JSON, signer: Signer) -> str | None:
    kind = block.get("type")
    if kind == "thinking" and not signer.thinking_signature_ok(str(block.get("thinking")), block.get("signature")):
        return errors.INVALID_SIGNATURE
    if kind == "redacted_thinking" and not signer.redacted_data_ok(block.get("data")):
        return errors.INVALID_REDACTED_DATA
    return None


def _check_thinking(body: JSON, messages: list[JSON], signer: Signer) -> ProviderError | None:
    kind = thinking_type(body)
    if kind == "enabled":
        return _check_signatures(messages, signer) or _check_turn_starts_with_thinking(messages)
    if kind == "adaptive":
        return _check_signatures(messages, signer)
    return _check_turn_without_thinking(messages)


def _check_turn_starts_with_thinking(messages: list[JSON]) -> ProviderError | None:
    """Manual thinking: the turn's first assistant message, when it uses tools, starts with thinking."""
    turn = turn_assistants(messages)
    if not turn:
        return None
    content = blocks(messages[turn[0]])
    if not any(b.get("type") == "tool_use" for b in content) or content[0].get("type") in THINKING_TYPES:
        return None
    text = errors.FINAL_ASSISTANT_NEEDS_THINKING.format(index=turn[0], found=content[0].get("type"))
    return errors.anthropic_error(400, text)


def _check_turn_without_thinking(messages: list[JSON]) -> ProviderError | None:
    """Thinking off: no assistant message of the turn in progress holds a thinking block."""
    for index in turn_assistants(messages):
        for position, block in enumerate(blocks(messages[index])):
            if block.get("type") in THINKING_TYPES:
                text = errors.THINKING_DISABLED_IN_TURN.format(index=index, block=position)
                return errors.anthropic_error(400, text)
    return None


def _check_forced_tool(body: JSON) -> ProviderError | None:
    """Manual thinking refuses a ``tool_choice`` that forces tool use (adaptive thinking accepts it)."""
    choice = body.get("tool_choice")
    if thinking_type(body) != "enabled" or not isinstance(choice, dict):
        return None
    if choice.get("type") not in FORCING_TOOL_CHOICES:
        return None
    return errors.anthropic_error(400, errors.THINKING_WITH_FORCED_TOOL)


def _check_tool_results(messages: list[JSON]) -> ProviderError | None:
    return _check_unanswered_uses(messages) or _check_orphan_results(messages)


def _check_orphan_results(messages: list[JSON]) -> ProviderError | None:
    """A ``tool_result`` must answer a ``tool_use`` of the assistant message right before it."""
    for index, message in enumerate(messages):
        if message.get("role") != "user":
            continue
        previous = messages[index - 1] if index > 0 and messages[index - 1].get("role") == "assistant" else {}
        used = {str(b.get("id")) for b in blocks(previous) if b.get("type") == "tool_use"}
        for position, block in enumerate(blocks(message)):
            if block.get("type") == "tool_result" and str(block.get("tool_use_id")) not in used:
                text = errors.TOOL_RESULT_WITHOUT_USE.format(index=index, block=position, ids=block.get("tool_use_id"))
                return errors.anthropic_error(400, text)
    return None


def _check_unanswered_uses(messages: list[JSON]) -> ProviderError | None:
    for index, message in enumerate(messages[:-1]):
        if message.get("role") != "assistant":
            continue
        used = [str(b.get("id")) for b in blocks(message) if b.get("type") == "tool_use"]
        answered = {str(b.get("tool_use_id")) for b in blocks(messages[index + 1]) if b.get("type") == "tool_result"}
        missing = [u for u in used if u not in answered]
        if missing:
            text = errors.TOOL_USE_WITHOUT_RESULT.format(index=index, ids=", ".join(missing))
            return errors.anthropic_error(400, text)
    return None


def _messages(body: JSON) -> list[JSON]:
    messages = body.get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def _only_tool_results(message: JSON) -> bool:
    content = blocks(message)
    return (
        isinstance(message.get("content"), list)
        and bool(content)
        and all(b.get("type") == "tool_result" for b in content)
    )
