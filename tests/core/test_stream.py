"""Streaming: typed events in a fixed order, ending with the final result."""

from __future__ import annotations

import pytest

from agentkit import Agent, tool
from agentkit.events import AgentEvent, FinalResultEvent, ToolCallEnd, ToolCallStart, event_adapter
from agentkit.testing import ScriptedModel, call, reasoning, response, text


@tool(side_effect="pure", secret_args=["token"])
def fetch(key: str, token: str) -> str:
    """Fetch a value."""
    return f"value-of-{key}"


async def collect(agent: Agent[None, str], prompt: str) -> list[AgentEvent]:
    return [event async for event in agent.stream(prompt)]


async def test_event_order_of_a_tool_using_run() -> None:
    model = ScriptedModel(
        [
            response(reasoning("I should fetch."), call("fetch", key="k", token="s3cret", id="c1")),
            response(reasoning("Got it."), text("The value is value-of-k.")),
        ]
    )
    events = await collect(Agent(model, tools=[fetch]), "what is k?")
    assert [e.kind for e in events] == [
        "run_start",
        "model_request",
        "reasoning_delta",
        "tool_call_delta",
        "model_response",
        "tool_call_start",
        "tool_call_end",
        "model_request",
        "reasoning_delta",
        "text_delta",
        "model_response",
        "final",
    ]
    run_ids = {e.run_id for e in events}
    assert len(run_ids) == 1 and "" not in run_ids
    final = events[-1]
    assert isinstance(final, FinalResultEvent) and final.output == "The value is value-of-k."
    start = next(e for e in events if isinstance(e, ToolCallStart))
    assert start.call.arguments == '{"key": "k", "token": "[REDACTED]"}'
    end = next(e for e in events if isinstance(e, ToolCallEnd))
    assert end.result.content == "value-of-k" and end.duration_s >= 0 and not end.is_error


async def test_events_serialise_and_round_trip() -> None:
    events = await collect(Agent(ScriptedModel([call("fetch", key="a", token="t"), "done"]), tools=[fetch]), "x")
    for event in events:
        assert event_adapter().validate_json(event.model_dump_json()) == event
    assert '"t"' not in "".join(e.model_dump_json() for e in events if e.kind != "model_response")


async def test_stream_propagates_errors() -> None:
    agent = Agent(ScriptedModel([]))
    with pytest.raises(Exception, match="ScriptedModel ran out of responses"):
        await collect(agent, "x")


async def test_consumer_can_stop_early() -> None:
    agent = Agent(ScriptedModel([call("fetch", key="a", token="t"), "done"]), tools=[fetch])
    async for event in agent.stream("x"):
        if event.kind == "model_request":
            break


async def test_tool_call_ends_follow_call_order_within_a_parallel_batch() -> None:
    import asyncio

    @tool(side_effect="pure")
    async def wait(seconds: float) -> float:
        """Sleep."""
        await asyncio.sleep(seconds)
        return seconds

    calls = response(call("wait", seconds=0.2, id="slow"), call("wait", seconds=0.0, id="fast"))
    events = await collect(Agent(ScriptedModel([calls, "done"]), tools=[wait]), "x")
    tool_events = [
        (e.kind, getattr(e, "call_id", None) or e.call.id) for e in events if e.kind.startswith("tool_call_")
    ]  # type: ignore[union-attr]
    assert [t for t in tool_events if t[0] != "tool_call_delta"] == [
        ("tool_call_start", "slow"),
        ("tool_call_start", "fast"),
        ("tool_call_end", "slow"),  # the fast call finished first, but the log follows the call order
        ("tool_call_end", "fast"),
    ]
