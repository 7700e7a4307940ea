"""Context management in the loop: the ladder on long runs, summaries keeping facts, the overflow retry,
events, usage and budget, and a history that stays valid to continue."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from agentkit import Agent, Budget, ContextPolicy, ContextWindowExceeded, RunOptions, tool
from agentkit.compaction._run import ContextState
from agentkit.events import ContextCompacted
from agentkit.messages import ModelRequest, ModelResponse, SystemPart, TextPart, ToolCall, ToolResult, UserPart
from agentkit.models.base import Model, RequestParams
from agentkit.prompts import render
from agentkit.settings import ModelSettings
from agentkit.testing import FunctionModel, RecordedRequest
from agentkit.usage import Usage
from tests.compaction._helpers import Messages, calls_answered_in_order, unanswered_calls

FACT = "the vault code is 4417"
PAGE_CHARS = 1000


def page(n: int) -> str:
    return f"Page {n}: " + ("lorem ipsum " * 100)[: PAGE_CHARS - 8 - len(str(n))]


@tool(side_effect="pure")
def read_page(n: int) -> str:
    """One page.

    Args:
        n: Page number.
    """
    return page(n)


def provider_tokens(messages: Messages) -> int:
    """What the scripted provider counts: 1 token per 4 characters of text, 4 per part."""
    texts: list[str] = []
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolResult):
                texts.append(part.content_text())
            elif isinstance(part, ToolCall):
                texts.append(part.name + part.arguments)
            else:
                texts.append(getattr(part, "content", ""))
    parts = sum(len(m.parts) for m in messages)
    return math.ceil(sum(map(len, texts)) / 4) + 4 * parts


def is_summary_request(messages: Messages) -> bool:
    first = messages[0].parts[0] if messages and messages[0].parts else None
    return isinstance(first, SystemPart) and first.content == render("compaction_instructions")


class Reader:
    """A scripted model: reads ``pages`` pages one call at a time (noting FACT in its first turn), writes
    summaries keeping the facts it is shown, and answers from whatever its context holds. With
    ``server_window`` it refuses requests over it as a provider does."""

    def __init__(self, pages: int, server_window: int | None = None) -> None:
        self.pages = pages
        self.server_window = server_window
        self.sizes: list[int] = []
        self.summaries = 0
        self.refused = 0
        self.problems: list[str] = []
        self.issued = 0

    def __call__(self, messages: Messages, info: RecordedRequest) -> ModelResponse:
        tokens = provider_tokens(messages)
        if self.server_window is not None and tokens > self.server_window:
            self.refused += 1
            text = f"prompt is too long: {tokens} tokens > {self.server_window} maximum"
            raise ContextWindowExceeded(400, "reader", text, self.server_window, tokens)
        usage = Usage(input_tokens=tokens, output_tokens=10)
        if is_summary_request(messages):
            self.summaries += 1
            found = sorted(set(re.findall(r"vault code is \d+", str(messages[-1].parts[-1]))))
            return ModelResponse(parts=[TextPart(content="Task: read pages. Facts: " + "; ".join(found))], usage=usage)
        self.sizes.append(tokens)
        if len(self.sizes) > 3 * self.pages:
            raise AssertionError("the run does not end")
        self._check(messages)
        if self.issued < self.pages and not info.params.final_answer:
            n = self.issued
            self.issued += 1
            parts: list[Any] = [ToolCall(id=f"call_{n}", name="read_page", arguments=f'{{"n": {n}}}')]
            if n == 0:
                parts.insert(0, TextPart(content=f"Noting for later: {FACT}."))
            return ModelResponse(parts=parts, usage=usage)
        code = re.search(r"vault code is (\d+)", " ".join(str(m.parts) for m in messages))
        return ModelResponse(parts=[TextPart(content=f"Code: {code.group(1) if code else 'unknown'}")], usage=usage)

    def _check(self, messages: Messages) -> None:
        if unanswered_calls(messages) or not calls_answered_in_order(messages):
            self.problems.append(f"calls not answered: {unanswered_calls(messages)}")
        last = messages[-1].parts[-1] if messages[-1].parts else None
        if isinstance(last, ToolResult) and last.content != page(int(last.call_id.split("_")[1])):
            self.problems.append(f"newest result not whole: {last.call_id}")


def compactions(events: list[Any]) -> list[ContextCompacted]:
    return [e for e in events if isinstance(e, ContextCompacted)]


async def test_a_long_run_stays_in_the_window_and_a_summary_keeps_an_early_fact() -> None:
    reader = Reader(pages=60)  # 60 pages of ~250 tokens: about 4x the window
    agent = Agent(FunctionModel(reader), tools=[read_page], context=ContextPolicy(window=4000))
    result = await agent.run("Read pages 0 to 59, then tell me the vault code.")

    assert result.output == "Code: 4417"
    assert reader.problems == []
    assert max(reader.sizes) <= 4000 * 0.8 + 300  # the threshold, plus at most one step's growth
    events = compactions(result.events)
    assert events and all(e.reason == "threshold" and e.window == 4000 for e in events)
    assert all(e.tokens_after < e.tokens_before for e in events)
    assert events[0].rungs == ["clear_tool_results"] and events[0].cleared_tool_results > 0
    summarized = [e for e in events if "summarize" in e.rungs]
    assert len(summarized) == reader.summaries > 0
    assert summarized[-1].summary == "Task: read pages. Facts: vault code is 4417"
    assert "Noting for later" not in str(result.messages)  # the planting turn was summarized away
    assert unanswered_calls(result.messages) == [] and calls_answered_in_order(result.messages)


async def test_the_summarize_calls_count_in_usage_and_budget() -> None:
    reader = Reader(pages=60)
    model = FunctionModel(reader)
    agent = Agent(model, tools=[read_page], context=ContextPolicy(window=4000))
    result = await agent.run("Read pages 0 to 59.")
    summary_usage = sum((e.usage for e in compactions(result.events)), Usage())
    assert reader.summaries > 0
    assert result.usage.requests == len(model.requests) == 61 + reader.summaries
    assert summary_usage.requests == reader.summaries and summary_usage.input_tokens > 0

    again = FunctionModel(Reader(pages=60))
    limited = await Agent(again, tools=[read_page], context=ContextPolicy(window=4000)).run(
        "Read pages 0 to 59.", budget=Budget(max_turns=61)
    )
    assert limited.stop_reason == "max_turns"  # the summarize calls used up turns the reading needed


async def test_an_overflow_compacts_retries_once_and_the_window_is_remembered() -> None:
    reader = Reader(pages=60, server_window=3000)  # the model's window is unknown to agentkit
    agent = Agent(FunctionModel(reader), tools=[read_page])
    result = await agent.run("Read pages 0 to 59, then tell me the vault code.")

    assert result.output == "Code: 4417"
    assert reader.refused == 1
    overflow = [e for e in compactions(result.events) if e.reason == "overflow"]
    assert len(overflow) == 1 and overflow[0].window == 3000
    assert overflow[0].tokens_before > 3000 > overflow[0].tokens_after
    assert all(e.window == 3000 for e in compactions(result.events))  # remembered for the rest of the run
    assert reader.problems == []


async def test_a_second_overflow_is_raised() -> None:
    attempts: list[int] = []

    def always_too_long(messages: Messages, info: RecordedRequest) -> ModelResponse:
        attempts.append(len(messages))
        raise ContextWindowExceeded(400, "m", "prompt is too long: 900 tokens > 800 maximum", 800, 900)

    history: Messages = []
    for i in range(6):
        history.append(ModelResponse(parts=[ToolCall(id=f"c{i}", name="read_page", arguments="{}")]))
        history.append(ModelRequest(parts=[ToolResult(call_id=f"c{i}", name="read_page", content="x" * 3000)]))
    history.insert(0, ModelRequest(parts=[UserPart(content="start")]))
    agent = Agent(FunctionModel(always_too_long), tools=[read_page], context=ContextPolicy(summarize=False))
    with pytest.raises(ContextWindowExceeded, match="prompt is too long: 900 tokens > 800 maximum"):
        await agent.run("go on", message_history=history)
    assert len(attempts) == 2  # the request, then one retry after compaction


async def test_with_context_management_off_nothing_is_compacted_or_retried() -> None:
    attempts: list[int] = []

    def too_long(messages: Messages, info: RecordedRequest) -> ModelResponse:
        attempts.append(len(messages))
        raise ContextWindowExceeded(400, "m", "prompt is too long: 900 tokens > 800 maximum", 800, 900)

    agent = Agent(FunctionModel(too_long), context=ContextPolicy(enabled=False, window=256))
    with pytest.raises(ContextWindowExceeded):
        await agent.run("x" * 5000)
    assert attempts == [1]


async def test_an_overflow_nothing_can_shrink_is_raised_at_once() -> None:
    attempts: list[int] = []

    def too_long(messages: Messages, info: RecordedRequest) -> ModelResponse:
        attempts.append(len(messages))
        raise ContextWindowExceeded(400, "m", "Your input exceeds the context window of this model.")

    with pytest.raises(ContextWindowExceeded):
        await Agent(FunctionModel(too_long)).run("a single prompt")
    assert attempts == [1]


async def test_summaries_go_through_the_runs_model_caller() -> None:
    """Durable runs record every model call as a step through this hook: the summaries too."""
    seen: list[bool] = []

    async def caller(
        model: Model, messages: Messages, settings: ModelSettings, params: RequestParams, config: Any, timeout: Any
    ) -> ModelResponse:
        seen.append(is_summary_request(messages))
        return await model.request(messages, settings, params)

    reader = Reader(pages=60)
    agent = Agent(FunctionModel(reader), tools=[read_page], context=ContextPolicy(window=4000))
    await agent.run("Read.", options=RunOptions(model_caller=caller))
    assert sum(seen) == reader.summaries > 0
    assert len(seen) == 61 + reader.summaries


async def test_a_compacted_conversation_continues() -> None:
    reader = Reader(pages=30)
    agent = Agent(FunctionModel(reader), tools=[read_page], context=ContextPolicy(window=3000))
    first = await agent.run("Read pages 0 to 29.")
    assert compactions(first.events)
    reader.pages = 40
    second = await agent.run("Read 10 more.", message_history=first.messages)
    assert second.output == "Code: 4417"
    assert reader.problems == []
    assert unanswered_calls(second.messages) == []
    new = second.messages[second.new_message_index :]
    assert isinstance(new[-1], ModelResponse) and new[-1].text == "Code: 4417"


def test_new_message_index_follows_the_summaries() -> None:
    state = ContextState(summarized=[5])
    assert state.new_index(8) == 4  # the note stands for messages 0-4, then 5, 6, 7 come before
    assert state.new_index(3) == 0  # the new messages started inside the summarized part
    state.summarized.append(2)
    assert state.new_index(8) == 3


def test_policy_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        ContextPolicy(threshold=1.5)
    with pytest.raises(ValueError, match="keep_tool_results"):
        ContextPolicy(keep_tool_results=0)
    with pytest.raises(ValueError, match="window"):
        ContextPolicy(window=10)


async def test_a_summary_request_that_is_too_long_itself_is_skipped() -> None:
    reader = Reader(pages=60)

    def refusing_summaries(messages: Messages, info: RecordedRequest) -> ModelResponse:
        if is_summary_request(messages):
            raise ContextWindowExceeded(400, "m", "prompt is too long: 5000 tokens > 4000 maximum", 4000, 5000)
        return reader(messages, info)

    agent = Agent(FunctionModel(refusing_summaries), tools=[read_page], context=ContextPolicy(window=4000))
    result = await agent.run("Read pages 0 to 59.")
    events = compactions(result.events)
    assert events and all("summarize" not in e.rungs for e in events)
    assert reader.problems == [] and result.output == "Code: 4417"  # the early turn was never summarized away


async def test_a_ladder_that_cannot_help_is_not_retried_at_every_step() -> None:
    """A huge task and tiny tool results: only a summary could help, and the summarizer keeps failing."""
    summary_attempts: list[int] = []
    steps: list[int] = []

    def model(messages: Messages, info: RecordedRequest) -> ModelResponse:
        if is_summary_request(messages):
            summary_attempts.append(len(messages))
            raise ContextWindowExceeded(400, "m", "prompt is too long: 9000 tokens > 8000 maximum", 8000, 9000)
        steps.append(len(messages))
        if len(steps) <= 40:
            return ModelResponse(parts=[ToolCall(id=f"c{len(steps)}", name="read_page", arguments='{"n": 1}')])
        return ModelResponse(parts=[TextPart(content="done")])

    def tiny(n: int) -> str:
        """A short page.

        Args:
            n: Page number.
        """
        return "ok"

    agent = Agent(FunctionModel(model), tools=[tool(tiny, name="read_page")], context=ContextPolicy(window=4000))
    result = await agent.run("Task: " + "details " * 2000)  # about 4,000 tokens: past the threshold at once
    assert result.output == "done"
    assert 1 <= len(summary_attempts) <= 3  # retried only after the history grew by a tenth of the window
