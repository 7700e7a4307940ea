"""Request rules of the Anthropic Messages API: thinking blocks, signatures, tool results."""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import ProviderError
from .signing import Signer

JSON = dict[str, Any]
THINKING_TYPES = ("thinking", "redacted_thinking")


def thinking_enabled(body: JSON) -> bool:
    """True when the request turns extended thinking on (``enabled`` or ``adaptive``)."""
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def check(body: JSON, signer: Signer) -> ProviderError | None:
    """The first rule the request breaks, worded as Anthropic words it."""
    messages = _messages(body)
    if thinking_enabled(body):
        problem = _check_signatures(messages, signer) or _check_final_assistant(messages)
        if problem is not None:
            return problem
    return _check_tool_results(messages)


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


def _check_final_assistant(messages: list[JSON]) -> ProviderError | None:
    assistants = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    if not assistants:
        return None
    index = assistants[-1]
    content = blocks(messages[index])
    if not any(b.get("type") == "tool_use" for b in content) or content[0].get("type") in THINKING_TYPES:
        return None
    text = errors.FINAL_ASSISTANT_NEEDS_THINKING.format(index=index, found=content[0].get("type"))
    return errors.anthropic_error(400, text)


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
