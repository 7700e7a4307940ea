"""Runs as event lists with fixed timestamps, so reports built from them are deterministic."""

from __future__ import annotations

from typing import Any

from agentkit.events import (
    AgentEvent,
    BudgetWarning,
    FinalResultEvent,
    ModelRequestStart,
    ModelResponseEvent,
    ModelSwitched,
    RetryEvent,
    RunStart,
    StrategyBranch,
    ToolCallEnd,
    ToolCallStart,
)
from agentkit.messages import ModelResponse, ReasoningPart, RetryPrompt, TextPart, ToolCall, ToolResult
from agentkit.usage import Usage

T0 = 1_700_000_000.0
MODEL = "openai:o4-mini"
ANSWER = "Morning: the Louvre. Afternoon: a walk along the Seine (21 °C, clear)."
INSTRUCTIONS = "You plan city trips.\n\nAnswer in two sentences."
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TOOLS = [
    {"name": "get_weather", "description": "The weather in a city today.", "parameters": CITY},
    {"name": "find_museums", "description": "", "parameters": CITY},
]


def trip_run(run_id: str = "run-trip") -> list[AgentEvent]:
    """Two steps: reasoning with two parallel tool calls (one fails), then the answer."""
    first = ModelResponse(
        parts=[
            ReasoningPart(content="I need the weather and the museums that are open."),
            ToolCall(id="c1", name="get_weather", arguments='{"city": "Paris"}'),
            ToolCall(id="c2", name="find_museums", arguments='{"city": "Paris", "open_on": "Tuesday"}'),
        ],
        usage=Usage(input_tokens=120, output_tokens=80, reasoning_tokens=50, cost_usd=0.0021),
        model_name="o4-mini",
        finish_reason="tool_calls",
    )
    second = ModelResponse(
        parts=[TextPart(content=ANSWER)],
        usage=Usage(input_tokens=300, output_tokens=60, cost_usd=0.0035),
        model_name="o4-mini",
        finish_reason="stop",
    )
    failure = RetryPrompt(content="Tool 'find_museums' did not finish within 2 seconds.", call_id="c2")

    def at(seconds: float) -> dict[str, Any]:
        return {"run_id": run_id, "ts": T0 + seconds}

    return [
        RunStart(
            model=MODEL,
            prompt="Plan a Tuesday in Paris.",
            instructions=INSTRUCTIONS,
            tools=TOOLS,
            settings={"temperature": 0.3, "stop": ["END"]},
            budget={"max_cost_usd": 0.01},
            **at(0),
        ),
        ModelRequestStart(step=0, model=MODEL, **at(0.01)),
        ModelResponseEvent(step=0, response=first, duration_s=1.2, **at(1.21)),
        ToolCallStart(step=0, call=first.tool_calls[0], **at(1.22)),
        ToolCallStart(step=0, call=first.tool_calls[1], **at(1.22)),
        ToolCallEnd(
            step=0,
            call_id="c1",
            name="get_weather",
            result=ToolResult(call_id="c1", name="get_weather", content={"temp_c": 21, "sky": "clear"}),
            duration_s=0.3,
            **at(1.52),
        ),
        ToolCallEnd(
            step=0, call_id="c2", name="find_museums", result=failure, duration_s=2.0, is_error=True, **at(3.22)
        ),
        BudgetWarning(limit="max_cost_usd", used=0.0085, maximum=0.01, **at(3.23)),
        ModelRequestStart(step=1, model=MODEL, **at(3.24)),
        ModelResponseEvent(step=1, response=second, duration_s=0.9, **at(4.14)),
        FinalResultEvent(
            output=ANSWER,
            stop_reason="final",
            usage=Usage(
                input_tokens=420, output_tokens=140, reasoning_tokens=50, requests=2, tool_calls=2, cost_usd=0.0056
            ),
            **at(4.15),
        ),
    ]


def best_of_two() -> list[AgentEvent]:
    """A strategy's branch events around two short branch runs."""
    events: list[AgentEvent] = [
        StrategyBranch(strategy="best_of_n", action="start", branch_id="b0", ts=T0),
        StrategyBranch(strategy="best_of_n", action="start", branch_id="b1", ts=T0),
    ]
    for index, branch in enumerate(("b0", "b1")):
        answer = ModelResponse(
            parts=[TextPart(content=f"answer {index}")], usage=Usage(input_tokens=50, output_tokens=5)
        )
        events += [
            RunStart(run_id=f"run-{branch}", branch=branch, model=MODEL, prompt="2+2?", ts=T0 + 0.01),
            ModelRequestStart(run_id=f"run-{branch}", branch=branch, step=0, model=MODEL, ts=T0 + 0.02),
            ModelResponseEvent(
                run_id=f"run-{branch}",
                branch=branch,
                step=0,
                response=answer,
                duration_s=0.5 + index,
                ts=T0 + 0.52 + index,
            ),
            FinalResultEvent(
                run_id=f"run-{branch}",
                branch=branch,
                output=f"answer {index}",
                stop_reason="final",
                usage=answer.usage,
                ts=T0 + 0.53 + index,
            ),
        ]
    events += [
        StrategyBranch(strategy="best_of_n", action="score", branch_id="b0", score=0.9, detail="correct", ts=T0 + 2),
        StrategyBranch(
            strategy="best_of_n", action="score", branch_id="b1", score=0.25, detail="off by one", ts=T0 + 2
        ),
        StrategyBranch(strategy="best_of_n", action="prune", branch_id="b1", ts=T0 + 2.1),
        StrategyBranch(strategy="best_of_n", action="choose", branch_id="b0", ts=T0 + 2.2),
    ]
    return events


def hostile_run(payload: str) -> list[AgentEvent]:
    """A run whose every piece of content is ``payload`` (an XSS attempt)."""
    call = ToolCall(id=payload, name=payload, arguments=f'{{"q": "{payload}"}}')
    response = ModelResponse(
        parts=[ReasoningPart(content=payload), TextPart(content=payload), call], model_name=payload, usage=Usage()
    )
    return [
        RunStart(
            run_id=payload,
            model=payload,
            prompt=payload,
            instructions=payload,
            tools=[{"name": payload, "description": payload, "parameters": {payload: payload}}],
            settings={payload: payload},
            budget={payload: payload},
            ts=T0,
        ),
        ModelRequestStart(run_id=payload, branch=payload, step=0, model=payload, ts=T0),
        ModelResponseEvent(run_id=payload, branch=payload, step=0, response=response, duration_s=0.1, ts=T0 + 0.1),
        ToolCallStart(run_id=payload, branch=payload, step=0, call=call, ts=T0 + 0.1),
        ToolCallEnd(
            run_id=payload,
            branch=payload,
            step=0,
            call_id=payload,
            name=payload,
            result=ToolResult(call_id=payload, name=payload, content={payload: payload}),
            duration_s=0.1,
            ts=T0 + 0.2,
        ),
        RetryEvent(run_id=payload, step=0, prompt=RetryPrompt(content=payload), ts=T0 + 0.2),
        ModelSwitched(run_id=payload, from_provider=payload, to_provider=payload, stripped_parts=1, ts=T0 + 0.2),
        StrategyBranch(strategy=payload, action="score", branch_id=payload, score=1.0, detail=payload, ts=T0 + 0.3),
        FinalResultEvent(run_id=payload, output={payload: [payload]}, stop_reason="final", usage=Usage(), ts=T0 + 0.3),
    ]
