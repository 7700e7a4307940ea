"""The cheap rungs: clearing old tool results, dropping reasoning of finished turns."""

from __future__ import annotations

from agentkit.compaction._ladder import clear_tool_results, drop_reasoning, reasoning_droppable
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, TextPart, ToolCall, ToolResult, UserPart
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.testing import ScriptedModel
from tests.compaction._helpers import Messages, call, calls_answered_in_order, tool_results, unanswered_calls


def tool_run(steps: int, size: int = 500) -> Messages:
    messages: Messages = [ModelRequest(parts=[UserPart(content="task")])]
    for i in range(steps):
        messages.append(call("fetch", f"c{i}", f'{{"page": {i}}}'))
        messages.append(ModelRequest(parts=[ToolResult(call_id=f"c{i}", name="fetch", content=f"{i}:" + "x" * size)]))
    return messages


def test_old_results_become_placeholders_naming_the_call_and_the_newest_stay_whole() -> None:
    messages = tool_run(6)
    cleared, count = clear_tool_results(messages, keep=2)
    results = tool_results(cleared)
    assert count == 4
    assert [r.content for r in results[-2:]] == [r.content for r in tool_results(messages)[-2:]]
    assert results[0] == ToolResult(
        call_id="c0",
        name="fetch",
        content=(
            "[The result of tool 'fetch' (call c0, 502 characters) was cleared to keep the conversation within "
            "the context window. Call the tool again if you need it.]"
        ),
    )
    assert unanswered_calls(cleared) == [] and calls_answered_in_order(cleared)
    assert len(cleared) == len(messages)
    assert tool_results(messages)[0].content.startswith("0:")  # the input list is unchanged


def test_short_and_already_cleared_results_are_left_alone() -> None:
    messages = tool_run(4, size=10)
    assert clear_tool_results(messages, keep=1) == (messages, 0)
    once, first = clear_tool_results(tool_run(4), keep=1)
    again, second = clear_tool_results(once, keep=1)
    assert (first, second) == (3, 0)
    assert again == once


def test_parallel_results_in_one_request_count_one_by_one() -> None:
    calls = ModelResponse(parts=[ToolCall(id=f"p{i}", name="fetch") for i in range(3)])
    results = ModelRequest(parts=[ToolResult(call_id=f"p{i}", name="fetch", content="y" * 400) for i in range(3)])
    cleared, count = clear_tool_results([ModelRequest(parts=[UserPart(content="t")]), calls, results], keep=1)
    contents = [r.content for r in tool_results(cleared)]
    assert count == 2
    assert contents[2] == "y" * 400 and all(c.startswith("[The result of tool") for c in contents[:2])


def test_reasoning_is_dropped_only_from_finished_turns_without_tool_calls() -> None:
    thought = ReasoningPart(content="thinking", provider="deepseek", data={"field": "reasoning_content"})
    finished = ModelResponse(parts=[thought, TextPart(content="first answer")])
    with_call = ModelResponse(parts=[thought, ToolCall(id="c1", name="fetch")])
    newest = ModelResponse(parts=[thought, TextPart(content="latest")])
    messages: Messages = [
        ModelRequest(parts=[UserPart(content="q1")]),
        finished,
        ModelRequest(parts=[UserPart(content="q2")]),
        with_call,
        ModelRequest(parts=[ToolResult(call_id="c1", name="fetch", content="r")]),
        newest,
    ]
    dropped, count = drop_reasoning(messages)
    assert count == 1
    assert dropped[1] == ModelResponse(
        parts=[TextPart(content="first answer")], timestamp=finished.timestamp, usage=finished.usage
    )
    assert dropped[3] is with_call  # DeepSeek needs reasoning_content on tool-call turns in every request
    assert dropped[5] is newest


def test_a_response_that_is_only_reasoning_is_kept() -> None:
    only = ModelResponse(parts=[ReasoningPart(content="hmm")])
    messages: Messages = [
        ModelRequest(parts=[UserPart(content="q")]),
        only,
        ModelRequest(parts=[UserPart(content="q")]),
    ]
    assert drop_reasoning(messages) == (messages, 0)


def test_reasoning_is_droppable_for_chat_adapters_only() -> None:
    assert reasoning_droppable(OpenAIChatModel("deepseek-chat", base_url="http://127.0.0.1:9/v1", api_key="k"))
    assert not reasoning_droppable(OpenAIResponsesModel("o4-mini", base_url="http://127.0.0.1:9/v1", api_key="k"))
    assert not reasoning_droppable(ScriptedModel([]))
