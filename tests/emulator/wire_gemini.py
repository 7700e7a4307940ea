"""Gemini ``generateContent`` / ``streamGenerateContent?alt=sse`` (Google AI Studio, ``/v1beta``).

The model and the method are in the path (``/v1beta/models/{model}:generateContent``), so each request
is served by a :class:`GeminiCall` bound to them. A reply renders as one candidate whose parts are:
a thought summary (``{"text": ..., "thought": true}``, only when the request asks for
``thinkingConfig.includeThoughts``), the text, then one ``functionCall`` part per tool call (``args``
an object; ``id`` only when the test's ``ToolCall`` names one, as Gemini 3 Pro sends none). The first
function call carries a ``thoughtSignature``, or the last part when there is no call (what Gemini 3
documents); signatures are HMACs over the part (``rules_gemini.sign``). ``finishReason`` is ``STOP``
(also for function calls, as Gemini answers) unless the reply sets one. ``usageMetadata``:
``promptTokenCount`` (the emulator's count of ``contents``, ``systemInstruction`` and ``tools``),
``candidatesTokenCount`` (visible output), ``thoughtsTokenCount``, ``totalTokenCount``.
Streams send each piece as a ``data:`` event holding a whole ``GenerateContentResponse``; the last one
has ``finishReason`` and ``usageMetadata``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import common, rules_gemini, window
from .common import Counts
from .endpoints import Rendered, data_frame
from .errors import Provider, ProviderError
from .script import Reply, ToolCall
from .signing import Signer, new_id

JSON = dict[str, Any]
PATH = re.compile(r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$")


class GeminiEndpoint:
    """Finds the Gemini call a request path names."""

    def __init__(self, signer: Signer, chunk_chars: int) -> None:
        self.signer = signer
        self.chunk_chars = chunk_chars

    def at(self, path: str) -> GeminiCall | None:
        """The endpoint serving ``POST path``, or None when the path is not a Gemini model method."""
        match = PATH.match(path)
        if match is None:
            return None
        stream = match["method"] == "streamGenerateContent"
        return GeminiCall(self.signer, self.chunk_chars, match["model"], stream)


class GeminiCall:
    """One model method: validates with ``rules_gemini`` and renders Gemini responses."""

    provider: Provider = "gemini"
    named_events = False

    def __init__(self, signer: Signer, chunk_chars: int, model: str, stream: bool) -> None:
        self.signer = signer
        self.chunk_chars = chunk_chars
        self.model = model
        self.stream = stream

    def validate(self, body: JSON) -> ProviderError | None:
        """Function-call turns answered, signatures unchanged, Gemini 3 signatures present."""
        return rules_gemini.check(body, self.model, self.signer)

    def render(self, body: JSON, reply: Reply, input_tokens: int) -> Rendered:
        """A ``GenerateContentResponse``, or SSE ``data:`` events of partial ones."""
        del input_tokens  # the shared counter does not read Gemini's fields: count them here
        counts = common.count(window.count_tokens(prompt(body)), [reply])
        parts = self.parts(body, reply)
        response_id = new_id("", 12)
        if not self.stream:
            return Rendered(body=self.response(parts, counts, reply, response_id))
        return Rendered(frames=[data_frame(c) for c in self.chunks(parts, counts, reply, response_id)])

    def parts(self, body: JSON, reply: Reply) -> list[JSON]:
        """The candidate's parts, the signature on the first function call (or the last part)."""
        found: list[JSON] = []
        if reply.reasoning is not None and include_thoughts(body):
            found.append({"text": reply.reasoning, "thought": True})
        if reply.text is not None:
            found.append({"text": reply.text})
        found += [{"functionCall": _function_call(c)} for c in reply.tool_calls]
        signed = next((p for p in found if "functionCall" in p), found[-1] if found else None)
        if signed is not None and rules_gemini.signed_payload(signed) is not None:
            signed["thoughtSignature"] = rules_gemini.sign(self.signer, signed)
        return found

    def response(self, parts: list[JSON], counts: Counts, reply: Reply, response_id: str) -> JSON:
        """A complete ``GenerateContentResponse``."""
        return self._envelope(parts, response_id, reply.finish_reason or "STOP", counts)

    def chunks(self, parts: list[JSON], counts: Counts, reply: Reply, response_id: str) -> list[JSON]:
        """Partial responses: text split in pieces, each function call whole, the last with usage."""
        pieces = [piece for part in parts for piece in self._split(part)] or [{"text": ""}]
        chunks = [self._envelope([piece], response_id) for piece in pieces[:-1]]
        chunks.append(self._envelope([pieces[-1]], response_id, reply.finish_reason or "STOP", counts))
        return chunks

    def _envelope(
        self, parts: list[JSON], response_id: str, finish: str | None = None, counts: Counts | None = None
    ) -> JSON:
        candidate: JSON = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish is not None:
            candidate["finishReason"] = finish
        envelope: JSON = {"candidates": [candidate], "modelVersion": self.model, "responseId": response_id}
        if counts is not None:
            envelope["usageMetadata"] = usage(counts)
        return envelope

    def _split(self, part: JSON) -> list[JSON]:
        text = part.get("text")
        if not isinstance(text, str):
            return [part]
        pieces = [{**part, "text": piece} for piece in common.split(text, self.chunk_chars)]
        for piece in pieces[:-1]:
            piece.pop("thoughtSignature", None)  # the signature comes with the part's last piece
        return pieces


def include_thoughts(body: JSON) -> bool:
    """True when ``generationConfig.thinkingConfig.includeThoughts`` asks for thought summaries."""
    config = _get(_get(body, "generationConfig", "generation_config"), "thinkingConfig", "thinking_config")
    return _get(config, "includeThoughts", "include_thoughts") is True


def prompt(body: JSON) -> JSON:
    """The request's prompt in the shared counter's fields (``window.count_tokens``)."""
    system = _get(body, "systemInstruction", "system_instruction")
    return {"messages": body.get("contents"), "system": system, "tools": body.get("tools")}


def usage(counts: Counts) -> JSON:
    """``usageMetadata``: candidates exclude thoughts, the total includes them."""
    candidates = max(0, counts.output_tokens - counts.reasoning_tokens)
    metadata: JSON = {
        "promptTokenCount": counts.input_tokens,
        "candidatesTokenCount": candidates,
        "totalTokenCount": counts.input_tokens + candidates + counts.reasoning_tokens,
    }
    if counts.reasoning_tokens:
        metadata["thoughtsTokenCount"] = counts.reasoning_tokens
    if counts.cached_tokens:
        metadata["cachedContentTokenCount"] = counts.cached_tokens
    return metadata


def _function_call(call: ToolCall) -> JSON:
    arguments = common.arguments_json(call)
    try:
        args: Any = json.loads(arguments)
    except ValueError:
        args = arguments  # a malformed-arguments test: Gemini itself always sends an object
    found: JSON = {"name": call.name, "args": args}
    if call.call_id:
        found["id"] = call.call_id
    return found


def _get(value: Any, name: str, alias: str) -> Any:
    if not isinstance(value, dict):
        return None
    found = value.get(name)
    return value.get(alias) if found is None else found
