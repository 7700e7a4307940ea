"""Request rules of Chat Completions servers: OpenAI tool pairing and DeepSeek reasoning_content."""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import ProviderError

JSON = dict[str, Any]


def deepseek_thinking(body: JSON) -> bool:
    """DeepSeek's thinking mode: on by default, off with ``thinking: {type: disabled}`` or deepseek-chat."""
    thinking = body.get("thinking")
    disabled = isinstance(thinking, dict) and thinking.get("type") == "disabled"
    return not disabled and body.get("model") != "deepseek-chat"


def check_plain(body: JSON) -> ProviderError | None:
    """OpenAI: every assistant tool call answered by a tool message, no tool message without a call."""
    if (duplicate := _duplicate_answer(_messages(body))) is not None:
        return duplicate
    pending: list[str] = []
    pending_at = 0
    for index, message in enumerate(_messages(body)):
        if message.get("role") == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                return errors.openai_error(400, errors.TOOL_WITHOUT_CALL, param=f"messages.[{index}].role")
            pending.remove(call_id)
            continue
        if pending:
            return _unanswered(pending, pending_at)
        pending, pending_at = _call_ids(message), index
    return _unanswered(pending, pending_at) if pending else None


def _duplicate_answer(messages: list[JSON]) -> ProviderError | None:
    """OpenAI: two tool messages after one assistant turn answering the same ``tool_call_id``."""
    answered: dict[str, int] = {}
    for index, message in enumerate(messages):
        if message.get("role") != "tool":
            answered = {}
            continue
        call_id = str(message.get("tool_call_id"))
        if call_id in answered:
            text = errors.DUPLICATE_TOOL_CALL_ID.format(call_id=call_id, first=answered[call_id], second=index)
            return errors.openai_error(400, text, param=f"messages.[{index}].tool_call_id")
        answered[call_id] = index
    return None


def check_deepseek(body: JSON) -> ProviderError | None:
    """DeepSeek thinking mode: assistant tool-call turns must carry ``reasoning_content`` back."""
    messages = _messages(body)
    if deepseek_thinking(body):
        for index, message in enumerate(messages):
            if _call_ids(message) and message.get("reasoning_content") is None:
                return errors.deepseek_error(_missing_reasoning_text(body, index))
    return _check_deepseek_tools(messages)


def _check_deepseek_tools(messages: list[JSON]) -> ProviderError | None:
    known: set[str] = set()
    for message in messages:
        known.update(_call_ids(message))
        if message.get("role") == "tool" and message.get("tool_call_id") not in known:
            return errors.deepseek_error(errors.DEEPSEEK_TOOL_WITHOUT_CALL)
    return None


def _missing_reasoning_text(body: JSON, index: int) -> str:
    if str(body.get("model", "")).startswith("deepseek-v4"):
        return errors.DEEPSEEK_V4_MISSING_REASONING
    return errors.DEEPSEEK_MISSING_REASONING.format(index=index)


def _unanswered(pending: list[str], index: int) -> ProviderError:
    message = errors.TOOL_CALLS_UNANSWERED.format(call_ids=", ".join(pending))
    return errors.openai_error(400, message, param=f"messages.[{index}].role")


def _call_ids(message: JSON) -> list[str]:
    if message.get("role") != "assistant":
        return []
    calls = message.get("tool_calls") or []
    return [str(call.get("id")) for call in calls if isinstance(call, dict)]


def _messages(body: JSON) -> list[JSON]:
    messages = body.get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
