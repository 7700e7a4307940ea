"""The prompted path splits inline reasoning with the same splitter (agentkit.models._think)."""

from __future__ import annotations

import pytest

from agentkit.events import ReasoningDelta, TextDelta
from agentkit.messages import ReasoningPart, TextPart, ToolCall
from agentkit.models._prompted_parse import parse_reply, plain_reply
from agentkit.models._prompted_stream import StreamTranslator
from agentkit.models.base import ModelStreamEvent
from tests.prompted._helpers import TEXT

CALL = '{"tool": "add", "arguments": {"a": 1, "b": 2}}'


def fed(translator: StreamTranslator, reply: str, size: int) -> list[ModelStreamEvent]:
    return [e for start in range(0, len(reply), size) for e in translator.feed(reply[start : start + size])]


def joined(events: list[ModelStreamEvent], kind: type[ReasoningDelta] | type[TextDelta]) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


def test_orphan_reasoning_before_a_call() -> None:
    parts = parse_reply("Add them.\n</think>\n\n" + CALL, TEXT).parts
    assert parts[0] == ReasoningPart(content="Add them.")
    assert isinstance(parts[1], ToolCall) and (parts[1].name, parts[1].arguments) == ("add", '{"a": 1, "b": 2}')


def test_a_close_tag_inside_the_json_is_not_reasoning() -> None:
    reply = '{"final_answer": "Write </think> to close."}'
    assert parse_reply(reply, TEXT).parts == (TextPart(content="Write </think> to close."),)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
def test_streamed_orphan_reasoning_then_answer_in_any_chunking(size: int) -> None:
    reply = 'Two and two.\n</think>\n{"final_answer": "It is 4."}'
    translator = StreamTranslator(stream_answer=True)
    events = fed(translator, reply, size)
    assert joined(events, ReasoningDelta) == "Two and two."
    assert joined(events, TextDelta) == "It is 4."
    assert translator.finish(parse_reply(reply, TEXT).parts) == []


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_a_json_reply_streams_its_answer_at_once(size: int) -> None:
    reply = '{"final_answer": "It is 4, as two and two make four."}'
    translator = StreamTranslator(stream_answer=True)
    events = fed(translator, reply[:-10], size)
    assert joined(events, TextDelta) == "It is 4, as two and two ma"


def test_plain_mode_streams_text_at_once_and_splits_only_leading_blocks() -> None:
    translator = StreamTranslator(stream_answer=True, plain=True)
    assert [e.text for e in fed(translator, "Bonjour", 100) if isinstance(e, TextDelta)] == ["Bonjour"]
    assert plain_reply("hmm</think>Bonjour").parts == (TextPart(content="hmm</think>Bonjour"),)
    assert plain_reply("<think>hmm</think>Bonjour").parts == (ReasoningPart(content="hmm"), TextPart(content="Bonjour"))
