"""The Responses adapter against the emulator: an o-series model with store=false, exact request bodies."""

from __future__ import annotations

import pytest

from agentkit import ModelSettings
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.exceptions import ModelHTTPError, UserError
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, TextPart, ToolCall, ToolResult, UserPart
from agentkit.models import infer_model
from agentkit.models._pricing import price_entry
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import RequestParams, ResponseDone
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.tools import ToolDefinition
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.emulator import Usage as EmuUsage
from tests.models._helpers import WEATHER_SCHEMA, opened, reasoning_parts, responses_model, weather_agent

TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": WEATHER_SCHEMA,
    "strict": False,
}
HELLO: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content="Say hello.")])]
THREE_TURNS = (
    Reply(reasoning="I need the weather in Paris first.", tool_calls=[Call("get_weather", {"city": "Paris"})]),
    Reply(reasoning="Now Rome.", tool_calls=[Call("get_weather", {"city": "Rome"})]),
    Reply(reasoning="Paris is warmer.", text="Paris is sunnier and warmer than Rome."),
)


def reasoning_item(part: ReasoningPart) -> dict[str, object]:
    return {
        "type": "reasoning",
        "id": part.id,
        "summary": [{"type": "summary_text", "text": part.content}],
        "encrypted_content": part.encrypted_content,
    }


def call_items(response: ModelResponse, output: str) -> list[dict[str, object]]:
    (call,) = response.tool_calls
    return [
        {
            "type": "function_call",
            "call_id": call.id,
            "name": "get_weather",
            "arguments": call.arguments,
            "id": call.provider_id,
        },
        {"type": "function_call_output", "call_id": call.id, "output": output},
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_three_turn_tool_conversation_with_store_false(emulator: Emulator, stream: bool) -> None:
    emulator.script(*THREE_TURNS)
    agent = weather_agent(responses_model(emulator), settings=ModelSettings(reasoning_effort="high"))
    if stream:
        events = [event async for event in agent.stream("Paris or Rome: which is warmer?")]
        result_output, messages = events[-1].output, None  # type: ignore[union-attr]
        reasoning_text = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
        assert reasoning_text == "I need the weather in Paris first.Now Rome.Paris is warmer."
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Paris is sunnier and warmer than Rome."
        assert any(isinstance(e, ToolCallDelta) and e.name == "get_weather" for e in events)
        responses = [e.response for e in events if e.kind == "model_response"]  # type: ignore[union-attr]
    else:
        result = await agent.run("Paris or Rome: which is warmer?")
        result_output, messages = result.output, result.messages
        responses = [m for m in messages if isinstance(m, ModelResponse)]
    assert result_output == "Paris is sunnier and warmer than Rome."
    emulator.assert_all_consumed()

    first, second, third = responses
    r1, r2 = (next(p for p in r.parts if isinstance(p, ReasoningPart)) for r in (first, second))
    assert r1.provider == "openai" and r1.id and r1.id.startswith("rs_")
    assert r1.encrypted_content and r1.encrypted_content.startswith("gAAAAA")
    assert first.tool_calls[0].provider_id and first.tool_calls[0].provider_id.startswith("fc_")

    bodies = emulator.bodies("/v1/responses")
    streaming = {"stream": True} if stream else {}
    common = {
        "model": "o4-mini",
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "reasoning": {"effort": "high", "summary": "auto"},
        "tools": [TOOL],
        **streaming,
    }
    system = {"role": "system", "content": "You compare the weather."}
    user = {"role": "user", "content": "Paris or Rome: which is warmer?"}
    assert bodies[0] == {**common, "input": [system, user]}
    turn_1 = [reasoning_item(r1), *call_items(first, "sunny, 24 C")]
    assert bodies[1] == {**common, "input": [system, user, *turn_1]}
    turn_2 = [reasoning_item(r2), *call_items(second, "cloudy, 19 C")]
    assert bodies[2] == {**common, "input": [system, user, *turn_1, *turn_2]}

    assert third.finish_reason == "stop" and first.finish_reason == "tool_calls"
    assert third.usage.reasoning_tokens > 0
    assert third.usage.output_tokens > third.usage.reasoning_tokens  # output includes reasoning


async def test_parallel_tool_calls_go_back_after_their_reasoning(emulator: Emulator) -> None:
    emulator.script(
        Reply(
            reasoning="Both at once.",
            tool_calls=[Call("get_weather", {"city": "Paris"}), Call("get_weather", {"city": "Oslo"})],
        ),
        Reply(text="Paris is sunny, Oslo rainy."),
    )
    agent = weather_agent(responses_model(emulator), settings=ModelSettings(parallel_tool_calls=True))
    result = await agent.run("Paris and Oslo?")
    assert result.output == "Paris is sunny, Oslo rainy."
    second = emulator.bodies("/v1/responses")[1]
    assert second["parallel_tool_calls"] is True
    kinds = [item.get("type", item.get("role")) for item in second["input"]]
    assert kinds == [
        "system",
        "user",
        "reasoning",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    outputs = [i["output"] for i in second["input"] if i.get("type") == "function_call_output"]
    assert outputs == ["sunny, 24 C", "rain, 9 C"]
    emulator.assert_all_consumed()


async def test_reasoning_followed_by_a_message_goes_back_with_the_message_id(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="Easy.", text="Hello!"), Reply(reasoning="Again.", text="Bye!"))
    model = responses_model(emulator)
    history: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content="hi")])]
    first = await model.request(history, ModelSettings(), RequestParams())
    part = first.parts[0]
    assert isinstance(part, ReasoningPart) and str(part.data["message_id"]).startswith("msg_")
    history += [first, ModelRequest(parts=[UserPart(content="bye")])]
    second = await model.request(history, ModelSettings(), RequestParams())
    assert second.text == "Bye!"
    sent = emulator.bodies()[1]["input"]
    assert sent[1] == reasoning_item(part)
    assert sent[2] == {
        "type": "message",
        "id": part.data["message_id"],
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Hello!", "annotations": []}],
    }
    emulator.assert_all_consumed()


def _history_with(response: ModelResponse) -> list[ModelRequest | ModelResponse]:
    (call,) = response.tool_calls
    return [
        ModelRequest(parts=[UserPart(content="weather?")]),
        response,
        ModelRequest(parts=[ToolResult(call_id=call.id, name=call.name, content="sunny")]),
    ]


async def _first_turn(emulator: Emulator, model: OpenAIResponsesModel) -> ModelResponse:
    emulator.script(Reply(reasoning="Check.", tool_calls=[Call("get_weather", {"city": "Paris"})]))
    return await model.request([ModelRequest(parts=[UserPart(content="weather?")])], ModelSettings(), RequestParams())


async def test_a_dropped_reasoning_item_gets_the_real_error_and_is_not_retried(emulator: Emulator) -> None:
    model = responses_model(emulator)
    first = await _first_turn(emulator, model)
    without_reasoning = first.model_copy(update={"parts": [p for p in first.parts if not isinstance(p, ReasoningPart)]})
    emulator.script(Reply(text="unused"))
    with pytest.raises(ModelHTTPError) as info:
        await model.request(_history_with(without_reasoning), ModelSettings(), RequestParams())
    error = info.value
    reasoning_id = first.parts[0].id  # type: ignore[union-attr]
    call_item = first.tool_calls[0].provider_id
    assert error.status_code == 400
    assert (
        f"Item '{call_item}' of type 'function_call' was provided without its required 'reasoning' item: "
        f"'{reasoning_id}'" in str(error)
    )
    assert "not retried" in str(error)
    assert len(emulator.requests) == 2
    emulator.clear_script()


async def test_tampered_encrypted_content_is_rejected_with_the_real_error(emulator: Emulator) -> None:
    model = responses_model(emulator)
    first = await _first_turn(emulator, model)
    part = first.parts[0]
    assert isinstance(part, ReasoningPart) and part.encrypted_content
    tampered = part.model_copy(update={"encrypted_content": part.encrypted_content[:-4] + "AAAA"})
    emulator.script(Reply(text="unused"))
    with pytest.raises(ModelHTTPError, match=r"HTTP 400: The encrypted content gAAA\.\.\.AAAA could not be verified"):
        await model.request(
            _history_with(first.model_copy(update={"parts": [tampered, *first.parts[1:]]})),
            ModelSettings(),
            RequestParams(),
        )
    emulator.clear_script()


async def test_reasoning_without_encrypted_content_is_left_out_with_the_ids_of_its_items(emulator: Emulator) -> None:
    """History made with store=True has no encrypted content; with store=False it can't be replayed, and
    the items that followed it must lose their ids too, or the API asks for the missing reasoning item."""
    model = responses_model(emulator)
    first = await _first_turn(emulator, model)
    part = first.parts[0]
    assert isinstance(part, ReasoningPart)
    stored = first.model_copy(update={"parts": [part.model_copy(update={"encrypted_content": None}), *first.parts[1:]]})
    emulator.script(Reply(text="Sunny."))
    answer = await model.request(_history_with(stored), ModelSettings(), RequestParams())
    assert answer.text == "Sunny."
    sent = emulator.bodies()[1]["input"]
    assert [i.get("type", "message") for i in sent] == ["message", "function_call", "function_call_output"]
    assert "id" not in sent[1]
    emulator.assert_all_consumed()


async def test_reasoning_state_of_another_provider_is_never_sent(emulator: Emulator) -> None:
    foreign = ModelResponse(
        parts=[
            ReasoningPart(content="thought", provider="anthropic", signature="sig"),
            ToolCall(id="toolu_1", name="get_weather", arguments='{"city": "Paris"}'),
        ],
        provider="anthropic",
    )
    emulator.script(Reply(text="Sunny."))
    model = responses_model(emulator)
    answer = await model.request(_history_with(foreign), ModelSettings(), RequestParams())
    assert answer.text == "Sunny."
    assert emulator.last_body["input"][1:] == [
        {"type": "function_call", "call_id": "toolu_1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        {"type": "function_call_output", "call_id": "toolu_1", "output": "sunny"},
    ]


LONG_ID = "call_" + "x" * 95  # 100 characters, as some gateways and stored histories carry


async def test_the_emulator_refuses_a_call_id_over_64_characters(emulator: Emulator) -> None:
    import openai

    client = openai.AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0)
    items = [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call", "call_id": LONG_ID, "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": LONG_ID, "output": "sunny"},
    ]
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(model="o4-mini", input=items)  # type: ignore[arg-type]
    await client.close()
    assert info.value.body == {
        "message": "Invalid 'input[1].call_id': string too long. Expected a string with maximum length 64, "
        "but got a string with length 100 instead.",
        "type": "invalid_request_error",
        "param": "input[1].call_id",
        "code": "string_above_max_length",
    }


async def test_a_call_id_too_long_for_responses_goes_as_a_stable_short_id(emulator: Emulator) -> None:
    foreign = ModelResponse(
        parts=[ToolCall(id=LONG_ID, name="get_weather", arguments='{"city": "Paris"}')], provider="gateway"
    )
    emulator.script(Reply(text="Sunny."), Reply(text="Still sunny."))
    model = responses_model(emulator)
    history = _history_with(foreign)
    for _ in range(2):
        answer = await model.request(history, ModelSettings(), RequestParams())
    assert answer.text == "Still sunny."
    sent = [item["call_id"] for item in emulator.last_body["input"][1:]]
    assert sent == [sent[0], sent[0]] and len(sent[0]) == 45 and sent[0].startswith("call_")
    assert [b["input"][1]["call_id"] for b in emulator.bodies("/v1/responses")] == [sent[0], sent[0]]
    assert history[1].parts[0].id == LONG_ID  # type: ignore[union-attr]  # the history keeps the original


async def test_usage_maps_reasoning_and_cached_tokens_and_costs_from_the_price_table(emulator: Emulator) -> None:
    emulator.script(
        Reply(text="4", usage=EmuUsage(input_tokens=1000, output_tokens=600, reasoning_tokens=500, cached_tokens=200))
    )
    response = await responses_model(emulator).request(
        [ModelRequest(parts=[UserPart(content="2+2?")])], ModelSettings(), RequestParams()
    )
    usage = response.usage
    counts = (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens, usage.cached_tokens)
    assert counts == (1000, 600, 500, 200)
    price = price_entry("o4-mini")
    expected = 800 * price["input_cost_per_token"] + 200 * price["cache_read_input_token_cost"]
    expected += 600 * price["output_cost_per_token"]
    assert usage.cost_usd == pytest.approx(expected) and usage.cost_usd > 0


OUTPUT = ToolDefinition("final_result", "The answer.", {"type": "object", "properties": {"a": {"type": "string"}}})
WEATHER = ToolDefinition("get_weather", "Current weather for a city.", WEATHER_SCHEMA)


@pytest.mark.parametrize(
    ("params", "choice"),
    [
        (RequestParams(tools=[WEATHER]), None),
        (RequestParams(tools=[WEATHER], final_answer=True), "none"),
        (RequestParams(tools=[WEATHER], output_tool=OUTPUT, allow_text_output=False), "required"),
        (
            RequestParams(tools=[WEATHER], output_tool=OUTPUT, allow_text_output=False, final_answer=True),
            {"type": "function", "name": "final_result"},
        ),
    ],
    ids=["auto", "final-text", "structured", "final-structured"],
)
async def test_tool_choice(emulator: Emulator, params: RequestParams, choice: object) -> None:
    emulator.script(Reply(text="ok"))
    await responses_model(emulator).request([ModelRequest(parts=[UserPart(content="x")])], ModelSettings(), params)
    body = emulator.last_body
    assert body.get("tool_choice") == choice
    assert [t["name"] for t in body["tools"]] == [t.name for t in params.all_tools]


async def test_non_reasoning_models_get_no_reasoning_fields(emulator: Emulator) -> None:
    emulator.script(Reply(text="ok"))
    model = opened(OpenAIResponsesModel("gpt-4.1", base_url=emulator.base_url, api_key="k"))
    settings = ModelSettings(max_tokens=100, temperature=0.2, extra_body={"metadata": {"run": "1"}})
    await model.request([ModelRequest(parts=[UserPart(content="x")])], settings, RequestParams())
    assert emulator.last_body == {
        "model": "gpt-4.1",
        "input": [{"role": "user", "content": "x"}],
        "store": False,
        "max_output_tokens": 100,
        "temperature": 0.2,
        "metadata": {"run": "1"},
    }


async def test_incomplete_response_reports_length(emulator: Emulator) -> None:
    emulator.script(Reply(text="It is a long st", finish_reason="length"))
    response = await responses_model(emulator).request(
        [ModelRequest(parts=[UserPart(content="story")])], ModelSettings(), RequestParams()
    )
    assert response.finish_reason == "length" and response.text == "It is a long st"


async def test_stream_ends_with_the_whole_response(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="Sum.", text="4"))
    events = [
        e
        async for e in responses_model(emulator).request_stream(
            [ModelRequest(parts=[UserPart(content="2+2?")])], ModelSettings(), RequestParams()
        )
    ]
    assert isinstance(events[-1], ResponseDone)
    final = events[-1].response
    assert isinstance(final.parts[0], ReasoningPart) and final.parts[0].encrypted_content
    assert final.parts[1:] == [TextPart(content="4")]
    assert final.usage.requests == 1 and final.usage.output_tokens > 0


def test_unsupported_settings_are_refused_clearly() -> None:
    model = OpenAIResponsesModel("o4-mini", api_key="k")
    with pytest.raises(UserError, match=r"no `seed` or `stop`.*openai-chat"):
        model.build_body([], ModelSettings(seed=1), RequestParams())
    with pytest.raises(UserError, match=r"reasoning_effort=\.\.\.\), not a thinking_budget"):
        model.build_body([], ModelSettings(thinking_budget=1000), RequestParams())


async def test_openai_model_string_uses_the_environment(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    emulator.script(*THREE_TURNS)
    agent = weather_agent("openai:o4-mini")
    opened(agent.model)
    result = await agent.run("Paris or Rome?")
    assert result.output == "Paris is sunnier and warmer than Rome."
    assert isinstance(agent.model, OpenAIResponsesModel)
    assert len(reasoning_parts(result.messages)) == 3
    emulator.assert_all_consumed()


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    model = infer_model("openai:o4-mini")
    with pytest.raises(UserError, match=r"No API key for provider 'openai': pass api_key=\.\.\. .* set OPENAI_API_KEY"):
        _ = model.client  # type: ignore[attr-defined]


async def test_a_failed_event_in_the_stream_is_retried_like_a_server_error(emulator: Emulator) -> None:
    failed = {
        "type": "response.failed",
        "sequence_number": 1,
        "response": {"id": "resp_1", "status": "failed", "error": {"code": "server_error", "message": "boom"}},
    }
    emulator.script(Reply(raw_events=[{"type": "response.created", "sequence_number": 0}, failed]), Reply(text="ok"))
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    model = responses_model(emulator, retry=RetryPolicy(initial_wait_s=0.1, jitter_s=0.0, sleep=sleep))
    events = [e async for e in model.request_stream(HELLO, ModelSettings(), RequestParams())]
    assert isinstance(events[-1], ResponseDone) and events[-1].response.text == "ok"
    assert waited == [0.1]
    emulator.assert_all_consumed()


async def test_an_invalid_request_reported_in_the_stream_is_a_clear_error(emulator: Emulator) -> None:
    error = {"type": "error", "sequence_number": 0, "code": "invalid_prompt", "message": "Invalid prompt."}
    emulator.script(Reply(raw_events=[error]))
    with pytest.raises(ModelHTTPError, match=r"HTTP 400: the response failed mid-stream: Invalid prompt"):
        async for _ in responses_model(emulator).request_stream(HELLO, ModelSettings(), RequestParams()):
            pass
    assert len(emulator.requests) == 1


async def test_a_consumer_may_stop_reading_early(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="Long thought. " * 20, text="Answer."), Reply(text="again"))
    model = responses_model(emulator)
    stream = model.request_stream(HELLO, ModelSettings(), RequestParams())
    first = await anext(stream)
    assert isinstance(first, ReasoningDelta)
    await stream.aclose()
    assert (await model.request(HELLO, ModelSettings(), RequestParams())).text == "again"  # the client still works
