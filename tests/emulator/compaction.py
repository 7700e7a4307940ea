"""Provider-native compaction on the emulator: OpenAI Responses server-side compaction and Anthropic
context editing.

Responses (``context_management=[{"type": "compaction", "compact_threshold": N}]``): the request's
count (``window.count_tokens``) is taken over what the server would render: the latest ``compaction``
input item and the items after it (earlier items are replaced by it, as OpenAI documents). When that
count passes ``compact_threshold`` the response starts with a new ``compaction`` output item (``id``,
sealed ``encrypted_content``, ``created_by``) and the reported input tokens are those of the compacted
context. Without ``compact_threshold`` the emulator never compacts. Later requests must carry the item
unchanged (``errors.ENCRYPTED_NOT_VERIFIED`` otherwise) and, once they send any item it compacted, the
item itself (an emulator rule, see ``COMPACTION_NOT_REPLAYED``: the real API would silently compact again).

Anthropic (``context_management={"edits": [...]}``): refused without the ``anthropic-beta`` header
``context-management-2025-06-27`` with Anthropic's real text (``EXTRA_INPUTS``). ``clear_tool_uses_20250919``
clears the oldest tool results past its ``trigger`` (default 100,000 input tokens), keeping ``keep``
tool uses (default 3), skipping ``exclude_tools``, and not at all when it would free fewer than
``clear_at_least`` tokens; ``clear_thinking_20251015`` (thinking on) clears the thinking of all but the
newest ``keep`` assistant turns (default 1). What was applied goes back in the response's
``context_management.applied_edits`` (the final ``message_delta`` event when streamed), and the
reported input tokens are the count after the edits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .errors import ProviderError
from .signing import Signer, new_id

JSON = dict[str, Any]
CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27"
# anthropics/claude-code#14135, Wei-Shaw/sub2api#2833: Anthropic's 400 (invalid_request_error) for a body
# with `context_management` whose `anthropic-beta` header lacks context-management-2025-06-27.
EXTRA_INPUTS = "context_management: Extra inputs are not permitted"
# Emulator-only rule (no real provider text): a compaction item left out after its items were compacted.
COMPACTION_NOT_REPLAYED = (
    "emulator: the input item with {key} was compacted into compaction item '{compaction_id}', which is missing "
    "from the input. Send every compaction output item back unchanged, in its place."
)
CLEAR_TOOL_USES = "clear_tool_uses_20250919"
CLEAR_THINKING = "clear_thinking_20251015"
DEFAULT_TRIGGER = 100_000
DEFAULT_KEEP_TOOL_USES = 3
DEFAULT_KEEP_THINKING_TURNS = 1


# --- OpenAI Responses ------------------------------------------------------------------------------


@dataclass
class ResponsesCompaction:
    """What the emulator compacted on /v1/responses: compaction id -> the keys of the items it covers."""

    signer: Signer
    covered: dict[str, set[str]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)

    def check(self, items: list[JSON]) -> ProviderError | None:
        """Compaction items unchanged, and present whenever an item they compacted is sent again."""
        sent: set[str] = set()
        for item in (i for i in items if i.get("type") == "compaction"):
            sealed = self._sealed(item)
            if sealed is None:
                message = errors.ENCRYPTED_NOT_VERIFIED.format(
                    abbreviated=errors.abbreviate(str(item.get("encrypted_content")))
                )
                return errors.openai_error(400, message, code="invalid_encrypted_content")
            sent.add(sealed)
        keys = {k for i in items for k in item_keys(i)}
        for compaction_id, covered in self.covered.items():
            missing = sorted(covered & keys)
            if missing and compaction_id not in sent:
                text = COMPACTION_NOT_REPLAYED.format(key=missing[0], compaction_id=compaction_id)
                return errors.openai_error(400, text, param="input", code="emulator_rule")
        return None

    def compact(self, body: JSON, output: list[JSON], input_tokens: int) -> tuple[list[JSON], int]:
        """``output`` led by a new compaction item when the request passes its threshold, and the
        input tokens the model then saw."""
        threshold = compact_threshold(body)
        if threshold is None or input_tokens <= threshold:
            return output, input_tokens
        compaction_id = new_id("cmp_")
        item = {
            "id": compaction_id,
            "type": "compaction",
            "encrypted_content": self.signer.encrypted_content(compaction_id),
            "created_by": "emulator",
        }
        self.covered[compaction_id] = {k for i in visible_input(body) for k in item_keys(i)}
        self.issued.append(compaction_id)
        from .window import count_tokens  # window imports this module

        return [item, *output], count_tokens({**body, "input": [item]})

    def _sealed(self, item: JSON) -> str | None:
        """The compaction id sealed in the item's content (None: not issued here, changed, or another id)."""
        sealed = self.signer.encrypted_content_id(item.get("encrypted_content"))
        return sealed if sealed is not None and item.get("id") in (None, sealed) else None


def compact_threshold(body: JSON) -> int | None:
    """The ``compact_threshold`` of the request's ``compaction`` entry, if any."""
    entries = body.get("context_management")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("type") == "compaction":
            value = entry.get("compact_threshold")
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def visible_input(body: JSON) -> list[JSON]:
    """The input items the server renders: from the latest compaction item on (all without one)."""
    value = body.get("input")
    items = [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []
    latest = max((n for n, i in enumerate(items) if i.get("type") == "compaction"), default=0)
    return items[latest:]


def visible_body(body: JSON) -> JSON:
    """``body`` with only the items the server renders (for counting tokens)."""
    if not isinstance(body.get("input"), list):
        return body
    return {**body, "input": visible_input(body)}


def item_keys(item: JSON) -> list[str]:
    """Identities of an input item that outlive a request (its id, a function call's call_id), as
    ``COMPACTION_NOT_REPLAYED`` names them."""
    keys = [f"id '{item['id']}'"] if item.get("id") and item.get("type") != "compaction" else []
    if item.get("type") == "function_call" and item.get("call_id"):
        keys.append(f"call_id '{item['call_id']}'")
    return keys


# --- Anthropic context editing ---------------------------------------------------------------------


def check_beta(body: JSON, headers: Mapping[str, str]) -> ProviderError | None:
    """Anthropic's 400 for ``context_management`` without its beta header."""
    if "context_management" not in body:
        return None
    betas = {b.strip() for b in headers.get("anthropic-beta", "").split(",")}
    if CONTEXT_MANAGEMENT_BETA in betas:
        return None
    return errors.anthropic_error(400, EXTRA_INPUTS)


def applied_edits(body: JSON, input_tokens: int, thinking: bool) -> list[JSON] | None:
    """The edits Anthropic applies to this request (None: the request asks for none)."""
    context_management = body.get("context_management")
    if not isinstance(context_management, dict):
        return None
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    applied: list[JSON] = []
    for edit in context_management.get("edits") or []:
        kind = edit.get("type") if isinstance(edit, dict) else None
        if kind == CLEAR_THINKING and thinking:
            applied += _clear_thinking(edit, messages)
        elif kind == CLEAR_TOOL_USES:
            applied += _clear_tool_uses(edit, messages, input_tokens)
    return applied


def cleared_tokens(edits: list[JSON] | None) -> int:
    """Input tokens the edits removed."""
    return sum(int(e.get("cleared_input_tokens", 0)) for e in edits or [])


def _clear_tool_uses(edit: JSON, messages: list[JSON], input_tokens: int) -> list[JSON]:
    if input_tokens <= _value(edit.get("trigger"), DEFAULT_TRIGGER):
        return []
    excluded = set(edit.get("exclude_tools") or [])
    names = {b.get("id"): b.get("name") for m in messages for b in _blocks(m) if b.get("type") == "tool_use"}
    results = [
        b
        for m in messages
        for b in _blocks(m)
        if b.get("type") == "tool_result" and names.get(b.get("tool_use_id")) not in excluded
    ]
    keep = _value(edit.get("keep"), DEFAULT_KEEP_TOOL_USES)
    cleared = results[: max(0, len(results) - keep)]
    tokens = sum(_tokens(b.get("content")) for b in cleared)
    if not cleared or tokens < _value(edit.get("clear_at_least"), 0):
        return []
    return [{"type": CLEAR_TOOL_USES, "cleared_tool_uses": len(cleared), "cleared_input_tokens": tokens}]


def _clear_thinking(edit: JSON, messages: list[JSON]) -> list[JSON]:
    turns = [
        [b for b in _blocks(m) if b.get("type") in ("thinking", "redacted_thinking")]
        for m in messages
        if m.get("role") == "assistant"
    ]
    turns = [t for t in turns if t]
    keep_spec = edit.get("keep")
    keep = len(turns) if keep_spec == "all" else _value(keep_spec, DEFAULT_KEEP_THINKING_TURNS)
    cleared = turns[: max(0, len(turns) - keep)]
    if not cleared:
        return []
    tokens = sum(_tokens(b.get("thinking") or b.get("data")) for turn in cleared for b in turn)
    return [{"type": CLEAR_THINKING, "cleared_thinking_turns": len(cleared), "cleared_input_tokens": tokens}]


def _value(spec: object, default: int) -> int:
    value = spec.get("value") if isinstance(spec, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _blocks(message: JSON) -> list[JSON]:
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _tokens(value: object) -> int:
    """The emulator's count for a block's content: characters of its strings / 4."""
    chars = 0
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            chars += len(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return math.ceil(chars / 4)


def with_edits(payloads: list[JSON], kind: str, edits: list[JSON] | None) -> list[JSON]:
    """``payloads`` with ``context_management.applied_edits`` added to the one of type ``kind``."""
    if edits is None:
        return payloads
    return [{**p, "context_management": {"applied_edits": edits}} if p.get("type") == kind else p for p in payloads]
