"""Streaming prompted replies: reasoning and answer text as they arrive, tool calls when complete."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from agentkit import Agent
from agentkit.events import FinalResultEvent, ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, TextPart, ToolCall
from agentkit.models._prompted_parse import parse_reply, plain_reply
from agentkit.models._prompted_stream import StreamTranslator, tool_call_deltas
from agentkit.models.base import Model, ModelStreamEvent, RequestParams, ResponseDone
from agentkit.models.prompted import PromptedModel
from agentkit.settings import ModelSettings
from agentkit.testing import text

from ._helpers import INT, TEXT, multiply

Messages = list[ModelRequest | ModelResponse]


def feed_all(translator: StreamTranslator, reply: str, size: int) -> list[ModelStreamEvent]:
    events: list[ModelStreamEvent] = []
    for start in range(0, len(reply), size):
        events += translator.feed(reply[start : start + size])
    return events


def joined(events: list[ModelStreamEvent], kind: type[ReasoningDelta] | type[TextDelta]) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


ANSWER = 'He said \\"hi\\" \\u00e9\\ud83d\\ude00 \\\\ done'


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_reasoning_and_answer_stream_in_any_chunking(size: int) -> None:
    reply = '<think>\nFirst, think.\n</think>\n{"final_answer": "' + ANSWER + '"}'
    translator = StreamTranslator(stream_answer=True)
    events = feed_all(translator, reply, size)
    assert joined(events, ReasoningDelta) == "First, think."
    assert joined(events, TextDelta) == json.loads('"' + ANSWER + '"')
    if size < len(reply):
        assert len([e for e in events if isinstance(e, TextDelta)]) > 1
    assert translator.finish(parse_reply(reply, TEXT).parts) == []


def test_tool_calls_come_at_the_end() -> None:
    reply = '{"tool": "multiply", "arguments": {"a": 2, "b": 3}}'
    translator = StreamTranslator(stream_answer=True)
    assert feed_all(translator, reply, 4) == []
    parts = parse_reply(reply, TEXT).parts
    call = parts[0]
    assert isinstance(call, ToolCall)
    assert translator.finish(parts) == []
    (delta,) = tool_call_deltas(list(parts))
    assert isinstance(delta, ToolCallDelta)
    assert (delta.index, delta.call_id, delta.name, delta.args_delta) == (0, call.id, "multiply", '{"a": 2, "b": 3}')


def test_unstreamed_text_is_sent_at_the_end() -> None:
    translator = StreamTranslator(stream_answer=True)
    assert feed_all(translator, "Plain answer.", 3) == []
    (delta,) = translator.finish(parse_reply("Plain answer.", TEXT).parts)
    assert isinstance(delta, TextDelta) and delta.text == "Plain answer."


def test_structured_answers_are_not_streamed_as_text() -> None:
    translator = StreamTranslator(stream_answer=False)
    reply = '{"final_answer": 42}'
    assert feed_all(translator, reply, 2) == []
    parts = parse_reply(reply, INT).parts
    assert translator.finish(parts) == []
    (delta,) = tool_call_deltas(list(parts))
    assert isinstance(delta, ToolCallDelta) and delta.args_delta == '{"result": 42}'


class ChunkedModel(Model):
    """A text model that streams each scripted reply in 3-character pieces."""

    supports_tools = False

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.streamed = 0

    @property
    def model_name(self) -> str:
        return "chunked"

    @property
    def provider(self) -> str:
        return "test"

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        return text(self.replies.pop(0))

    async def request_stream(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncIterator[ModelStreamEvent]:
        self.streamed += 1
        reply = self.replies.pop(0)
        yield ReasoningDelta(text="native ")
        for start in range(0, len(reply), 3):
            yield TextDelta(text=reply[start : start + 3])
        yield ResponseDone(ModelResponse(parts=[ReasoningPart(content="native"), TextPart(content=reply)]))


async def test_agent_stream_through_prompted_mode() -> None:
    inner = ChunkedModel(['{"tool": "multiply", "arguments": {"a": 6, "b": 7}}', '{"final_answer": "It is 42."}'])
    agent = Agent(PromptedModel(inner), tools=[multiply])
    events = [event async for event in agent.stream("6 * 7?")]
    assert inner.streamed == 2
    kinds = [e.kind for e in events]
    assert kinds[:3] == ["run_start", "model_request", "reasoning_delta"]
    assert kinds.count("tool_call_delta") == 1
    assert kinds.index("tool_call_delta") < kinds.index("tool_call_start")
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(texts) > 1 and "".join(texts) == "It is 42."
    final = events[-1]
    assert isinstance(final, FinalResultEvent) and final.output == "It is 42."


async def test_streaming_retries_a_bad_reply() -> None:
    inner = ChunkedModel(['{"answer": 1}', '{"final_answer": "ok"}'])
    agent = Agent(PromptedModel(inner), tools=[multiply])
    events = [event async for event in agent.stream("hi")]
    assert inner.streamed == 2
    final = events[-1]
    assert isinstance(final, FinalResultEvent) and final.output == "ok"
    assert final.usage.requests == 2


@pytest.mark.parametrize("size", [1, 4, 100])
def test_plain_text_streams_as_it_is(size: int) -> None:
    reply = "<think>hmm</think>\n\n  Bonjour, {le} monde !\n"
    translator = StreamTranslator(stream_answer=True, plain=True)
    events = feed_all(translator, reply, size)
    parts = plain_reply(reply).parts
    assert parts == (ReasoningPart(content="hmm"), TextPart(content="Bonjour, {le} monde !\n"))
    events += translator.finish(parts)
    assert joined(events, ReasoningDelta) == "hmm"
    assert joined(events, TextDelta) == "Bonjour, {le} monde !\n"


async def test_a_call_replaced_by_a_re_ask_is_not_streamed() -> None:
    call = '{"tool": "multiply", "arguments": {"a": 6, "b": 7}}'
    inner = ChunkedModel([call, call, '{"final_answer": "42"}'])
    events = [event async for event in Agent(PromptedModel(inner), tools=[multiply]).stream("6 * 7?")]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert len(deltas) == 1  # the repeated call was replaced by the final answer
    final = events[-1]
    assert isinstance(final, FinalResultEvent) and final.output == "42"
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "42"
