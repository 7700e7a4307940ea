"""Prompted tool calling: tools for any text model, through the prompt instead of a native tools API.

:class:`PromptedModel` wraps a model without native tool calling (the agent does it automatically when
``model.supports_tools`` is false). Each request it

1. describes the tools in the system prompt (from the same schemas native tools use) and turns past
   tool calls and results into plain text turns (:mod:`._prompted_history`);
2. asks for one JSON object: ``{"tool": name, "arguments": {...}}`` or ``{"final_answer": ...}``
   (the output type's schema, or a string for text output). With ``constrained`` the server is held
   to that shape by a JSON schema: the union of one branch per tool and the final answer
   (:meth:`~._prompted_schema.ActionSpec.schema`), sent as ``response_format`` json_schema (llama.cpp,
   vLLM, OpenAI-compatible servers);
3. reads the reply (:func:`~._prompted_parse.parse_reply`: bare JSON, fenced JSON, Hermes
   ``<tool_call>`` blocks, ``<think>`` reasoning, common JSON faults repaired) into ``ToolCall`` /
   ``TextPart`` parts, so the loop handles them like native tool calls.

An agent without tools and with a text answer needs none of this: its requests go through as plain
chat (instructions as the system prompt, the reply as the answer, no schema).

Format errors are fixed inside the request: a reply that can't be read is sent back with a precise
retry prompt (``prompted_format_error``), at most ``format_retries`` times, and only the usable reply
is returned (usage counts every attempt). A weak model that repeats a tool call that already ran
with the same arguments (since the last user message) is asked for its final answer instead
(final-answer-only schema when constrained): the result is in the conversation already. When
streaming, answer text of a reply that is then sent back has already been streamed (rare when
constrained); tool-call deltas are only sent for the calls of the reply that is returned.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from agentkit.events import ReasoningDelta, TextDelta
from agentkit.exceptions import UnexpectedModelBehavior, UserError
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, RetryPrompt, ToolCall, UserPart
from agentkit.models._openai_common import json_schema_response_format
from agentkit.models._prompted_history import Messages, assistant_turn, to_text_turns, user_turn
from agentkit.models._prompted_parse import ParsedReply, parse_reply, plain_reply
from agentkit.models._prompted_repair import loads_lenient
from agentkit.models._prompted_schema import ActionSpec, canonical_json
from agentkit.models._prompted_stream import StreamTranslator, tool_call_deltas
from agentkit.models._text_only import refuse_files
from agentkit.models.base import Model, ModelStreamEvent, RequestParams, ResponseDone
from agentkit.prompts import render
from agentkit.redaction import redact_text
from agentkit.settings import ModelSettings
from agentkit.usage import Usage

__all__ = ["PromptedModel"]


_SCHEMA_NAME = "action"


class PromptedModel(Model):
    """Tool calling through the prompt for a model without native tools.

    Args:
        inner: The text model. Its adapter receives only system/user/assistant text.
        constrained: Send the reply's JSON schema as ``response_format`` (json_schema) so the server
            can only produce valid replies. ``None``: when ``inner`` says it supports that (its
            ``supports_json_schema`` attribute).
        format_retries: How often an unreadable reply is sent back with a retry prompt before
            :class:`~agentkit.exceptions.UnexpectedModelBehavior` is raised.
        stop_repeats: Ask for the final answer when the model repeats a call that already ran (same
            tool, same arguments, since the last user message).
    """

    supports_tools = True  # tools work (through the prompt): the agent must not wrap it again

    def __init__(
        self,
        inner: Model,
        *,
        constrained: bool | None = None,
        format_retries: int = 2,
        stop_repeats: bool = True,
    ) -> None:
        if isinstance(inner, PromptedModel):
            raise UserError("PromptedModel was given a PromptedModel; wrap the text model only once.")
        if format_retries < 0:
            raise UserError("format_retries must be >= 0.")
        self.inner = inner
        auto = bool(getattr(inner, "supports_json_schema", False))
        self.constrained = auto if constrained is None else constrained
        self.format_retries = format_retries
        self.stop_repeats = stop_repeats

    @property
    def model_name(self) -> str:
        """The inner model's name."""
        return self.inner.model_name

    @property
    def provider(self) -> str:
        """The inner model's provider (reasoning state goes back to it unchanged)."""
        return self.inner.provider

    def __repr__(self) -> str:
        return f"PromptedModel({self.inner!r}, constrained={self.constrained})"

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        """Ask for a tool call or the final answer; return it as native-looking parts."""
        async for event in self._exchange(messages, settings, params, stream=False):
            if isinstance(event, ResponseDone):
                return event.response
        raise AssertionError("unreachable: _exchange always ends with ResponseDone")  # pragma: no cover

    async def request_stream(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncIterator[ModelStreamEvent]:
        """Stream reasoning and answer text as they arrive; tool calls once the reply is complete."""
        async for event in self._exchange(messages, settings, params, stream=True):
            yield event

    async def close(self) -> None:
        """Close the inner model."""
        await self.inner.close()

    # --- one request: ask, fix the format, stop repeats ---------------------------------------------

    async def _exchange(
        self, messages: Messages, settings: ModelSettings, params: RequestParams, *, stream: bool
    ) -> AsyncIterator[ModelStreamEvent]:
        refuse_files(messages, f"prompted model {self.model_name!r}")
        spec = ActionSpec.of(params)
        talk = _Talk(history=messages, turns=to_text_turns(messages, spec), settings=settings, stream=stream)
        async for event in self._ask(talk, spec):
            yield event
        if self.stop_repeats and not spec.final_only and _repeats_earlier_calls(talk.parsed, messages):
            first_call = talk.parsed.tool_calls[0].name
            repeat = render("prompted_repeated_call", tool=first_call)
            talk.turns += [assistant_turn(talk.last_text), user_turn(repeat)]
            async for event in self._ask(talk, spec.final()):
                yield event
        response = talk.response()
        if stream:
            for event in tool_call_deltas(response.parts):
                yield event
        yield ResponseDone(response)

    async def _ask(self, talk: _Talk, spec: ActionSpec) -> AsyncIterator[ModelStreamEvent]:
        """Get a usable reply for ``spec`` into ``talk``, sending format errors back."""
        settings = self._settings(talk.settings, spec)
        for attempt in range(self.format_retries + 1):
            async for event in self._once(talk, settings, spec):
                yield event
            problem = talk.parsed.problem
            if problem is None:
                return
            if attempt < self.format_retries:
                template = "prompted_format_error_final" if spec.final_only else "prompted_format_error"
                talk.turns += [assistant_turn(talk.last_text), user_turn(render(template, problem=problem))]
        last_reply = redact_text(talk.last_text)[:300]  # a key the model repeats is hidden, as in events
        raise UnexpectedModelBehavior(
            f"{self.inner!r} gave no usable tool call or final answer in {self.format_retries + 1} tries; "
            f"last problem: {talk.parsed.problem}. Last reply: {last_reply!r}. Use a server that "
            "constrains output (PromptedModel(constrained=True)), a stronger model, or raise format_retries.",
            talk.history,
        )

    async def _once(self, talk: _Talk, settings: ModelSettings, spec: ActionSpec) -> AsyncIterator[ModelStreamEvent]:
        """One request to the inner model; parse its reply into ``talk``."""
        translator = StreamTranslator(stream_answer=spec.output is None, plain=spec.plain)
        response: ModelResponse | None = None
        if not talk.stream:
            response = await self.inner.request(talk.turns, settings, RequestParams())
        else:
            async for event in self.inner.request_stream(talk.turns, settings, RequestParams()):
                if isinstance(event, ResponseDone):
                    response = event.response
                elif isinstance(event, ReasoningDelta):
                    yield event
                elif isinstance(event, TextDelta):
                    for out in translator.feed(event.text):
                        yield out
        if response is None:
            raise UnexpectedModelBehavior(f"{self.inner!r}.request_stream ended without a ResponseDone event")
        talk.record(response, plain_reply(response.text) if spec.plain else parse_reply(response.text, spec))
        if talk.stream and talk.parsed.problem is None:
            for out in translator.finish(talk.parsed.parts):
                yield out

    def _settings(self, settings: ModelSettings, spec: ActionSpec) -> ModelSettings:
        """``settings`` plus the reply's JSON schema as ``response_format`` when constrained."""
        if not self.constrained or spec.plain:
            return settings
        # strict=False: OpenAI's strict mode rejects a root anyOf and optional properties; llama.cpp and
        # vLLM enforce the schema either way.
        response_format = json_schema_response_format(spec.schema(), name=_SCHEMA_NAME, strict=False)
        extra = {**(settings.extra_body or {}), "response_format": response_format}
        return settings.model_copy(update={"extra_body": extra})


@dataclass
class _Talk:
    """The state of one prompted request: the turns sent, the replies and their usage."""

    history: Messages
    """The loop's messages (for errors)."""
    turns: Messages
    settings: ModelSettings
    stream: bool
    usage: Usage = field(default_factory=Usage)
    last: ModelResponse | None = None
    parsed: ParsedReply = field(default_factory=lambda: ParsedReply(()))

    @property
    def last_text(self) -> str:
        """The raw text of the latest reply."""
        return self.last.text if self.last is not None else ""

    def record(self, response: ModelResponse, parsed: ParsedReply) -> None:
        """Keep a reply and add its usage (each reply counts as at least one request)."""
        self.usage = self.usage + response.usage.model_copy(update={"requests": max(1, response.usage.requests)})
        self.last = response
        self.parsed = parsed

    def response(self) -> ModelResponse:
        """The usable reply as native-looking parts, with the usage of every attempt."""
        assert self.last is not None
        reasoning = [p for p in self.last.parts if isinstance(p, ReasoningPart)]
        return self.last.model_copy(update={"parts": [*reasoning, *self.parsed.parts], "usage": self.usage})


def _call_key(call: ToolCall) -> tuple[str, str]:
    parsed = loads_lenient(call.arguments) if call.arguments.strip() else None
    arguments = canonical_json(parsed.value) if parsed is not None and parsed.ok else call.arguments
    return call.name, arguments


def _repeats_earlier_calls(parsed: ParsedReply, messages: Messages) -> bool:
    """Whether every call of the reply already ran, with the same arguments, since the last user message.

    Calls answered by a retry prompt (bad arguments, tool errors) don't count: the loop limits those.
    """
    calls = parsed.tool_calls
    if not calls:
        return False
    start = max((i for i, m in enumerate(messages) if _has_user_text(m)), default=0)
    recent = messages[start:]
    failed = {p.call_id for m in recent if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, RetryPrompt)}
    ran = {_call_key(c) for m in recent if isinstance(m, ModelResponse) for c in m.tool_calls if c.id not in failed}
    return all(_call_key(c) in ran for c in calls)


def _has_user_text(message: ModelRequest | ModelResponse) -> bool:
    return isinstance(message, ModelRequest) and any(isinstance(p, UserPart) for p in message.parts)
