"""Fallback models: tried in order once a model fails for good, with reasoning state they can't accept removed."""

from __future__ import annotations

import pytest

from agentkit import ModelSettings
from agentkit.exceptions import ModelHTTPError
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import RequestParams, ResponseDone
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from tests.emulator import Emulator, Fault, Reply
from tests.emulator import ToolCall as Call
from tests.models._helpers import Waits, anthropic_model, opened, plain_chat_model, weather_agent

ONE_ATTEMPT = RetryPolicy.never()


def failing_primary(emulator: Emulator, *fallbacks: object) -> OpenAIResponsesModel:
    return opened(
        OpenAIResponsesModel(
            "o4-mini",
            base_url=emulator.base_url,
            api_key="k",
            provider="openai",
            retry=ONE_ATTEMPT,
            fallback_models=list(fallbacks),  # type: ignore[arg-type]
        )
    )


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_falls_back_when_the_primary_fails_for_good(emulator: Emulator, stream: bool) -> None:
    emulator.script(Fault.server_error(503), Reply(text="From the fallback."))
    primary = failing_primary(emulator, plain_chat_model(emulator, retry=ONE_ATTEMPT))
    history = [ModelRequest(parts=[UserPart(content="hi")])]
    if stream:
        events = [e async for e in primary.request_stream(history, ModelSettings(), RequestParams())]
        assert isinstance(events[-1], ResponseDone)
        answer = events[-1].response
    else:
        answer = await primary.request(history, ModelSettings(), RequestParams())
    assert answer.text == "From the fallback." and answer.model_name == "qwen3-8b"
    assert [r.path for r in emulator.requests] == ["/v1/responses", "/v1/chat/completions"]
    emulator.assert_all_consumed()


async def test_the_fallback_gets_history_without_foreign_reasoning(emulator: Emulator) -> None:
    """Mid-run fallback from OpenAI to Anthropic: encrypted reasoning must not reach Anthropic."""
    emulator.script(
        Reply(reasoning="Check Paris.", tool_calls=[Call("get_weather", {"city": "Paris"})]),
        Fault.server_error(500),
        Reply(reasoning="Sunny.", text="Sunny in Paris."),
    )
    claude = anthropic_model(emulator, retry=ONE_ATTEMPT)
    agent = weather_agent(failing_primary(emulator, claude), settings=ModelSettings(reasoning_effort="low"))
    result = await agent.run("Paris?")
    assert result.output == "Sunny in Paris."
    last = result.messages[-1]
    assert isinstance(last, ModelResponse) and last.provider == "anthropic"
    body = emulator.bodies("/v1/messages")[0]
    assert "thinking" not in body  # the pending tool-use turn came from OpenAI, without thinking blocks
    assert "encrypted" not in str(body) and "rs_" not in str(body)
    emulator.assert_all_consumed()


async def test_all_failing_raises_the_primary_error_with_notes(emulator: Emulator) -> None:
    emulator.script(Fault.server_error(500), Fault.http_error(401, "Incorrect API key provided: sk-te***"))
    fallback = opened(OpenAIChatModel("gpt-4.1", base_url=emulator.base_url, api_key="k", retry=ONE_ATTEMPT))
    primary = failing_primary(emulator, fallback)
    with pytest.raises(ModelHTTPError) as info:
        await primary.request([ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(), RequestParams())
    assert info.value.status_code == 500 and info.value.model_name == "o4-mini"
    (note,) = info.value.__notes__
    assert note.startswith("fallback OpenAIChatModel(127.0.0.1:gpt-4.1) failed too: Model 'gpt-4.1' answered HTTP 401")
    emulator.assert_all_consumed()


async def test_fallbacks_given_as_strings_are_resolved_on_first_use(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, waits: Waits
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    emulator.script(Fault.rate_limit(retry_after=0), Reply(text="chat fallback"))
    primary = failing_primary(emulator, "openai-chat:gpt-4.1-mini")
    answer = await primary.request([ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(), RequestParams())
    assert answer.text == "chat fallback"
    assert isinstance(primary.fallback_models[0], OpenAIChatModel)
    emulator.assert_all_consumed()
