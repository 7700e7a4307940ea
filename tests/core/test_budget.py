"""Every budget limit ends the run gracefully with a best-effort answer, or raises when asked."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel, ValidationError

from agentkit import Agent, Budget, BudgetExceeded, ModelRequest, UserPart, tool
from agentkit.messages import ModelResponse
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, call, response, text
from agentkit.usage import Usage

FINAL_PROMPT = (
    "You have reached the limit of this run ($limit). Do not call any more tools. Using only what you already "
    "know, give your best final answer now."
)


@tool(side_effect="pure")
def look(x: int) -> int:
    """Look at x."""
    return x


def looping_model(final_text: str = "best guess") -> FunctionModel:
    """Calls `look` forever, except when asked for the final answer."""

    def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        if info.params.final_answer:
            return text(final_text, usage=Usage(input_tokens=100, output_tokens=50, reasoning_tokens=30))
        return response(call("look", x=len(messages)), usage=Usage(input_tokens=100, output_tokens=50, cost_usd=0.01))

    return FunctionModel(reply)


def assert_final_prompt(model: FunctionModel, limit: str) -> None:
    last = model.requests[-1]
    assert last.params.final_answer is True
    message = last.messages[-1]
    assert isinstance(message, ModelRequest)
    assert message.parts[-1] == UserPart(content=FINAL_PROMPT.replace("$limit", limit))


@pytest.mark.parametrize(
    ("budget", "limit", "requests"),
    [
        (Budget(max_turns=3), "max_turns", 3),
        (Budget(max_tokens=400), "max_tokens", 3),  # 150 tokens a turn: 300 < 400 <= 450
        (Budget(max_cost_usd=0.025), "max_cost_usd", 3),
        (Budget(max_tool_calls=2), "max_tool_calls", 2),
    ],
)
def test_limit_ends_with_best_answer(budget: Budget, limit: str, requests: int) -> None:
    model = looping_model()
    result = Agent(model, tools=[look], budget=budget).run_sync("go")
    assert result.output == "best guess"
    assert result.stop_reason == limit
    assert result.usage.requests == requests + 1  # the final best-answer call
    assert_final_prompt(model, limit)
    assert [e.kind for e in result.events].count("budget_exceeded") == 1


def test_reasoning_tokens_count_towards_max_tokens() -> None:
    def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        usage = Usage(input_tokens=10, output_tokens=600, reasoning_tokens=590)
        return response(call("look", x=1), usage=usage) if not info.params.final_answer else text("done")

    result = Agent(FunctionModel(reply), tools=[look], budget=Budget(max_tokens=1000)).run_sync("go")
    assert result.stop_reason == "max_tokens"
    assert result.usage.requests == 3
    assert (result.usage.reasoning_tokens, result.usage.total_tokens) == (1180, 1235)


def test_max_seconds_cancels_a_slow_model_call() -> None:
    async def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        if info.params.final_answer:
            return text("quick answer")
        await asyncio.sleep(10)
        raise AssertionError("not cancelled")

    model = FunctionModel(reply)
    result = Agent(model, budget=Budget(max_seconds=0.2)).run_sync("go")
    assert (result.output, result.stop_reason) == ("quick answer", "max_seconds")
    assert_final_prompt(model, "max_seconds")
    # The interrupted request is not left dangling: one request message holds the prompt and the final ask.
    assert [m.kind for m in result.messages] == ["request", "response"]


def test_max_seconds_between_steps() -> None:
    @tool(side_effect="pure")
    async def nap() -> str:
        """Sleeps."""
        await asyncio.sleep(0.15)
        return "rested"

    def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        return text("summary") if info.params.final_answer else call("nap")

    result = Agent(FunctionModel(reply), tools=[nap], budget=Budget(max_seconds=0.3)).run_sync("go")
    assert result.stop_reason == "max_seconds"
    assert result.output == "summary"


def test_tool_calls_beyond_the_limit_are_not_run() -> None:
    ran: list[int] = []

    @tool(side_effect="pure")
    def count(i: int) -> int:
        """Count."""
        ran.append(i)
        return i

    model = ScriptedModel([response(call("count", i=1), call("count", i=2), call("count", i=3)), "two ran"])
    result = Agent(model, tools=[count], budget=Budget(max_tool_calls=2)).run_sync("go")
    assert ran == [1, 2]
    assert result.usage.tool_calls == 2
    request = model.requests[-1].messages[-1]
    assert isinstance(request, ModelRequest)
    assert request.parts[2].content == (  # type: ignore[union-attr]
        "Tool 'count' was not run: the tool-call budget of this run is used up. Answer with what you have."
    )


def test_raise_instead_of_answer() -> None:
    model = looping_model()
    with pytest.raises(BudgetExceeded) as info:
        Agent(model, tools=[look], budget=Budget(max_turns=2, on_exceeded="raise")).run_sync("go")
    assert str(info.value) == "Budget limit 'max_turns' reached (2 requests, 300 tokens, $0.0200, 2 tool calls)."
    assert info.value.limit == "max_turns"
    assert len(model.requests) == 2


def test_invalid_best_effort_answer_raises() -> None:
    class Answer(BaseModel):
        value: int

    model = looping_model(final_text="no idea")
    with pytest.raises(BudgetExceeded, match="The model's best-effort answer was not valid: Give your final answer"):
        Agent(model, tools=[look], output_type=Answer, budget=Budget(max_turns=1)).run_sync("go")


def test_budget_warning_event_once() -> None:
    result = Agent(looping_model(), tools=[look], budget=Budget(max_turns=5)).run_sync("go")
    warnings = [e for e in result.events if e.kind == "budget_warning"]
    assert [(w.limit, w.used, w.maximum) for w in warnings] == [("max_turns", 4, 5.0)]  # type: ignore[union-attr]


def test_budget_rejects_bad_values() -> None:
    with pytest.raises(ValidationError, match="max_turns"):
        Budget(max_turns=0)
    with pytest.raises(ValidationError, match="on_exceeded"):
        Budget(on_exceeded="explode")  # type: ignore[arg-type]


def test_run_level_budget_overrides_agent_budget() -> None:
    agent = Agent(looping_model(), tools=[look], budget=Budget(max_turns=10))
    assert agent.run_sync("go", budget=Budget(max_turns=1)).usage.requests == 2


def test_clock_hook_decides_max_seconds() -> None:
    from agentkit import RunOptions

    ticks = iter([0.0, 0.0, 0.0, 50.0, 50.0, 50.0, 50.0])
    model = looping_model()
    options = RunOptions(clock=lambda: next(ticks, 50.0))
    result = Agent(model, tools=[look], budget=Budget(max_seconds=10)).run_sync("go", options=options)
    assert result.stop_reason == "max_seconds"
    assert result.usage.requests == 2  # one tool turn; then no time is left on the hook's clock: final answer
