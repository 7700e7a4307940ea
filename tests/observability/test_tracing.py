"""OpenTelemetry spans of agent runs (GenAI semantic conventions), checked with the in-memory exporter."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import pytest
from inline_snapshot import snapshot
from opentelemetry import trace

import agentkit.tracing
from agentkit import Agent, Budget, ModelHTTPError, RunOptions, Usage, tool
from agentkit.events import AgentEvent, ModelRequestStart, ModelResponseEvent, RunStart, ToolCallEnd, ToolCallStart
from agentkit.messages import ModelResponse, TextPart, ToolCall
from agentkit.strategies import BestOfN
from agentkit.testing import FunctionModel, ScriptedModel, call, reasoning, response, text

from .conftest import Traces
from .spans import span_tree


@tool(side_effect="pure")
async def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name.
    """
    await asyncio.sleep(0.001)
    return {"city": city, "temp_c": 21}


@tool(side_effect="pure")
def broken(city: str) -> str:
    """Always fails."""
    raise ConnectionError(f"service for {city} is down")


def multi_turn_model() -> ScriptedModel:
    """Turn 1: reasoning and two parallel calls; turn 2: a failing call; turn 3: the answer."""
    return ScriptedModel(
        [
            response(
                reasoning("Two cities: call get_weather for both at once."),
                call("get_weather", city="Paris", id="call_paris"),
                call("get_weather", city="Rome", id="call_rome"),
                usage=Usage(input_tokens=100, output_tokens=60, reasoning_tokens=40, cached_tokens=20, cost_usd=0.003),
            ),
            response(call("broken", city="Oslo", id="call_oslo"), usage=Usage(input_tokens=150, output_tokens=10)),
            response(text("Paris and Rome: 21 °C. Oslo: unknown."), usage=Usage(input_tokens=170, output_tokens=12)),
        ]
    )


async def traced_run(agent: Agent[Any, Any], prompt: str) -> Any:
    """Run ``agent`` inside ``traced`` as Agent.iter does (explicit here, so it doesn't depend on the wiring)."""
    with agentkit.tracing.traced(None, agent_name=agent.name) as emit:
        return await agent.run(prompt, options=RunOptions(emit=emit, run_id="run-1"))


async def test_span_tree_of_a_multi_turn_run(traces: Traces) -> None:
    agent: Agent[None, str] = Agent(
        multi_turn_model(), name="weather", tools=[get_weather, broken], budget=Budget(max_tokens=380)
    )
    result = await traced_run(agent, "Weather in Paris, Rome and Oslo?")

    assert result.output == "Paris and Rome: 21 °C. Oslo: unknown."
    assert span_tree(traces.spans()) == snapshot(
        [
            {
                "name": "invoke_agent weather",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": "weather",
                    "gen_ai.provider.name": "test",
                    "gen_ai.request.model": "scripted",
                    "agentkit.run.id": "run-1",
                    "agentkit.budget.max_tokens": 380,
                    "gen_ai.tool.definitions": [
                        {
                            "type": "function",
                            "name": "get_weather",
                            "description": "Current weather for a city.",
                            "parameters": {
                                "additionalProperties": False,
                                "properties": {"city": {"description": "City name.", "type": "string"}},
                                "required": ["city"],
                                "type": "object",
                            },
                        },
                        {
                            "type": "function",
                            "name": "broken",
                            "description": "Always fails.",
                            "parameters": {
                                "additionalProperties": False,
                                "properties": {"city": {"type": "string"}},
                                "required": ["city"],
                                "type": "object",
                            },
                        },
                    ],
                    "gen_ai.input.messages": [
                        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris, Rome and Oslo?"}]}
                    ],
                    "gen_ai.usage.input_tokens": 420,
                    "gen_ai.usage.output_tokens": 82,
                    "gen_ai.usage.reasoning.output_tokens": 40,
                    "gen_ai.usage.cache_read.input_tokens": 20,
                    "agentkit.usage.cost_usd": 0.003,
                    "agentkit.stop_reason": "final",
                    "gen_ai.output.messages": [
                        {
                            "role": "assistant",
                            "parts": [{"type": "text", "content": "Paris and Rome: 21 °C. Oslo: unknown."}],
                        }
                    ],
                },
                "events": [
                    {
                        "name": "agentkit.budget_warning",
                        "agentkit.limit": "max_tokens",
                        "agentkit.used": 320.0,
                        "agentkit.maximum": 380.0,
                    }
                ],
                "children": [
                    {
                        "name": "chat scripted",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "test",
                            "gen_ai.request.model": "scripted",
                            "agentkit.step": 0,
                            "gen_ai.usage.input_tokens": 100,
                            "gen_ai.usage.output_tokens": 60,
                            "gen_ai.usage.reasoning.output_tokens": 40,
                            "gen_ai.usage.cache_read.input_tokens": 20,
                            "agentkit.usage.cost_usd": 0.003,
                            "gen_ai.response.model": "scripted",
                            "agentkit.tool_calls": 2,
                            "gen_ai.output.messages": [
                                {
                                    "role": "assistant",
                                    "parts": [
                                        {
                                            "type": "reasoning",
                                            "content": "Two cities: call get_weather for both at once.",
                                        },
                                        {"type": "tool_call", "id": "call_paris", "name": "get_weather"},
                                        {"type": "tool_call", "id": "call_rome", "name": "get_weather"},
                                    ],
                                }
                            ],
                        },
                    },
                    {
                        "name": "execute_tool get_weather",
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "get_weather",
                            "gen_ai.tool.call.id": "call_paris",
                            "gen_ai.tool.type": "function",
                            "agentkit.step": 0,
                            "gen_ai.tool.call.arguments": '{"city": "Paris"}',
                            "gen_ai.tool.call.result": '{"city": "Paris", "temp_c": 21}',
                        },
                    },
                    {
                        "name": "execute_tool get_weather",
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "get_weather",
                            "gen_ai.tool.call.id": "call_rome",
                            "gen_ai.tool.type": "function",
                            "agentkit.step": 0,
                            "gen_ai.tool.call.arguments": '{"city": "Rome"}',
                            "gen_ai.tool.call.result": '{"city": "Rome", "temp_c": 21}',
                        },
                    },
                    {
                        "name": "chat scripted",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "test",
                            "gen_ai.request.model": "scripted",
                            "agentkit.step": 1,
                            "gen_ai.usage.input_tokens": 150,
                            "gen_ai.usage.output_tokens": 10,
                            "gen_ai.usage.reasoning.output_tokens": 0,
                            "gen_ai.usage.cache_read.input_tokens": 0,
                            "agentkit.usage.cost_usd": 0.0,
                            "gen_ai.response.model": "scripted",
                            "agentkit.tool_calls": 1,
                            "gen_ai.output.messages": [
                                {
                                    "role": "assistant",
                                    "parts": [{"type": "tool_call", "id": "call_oslo", "name": "broken"}],
                                }
                            ],
                        },
                    },
                    {
                        "name": "execute_tool broken",
                        "attributes": {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": "broken",
                            "gen_ai.tool.call.id": "call_oslo",
                            "gen_ai.tool.type": "function",
                            "agentkit.step": 1,
                            "gen_ai.tool.call.arguments": '{"city": "Oslo"}',
                            "error.type": "tool_error",
                            "gen_ai.tool.call.result": """\
Tool 'broken' raised ConnectionError: service for Oslo is down
Fix the problem and try again, or answer without it.\
""",
                        },
                        "status": """\
ERROR: Tool 'broken' raised ConnectionError: service for Oslo is down
Fix the problem and try again, or answer without it.\
""",
                    },
                    {
                        "name": "chat scripted",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "test",
                            "gen_ai.request.model": "scripted",
                            "agentkit.step": 2,
                            "gen_ai.usage.input_tokens": 170,
                            "gen_ai.usage.output_tokens": 12,
                            "gen_ai.usage.reasoning.output_tokens": 0,
                            "gen_ai.usage.cache_read.input_tokens": 0,
                            "agentkit.usage.cost_usd": 0.0,
                            "gen_ai.response.model": "scripted",
                            "agentkit.tool_calls": 0,
                            "gen_ai.output.messages": [
                                {
                                    "role": "assistant",
                                    "parts": [{"type": "text", "content": "Paris and Rome: 21 °C. Oslo: unknown."}],
                                }
                            ],
                        },
                    },
                ],
            }
        ]
    )


async def test_span_times_are_the_event_times(traces: Traces) -> None:
    result = await traced_run(Agent(multi_turn_model(), tools=[get_weather, broken]), "Weather?")

    starts = [e for e in result.events if isinstance(e, ModelRequestStart)]
    ends = [e for e in result.events if isinstance(e, ModelResponseEvent)]
    chats = sorted((s for s in traces.spans() if s.name.startswith("chat ")), key=lambda s: s.start_time or 0)
    assert [s.start_time for s in chats] == [int(e.ts * 1e9) for e in starts]
    assert [s.end_time for s in chats] == [int(e.ts * 1e9) for e in ends]
    paris = next(s for s in traces.spans() if (s.attributes or {}).get("gen_ai.tool.call.id") == "call_paris")
    paris_end = next(e for e in result.events if isinstance(e, ToolCallEnd) and e.call_id == "call_paris")
    assert paris.end_time == int(paris_end.ts * 1e9)
    assert (paris.end_time or 0) - (paris.start_time or 0) >= 1_000_000  # the tool sleeps 1 ms


async def test_tracing_is_off_unless_instrumented() -> None:
    assert not agentkit.tracing.is_instrumented()

    async def sink(event: AgentEvent) -> None:
        return None

    with agentkit.tracing.traced(sink) as emit:
        assert emit is sink
    with agentkit.tracing.traced(None) as emit:
        assert emit is None


async def test_content_is_recorded_only_when_asked(traces_without_content: Traces) -> None:
    await traced_run(Agent(multi_turn_model(), tools=[get_weather, broken]), "Weather in Paris?")

    content_keys = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
    spans = traces_without_content.spans()
    assert len(spans) == 7
    for span in spans:
        assert not content_keys & set(span.attributes or {}), span.name
    oslo = next(s for s in spans if (s.attributes or {}).get("gen_ai.tool.call.id") == "call_oslo")
    assert oslo.status.status_code is trace.StatusCode.ERROR
    assert oslo.status.description == (
        "Tool 'broken' raised ConnectionError: service for Oslo is down\n"
        "Fix the problem and try again, or answer without it."
    )


async def test_a_failing_run_ends_its_spans_with_an_error(traces: Traces) -> None:
    def fail(messages: Any, info: Any) -> ModelResponse:
        raise ModelHTTPError(401, "m", "bad key sk-proj-abcdefghijklmnopqrstuvwxyz")

    with pytest.raises(ModelHTTPError):
        await traced_run(Agent(FunctionModel(fail), name="failing"), "Hello")

    assert span_tree(traces.spans()) == snapshot(
        [
            {
                "name": "invoke_agent failing",
                "attributes": {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": "failing",
                    "gen_ai.provider.name": "test",
                    "gen_ai.request.model": "function",
                    "agentkit.run.id": "run-1",
                    "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Hello"}]}],
                    "error.type": "ModelHTTPError",
                },
                "status": "ERROR: ModelHTTPError: Model 'm' answered HTTP 401: bad key [REDACTED]",
                "events": [
                    {
                        "name": "exception",
                        "exception.type": "ModelHTTPError",
                        "exception.message": "ModelHTTPError: Model 'm' answered HTTP 401: bad key [REDACTED]",
                    }
                ],
                "children": [
                    {
                        "name": "chat function",
                        "attributes": {
                            "gen_ai.operation.name": "chat",
                            "gen_ai.provider.name": "test",
                            "gen_ai.request.model": "function",
                            "agentkit.step": 0,
                            "error.type": "ModelHTTPError",
                        },
                        "status": "ERROR: ModelHTTPError: Model 'm' answered HTTP 401: bad key [REDACTED]",
                        "events": [
                            {
                                "name": "exception",
                                "exception.type": "ModelHTTPError",
                                "exception.message": "ModelHTTPError: Model 'm' answered HTTP 401: bad key [REDACTED]",
                            }
                        ],
                    }
                ],
            }
        ]
    )


def test_a_request_without_response_is_closed_by_the_next_one(traces: Traces) -> None:
    """A model request that timed out (max_seconds) gets no response event; its span must still end."""
    with agentkit.tracing.traced(None, agent_name="timed") as emit:
        assert isinstance(emit, agentkit.tracing.RunTracer)
        t0 = time.time()
        emit.record(RunStart(run_id="r", model="test:m", prompt="p", ts=t0))
        emit.record(ModelRequestStart(run_id="r", step=0, model="test:m", ts=t0 + 1))
        emit.record(ModelRequestStart(run_id="r", step=0, model="test:m", final_answer=True, ts=t0 + 5))
        answer = ModelResponse(parts=[TextPart(content="best effort")], model_name="m")
        emit.record(ModelResponseEvent(run_id="r", step=0, response=answer, duration_s=1.0, ts=t0 + 6))

    spans = sorted(traces.spans(), key=lambda s: s.start_time or 0)
    assert [(s.name, s.status.status_code.name) for s in spans] == [
        ("invoke_agent timed", "ERROR"),
        ("chat m", "ERROR"),
        ("chat m", "UNSET"),
    ]
    timed_out = spans[1]
    assert timed_out.status.description == "no response arrived (the request timed out or failed)"
    assert (timed_out.end_time or 0) - (timed_out.start_time or 0) == 4_000_000_000
    assert (spans[2].attributes or {})["agentkit.final_answer"] is True


def test_an_unfinished_tool_call_is_closed_when_the_run_ends(traces: Traces) -> None:
    with agentkit.tracing.traced(None, agent_name="cancelled") as emit:
        assert isinstance(emit, agentkit.tracing.RunTracer)
        emit.record(RunStart(run_id="r", model="test:m", prompt="p"))
        emit.record(ToolCallStart(run_id="r", step=0, call=ToolCall(id="c1", name="slow")))

    by_name = {s.name: s for s in traces.spans()}
    assert set(by_name) == {"invoke_agent cancelled", "execute_tool slow"}
    for span in by_name.values():
        assert span.status.status_code is trace.StatusCode.ERROR
        assert span.status.description == "the run ended before it finished"
        assert (span.attributes or {})["error.type"] == "incomplete"


async def test_spans_opened_inside_a_tool_nest_under_the_run(traces: Traces) -> None:
    @tool(side_effect="pure")
    def fetch() -> str:
        """Does some traced work of its own (like an instrumented HTTP client)."""
        with traces.provider.get_tracer("http").start_as_current_span("GET /data"):
            return "ok"

    await traced_run(Agent(ScriptedModel([call("fetch", id="c1"), text("done")]), name="nesting", tools=[fetch]), "go")

    by_name = {s.name: s for s in traces.spans()}
    parent = by_name["GET /data"].parent
    assert parent is not None
    assert parent.span_id == by_name["invoke_agent nesting"].context.span_id
    assert trace.get_current_span() is trace.INVALID_SPAN  # detached when the run ended


async def test_instrument_traces_every_agent_run(traces: Traces) -> None:
    """Needs Agent.iter to wrap its event sink with agentkit.tracing.traced (one line in agent.py)."""
    model = ScriptedModel([call("get_weather", city="Paris", id="c1"), text("21 °C")])
    await Agent(model, name="wired", tools=[get_weather]).run("Weather?")

    names = sorted(s.name for s in traces.spans())
    assert names == ["chat scripted", "chat scripted", "execute_tool get_weather", "invoke_agent wired"], (
        "agent runs are not traced: Agent.iter must wrap opts.emit with agentkit.tracing.traced(...)"
    )


def test_importing_agentkit_and_its_tracing_module_does_not_import_opentelemetry() -> None:
    code = "import agentkit, agentkit.tracing, sys; print(sorted(m for m in sys.modules if 'opentelemetry' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_a_strategy_run_is_one_trace_with_a_child_span_per_branch(traces: Traces) -> None:
    """Needs the wiring in Agent.iter and Agent.run (see the report); one trace, not one per branch."""
    agent: Agent[None, str] = Agent(FunctionModel(lambda messages, info: "4"), name="solver")
    strategy = BestOfN(n=3, verifier=lambda output: 1.0)
    await agent.run("2+2?", strategy=strategy, options=RunOptions(run_id="s-1"))

    [root] = span_tree(traces.spans())
    assert root["name"] == "invoke_agent solver"
    assert root["attributes"] == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "solver",
        "agentkit.strategy": "best_of_n",
        "gen_ai.usage.input_tokens": 30,
        "gen_ai.usage.output_tokens": 15,
        "gen_ai.usage.reasoning.output_tokens": 0,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "agentkit.usage.cost_usd": 0.0,
        "agentkit.stop_reason": "final",
        "agentkit.run.id": "s-1",
        "gen_ai.output.messages": [{"role": "assistant", "parts": [{"type": "text", "content": "4"}]}],
    }
    actions = sorted((e["agentkit.action"], e["agentkit.branch_id"]) for e in root["events"])
    assert actions == [
        ("choose", "0"),
        ("score", "0"),
        ("score", "1"),
        ("score", "2"),
        ("start", "0"),
        ("start", "1"),
        ("start", "2"),
    ]
    branches = sorted(root["children"], key=lambda c: c["attributes"]["agentkit.run.id"])
    assert [(b["name"], b["attributes"]["agentkit.run.id"]) for b in branches] == [
        ("invoke_agent solver", "s-1:0"),
        ("invoke_agent solver", "s-1:1"),
        ("invoke_agent solver", "s-1:2"),
    ]
    assert [[c["name"] for c in b["children"]] for b in branches] == [["chat function"]] * 3


async def test_a_tracing_failure_warns_and_never_breaks_the_run() -> None:
    class BrokenTracer:
        def start_span(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("exporter misconfigured")

    received: list[str] = []

    async def sink(event: AgentEvent) -> None:
        received.append(event.kind)

    tracer = agentkit.tracing.RunTracer(BrokenTracer(), then=sink)  # type: ignore[arg-type]
    with pytest.warns(RuntimeWarning, match=r"could not record a 'run_start' event \(RuntimeError: exporter"):
        await tracer(RunStart(run_id="r", model="test:m", prompt="p"))

    assert received == ["run_start"]
