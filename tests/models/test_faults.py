"""Every injected fault either recovers or ends in a typed, clearly worded error, for every adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from agentkit import ModelSettings
from agentkit.exceptions import ModelHTTPError
from agentkit.messages import ModelRequest, ModelResponse, RetryPrompt, TextPart, UserPart
from agentkit.models._errors import ModelConnectionError, ModelStreamError
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import Model, RequestParams, ResponseDone
from tests.emulator import Emulator, Fault, Reply
from tests.emulator import ToolCall as Call
from tests.models._helpers import (
    Waits,
    anthropic_model,
    deepseek_model,
    plain_chat_model,
    responses_model,
    weather_agent,
)


@dataclass(frozen=True)
class Adapter:
    make: Callable[[Emulator, RetryPolicy], Model]
    chat_mode: str = "plain-chat"
    overloaded: int = 503
    rate_limit_text: str = "Rate limit reached for"


ADAPTERS = {
    "responses": Adapter(responses_model),
    "deepseek": Adapter(deepseek_model, chat_mode="deepseek", rate_limit_text="Rate Limit Reached"),
    "plain-chat": Adapter(plain_chat_model),
    "anthropic": Adapter(
        anthropic_model, overloaded=529, rate_limit_text="This request would exceed your account's rate limit"
    ),
}
MODES = ["request", "stream"]


@pytest.fixture(params=list(ADAPTERS))
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return ADAPTERS[request.param]


@pytest.fixture
def model(adapter: Adapter, emulator: Emulator, retry_policy: RetryPolicy) -> Model:
    emulator.chat_mode = adapter.chat_mode  # type: ignore[assignment]
    return adapter.make(emulator, retry_policy)


HELLO = [ModelRequest(parts=[UserPart(content="Say hello.")])]


async def ask(model: Model, mode: str, settings: ModelSettings | None = None) -> ModelResponse:
    settings = settings or ModelSettings()
    if mode == "request":
        return await model.request(HELLO, settings, RequestParams())
    events = [event async for event in model.request_stream(HELLO, settings, RequestParams())]
    assert isinstance(events[-1], ResponseDone)
    return events[-1].response


@pytest.mark.parametrize("mode", MODES)
async def test_rate_limit_waits_what_retry_after_says(
    model: Model, emulator: Emulator, waits: Waits, mode: str
) -> None:
    emulator.script(Fault.rate_limit(retry_after=2), Reply(text="Hello!"))
    assert (await ask(model, mode)).text == "Hello!"
    assert waits == [2.0]
    assert [r.status for r in emulator.requests] == [429, 200]
    emulator.assert_all_consumed()


@pytest.mark.parametrize("mode", MODES)
async def test_server_errors_back_off_and_recover(
    model: Model, adapter: Adapter, emulator: Emulator, waits: Waits, mode: str
) -> None:
    emulator.script(Fault.server_error(500), Fault.server_error(adapter.overloaded), Reply(text="Hello!"))
    assert (await ask(model, mode)).text == "Hello!"
    assert waits == [0.25, 0.5]
    emulator.assert_all_consumed()


@pytest.mark.parametrize("mode", MODES)
async def test_connection_reset_recovers(model: Model, emulator: Emulator, waits: Waits, mode: str) -> None:
    emulator.script(Fault.reset(), Reply(text="Hello!"))
    assert (await ask(model, mode)).text == "Hello!"
    assert len(waits) == 1
    emulator.assert_all_consumed()


@pytest.mark.parametrize("mode", MODES)
async def test_timeout_recovers(model: Model, emulator: Emulator, waits: Waits, mode: str) -> None:
    emulator.script(Fault.hang(seconds=10), Reply(text="Hello!"))
    assert (await ask(model, mode, ModelSettings(timeout_s=0.3))).text == "Hello!"
    assert len(waits) == 1
    emulator.assert_all_consumed()


async def test_body_cut_in_half_recovers(model: Model, emulator: Emulator, waits: Waits) -> None:
    emulator.script(Reply(text="Hello there, this body will be cut.", truncate_after=1), Reply(text="Hello!"))
    assert (await ask(model, "request")).text == "Hello!"
    assert len(waits) == 1
    emulator.assert_all_consumed()


async def test_stream_cut_before_any_delta_recovers(model: Model, emulator: Emulator, waits: Waits) -> None:
    emulator.script(Reply(text="Hello there.", truncate_after=1), Reply(text="Hello!"))
    assert (await ask(model, "stream")).text == "Hello!"
    assert len(waits) == 1
    emulator.assert_all_consumed()


async def test_stream_cut_after_deltas_is_a_clear_error(model: Model, emulator: Emulator, waits: Waits) -> None:
    text = "Hello there, this is a long answer that streams in many small pieces. " * 4
    emulator.script(Reply(text=text))
    emulator.inject(0, Fault.truncate(after_events=7))
    delivered = ""
    with pytest.raises(ModelStreamError) as info:
        async for event in model.request_stream(HELLO, ModelSettings(), RequestParams()):
            delivered += getattr(event, "text", "")
    assert delivered and text.startswith(delivered) and delivered != text
    assert str(info.value).startswith(f"The stream from model {model.model_name!r} broke off after part of the answer")
    assert "use the non-streaming API" in str(info.value)
    assert isinstance(info.value, ModelConnectionError)
    assert waits == [] and len(emulator.requests) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_rate_limited_for_good_is_a_clear_error(
    model: Model, adapter: Adapter, emulator: Emulator, waits: Waits, mode: str
) -> None:
    emulator.script(*[Fault.rate_limit(retry_after=1)] * 3)
    with pytest.raises(ModelHTTPError) as info:
        await ask(model, mode)
    error = info.value
    assert error.status_code == 429 and error.model_name == model.model_name
    assert adapter.rate_limit_text in str(error)
    assert "Gave up after 3 attempts" in str(error) and "fallback_models" in str(error)
    assert waits == [1.0, 1.0]
    emulator.assert_all_consumed()


@pytest.mark.parametrize("mode", MODES)
async def test_bad_request_is_not_retried(model: Model, emulator: Emulator, waits: Waits, mode: str) -> None:
    emulator.script(Fault.http_error(400, "Invalid value for 'temperature'."))
    with pytest.raises(ModelHTTPError, match=r"answered HTTP 400: Invalid value for 'temperature'\. The provider"):
        await ask(model, mode)
    assert waits == [] and len(emulator.requests) == 1
    emulator.assert_all_consumed()


@pytest.mark.parametrize("mode", MODES)
async def test_malformed_tool_arguments_are_sent_back_and_fixed(
    model: Model, adapter: Adapter, emulator: Emulator, mode: str
) -> None:
    emulator.script(
        Reply(reasoning="Paris.", tool_calls=[Call("get_weather", {"city": "Paris"}, call_id="toolu_01a")]),
        Reply(reasoning="Fix it.", tool_calls=[Call("get_weather", {"city": "Paris"}, call_id="toolu_01b")]),
        Reply(reasoning="Done.", text="Sunny in Paris."),
    )
    emulator.inject(0, Fault.malformed_arguments())
    agent = weather_agent(model)
    if mode == "stream":
        events = [e async for e in agent.stream("Paris?")]
        output = events[-1].output  # type: ignore[union-attr]
        messages = [e.response for e in events if e.kind == "model_response"]  # type: ignore[union-attr]
    else:
        result = await agent.run("Paris?")
        output, messages = result.output, result.messages
    assert output == "Sunny in Paris."
    assert len(emulator.requests) == 3
    first_call = next(m for m in messages if isinstance(m, ModelResponse)).tool_calls[0]
    assert first_call.arguments != '{"city": "Paris"}'
    if mode == "request":
        retry = next(p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, RetryPrompt))
        assert retry.call_id == "toolu_01a" and "get_weather" in retry.content
    emulator.assert_all_consumed()


async def test_text_reply_is_kept_exactly(model: Model, emulator: Emulator) -> None:
    emulator.script(Reply(text="Hello!"))
    assert (await ask(model, "request")).parts[-1] == TextPart(content="Hello!")
