"""Anthropic Messages API bodies and stream events."""

from __future__ import annotations

import json
from typing import Any

from . import common
from .common import Counts
from .rules_anthropic import thinking_enabled
from .script import Reply
from .signing import Signer, new_id

JSON = dict[str, Any]


class MessagesWire:
    """Renders replies as Anthropic ``message`` objects or SSE events."""

    def __init__(self, signer: Signer, chunk_chars: int) -> None:
        self.signer = signer
        self.chunk_chars = chunk_chars

    def content(self, body: JSON, reply: Reply) -> list[JSON]:
        """Content blocks: thinking (when enabled), redacted thinking, text, tool uses."""
        blocks: list[JSON] = []
        thinking = thinking_enabled(body)
        if thinking and reply.reasoning is not None:
            signature = self.signer.thinking_signature(reply.reasoning)
            blocks.append({"type": "thinking", "thinking": reply.reasoning, "signature": signature})
        if thinking and reply.redacted_thinking:
            blocks.append({"type": "redacted_thinking", "data": self.signer.redacted_data()})
        if reply.text is not None:
            blocks.append({"type": "text", "text": reply.text})
        blocks += [
            {"type": "tool_use", "id": c.call_id, "name": c.name, "input": c.parsed}
            for c in common.calls(reply, "toolu_01")
        ]
        return blocks

    def message(self, body: JSON, content: list[JSON], counts: Counts, reply: Reply) -> JSON:
        """A complete ``message`` object."""
        return {
            **_start(body),
            "content": content,
            "stop_reason": _stop_reason(content, reply),
            "usage": _usage(counts, counts.output_tokens),
        }

    def events(self, body: JSON, content: list[JSON], counts: Counts, reply: Reply) -> list[JSON]:
        """message_start, ping, one start/delta.../stop group per block, message_delta, message_stop."""
        start = {**_start(body), "content": [], "stop_reason": None, "usage": _usage(counts, 1)}
        events: list[JSON] = [{"type": "message_start", "message": start}, {"type": "ping"}]
        for index, block in enumerate(content):
            events += self._block_events(index, block)
        delta = {"stop_reason": _stop_reason(content, reply), "stop_sequence": None}
        events.append({"type": "message_delta", "delta": delta, "usage": {"output_tokens": counts.output_tokens}})
        events.append({"type": "message_stop"})
        return events

    def _block_events(self, index: int, block: JSON) -> list[JSON]:
        kind = block["type"]
        if kind == "thinking":
            opening: JSON = {"type": "thinking", "thinking": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in self._split(block["thinking"])]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            opening = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in self._split(block["text"])]
        elif kind == "tool_use":
            opening = {**block, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in self._split(_json_text(block["input"]))]
        else:
            opening, deltas = block, []
        return [
            {"type": "content_block_start", "index": index, "content_block": opening},
            *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
            {"type": "content_block_stop", "index": index},
        ]

    def _split(self, text: str) -> list[str]:
        return common.split(text, self.chunk_chars)


def _json_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _start(body: JSON) -> JSON:
    return {
        "id": new_id("msg_01", 12),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "emulator"),
        "stop_sequence": None,
    }


def _usage(counts: Counts, output_tokens: int) -> JSON:
    return {
        "input_tokens": counts.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": counts.cached_tokens,
        "output_tokens": output_tokens,
    }


def _stop_reason(content: list[JSON], reply: Reply) -> str:
    if reply.finish_reason:
        return reply.finish_reason
    return "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
