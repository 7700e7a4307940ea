"""The litellm adapter: Anthropic extended thinking through litellm pointed at the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import ModelSettings
from agentkit.events import ModelSwitched, ReasoningDelta
from agentkit.exceptions import ModelHTTPError
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, ToolCall, ToolResult, UserPart
from agentkit.models._pricing import price_entry
from agentkit.models.base import RequestParams
from agentkit.models.litellm import LiteLLMModel, import_litellm, provider_message
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.emulator import Usage as EmuUsage
from tests.models._helpers import WEATHER_SCHEMA, anthropic_model, reasoning_parts, responses_model, weather_agent

THREE_TURNS = (
    Reply(
        reasoning="I need Paris first.",
        redacted_thinking=True,
        tool_calls=[Call("get_weather", {"city": "Paris"}, call_id="toolu_01paris")],
    ),
    Reply(reasoning="Now Rome.", tool_calls=[Call("get_weather", {"city": "Rome"}, call_id="toolu_01rome")]),
    Reply(reasoning="Paris is warmer.", text="Paris is warmer."),
)
TOOLS = [
    {
        "name": "get_weather",
        "input_schema": WEATHER_SCHEMA,
        "type": "custom",
        "description": "Current weather for a city.",
    }
]
SYSTEM = [{"type": "text", "text": "You compare the weather."}]
USER = {"role": "user", "content": [{"type": "text", "text": "Paris or Rome?"}]}


def block(part: ReasoningPart) -> dict[str, Any]:
    if part.redacted:
        return {"type": "redacted_thinking", "data": part.encrypted_content}
    return {"type": "thinking", "thinking": part.content, "signature": part.signature}


def tool_turn(parts: list[ReasoningPart], call_id: str, city: str, result: str) -> list[dict[str, Any]]:
    use = {"type": "tool_use", "id": call_id, "name": "get_weather", "input": {"city": city}}
    return [
        {"role": "assistant", "content": [*(block(p) for p in parts), use]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": result}]},
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_anthropic_thinking_three_turns(emulator: Emulator, stream: bool) -> None:
    emulator.script(*THREE_TURNS)
    agent = weather_agent(anthropic_model(emulator), settings=ModelSettings(reasoning_effort="low"))
    if stream:
        events = [e async for e in agent.stream("Paris or Rome?")]
        output = events[-1].output  # type: ignore[union-attr]
        messages = [e.response for e in events if e.kind == "model_response"]  # type: ignore[union-attr]
        assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == (
            "I need Paris first.Now Rome.Paris is warmer."
        )
    else:
        result = await agent.run("Paris or Rome?")
        output, messages = result.output, result.messages
    assert output == "Paris is warmer."
    emulator.assert_all_consumed()

    thinking = reasoning_parts(messages)  # type: ignore[arg-type]
    assert [(p.provider, p.redacted, bool(p.signature)) for p in thinking] == [
        ("anthropic", False, True),
        ("anthropic", True, False),
        ("anthropic", False, True),
        ("anthropic", False, True),
    ]
    assert thinking[1].encrypted_content  # the redacted block's data
    common = {
        "model": "claude-sonnet-4-5",
        "tools": TOOLS,
        "thinking": {"type": "enabled", "budget_tokens": 1024},  # litellm's budget for "low"
        "max_tokens": 5120,
        "system": SYSTEM,
        **({"stream": True} if stream else {}),
    }
    turn_1 = tool_turn(thinking[:2], "toolu_01paris", "Paris", "sunny, 24 C")
    turn_2 = tool_turn(thinking[2:3], "toolu_01rome", "Rome", "cloudy, 19 C")
    bodies = emulator.bodies("/v1/messages")
    assert bodies == [
        {**common, "messages": [USER]},
        {**common, "messages": [USER, *turn_1]},
        {**common, "messages": [USER, *turn_1, *turn_2]},
    ]


async def test_explicit_thinking_budget(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="ok", text="done"))
    settings = ModelSettings(thinking_budget=3000, max_tokens=8000, reasoning_effort="high")
    response = await anthropic_model(emulator).request(
        [ModelRequest(parts=[UserPart(content="x")])], settings, RequestParams()
    )
    assert response.text == "done"
    assert emulator.last_body["thinking"] == {"type": "enabled", "budget_tokens": 3000}
    assert emulator.last_body["max_tokens"] == 8000


async def test_a_changed_thinking_block_gets_anthropics_error(emulator: Emulator) -> None:
    model = anthropic_model(emulator)
    settings = ModelSettings(reasoning_effort="low")
    emulator.script(THREE_TURNS[0])
    history: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content="Paris?")])]
    first = await model.request(history, settings, RequestParams())
    edited = [
        p.model_copy(update={"content": "edited"}) if isinstance(p, ReasoningPart) and p.signature else p
        for p in first.parts
    ]
    history += [
        first.model_copy(update={"parts": edited}),
        ModelRequest(parts=[ToolResult(call_id="toolu_01paris", name="get_weather", content="sunny")]),
    ]
    emulator.script(Reply(text="unused"))
    with pytest.raises(ModelHTTPError) as info:
        await model.request(history, settings, RequestParams())
    assert info.value.status_code == 400
    assert str(info.value).startswith(
        "Model 'anthropic/claude-sonnet-4-5' answered HTTP 400: messages.1.content.0: Invalid `signature` in "
        "`thinking` block. The provider rejected the request"
    )
    assert len(emulator.requests) == 2
    emulator.clear_script()


async def test_switching_in_the_middle_of_a_tool_call_turns_thinking_off_for_that_request(emulator: Emulator) -> None:
    """The last assistant tool-use turn came from OpenAI, without thinking blocks: Anthropic would reject
    thinking now, so that one request goes without it; the next turn has thinking again."""
    emulator.script(Reply(reasoning="Check.", tool_calls=[Call("get_weather", {"city": "Paris"})]))
    history: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content="Paris?")])]
    openai_turn = await responses_model(emulator).request(history, ModelSettings(), RequestParams())
    call = openai_turn.tool_calls[0]
    history += [openai_turn, ModelRequest(parts=[ToolResult(call_id=call.id, name=call.name, content="sunny")])]

    emulator.script(Reply(reasoning="Sunny.", text="It is sunny."), Reply(reasoning="Bye.", text="Bye."))
    claude = anthropic_model(emulator)
    settings = ModelSettings(reasoning_effort="low")
    answer = await claude.request(history, settings, RequestParams())
    assert answer.text == "It is sunny."
    assert "thinking" not in emulator.last_body
    assert emulator.last_body["messages"][1]["content"] == [
        {"type": "tool_use", "id": call.id, "name": "get_weather", "input": {"city": "Paris"}}
    ]
    history += [answer, ModelRequest(parts=[UserPart(content="thanks")])]
    await claude.request(history, settings, RequestParams())
    assert emulator.last_body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    emulator.assert_all_consumed()


async def test_agent_switching_models_strips_foreign_reasoning_and_says_so(emulator: Emulator) -> None:
    emulator.script(
        Reply(reasoning="Check.", tool_calls=[Call("get_weather", {"city": "Paris"})]),
        Reply(reasoning="Done.", text="Sunny in Paris."),
        Reply(reasoning="Again.", tool_calls=[Call("get_weather", {"city": "Oslo"}, call_id="toolu_01oslo")]),
        Reply(reasoning="Rainy.", text="Rainy in Oslo."),
    )
    agent = weather_agent(responses_model(emulator))
    first = await agent.run("Paris?")
    events = []
    async for event in agent.stream(
        "And Oslo?",
        message_history=first.messages,
        model=anthropic_model(emulator),
        settings=ModelSettings(reasoning_effort="low"),
    ):
        events.append(event)
    assert events[-1].output == "Rainy in Oslo."  # type: ignore[union-attr]
    switched = [e for e in events if isinstance(e, ModelSwitched)]
    assert switched and switched[0].to_provider == "anthropic" and switched[0].stripped_parts == 2
    claude_body = emulator.bodies("/v1/messages")[0]
    openai_turns = [m for m in claude_body["messages"][:4] if m["role"] == "assistant"]
    assert all(b["type"] in ("tool_use", "text") for m in openai_turns for b in m["content"])
    assert claude_body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    emulator.assert_all_consumed()


async def test_usage_and_cost(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="r", text="4", usage=EmuUsage(input_tokens=1000, output_tokens=400)))
    response = await anthropic_model(emulator).request(
        [ModelRequest(parts=[UserPart(content="2+2")])], ModelSettings(reasoning_effort="low"), RequestParams()
    )
    assert (response.usage.input_tokens, response.usage.output_tokens) == (1000, 400)
    assert response.usage.reasoning_tokens > 0
    price = price_entry("claude-sonnet-4-5")
    expected = 1000 * price["input_cost_per_token"] + 400 * price["output_cost_per_token"]
    assert response.usage.cost_usd == pytest.approx(expected)


def test_gemini_thought_signatures_go_back_on_their_calls() -> None:
    """litellm exposes Gemini thought signatures as provider_specific_fields; they round-trip."""
    model = LiteLLMModel("gemini/gemini-2.5-pro", api_key="k")
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                "provider_specific_fields": {"thought_signature": "c2lnbmF0dXJl"},
            }
        ],
        "provider_specific_fields": {"thought_signatures": ["c2lnMg=="], "citations": None},
        "reasoning_content": "Thinking about Paris.",
    }
    parts = model._parts(message)
    assert [type(p).__name__ for p in parts] == ["ReasoningPart", "ReasoningPart", "ToolCall"]
    state = parts[1]
    assert isinstance(state, ReasoningPart) and state.provider == "gemini"
    rebuilt = model._assistant(ModelResponse(parts=parts, provider="gemini"))
    assert rebuilt["tool_calls"][0]["provider_specific_fields"] == {"thought_signature": "c2lnbmF0dXJl"}
    assert rebuilt["provider_specific_fields"] == {"thought_signatures": ["c2lnMg=="]}
    assert rebuilt["reasoning_content"] == "Thinking about Paris."
    factory = pytest.importorskip("litellm.litellm_core_utils.prompt_templates.factory")
    assert factory.get_thought_signature_from_tool(rebuilt["tool_calls"][0]) == "c2lnbmF0dXJl"
    # another provider never gets Gemini's state
    assert "provider_specific_fields" not in anthropic_like(parts)


def anthropic_like(parts: list[Any]) -> dict[str, Any]:
    other = LiteLLMModel("anthropic/claude-sonnet-4-5", api_key="k")
    return other._assistant(ModelResponse(parts=parts, provider="gemini"))


def test_arguments_that_are_not_an_object_go_back_as_an_empty_object() -> None:
    model = LiteLLMModel("anthropic/claude-sonnet-4-5", api_key="k")
    response = ModelResponse(parts=[ToolCall(id="t", name="f", arguments='{"a": "bc')], provider="anthropic")
    assert model._assistant(response)["tool_calls"][0]["function"]["arguments"] == "{}"


def test_provider_from_the_model_name() -> None:
    assert LiteLLMModel("anthropic/claude-sonnet-4-5").provider == "anthropic"
    assert LiteLLMModel("claude-sonnet-4-5").provider == "anthropic"  # litellm's guess


def test_litellm_error_texts_are_unwrapped() -> None:
    raw = 'litellm.RateLimitError: AnthropicException - b\'{"type":"error","error":{"message":"It\\\'s busy"}}\''
    assert provider_message(raw) == "It's busy"
    assert provider_message("litellm.APIConnectionError: reset") == "litellm.APIConnectionError: reset"


def test_importing_litellm_never_downloads_the_price_table() -> None:
    import os

    assert import_litellm().model_cost
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
