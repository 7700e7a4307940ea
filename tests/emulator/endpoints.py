"""The three wire protocols: validate a request, render a reply (JSON body or SSE frames)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from . import common, compaction, rules_anthropic, rules_chat, rules_files, rules_params, rules_responses
from .errors import Provider, ProviderError
from .rules_responses import ResponsesState
from .script import Reply
from .signing import Signer, new_id
from .wire_chat import ChatMode, ChatWire
from .wire_messages import MessagesWire
from .wire_responses import ResponsesWire

JSON = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """A rendered reply: a JSON body, or SSE frames for a stream."""

    body: JSON | None = None
    frames: list[bytes] | None = None


def encode(payload: object) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def data_frame(payload: JSON | str) -> bytes:
    """An SSE frame with only a ``data:`` line (Chat Completions style)."""
    data = payload.encode() if isinstance(payload, str) else encode(payload)
    return b"data: " + data + b"\n\n"


def named_frame(payload: JSON | str) -> bytes:
    """An SSE frame with an ``event:`` line named after the payload's type (Responses, Messages)."""
    if isinstance(payload, str):
        return data_frame(payload)
    return b"event: " + str(payload.get("type")).encode() + b"\n" + data_frame(payload)


class Endpoint(Protocol):
    """One wire protocol served by the emulator."""

    provider: Provider
    named_events: bool

    def validate(self, body: JSON) -> ProviderError | None:
        """The provider's error for a request that breaks its rules, or None."""
        ...

    def render(self, body: JSON, reply: Reply, input_tokens: int) -> Rendered:
        """The reply in this protocol's wire format (streamed when the request asks);
        ``input_tokens``: the request's count (``window.count_request``), reported as its usage."""
        ...


def streaming(body: JSON) -> bool:
    """True when the request asks for an SSE stream."""
    return body.get("stream") is True


def streams(endpoint: Endpoint, body: JSON) -> bool:
    """True when the request is answered with an SSE stream (Gemini says so in its path, not its body)."""
    stream = getattr(endpoint, "stream", None)
    return stream if isinstance(stream, bool) else streaming(body)


class ChatEndpoint:
    """POST /v1/chat/completions, as OpenAI (plain-chat) or DeepSeek (deepseek) serve it."""

    named_events = False

    def __init__(self, mode: ChatMode, chunk_chars: int) -> None:
        self.mode = mode
        self.provider: Provider = "deepseek" if mode == "deepseek" else "openai"
        self.wire = ChatWire(mode, chunk_chars)

    def validate(self, body: JSON) -> ProviderError | None:
        """OpenAI parameters and tool pairing (plain-chat) or DeepSeek's reasoning_content rule (deepseek)."""
        if self.mode == "deepseek":
            return rules_chat.check_deepseek(body)
        return rules_params.check_openai(body, "chat") or rules_chat.check_plain(body) or rules_files.check_chat(body)

    def render(self, body: JSON, reply: Reply, input_tokens: int) -> Rendered:
        """A chat.completion body, or chat.completion.chunk frames ending with [DONE]."""
        if streaming(body):
            return Rendered(frames=[data_frame(c) for c in self.wire.chunks(body, reply, input_tokens)])
        return Rendered(body=self.wire.completion(body, reply, input_tokens))


class ResponsesEndpoint:
    """POST /v1/responses, enforcing the reasoning-item rules."""

    provider: Provider = "openai"
    named_events = True

    def __init__(self, signer: Signer, chunk_chars: int) -> None:
        self.signer = signer
        self.state = ResponsesState()
        self.wire = ResponsesWire(signer, chunk_chars)
        self.compaction = compaction.ResponsesCompaction(signer)

    def validate(self, body: JSON) -> ProviderError | None:
        """Parameters the model rejects, reasoning items with their followers, encrypted content, function
        call outputs."""
        if (rejected := rules_params.check_openai(body, "responses") or rules_files.check_responses(body)) is not None:
            return rejected
        items, problem = rules_responses.history(body, self.state)
        if problem is not None:
            return problem
        return self.compaction.check(items) or rules_responses.check(
            items, body.get("store") is not False, self.state, self.signer
        )

    def render(self, body: JSON, reply: Reply, input_tokens: int) -> Rendered:
        """A response object, or the response.* event stream."""
        output = self.wire.output(body, reply)
        output, input_tokens = self.compaction.compact(body, output, input_tokens)
        self.state.register(output)
        response_id = new_id("resp_")
        if body.get("store") is not False:
            items, _ = rules_responses.history(body, self.state)
            self.state.store(response_id, items, output)
        counts = common.count(input_tokens, [reply])
        if streaming(body):
            events = self.wire.events(body, response_id, output, counts, reply)
            return Rendered(frames=[named_frame(e) for e in events])
        return Rendered(body=self.wire.response(body, response_id, output, counts, reply))


class MessagesEndpoint:
    """POST /v1/messages (Anthropic), enforcing thinking-block and tool-result rules."""

    provider: Provider = "anthropic"
    named_events = True

    def __init__(self, signer: Signer, chunk_chars: int) -> None:
        self.signer = signer
        self.wire = MessagesWire(signer, chunk_chars)

    def validate(self, body: JSON) -> ProviderError | None:
        """Sampling allowed with thinking, signatures unchanged, final assistant turn starts with thinking,
        tool uses answered."""
        return (
            rules_params.check_anthropic(body)
            or rules_anthropic.check(body, self.signer)
            or rules_files.check_anthropic(body)
        )

    def render(self, body: JSON, reply: Reply, input_tokens: int) -> Rendered:
        """A message object, or the message_start ... message_stop event stream."""
        content = self.wire.content(body, reply)
        edits = compaction.applied_edits(body, input_tokens, rules_anthropic.thinking_enabled(body))
        counts = common.count(input_tokens - compaction.cleared_tokens(edits), [reply])
        if streaming(body):
            events = compaction.with_edits(self.wire.events(body, content, counts, reply), "message_delta", edits)
            return Rendered(frames=[named_frame(e) for e in events])
        message = self.wire.message(body, content, counts, reply)
        return Rendered(body=compaction.with_edits([message], "message", edits)[0])


def raw(endpoint: Endpoint, body: JSON, reply: Reply) -> Rendered | None:
    """The reply's verbatim body or events, when it has them for this kind of request."""
    if streams(endpoint, body) and reply.raw_events is not None:
        frame = named_frame if endpoint.named_events else data_frame
        return Rendered(frames=[frame(e) for e in reply.raw_events])
    if not streams(endpoint, body) and reply.raw is not None:
        return Rendered(body=dict(reply.raw))
    return None
