"""Request parameters, tool definitions and system instructions on spans (GenAI semantic conventions)."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

import agentkit.tracing
from agentkit import Agent, Budget, RunOptions, tool
from agentkit.events import FinalResultEvent, ModelRequestStart, ModelResponseEvent, RunStart, SettingDropped
from agentkit.messages import ModelResponse, TextPart
from agentkit.settings import ModelSettings
from agentkit.testing import ScriptedModel
from agentkit.usage import Usage

from .conftest import Traces

SETTINGS = ModelSettings(
    temperature=0.3, top_p=0.9, max_tokens=500, seed=7, stop=["END"], reasoning_effort="low", thinking_budget=2048
)


@tool(side_effect="pure")
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny in {city}"


async def run_traced(**agent_options: Any) -> None:
    agent: Agent[None, str] = Agent(ScriptedModel(["Sunny."]), name="w", tools=[get_weather], **agent_options)
    with agentkit.tracing.traced(None, agent_name=agent.name) as emit:
        await agent.run("Weather?", options=RunOptions(emit=emit, run_id="run-1"))


def attributes(spans: tuple[ReadableSpan, ...], name: str) -> dict[str, Any]:
    span = next(s for s in spans if s.name == name)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in (span.attributes or {}).items()}


async def test_chat_spans_record_the_request_parameters(traces_without_content: Traces) -> None:
    await run_traced(settings=SETTINGS)

    chat = attributes(traces_without_content.spans(), "chat scripted")
    request = {k: v for k, v in chat.items() if ".request." in k}
    assert request == {
        "gen_ai.request.model": "scripted",
        "gen_ai.request.temperature": 0.3,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 500,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ["END"],
        "agentkit.request.reasoning_effort": "low",
        "agentkit.request.thinking_budget": 2048,
    }


async def test_a_run_with_default_settings_records_only_the_model(traces_without_content: Traces) -> None:
    await run_traced()

    chat = attributes(traces_without_content.spans(), "chat scripted")
    assert [k for k in chat if ".request." in k] == ["gen_ai.request.model"]


async def test_the_run_span_has_the_budget_and_tool_names_but_no_content_by_default(
    traces_without_content: Traces,
) -> None:
    await run_traced(budget=Budget(max_turns=5, max_cost_usd=0.5, unpriced="warn"), instructions="Be brief.")

    run = attributes(traces_without_content.spans(), "invoke_agent w")
    assert {k: v for k, v in run.items() if k.startswith("agentkit.budget.")} == {
        "agentkit.budget.max_turns": 5,
        "agentkit.budget.max_cost_usd": 0.5,
        "agentkit.budget.unpriced": "warn",
    }
    assert json.loads(run["gen_ai.tool.definitions"]) == [{"type": "function", "name": "get_weather"}]
    assert "gen_ai.system_instructions" not in run


async def test_with_capture_content_the_run_span_has_instructions_and_whole_tool_definitions(traces: Traces) -> None:
    await run_traced(instructions="Be brief.")

    run = attributes(traces.spans(), "invoke_agent w")
    assert json.loads(run["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(run["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "additionalProperties": False,
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
                "type": "object",
            },
        }
    ]


def test_settings_the_model_did_not_take_are_not_recorded_as_sent(traces_without_content: Traces) -> None:
    answer = ModelResponse(parts=[TextPart(content="ok")], model_name="m")
    with agentkit.tracing.traced(None, agent_name="fit") as emit:
        assert isinstance(emit, agentkit.tracing.RunTracer)
        settings = {"temperature": 0.5, "max_tokens": 100, "reasoning_effort": "minimal"}
        emit.record(RunStart(run_id="r", model="openai:m", prompt="p", settings=settings))
        for setting, value, replacement in [("temperature", 0.5, None), ("reasoning_effort", "minimal", "low")]:
            emit.record(
                SettingDropped(
                    run_id="r", setting=setting, value=value, model="openai:m", reason="x", replacement=replacement
                )
            )
        emit.record(ModelRequestStart(run_id="r", step=0, model="openai:m"))
        emit.record(ModelResponseEvent(run_id="r", step=0, response=answer, duration_s=0.1))
        emit.record(FinalResultEvent(run_id="r", output="ok", stop_reason="final", usage=Usage()))

    chat = attributes(traces_without_content.spans(), "chat m")
    assert {k: v for k, v in chat.items() if ".request." in k} == {
        "gen_ai.request.model": "m",
        "gen_ai.request.max_tokens": 100,
        "agentkit.request.reasoning_effort": "low",
    }
