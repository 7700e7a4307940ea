"""Unique tool-call ids within one model response, before its calls are run or stored.

Some models answer with two calls sharing one id. Each of them is still run and answered, but
providers pair results with calls by id and reject repeats (OpenAI: "Duplicate value for
'tool_call_id'", Anthropic: "`tool_use` ids must be unique"), so a repeat is renamed,
deterministically: ``<id>_2``, ``<id>_3`` ... (the first one not used in the response). A renamed
call also drops a repeated provider item id (OpenAI Responses ``fc_...``), which is optional on input.
"""

from __future__ import annotations

from agentkit.messages import ModelResponse, ResponsePart, ToolCall

__all__ = ["unique_call_ids"]


def unique_call_ids(response: ModelResponse) -> ModelResponse:
    """``response`` with each tool-call id used once; ``response`` itself when no id repeats."""
    calls = response.tool_calls
    ids = {c.id for c in calls}
    if len(ids) == len(calls):
        return response
    seen: set[str] = set()
    items: set[str | None] = set()
    parts: list[ResponsePart] = []
    for part in response.parts:
        if not isinstance(part, ToolCall):
            parts.append(part)
            continue
        call = _renamed(part, seen, ids, items) if part.id in seen else part
        seen.add(call.id)
        items.add(call.provider_id)
        parts.append(call)
    return response.model_copy(update={"parts": parts})


def _renamed(call: ToolCall, seen: set[str], ids: set[str], items: set[str | None]) -> ToolCall:
    base = call.id or "call"
    number = 2
    while f"{base}_{number}" in seen or f"{base}_{number}" in ids:
        number += 1
    provider_id = None if call.provider_id in items else call.provider_id
    return call.model_copy(update={"id": f"{base}_{number}", "provider_id": provider_id})
