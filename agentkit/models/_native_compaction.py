"""Provider-native compaction (``ModelSettings.native_compaction``): request fields and what came back.

- OpenAI Responses: ``context_management=[{"type": "compaction", "compact_threshold": N}]``; when the
  rendered input passes the threshold the server compacts and returns an opaque ``compaction`` output
  item (``id``, ``encrypted_content``) that must stay in later inputs.
- Anthropic (through litellm, which adds the ``context-management-2025-06-27`` beta header):
  ``context_management={"edits": [...]}`` with ``clear_thinking_20251015`` (first, only with thinking
  on) and ``clear_tool_uses_20250919``; the response's ``context_management.applied_edits`` says what
  was cleared (``cleared_tool_uses``, ``cleared_thinking_turns``, ``cleared_input_tokens``).
"""

from __future__ import annotations

from typing import Any

from agentkit.events import ProviderCompacted
from agentkit.messages import CompactionPart, ModelResponse
from agentkit.models._openai_common import as_dict, as_int, as_list, as_str
from agentkit.settings import ModelSettings, NativeCompaction

__all__ = [
    "CLEAR_THINKING",
    "CLEAR_TOOL_USES",
    "anthropic_context_management",
    "applied_edits_part",
    "compaction_event",
    "compaction_item",
    "options",
    "parse_compaction_item",
    "responses_context_management",
]

JSON = dict[str, Any]
CLEAR_TOOL_USES = "clear_tool_uses_20250919"
CLEAR_THINKING = "clear_thinking_20251015"


def options(settings: ModelSettings) -> NativeCompaction | None:
    """The native compaction the settings ask for (``True`` becomes the providers' defaults)."""
    value = settings.native_compaction
    if value is None or value is False:
        return None
    return NativeCompaction() if value is True else value


# --- OpenAI Responses ------------------------------------------------------------------------------


def responses_context_management(settings: ModelSettings) -> list[JSON] | None:
    """The Responses ``context_management`` field, or None when not asked for."""
    chosen = options(settings)
    if chosen is None:
        return None
    entry: JSON = {"type": "compaction"}
    if chosen.threshold is not None:
        entry["compact_threshold"] = chosen.threshold
    return [entry]


def parse_compaction_item(item: JSON, provider: str) -> CompactionPart:
    """A ``compaction`` output item as a part (its fields other than the opaque ones kept in ``data``)."""
    extra = {k: v for k, v in item.items() if k not in ("type", "id", "encrypted_content")}
    return CompactionPart(
        provider=provider,
        id=as_str(item.get("id")) or None,
        encrypted_content=as_str(item.get("encrypted_content")) or None,
        data=extra,
    )


def compaction_item(part: CompactionPart, provider: str) -> JSON | None:
    """The input item replaying ``part`` unchanged, or None when it must not go to ``provider``."""
    if part.provider != provider or part.encrypted_content is None:
        return None
    item: JSON = {"type": "compaction", "encrypted_content": part.encrypted_content}
    if part.id is not None:
        item["id"] = part.id
    return item


# --- Anthropic context editing ---------------------------------------------------------------------


def anthropic_context_management(settings: ModelSettings, thinking: bool) -> JSON | None:
    """Anthropic's ``context_management`` (clearing thinking first, as Anthropic requires), or None."""
    chosen = options(settings)
    if chosen is None:
        return None
    edits: list[JSON] = []
    if thinking and chosen.clear_thinking:
        edits.append(_clear_thinking(chosen))
    edits.append(_clear_tool_uses(chosen))
    return {"edits": edits}


def _clear_thinking(chosen: NativeCompaction) -> JSON:
    edit: JSON = {"type": CLEAR_THINKING}
    keep = chosen.keep_thinking_turns
    if keep == "all":
        edit["keep"] = "all"
    elif keep is not None:
        edit["keep"] = {"type": "thinking_turns", "value": keep}
    return edit


def _clear_tool_uses(chosen: NativeCompaction) -> JSON:
    edit: JSON = {"type": CLEAR_TOOL_USES}
    if chosen.threshold is not None:
        edit["trigger"] = {"type": "input_tokens", "value": chosen.threshold}
    if chosen.keep_tool_uses is not None:
        edit["keep"] = {"type": "tool_uses", "value": chosen.keep_tool_uses}
    if chosen.clear_at_least is not None:
        edit["clear_at_least"] = {"type": "input_tokens", "value": chosen.clear_at_least}
    if chosen.exclude_tools:
        edit["exclude_tools"] = list(chosen.exclude_tools)
    if chosen.clear_tool_inputs is not None:
        edit["clear_tool_inputs"] = chosen.clear_tool_inputs
    return edit


def applied_edits_part(context_management: object, provider: str) -> CompactionPart | None:
    """A part recording Anthropic's ``applied_edits`` (None when nothing was cleared)."""
    edits = as_list(as_dict(context_management).get("applied_edits"))
    if not edits:
        return None
    cleared = sum(as_int(e.get("cleared_input_tokens")) for e in edits)
    return CompactionPart(provider=provider, cleared_input_tokens=cleared, data={"applied_edits": edits})


# --- event -----------------------------------------------------------------------------------------


def compaction_event(response: ModelResponse, run_id: str, step: int) -> ProviderCompacted | None:
    """The event telling that the provider compacted before ``response``, or None when it did not."""
    parts = [p for p in response.parts if isinstance(p, CompactionPart)]
    if not parts:
        return None
    edits = [as_dict(e) for p in parts for e in as_list(p.data.get("applied_edits"))]
    cleared = [p.cleared_input_tokens for p in parts if p.cleared_input_tokens is not None]
    return ProviderCompacted(
        run_id=run_id,
        step=step,
        provider=parts[0].provider,
        input_tokens=response.usage.input_tokens,
        cleared_input_tokens=sum(cleared) if cleared else None,
        compaction_id=next((p.id for p in parts if p.id), None),
        edits=edits,
    )
