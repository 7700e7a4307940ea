"""Chat Completions bodies and stream chunks, OpenAI style or DeepSeek style."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from . import common
from .common import Call, Counts
from .rules_chat import deepseek_thinking
from .script import Reply
from .signing import new_id

JSON = dict[str, Any]
ChatMode = Literal["plain-chat", "deepseek"]


@dataclass(frozen=True)
class _Choice:
    reply: Reply
    calls: list[Call]


class ChatWire:
    """Renders replies as ``chat.completion`` bodies or ``chat.completion.chunk`` streams."""

    def __init__(self, mode: ChatMode, chunk_chars: int) -> None:
        self.mode = mode
        self.chunk_chars = chunk_chars

    def completion(self, body: JSON, reply: Reply, input_tokens: int) -> JSON:
        """A non-streamed ``chat.completion``."""
        picked = self._choices(body, reply)
        result = self._envelope(body, "chat.completion")
        result["choices"] = [
            {"index": i, "message": self._message(body, c), "logprobs": None, "finish_reason": _finish(c)}
            for i, c in enumerate(picked)
        ]
        result["usage"] = self._usage(common.count(input_tokens, [c.reply for c in picked]))
        return result

    def chunks(self, body: JSON, reply: Reply, input_tokens: int) -> list[JSON | str]:
        """The SSE payloads of a streamed completion, ending with ``[DONE]``."""
        picked = self._choices(body, reply)
        base = self._envelope(body, "chat.completion.chunk")
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if include_usage:
            base["usage"] = None
        out: list[JSON | str] = []
        for index, choice in enumerate(picked):
            out += [{**base, "choices": [_delta(index, d)]} for d in self._deltas(body, choice)]
            out.append({**base, "choices": [_delta(index, {}, _finish(choice))]})
        if include_usage:
            usage = self._usage(common.count(input_tokens, [c.reply for c in picked]))
            out.append({**base, "choices": [], "usage": usage})
        out.append("[DONE]")
        return out

    def _choices(self, body: JSON, reply: Reply) -> list[_Choice]:
        n = int(body.get("n") or 1)
        return [_Choice(r, common.calls(r, "call_")) for r in common.choices(reply, n)]

    def _envelope(self, body: JSON, kind: str) -> JSON:
        return {
            "id": new_id("chatcmpl-", 14),
            "object": kind,
            "created": int(time.time()),
            "model": body.get("model", "emulator"),
            "system_fingerprint": "fp_emulator",
        }

    def _thinking(self, body: JSON) -> bool:
        return self.mode == "deepseek" and deepseek_thinking(body)

    def _content(self, reply: Reply, has_calls: bool) -> str | None:
        text = reply.text
        if self.mode == "plain-chat" and reply.reasoning is not None:
            opening = "" if reply.think_tags == "orphan" else "<think>"
            text = f"{opening}{reply.reasoning}</think>{text or ''}"
        if text is None:
            return None if has_calls else ""
        return text

    def _message(self, body: JSON, choice: _Choice) -> JSON:
        message: JSON = {"role": "assistant", "content": self._content(choice.reply, bool(choice.calls))}
        if self._thinking(body):
            message["reasoning_content"] = choice.reply.reasoning or ""
        elif self.mode == "plain-chat":
            message.update(refusal=None, annotations=[])
        if choice.calls:
            message["tool_calls"] = [
                {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in choice.calls
            ]
        return message

    def _deltas(self, body: JSON, choice: _Choice) -> list[JSON]:
        thinking = self._thinking(body)
        first: JSON = {"role": "assistant", "content": ""}
        first.update({"content": None, "reasoning_content": ""} if thinking else {"refusal": None})
        deltas = [first]
        if thinking and choice.reply.reasoning:
            deltas += [{"content": None, "reasoning_content": p} for p in self._split(choice.reply.reasoning)]
        content = self._content(choice.reply, bool(choice.calls))
        if content:
            extra: JSON = {"reasoning_content": None} if thinking else {}
            deltas += [{"content": p, **extra} for p in self._content_pieces(choice.reply, content)]
        for position, call in enumerate(choice.calls):
            deltas += _call_deltas(position, call, self._split(call.arguments))
        return deltas

    def _split(self, text: str) -> list[str]:
        return common.split(text, self.chunk_chars)

    def _content_pieces(self, reply: Reply, content: str) -> list[str]:
        """The content's chunks; an orphan ``</think>`` is cut in two (``</th`` ends a chunk)."""
        if self.mode != "plain-chat" or reply.reasoning is None or reply.think_tags != "orphan":
            return self._split(content)
        cut = len(reply.reasoning) + len("</th")
        return self._split(content[:cut]) + self._split(content[cut:])

    def _usage(self, counts: Counts) -> JSON:
        usage: JSON = {
            "prompt_tokens": counts.input_tokens,
            "completion_tokens": counts.output_tokens,
            "total_tokens": counts.total,
            "prompt_tokens_details": {"cached_tokens": counts.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": counts.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        if self.mode == "deepseek":
            usage["prompt_cache_hit_tokens"] = counts.cached_tokens
            usage["prompt_cache_miss_tokens"] = counts.input_tokens - counts.cached_tokens
        return usage


def _call_deltas(position: int, call: Call, pieces: list[str]) -> list[JSON]:
    head = {"index": position, "id": call.call_id, "type": "function", "function": {"name": call.name, "arguments": ""}}
    rest = [{"index": position, "function": {"arguments": p}} for p in pieces if p]
    return [{"tool_calls": [head]}, *({"tool_calls": [r]} for r in rest)]


def _delta(index: int, delta: JSON, finish: str | None = None) -> JSON:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}


def _finish(choice: _Choice) -> str:
    if choice.reply.finish_reason:
        return choice.reply.finish_reason
    return "tool_calls" if choice.calls else "stop"
