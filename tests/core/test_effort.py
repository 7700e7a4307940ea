"""EffortSchedule: reasoning_effort falls as the run's budget runs out, request by request, with events."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import Agent, Budget, EffortSchedule, ModelSettings, tool
from agentkit.events import EffortLowered, event_adapter
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.testing import FunctionModel, RecordedRequest, call, response, text
from agentkit.usage import Usage


@tool(side_effect="pure")
def look(x: int) -> int:
    """Look at x."""
    return x


def looping_model(cost: float = 0.0) -> FunctionModel:
    """Calls `look` on every turn (150 tokens each), until it is asked for the final answer."""

    def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        usage = Usage(input_tokens=100, output_tokens=50, cost_usd=cost)
        if info.params.final_answer:
            return text("done", usage=usage)
        return response(call("look", x=len(messages)), usage=usage)

    return FunctionModel(reply)


def efforts(model: FunctionModel) -> list[str | None]:
    return [request.settings.reasoning_effort for request in model.requests]


def lowered(events: list[Any]) -> list[tuple[int, str, str | None, float, str]]:
    return [(e.step, e.effort, e.previous, e.share, e.limit) for e in events if isinstance(e, EffortLowered)]


def agent_with(model: FunctionModel, schedule: EffortSchedule | None = None, **settings: Any) -> Agent[None, str]:
    return Agent(model, tools=[look], settings=ModelSettings(**settings), effort_schedule=schedule or EffortSchedule())


async def test_high_medium_low_as_the_turns_run_out() -> None:
    model = looping_model()

    result = await agent_with(model, reasoning_effort="high").run("go", budget=Budget(max_turns=10))

    # before request i, i of 10 turns are used: medium from half the budget, low from 80 %; the final
    # answer (after the 10th turn) stays low
    assert efforts(model) == ["high"] * 5 + ["medium"] * 3 + ["low"] * 3
    assert lowered(result.events) == [(5, "medium", "high", 0.5, "max_turns"), (8, "low", "medium", 0.8, "max_turns")]
    assert result.stop_reason == "max_turns"


async def test_the_limit_used_most_decides() -> None:
    model = looping_model()

    result = await agent_with(model, reasoning_effort="high").run("go", budget=Budget(max_turns=100, max_tokens=1000))

    # 150 tokens a turn: 0.6 of the tokens before the 5th request, 0.9 before the 7th; 1,050 end the run
    assert efforts(model) == ["high"] * 4 + ["medium"] * 2 + ["low"] * 2
    assert lowered(result.events) == [(4, "medium", "high", 0.6, "max_tokens"), (6, "low", "medium", 0.9, "max_tokens")]


async def test_cost_counts_too() -> None:
    model = looping_model(cost=0.25)
    agent = Agent(model, tools=[look], effort_schedule=EffortSchedule([(0.5, "low")]))

    result = await agent.run("go", budget=Budget(max_cost_usd=1.0, max_turns=50))

    assert efforts(model) == [None, None, "low", "low", "low"]  # unset settings: the provider's default first
    assert lowered(result.events) == [(2, "low", None, 0.5, "max_cost_usd")]


async def test_the_schedule_never_raises_the_effort() -> None:
    model = looping_model()

    result = await agent_with(model, reasoning_effort="low").run("go", budget=Budget(max_turns=6))

    assert efforts(model) == ["low"] * 7
    assert lowered(result.events) == []


async def test_custom_steps() -> None:
    model = looping_model()
    schedule = EffortSchedule([(0.25, "medium"), (0.5, "minimal")])

    result = await agent_with(model, schedule, reasoning_effort="high").run("go", budget=Budget(max_turns=4))

    assert efforts(model) == ["high", "medium", "minimal", "minimal", "minimal"]
    assert [e.effort for e in result.events if isinstance(e, EffortLowered)] == ["medium", "minimal"]


async def test_without_a_budget_nothing_changes() -> None:
    replies = iter([call("look", x=1), text("done")])
    model = FunctionModel(lambda messages, info: next(replies))

    result = await agent_with(model, reasoning_effort="high").run("go", budget=Budget(max_seconds=60))

    assert efforts(model) == ["high", "high"]
    assert lowered(result.events) == []


async def test_each_run_counts_its_own_usage() -> None:
    model = looping_model()
    agent = agent_with(model, reasoning_effort="high")

    await agent.run("go", budget=Budget(max_turns=2))
    model.requests.clear()
    await agent.run("again", budget=Budget(max_turns=2))

    assert efforts(model) == ["high", "medium", "low"]  # the second run starts high again


def test_the_event_round_trips() -> None:
    event = EffortLowered(run_id="r", step=5, effort="medium", previous="high", share=0.5, limit="max_turns")
    assert event_adapter().validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "EffortSchedule needs at least one (share, effort) step, e.g. [(0.5, 'medium')]."),
        ([(0.0, "low")], "EffortSchedule: a step's share must be in (0, 1], got 0.0 (for 'low')."),
        ([(1.5, "low")], "EffortSchedule: a step's share must be in (0, 1], got 1.5 (for 'low')."),
        ([(0.5, "tiny")], "EffortSchedule: unknown effort 'tiny'; use one of minimal, low, medium, high."),
        (
            [(0.8, "medium"), (0.5, "low")],
            "EffortSchedule steps must rise in share and fall in effort, got [(0.8, 'medium'), (0.5, 'low')]; "
            "e.g. [(0.5, 'medium'), (0.8, 'low')].",
        ),
        (
            [(0.5, "low"), (0.8, "medium")],
            "EffortSchedule steps must rise in share and fall in effort, got [(0.5, 'low'), (0.8, 'medium')]; "
            "e.g. [(0.5, 'medium'), (0.8, 'low')].",
        ),
    ],
)
def test_bad_steps(steps: Any, message: str) -> None:
    with pytest.raises(UserError) as info:
        EffortSchedule(steps)
    assert str(info.value) == message
