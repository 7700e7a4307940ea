"""The summary rung's pure parts: where to cut, the transcript, the note that replaces the head."""

from __future__ import annotations

from agentkit.compaction._summary import compacted, cut_index, transcript_chunks
from agentkit.compaction._tokens import message_chars
from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from tests.compaction._helpers import Messages, call, calls_answered_in_order, unanswered_calls


def tool_run(steps: int) -> Messages:
    messages: Messages = [ModelRequest(parts=[SystemPart(content="Be exact."), UserPart(content="task")])]
    for i in range(steps):
        messages.append(call("fetch", f"c{i}"))
        messages.append(ModelRequest(parts=[ToolResult(call_id=f"c{i}", name="fetch", content="x" * 100)]))
    return messages


def test_the_cut_is_a_response_and_keeps_what_fits() -> None:
    messages = tool_run(10)
    pair = message_chars(messages[1]) + message_chars(messages[2])
    k = cut_index(messages, tail_chars=3 * pair)
    assert k == len(messages) - 6
    assert isinstance(messages[k], ModelResponse)


def test_a_tail_too_big_keeps_at_least_the_newest_exchange() -> None:
    messages = tool_run(4)
    assert cut_index(messages, tail_chars=1) == len(messages) - 2


def test_the_newest_exchange_is_never_cut() -> None:
    assert cut_index([ModelRequest(parts=[UserPart(content="only")])], tail_chars=10) is None
    assert cut_index(tool_run(1), tail_chars=10) == 1  # only the task before the newest exchange


def test_with_thinking_first_the_kept_part_starts_with_a_thinking_turn() -> None:
    messages = tool_run(6)
    thinking = ModelResponse(parts=[ReasoningPart(content="plan", signature="sig"), ToolCall(id="c2", name="fetch")])
    messages[5] = thinking
    assert cut_index(messages, tail_chars=10**6, thinking_first=True) == 5
    assert cut_index(messages, tail_chars=10**6) == 1


def test_compacted_keeps_instructions_and_every_call_answered() -> None:
    messages = tool_run(6)
    k = 7
    result = compacted(messages, k, "  the summary  ")
    assert result[1:] == messages[k:]
    assert result[0].parts == [
        SystemPart(content="Be exact."),
        UserPart(
            content=(
                "[Earlier turns of this conversation were summarized to keep it within the context window. "
                "Summary:]\nthe summary\n[End of summary. Continue the task from here.]"
            )
        ),
    ]
    assert unanswered_calls(result) == [] and calls_answered_in_order(result)


def test_transcript_names_each_part_and_splits_in_chunks() -> None:
    messages: Messages = [
        ModelRequest(parts=[UserPart(content="Find the code.")]),
        ModelResponse(parts=[ReasoningPart(content="look it up"), ToolCall(id="c1", name="lookup", arguments="{}")]),
        ModelRequest(parts=[ToolResult(call_id="c1", name="lookup", content={"code": 42})]),
        ModelResponse(parts=[TextPart(content="It is 42.")]),
    ]
    (whole,) = transcript_chunks(messages, chunk_chars=10_000)
    assert whole == (
        "[user] Find the code.\n[assistant's reasoning] look it up\n[assistant calls tool 'lookup', call c1] {}\n"
        "[result of call c1, tool 'lookup'] {\"code\": 42}\n[assistant] It is 42."
    )
    pieces = transcript_chunks(messages, chunk_chars=60)
    assert len(pieces) > 1 and "\n".join(pieces) == whole


def test_a_huge_item_keeps_its_start_and_end() -> None:
    messages: Messages = [ModelRequest(parts=[UserPart(content="A" * 1000 + "B" * 1000)])]
    (text,) = transcript_chunks(messages, chunk_chars=800)
    assert text.startswith("[user] AAA") and text.endswith("BBB")
    assert "characters left out ...]" in text and len(text) < 900
