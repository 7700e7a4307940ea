"""``Agent.as_tool``: a sub-agent inside its parent's run, budget, usage and event stream."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Agent, Budget, BudgetExceeded, RunContext, RunOptions, UserError, tool
from agentkit._agent_tool import NoBudgetLeft, carve_budget
from agentkit._tool_exec import invoke_directly
from agentkit.events import (
    AgentEvent,
    FinalResultEvent,
    ModelRequestStart,
    ModelResponseEvent,
    RunStart,
    ToolCallEnd,
    ToolCallStart,
)
from agentkit.messages import ModelRequest, RetryPrompt, ToolResult
from agentkit.testing import ScriptedModel, call, text
from agentkit.tools import Tool
from agentkit.usage import Usage

PARENT_USAGE = Usage(input_tokens=10, output_tokens=5)
SUB_USAGE = Usage(input_tokens=100, output_tokens=50, cost_usd=0.02)


@tool(side_effect="pure")
def look() -> str:
    """Looks around."""
    return "nothing"


@tool(side_effect="mutating")
def write() -> str:
    """Writes something."""
    return "written"


def parent_agent(helper: Agent[Any, Any], *replies: Any, **kwargs: Any) -> tuple[Agent[Any, str], ScriptedModel]:
    """A parent whose model calls ``research`` once (call id ``c1``) and then answers with ``replies``."""
    tool_ = helper.as_tool(name="research", description="Researches a question.")
    model = ScriptedModel([call("research", id="c1", task="Find the capital of France"), *replies])
    return Agent(model, tools=[tool_], **kwargs), model


def helper_agent(*replies: Any, **kwargs: Any) -> tuple[Agent[Any, Any], ScriptedModel]:
    model = ScriptedModel(list(replies) or [text("Paris", usage=SUB_USAGE)])
    return Agent(model, name="helper", **kwargs), model


def tool_answer(model: ScriptedModel, request: int = 1) -> ToolResult | RetryPrompt:
    """What the parent's model got back for its ``research`` call."""
    last = model.requests[request].messages[-1]
    assert isinstance(last, ModelRequest)
    part = last.parts[0]
    assert isinstance(part, ToolResult | RetryPrompt)
    return part


# --- output, usage, deps -------------------------------------------------------------------------


async def test_the_sub_agent_answers_the_task_and_its_output_is_the_tool_result() -> None:
    helper, helper_model = helper_agent()
    parent, parent_model = parent_agent(helper, "It is Paris.")

    result = await parent.run("What is the capital of France?")

    assert result.output == "It is Paris."
    assert helper_model.requests[0].messages[-1].parts[-1].content == "Find the capital of France"  # type: ignore[union-attr]
    answer = tool_answer(parent_model)
    assert isinstance(answer, ToolResult)
    assert answer.content == "Paris"


async def test_the_sub_runs_usage_is_added_to_the_parents() -> None:
    helper, _ = helper_agent()
    parent, _ = parent_agent(helper, text("It is Paris.", usage=PARENT_USAGE))

    result = await parent.run("?")

    own = Usage(input_tokens=20, output_tokens=10, requests=2, tool_calls=1)  # two scripted parent responses
    assert result.usage == own + SUB_USAGE.model_copy(update={"requests": 1})


class City(BaseModel):
    name: str
    population_m: float


async def test_a_typed_output_goes_back_as_json() -> None:
    helper, _ = helper_agent(call("final_result", name="Paris", population_m=2.1), output_type=City)
    parent, parent_model = parent_agent(helper, "Paris, 2.1 million people.")

    await parent.run("?")

    answer = tool_answer(parent_model)
    assert isinstance(answer, ToolResult)
    assert answer.content == {"name": "Paris", "population_m": 2.1}


async def test_the_parents_deps_pass_through_to_the_sub_agents_tools() -> None:
    @tool(side_effect="pure")
    def secret_word(ctx: RunContext[dict[str, str]]) -> str:
        """The secret word."""
        return ctx.deps["word"]

    helper, helper_model = helper_agent(call("secret_word"), text("done"), tools=[secret_word])
    parent, _ = parent_agent(helper, "ok")

    await parent.run("?", deps={"word": "swordfish"})

    result = helper_model.requests[1].messages[-1].parts[0]
    assert isinstance(result, ToolResult)
    assert result.content == "swordfish"


async def test_usage_reaches_the_parent_through_an_invoker_that_copies_the_context() -> None:
    async def copying(tool_: Tool[Any], args: dict[str, Any], ctx: RunContext[Any]) -> Any:
        return await invoke_directly(tool_, args, dataclasses.replace(ctx, idempotency_key="k"))  # as durable runs do

    helper, _ = helper_agent()
    parent, _ = parent_agent(helper, "It is Paris.")

    result = await parent.run("?", options=RunOptions(invoke_tool=copying))

    assert result.usage.input_tokens == 10 + 100 + 10


# --- budgets -------------------------------------------------------------------------------------


async def test_the_parents_budget_counts_the_sub_runs_usage() -> None:
    helper, _ = helper_agent()  # one answer of 150 tokens
    parent, parent_model = parent_agent(helper, "unused", budget=Budget(max_tokens=100, on_exceeded="raise"))

    with pytest.raises(BudgetExceeded) as raised:
        await parent.run("?")

    assert raised.value.limit == "max_tokens"
    assert raised.value.usage.total_tokens == 15 + 150
    assert len(parent_model.requests) == 1  # without the sub-run's tokens the parent would have gone on


async def test_the_sub_budget_is_capped_by_what_the_parent_has_left() -> None:
    helper_model = ScriptedModel([call("look"), text("unused")])
    helper = Agent(helper_model, tools=[look])
    own = Budget(max_tokens=10_000, on_exceeded="raise")
    tool_ = helper.as_tool(name="research", description="Researches.", budget=own)
    parent_model = ScriptedModel([call("research", id="c1", task="t"), text("answered without it")])
    parent = Agent(parent_model, tools=[tool_], budget=Budget(max_tokens=20))

    result = await parent.run("?")

    # the parent had 20 - 15 = 5 tokens left: the helper's first response (15 tokens) used them up
    assert len(helper_model.requests) == 1
    assert tool_answer(parent_model).content == (
        "Agent tool 'research' stopped at its budget limit max_tokens before it answered. Give it a smaller "
        "task, or answer without it."
    )
    assert result.usage.total_tokens == 45


async def test_a_parent_with_nothing_left_does_not_start_the_sub_agent() -> None:
    helper, helper_model = helper_agent()
    parent, parent_model = parent_agent(helper, "final", budget=Budget(max_turns=1))

    result = await parent.run("?")

    assert helper_model.requests == []
    assert result.output == "final"
    assert tool_answer(parent_model).content == (
        "Agent tool 'research' was not run: this run's budget has no max_turns left. Answer with what you have."
    )


def test_carve_budget_caps_each_limit_by_what_is_left() -> None:
    own = Budget(max_tokens=1_000, max_seconds=60, on_exceeded="raise")
    parent = Budget(max_tokens=100, max_cost_usd=1.0, max_turns=5, max_tool_calls=3)
    used = Usage(input_tokens=10, output_tokens=5, cost_usd=0.25, requests=2, tool_calls=3)

    carved = carve_budget(own, parent, used, time_left=30.0)

    assert carved == Budget(
        max_tokens=85, max_cost_usd=0.75, max_turns=3, max_tool_calls=0, max_seconds=30.0, on_exceeded="raise"
    )
    assert carve_budget(own, None, used, None) is own
    assert carve_budget(None, None, used, None) is None
    assert carve_budget(None, Budget(max_turns=9, unpriced="warn"), used, None) == Budget(max_turns=7, unpriced="warn")
    with pytest.raises(NoBudgetLeft):
        carve_budget(None, Budget(max_cost_usd=0.25), used, None)


# --- events --------------------------------------------------------------------------------------


async def test_sub_agent_events_reach_the_parents_stream_tagged_with_the_call_id() -> None:
    helper, _ = helper_agent()
    parent, _ = parent_agent(helper, "It is Paris.")

    events: list[AgentEvent] = [e async for e in parent.stream("?")]

    nested = [e for e in events if e.parent_call_id is not None]
    assert [type(e) for e in nested] == [RunStart, ModelRequestStart, ModelResponseEvent, FinalResultEvent]
    assert {e.parent_call_id for e in nested} == {"c1"}
    assert {e.run_id for e in nested} == {f"{events[0].run_id}:0:c1"}
    kinds = [(e.kind, e.parent_call_id) for e in events]
    start = kinds.index(("tool_call_start", None))
    end = kinds.index(("tool_call_end", None))
    assert start < kinds.index(("run_start", "c1")) < kinds.index(("final", "c1")) < end
    assert isinstance(events[start], ToolCallStart)
    assert isinstance(events[end], ToolCallEnd)
    assert events[-1].kind == "final"
    assert events[-1].parent_call_id is None


async def test_nested_events_are_in_the_parents_result_events() -> None:
    helper, _ = helper_agent()
    parent, _ = parent_agent(helper, "It is Paris.")

    result = await parent.run("?")

    nested = [e.kind for e in result.events if e.parent_call_id == "c1"]
    assert nested == ["run_start", "model_request", "model_response", "final"]


async def test_events_from_a_sub_sub_agent_keep_the_id_of_their_own_call() -> None:
    inner, _ = helper_agent()
    middle_model = ScriptedModel([call("inner", id="c2", task="deeper"), text("middle done")])
    middle = Agent(middle_model, tools=[inner.as_tool(name="inner", description="Inner.")])
    parent, _ = parent_agent(middle, "top done")

    result = await parent.run("?")

    tags = {(e.kind, e.parent_call_id) for e in result.events if e.kind in ("run_start", "tool_call_start")}
    assert tags == {
        ("run_start", None),  # the parent
        ("tool_call_start", None),  # the parent calls the middle agent (call c1)
        ("run_start", "c1"),  # the middle agent
        ("tool_call_start", "c1"),  # the middle agent calls the inner one (call c2)
        ("run_start", "c2"),  # the inner agent
    }


# --- failures ------------------------------------------------------------------------------------


async def test_a_failing_sub_run_is_a_tool_failure_the_parent_reads() -> None:
    @tool(side_effect="pure", retries=0)
    def broken() -> str:
        """Always fails."""
        raise RuntimeError("disk on fire")

    helper, _ = helper_agent(call("broken"), tools=[broken])
    parent, parent_model = parent_agent(helper, "I could not find out.")

    result = await parent.run("?")

    assert result.output == "I could not find out."
    answer = tool_answer(parent_model)
    assert isinstance(answer, RetryPrompt)
    assert answer.content == (
        "Agent tool 'research' failed; try a clearer or smaller task, or answer without it. The agent's error: "
        "ToolRetriesExceeded: Tool 'broken' failed 1 times, more than its retry limit of 0. Last error: "
        "Tool 'broken' raised RuntimeError: disk on fire\nFix the problem and try again, or answer without it.\n"
        "Raise the limit with @tool(retries=...) or fix the tool/prompt."
    )


async def test_the_usage_of_a_failed_sub_run_still_counts() -> None:
    helper, _ = helper_agent(call("nope"), call("nope"), call("nope"), retries=1)
    parent, _ = parent_agent(helper, text("gave up", usage=PARENT_USAGE))

    result = await parent.run("?")

    assert result.usage.requests == 2 + 2  # the helper's two requests before it gave up


# --- definition ----------------------------------------------------------------------------------


def test_side_effect_follows_the_sub_agents_tools() -> None:
    assert Agent(ScriptedModel([])).as_tool(description="d").side_effect == "idempotent"
    assert Agent(ScriptedModel([]), tools=[look]).as_tool(description="d").side_effect == "idempotent"
    mixed = Agent(ScriptedModel([]), tools=[look, write])
    assert mixed.as_tool(description="d").side_effect == "mutating"
    assert mixed.as_tool(description="d", side_effect="idempotent").side_effect == "idempotent"


def test_the_tool_takes_one_task_string_and_is_named_after_the_agent() -> None:
    made = Agent(ScriptedModel([]), name="scout").as_tool(description="Scouts.")
    assert made.name == "scout"
    assert made.description == "Scouts."
    assert made.parameters == {
        "type": "object",
        "properties": {
            "task": {
                "type": "string",
                "description": (
                    "The task for this agent, complete and self-contained: it sees nothing else of your conversation."
                ),
            }
        },
        "required": ["task"],
        "additionalProperties": False,
    }


def test_an_empty_description_is_refused() -> None:
    with pytest.raises(UserError) as raised:
        Agent(ScriptedModel([])).as_tool(name="x", description=" ")
    assert str(raised.value) == (
        "Agent.as_tool(description=...) is empty: say what the agent does and when to call it, the parent's "
        "model reads it to decide."
    )


# --- tracing -------------------------------------------------------------------------------------


async def test_the_sub_run_is_traced_as_its_own_run_inside_the_parents() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import agentkit.tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    helper, _ = helper_agent()
    parent, _ = parent_agent(helper, "It is Paris.", name="boss")
    agentkit.tracing.instrument(provider)
    try:
        await parent.run("?")
    finally:
        agentkit.tracing.uninstrument()
        provider.shutdown()

    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == [
        "chat scripted",
        "chat scripted",
        "chat scripted",
        "execute_tool research",
        "invoke_agent boss",
        "invoke_agent helper",
    ]
    by_name = {s.name: s for s in spans}
    boss, helper_span = by_name["invoke_agent boss"], by_name["invoke_agent helper"]
    assert boss.parent is None
    assert helper_span.parent is not None
    assert helper_span.parent.span_id == boss.context.span_id
    assert (helper_span.attributes or {})["gen_ai.usage.input_tokens"] == 100
    assert (boss.attributes or {})["gen_ai.usage.input_tokens"] == 120
