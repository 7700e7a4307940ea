"""The Chat Completions adapter: DeepSeek-R1 style reasoning_content, <think> servers, streaming, n."""

from __future__ import annotations

import pytest

from agentkit import ModelSettings
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.exceptions import ModelHTTPError, UserError
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, TextPart, ToolCall, ToolResult, UserPart
from agentkit.models.base import RequestParams, ResponseDone
from agentkit.models.openai_chat import OpenAIChatModel, json_schema_response_format
from agentkit.tools import ToolDefinition
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.emulator import Usage as EmuUsage
from tests.models._helpers import (
    WEATHER_SCHEMA,
    assistant_call,
    deepseek_model,
    opened,
    plain_chat_model,
    tool_message,
    weather_agent,
)

TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Current weather for a city.", "parameters": WEATHER_SCHEMA},
}
THREE_TURNS = (
    Reply(reasoning="I need Paris first.", tool_calls=[Call("get_weather", {"city": "Paris"}, call_id="call_p")]),
    Reply(reasoning="Now Rome.", tool_calls=[Call("get_weather", {"city": "Rome"}, call_id="call_r")]),
    Reply(reasoning="Paris is warmer.", text="Paris is warmer."),
)
SYSTEM = {"role": "system", "content": "You compare the weather."}
USER = {"role": "user", "content": "Paris or Rome?"}


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_deepseek_three_turns_send_reasoning_content_back(deepseek_emulator: Emulator, stream: bool) -> None:
    emu = deepseek_emulator
    emu.script(*THREE_TURNS)
    agent = weather_agent(deepseek_model(emu), settings=ModelSettings(reasoning_effort="high"))
    if stream:
        events = [e async for e in agent.stream("Paris or Rome?")]
        output = events[-1].output  # type: ignore[union-attr]
        assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == (
            "I need Paris first.Now Rome.Paris is warmer."
        )
    else:
        output = (await agent.run("Paris or Rome?")).output
    assert output == "Paris is warmer."
    emu.assert_all_consumed()

    extra = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    common = {"model": "deepseek-reasoner", "tools": [TOOL], "reasoning_effort": "high", **extra}
    turn_1 = [
        assistant_call("call_p", "Paris", reasoning_content="I need Paris first."),
        tool_message("call_p", "sunny, 24 C"),
    ]
    turn_2 = [assistant_call("call_r", "Rome", reasoning_content="Now Rome."), tool_message("call_r", "cloudy, 19 C")]
    assert emu.bodies() == [
        {**common, "messages": [SYSTEM, USER]},
        {**common, "messages": [SYSTEM, USER, *turn_1]},
        {**common, "messages": [SYSTEM, USER, *turn_1, *turn_2]},
    ]


async def test_missing_reasoning_content_gets_deepseeks_400(deepseek_emulator: Emulator) -> None:
    """Told not to fill in reasoning_content, a tool-call turn from another model gets DeepSeek's real 400."""
    emu = deepseek_emulator
    emu.script(Reply(text="unused"))
    with pytest.raises(ModelHTTPError) as info:
        await deepseek_model(emu, reasoning_content=False).request(
            _switched_history(), ModelSettings(), RequestParams()
        )
    assert info.value.status_code == 400
    assert "Missing `reasoning_content` field in the assistant message at message index 1" in str(info.value)
    assert "not retried" in str(info.value)
    assert len(emu.requests) == 1
    emu.clear_script()


def _switched_history() -> list[ModelRequest | ModelResponse]:
    from_other_model = ModelResponse(
        parts=[ToolCall(id="call_x", name="get_weather", arguments='{"city": "Paris"}')], provider="openai"
    )
    return [
        ModelRequest(parts=[UserPart(content="Paris?")]),
        from_other_model,
        ModelRequest(parts=[ToolResult(call_id="call_x", name="get_weather", content="sunny")]),
    ]


async def test_switching_to_deepseek_fills_in_empty_reasoning_content(deepseek_emulator: Emulator) -> None:
    emu = deepseek_emulator
    emu.script(Reply(reasoning="Sunny it is.", text="Sunny."))
    answer = await deepseek_model(emu).request(_switched_history(), ModelSettings(), RequestParams())
    assert answer.text == "Sunny."
    assert emu.last_body["messages"][1] == assistant_call("call_x", "Paris", reasoning_content="")
    emu.assert_all_consumed()


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_plain_server_three_turns_with_inline_think(emulator: Emulator, stream: bool) -> None:
    emulator.script(*THREE_TURNS)
    agent = weather_agent(plain_chat_model(emulator))
    if stream:
        events = [e async for e in agent.stream("Paris or Rome?")]
        output = events[-1].output  # type: ignore[union-attr]
        responses = [e.response for e in events if e.kind == "model_response"]  # type: ignore[union-attr]
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Paris is warmer."
    else:
        result = await agent.run("Paris or Rome?")
        output = result.output
        responses = [m for m in result.messages if isinstance(m, ModelResponse)]
    assert output == "Paris is warmer."
    assert [r.parts[0] for r in responses] == [
        ReasoningPart(content="I need Paris first."),
        ReasoningPart(content="Now Rome."),
        ReasoningPart(content="Paris is warmer."),
    ]
    assert responses[-1].parts[1:] == [TextPart(content="Paris is warmer.")]
    extra = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    turn_1 = [assistant_call("call_p", "Paris"), tool_message("call_p", "sunny, 24 C")]
    turn_2 = [assistant_call("call_r", "Rome"), tool_message("call_r", "cloudy, 19 C")]
    common = {"model": "qwen3-8b", "tools": [TOOL], **extra}
    assert emulator.bodies()[2] == {**common, "messages": [SYSTEM, USER, *turn_1, *turn_2]}
    emulator.assert_all_consumed()


async def test_think_tags_can_be_kept_as_text(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="hmm", text="Hi"))
    model = plain_chat_model(emulator, think_tags=False)
    response = await model.request([ModelRequest(parts=[UserPart(content="x")])], ModelSettings(), RequestParams())
    assert response.parts == [TextPart(content="<think>hmm</think>Hi")]


async def test_streamed_parallel_tool_calls_are_reassembled(emulator: Emulator) -> None:
    emulator.script(
        Reply(
            tool_calls=[
                Call("get_weather", {"city": "Paris"}, call_id="call_a"),
                Call("get_weather", {"city": "Oslo"}, call_id="call_b"),
            ]
        )
    )
    model = plain_chat_model(emulator)
    weather = ToolDefinition("get_weather", "Current weather for a city.", WEATHER_SCHEMA)
    events = [
        e
        async for e in model.request_stream(
            [ModelRequest(parts=[UserPart(content="x")])], ModelSettings(), RequestParams(tools=[weather])
        )
    ]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert len(deltas) > 2  # the arguments came in pieces
    assert "".join(d.args_delta for d in deltas if d.index == 0) == '{"city": "Paris"}'
    assert [(d.index, d.call_id, d.name) for d in deltas if d.call_id] == [
        (0, "call_a", "get_weather"),
        (1, "call_b", "get_weather"),
    ]
    done = events[-1]
    assert isinstance(done, ResponseDone)
    assert done.response.tool_calls == [
        ToolCall(id="call_a", name="get_weather", arguments='{"city": "Paris"}'),
        ToolCall(id="call_b", name="get_weather", arguments='{"city": "Oslo"}'),
    ]
    assert done.response.finish_reason == "tool_calls" and done.response.usage.input_tokens > 0


async def test_n_choices(emulator: Emulator) -> None:
    emulator.script(Reply(text="A", extra_choices=[Reply(text="B"), Reply(text="C")]))
    model = plain_chat_model(emulator)
    answers = await model.request_choices(
        [ModelRequest(parts=[UserPart(content="pick")])], ModelSettings(temperature=1.0), RequestParams(), n=3
    )
    assert [a.text for a in answers] == ["A", "B", "C"]
    assert answers[0].usage.output_tokens > 0 and answers[1].usage.output_tokens == 0
    assert emulator.last_body["n"] == 3 and emulator.last_body["temperature"] == 1.0


async def test_response_format_passes_through_extra_body(emulator: Emulator) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    fmt = json_schema_response_format(schema, name="final")
    emulator.script(Reply(text='{"answer": "4"}'))
    settings = ModelSettings(extra_body={"response_format": fmt}, seed=7, stop=["END"])
    response = await plain_chat_model(emulator).request(
        [ModelRequest(parts=[UserPart(content="2+2")])], settings, RequestParams()
    )
    assert response.text == '{"answer": "4"}'
    assert emulator.last_body == {
        "model": "qwen3-8b",
        "messages": [{"role": "user", "content": "2+2"}],
        "seed": 7,
        "stop": ["END"],
        "response_format": {"type": "json_schema", "json_schema": {"name": "final", "schema": schema, "strict": True}},
    }


async def test_openai_gets_max_completion_tokens_others_max_tokens(emulator: Emulator) -> None:
    emulator.script(Reply(text="a"), Reply(text="b"))
    request = [ModelRequest(parts=[UserPart(content="x")])]
    openai_model = opened(OpenAIChatModel("o4-mini", base_url=emulator.base_url, api_key="k", provider="openai"))
    await openai_model.request(request, ModelSettings(max_tokens=50, reasoning_effort="low"), RequestParams())
    assert emulator.last_body["max_completion_tokens"] == 50 and emulator.last_body["reasoning_effort"] == "low"
    await plain_chat_model(emulator).request(request, ModelSettings(max_tokens=50), RequestParams())
    assert emulator.last_body["max_tokens"] == 50 and "max_completion_tokens" not in emulator.last_body


async def test_usage_mapping_and_cost(deepseek_emulator: Emulator) -> None:
    deepseek_emulator.script(
        Reply(
            text="4",
            reasoning="2+2",
            usage=EmuUsage(input_tokens=900, output_tokens=300, reasoning_tokens=250, cached_tokens=600),
        )
    )
    response = await deepseek_model(deepseek_emulator).request(
        [ModelRequest(parts=[UserPart(content="2+2")])], ModelSettings(), RequestParams()
    )
    usage = response.usage
    counts = (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens, usage.cached_tokens)
    assert counts == (900, 300, 250, 600)
    assert usage.cost_usd == pytest.approx(300 * 2.8e-07 + 600 * 2.8e-08 + 300 * 4.2e-07)


def test_thinking_budget_is_refused_clearly() -> None:
    model = OpenAIChatModel("gpt-4.1", api_key="k")
    with pytest.raises(UserError, match=r"no thinking-budget parameter.*reasoning_effort"):
        model.build_body([], ModelSettings(thinking_budget=100), RequestParams())


def test_provider_names_and_servers() -> None:
    assert OpenAIChatModel("deepseek-chat", base_url="https://api.deepseek.com").provider == "deepseek"
    assert OpenAIChatModel("kimi-k2", base_url="https://api.moonshot.ai/v1").require_reasoning_content
    assert OpenAIChatModel("m", base_url="http://localhost:8080/v1").provider == "localhost"
    model = OpenAIChatModel("deepseek-reasoner", provider="deepseek", api_key="k")
    assert str(model.client.base_url).startswith("https://api.deepseek.com")
    assert not OpenAIChatModel("gpt-4.1", api_key="k").require_reasoning_content
