"""The Chat Completions message format, shared by :mod:`.openai_chat` and :mod:`.litellm`.

litellm's interface is Chat Completions shaped, so both adapters build messages and read choices and
stream chunks the same way; each adds its provider state (``reasoning_content``, thinking blocks ...)
on top through the hooks here. No SDK is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit.attachments import Document, Image
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    ResponsePart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.models._file_parts import attach, chat_file_part, files_note
from agentkit.models._openai_common import (
    Piece,
    ThinkSplitter,
    as_dict,
    as_int,
    as_list,
    as_str,
    split_think,
    tool_choice_mode,
)
from agentkit.models.base import ModelStreamEvent, RequestParams
from agentkit.tools import ToolDefinition
from agentkit.usage import Usage

__all__ = [
    "REASONING_FIELDS",
    "ChatStream",
    "assistant_message",
    "chat_messages",
    "chat_tool_fields",
    "parse_chat_usage",
    "parse_message",
]

JSON = dict[str, Any]
Messages = list[ModelRequest | ModelResponse]
AssistantBuilder = Callable[[ModelResponse], JSON]

REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Message fields that carry readable reasoning (DeepSeek/Kimi/vLLM: ``reasoning_content``; OpenRouter,
newer vLLM: ``reasoning``)."""


# --- request -------------------------------------------------------------------------------------


def chat_messages(messages: Messages, assistant: AssistantBuilder, *, tool_files: bool = False) -> list[JSON]:
    """``messages`` as Chat Completions messages; ``assistant`` renders each model response.

    Images and documents join the user message before them. Files a tool returned go in its tool message
    with ``tool_files`` (litellm converts them for Anthropic); otherwise (OpenAI takes only text in tool
    messages) in a user message after the request's tool messages.
    """
    out: list[JSON] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            out += _request_messages(message, tool_files)
        else:
            out.append(assistant(message))
    return out


def _request_messages(request: ModelRequest, tool_files: bool) -> list[JSON]:
    out: list[JSON] = []
    held: list[ToolResult] = []
    for part in request.parts:
        if isinstance(part, Image | Document):
            attach(out, chat_file_part(part), "text")
            continue
        message = _request_message(part, tool_files)
        if held and message["role"] != "tool":
            out.append(_files_message(held))
            held = []
        out.append(message)
        if isinstance(part, ToolResult) and part.files and not tool_files:
            held.append(part)
    return out + ([_files_message(held)] if held else [])


def _files_message(results: list[ToolResult]) -> JSON:
    text: JSON = {"type": "text", "text": files_note(results)}
    return {"role": "user", "content": [text, *(chat_file_part(f) for r in results for f in r.files)]}


def _request_message(part: SystemPart | UserPart | ToolResult | RetryPrompt, tool_files: bool) -> JSON:
    if isinstance(part, SystemPart):
        return {"role": "system", "content": part.content}
    if isinstance(part, UserPart):
        return {"role": "user", "content": part.content}
    if isinstance(part, ToolResult) and part.files and tool_files:
        content = [{"type": "text", "text": part.content_text()}, *(chat_file_part(f) for f in part.files)]
        return {"role": "tool", "tool_call_id": part.call_id, "content": content}
    if isinstance(part, ToolResult):
        return {"role": "tool", "tool_call_id": part.call_id, "content": part.content_text()}
    if part.call_id is not None:
        return {"role": "tool", "tool_call_id": part.call_id, "content": part.content}
    return {"role": "user", "content": part.content}


def assistant_message(response: ModelResponse, arguments: Callable[[str], str] = str) -> JSON:
    """The assistant message for ``response`` without provider state: text and tool calls.

    ``arguments`` may rewrite a call's JSON arguments (litellm needs an object for Anthropic/Gemini).
    """
    text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
    calls = response.tool_calls
    message: JSON = {"role": "assistant", "content": text or (None if calls else "")}
    if calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": arguments(c.arguments)}}
            for c in calls
        ]
    return message


def chat_tool_fields(params: RequestParams) -> JSON:
    """``tools`` and ``tool_choice`` for ``params`` (nothing without tools)."""
    mode = tool_choice_mode(params)
    if mode is None:
        return {}
    fields: JSON = {"tools": [_tool(t) for t in params.all_tools]}
    if mode == "output":
        assert params.output_tool is not None  # "output" is only chosen with an output tool
        fields["tool_choice"] = {"type": "function", "function": {"name": params.output_tool.name}}
    elif mode != "auto":
        fields["tool_choice"] = mode
    return fields


def _tool(tool: ToolDefinition) -> JSON:
    function: JSON = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    if tool.strict:
        function["strict"] = True
    return {"type": "function", "function": function}


# --- response ------------------------------------------------------------------------------------


def parse_message(message: JSON, provider: str, think_tags: bool, *, orphan_think: bool = False) -> list[ResponsePart]:
    """Reasoning, text and tool-call parts of an assistant message.

    A ``reasoning_content``/``reasoning`` field becomes a reasoning part tagged with ``provider`` (its
    ``data["field"]`` names the field, so it can go back under that name); otherwise, with
    ``think_tags``, a leading ``<think>...</think>`` in the content is split off as reasoning (with
    ``orphan_think`` also the text before an orphan ``</think>``: see :mod:`._think`).
    """
    parts: list[ResponsePart] = []
    reasoning = reasoning_part(message, provider)
    content = as_str(message.get("content"))
    if reasoning is not None:
        parts.append(reasoning)
    elif think_tags and content:
        thought, content = split_think(content, orphan=orphan_think)
        if thought:
            parts.append(ReasoningPart(content=thought))
    if content:
        parts.append(TextPart(content=content))
    return parts + parse_tool_calls(message)


def reasoning_part(message: JSON, provider: str) -> ReasoningPart | None:
    """The reasoning field of a message as a part, or ``None`` when it has none."""
    for name in REASONING_FIELDS:
        value = message.get(name)
        if isinstance(value, str):
            return ReasoningPart(content=value, provider=provider, data={"field": name})
    return None


def parse_tool_calls(message: JSON) -> list[ResponsePart]:
    """The message's function tool calls."""
    calls: list[ResponsePart] = []
    for call in as_list(message.get("tool_calls")):
        function = as_dict(call.get("function"))
        calls.append(
            ToolCall(
                id=as_str(call.get("id")),
                name=as_str(function.get("name")),
                arguments=as_str(function.get("arguments")) or "{}",
            )
        )
    return calls


def parse_chat_usage(usage: JSON) -> Usage:
    """Chat Completions ``usage``; ``completion_tokens`` already include reasoning tokens."""
    prompt_details = as_dict(usage.get("prompt_tokens_details"))
    cached = as_int(prompt_details.get("cached_tokens")) or as_int(usage.get("prompt_cache_hit_tokens"))
    return Usage(
        input_tokens=as_int(usage.get("prompt_tokens")),
        output_tokens=as_int(usage.get("completion_tokens")),
        reasoning_tokens=as_int(as_dict(usage.get("completion_tokens_details")).get("reasoning_tokens")),
        cached_tokens=cached,
        requests=1,
    )


# --- streaming -----------------------------------------------------------------------------------


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class ChatStream:
    """Reassembles a streamed choice 0: reasoning and text deltas, tool calls from their deltas.

    Tool-call deltas are keyed by their ``index``; the first delta of a call carries its id and name,
    later ones only argument pieces. ``think_tags`` and ``orphan_think`` are as in :func:`parse_message`.
    """

    provider: str
    think_tags: bool = True
    orphan_think: bool = False
    reasoning: str = ""
    reasoning_field: str | None = None
    text: str = ""
    finish_reason: str | None = None
    usage: JSON = field(default_factory=dict)
    model: str = ""
    id: str = ""
    calls: dict[int, _PendingCall] = field(default_factory=dict)
    _splitter: ThinkSplitter = field(init=False)
    _think_reasoning: str = ""

    def __post_init__(self) -> None:
        self._splitter = ThinkSplitter(orphan=self.orphan_think)

    def feed(self, chunk: JSON) -> list[ModelStreamEvent]:
        """The deltas in one ``chat.completion.chunk``."""
        self.model = as_str(chunk.get("model")) or self.model
        self.id = as_str(chunk.get("id")) or self.id
        if isinstance(chunk.get("usage"), dict):
            self.usage = as_dict(chunk.get("usage"))
        events: list[ModelStreamEvent] = []
        for choice in as_list(chunk.get("choices")):
            if as_int(choice.get("index")) != 0:
                continue
            self.finish_reason = as_str(choice.get("finish_reason")) or self.finish_reason
            events += self._delta(as_dict(choice.get("delta")))
        return events

    def _delta(self, delta: JSON) -> list[ModelStreamEvent]:
        events: list[ModelStreamEvent] = []
        for name in REASONING_FIELDS:
            piece = delta.get(name)
            if isinstance(piece, str):
                self.reasoning_field = name
                if piece:
                    self.reasoning += piece
                    events.append(ReasoningDelta(text=piece))
        content = delta.get("content")
        if isinstance(content, str) and content:
            events += self._content(content)
        for call in as_list(delta.get("tool_calls")):
            events.append(self._call(call))
        return events

    def _content(self, content: str) -> list[ModelStreamEvent]:
        if not self.think_tags or self.reasoning_field is not None:
            self.text += content
            return [TextDelta(text=content)]
        return self._pieces(self._splitter.feed(content))

    def _pieces(self, pieces: list[Piece]) -> list[ModelStreamEvent]:
        events: list[ModelStreamEvent] = []
        for kind, text in pieces:
            if kind == "reasoning":
                self._think_reasoning += text
                events.append(ReasoningDelta(text=text))
            else:
                self.text += text
                events.append(TextDelta(text=text))
        return events

    def _call(self, delta: JSON) -> ToolCallDelta:
        index = as_int(delta.get("index"))
        pending = self.calls.setdefault(index, _PendingCall())
        function = as_dict(delta.get("function"))
        call_id, name, arguments = (
            as_str(delta.get("id")),
            as_str(function.get("name")),
            as_str(function.get("arguments")),
        )
        pending.id = pending.id or call_id
        pending.name = pending.name or name
        pending.arguments += arguments
        return ToolCallDelta(index=index, call_id=call_id or None, name=name or None, args_delta=arguments)

    def flush(self) -> list[ModelStreamEvent]:
        """Deltas held back by ``<think>`` splitting, at the end of the stream."""
        return self._pieces(self._splitter.finish())

    def parts(self) -> list[ResponsePart]:
        """The parts of the whole streamed message."""
        parts: list[ResponsePart] = []
        if self.reasoning_field is not None:
            parts.append(
                ReasoningPart(content=self.reasoning, provider=self.provider, data={"field": self.reasoning_field})
            )
        elif self._think_reasoning:
            parts.append(ReasoningPart(content=self._think_reasoning))
        if self.text:
            parts.append(TextPart(content=self.text))
        for _, call in sorted(self.calls.items()):
            parts.append(ToolCall(id=call.id, name=call.name, arguments=call.arguments or "{}"))
        return parts
