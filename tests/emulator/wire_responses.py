"""OpenAI Responses API bodies and stream events."""

from __future__ import annotations

import time
from typing import Any

from . import common
from .common import Counts
from .script import Reply
from .signing import Signer, new_id

JSON = dict[str, Any]
_SUMMARY_SETTINGS = ("auto", "concise", "detailed")


class ResponsesWire:
    """Renders replies as Responses ``output`` items, ``response`` objects and SSE events."""

    def __init__(self, signer: Signer, chunk_chars: int) -> None:
        self.signer = signer
        self.chunk_chars = chunk_chars

    def output(self, body: JSON, reply: Reply) -> list[JSON]:
        """Completed output items: reasoning, then the message, then function calls."""
        items: list[JSON] = []
        if reply.reasoning is not None:
            items.append(self._reasoning(body, reply.reasoning))
        if reply.text is not None:
            items.append(_message(reply.text))
        items += [
            {
                "id": new_id("fc_"),
                "type": "function_call",
                "status": "completed",
                "call_id": c.call_id,
                "name": c.name,
                "arguments": c.arguments,
            }
            for c in common.calls(reply, "call_")
        ]
        return items

    def response(self, body: JSON, response_id: str, output: list[JSON], counts: Counts | None, reply: Reply) -> JSON:
        """A ``response`` object; ``counts`` None means still in progress."""
        status = "in_progress" if counts is None else _final_status(reply)
        reasoning = body.get("reasoning") or {}
        return {
            "id": response_id,
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": body.get("model", "emulator"),
            "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools", []),
            "top_p": body.get("top_p", 1.0),
            "truncation": body.get("truncation", "disabled"),
            "usage": None if counts is None else usage(counts),
            "user": None,
            "metadata": body.get("metadata") or {},
        }

    def events(self, body: JSON, response_id: str, output: list[JSON], counts: Counts, reply: Reply) -> list[JSON]:
        """The SSE events of a streamed response, numbered by ``sequence_number``."""
        started = self.response(body, response_id, [], None, reply)
        events: list[JSON] = [
            {"type": "response.created", "response": started},
            {"type": "response.in_progress", "response": started},
        ]
        for index, item in enumerate(output):
            events += self._item_events(index, item)
        events.append(
            {"type": "response.completed", "response": self.response(body, response_id, output, counts, reply)}
        )
        return [{**event, "sequence_number": n} for n, event in enumerate(events)]

    def _reasoning(self, body: JSON, text: str) -> JSON:
        reasoning_id = new_id("rs_")
        settings = body.get("reasoning") or {}
        summary = [{"type": "summary_text", "text": text}] if settings.get("summary") in _SUMMARY_SETTINGS else []
        item: JSON = {"id": reasoning_id, "type": "reasoning", "summary": summary}
        if "reasoning.encrypted_content" in (body.get("include") or []):
            item["encrypted_content"] = self.signer.encrypted_content(reasoning_id)
        return item

    def _item_events(self, index: int, item: JSON) -> list[JSON]:
        kind = item["type"]
        if kind == "reasoning":
            added: JSON = {"id": item["id"], "type": "reasoning", "summary": []}
            inner = self._summary_events(index, item)
        elif kind == "message":
            added = {**item, "status": "in_progress", "content": []}
            inner = self._text_events(index, item)
        elif kind == "compaction":
            added, inner = item, []
        else:
            added = {**item, "status": "in_progress", "arguments": ""}
            inner = self._argument_events(index, item)
        return [
            {"type": "response.output_item.added", "output_index": index, "item": added},
            *inner,
            {"type": "response.output_item.done", "output_index": index, "item": item},
        ]

    def _summary_events(self, index: int, item: JSON) -> list[JSON]:
        events: list[JSON] = []
        where = {"item_id": item["id"], "output_index": index}
        for position, part in enumerate(item["summary"]):
            at = {**where, "summary_index": position}
            events.append({"type": "response.reasoning_summary_part.added", **at, "part": {**part, "text": ""}})
            events += [
                {"type": "response.reasoning_summary_text.delta", **at, "delta": piece}
                for piece in common.split(part["text"], self.chunk_chars)
            ]
            events.append({"type": "response.reasoning_summary_text.done", **at, "text": part["text"]})
            events.append({"type": "response.reasoning_summary_part.done", **at, "part": part})
        return events

    def _text_events(self, index: int, item: JSON) -> list[JSON]:
        part = item["content"][0]
        at = {"item_id": item["id"], "output_index": index, "content_index": 0}
        return [
            {"type": "response.content_part.added", **at, "part": {**part, "text": ""}},
            *(
                {"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []}
                for piece in common.split(part["text"], self.chunk_chars)
            ),
            {"type": "response.output_text.done", **at, "text": part["text"], "logprobs": []},
            {"type": "response.content_part.done", **at, "part": part},
        ]

    def _argument_events(self, index: int, item: JSON) -> list[JSON]:
        at = {"item_id": item["id"], "output_index": index}
        return [
            *(
                {"type": "response.function_call_arguments.delta", **at, "delta": piece}
                for piece in common.split(item["arguments"], self.chunk_chars)
            ),
            {
                "type": "response.function_call_arguments.done",
                **at,
                "name": item["name"],
                "arguments": item["arguments"],
            },
        ]


def usage(counts: Counts) -> JSON:
    """Responses ``usage`` with cached and reasoning token details."""
    return {
        "input_tokens": counts.input_tokens,
        "input_tokens_details": {"cached_tokens": counts.cached_tokens},
        "output_tokens": counts.output_tokens,
        "output_tokens_details": {"reasoning_tokens": counts.reasoning_tokens},
        "total_tokens": counts.total,
    }


def _message(text: str) -> JSON:
    return {
        "id": new_id("msg_"),
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def _final_status(reply: Reply) -> str:
    return "incomplete" if reply.finish_reason in ("length", "max_output_tokens") else "completed"
