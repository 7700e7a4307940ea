"""Profiles on the wire: the emulator answers 400 to what a model rejects; agentkit does not send it.

Each provider rule is checked twice: the emulator's 400 (with the provider's text) when the body carries
the setting, and an agent run that succeeds with one ``SettingDropped`` event per setting instead.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from agentkit import ModelSettings
from agentkit.events import SettingDropped
from agentkit.exceptions import ModelHTTPError, UserError
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.models.profiles import ModelProfile
from tests.emulator import Emulator, Reply, ToolCall
from tests.models._helpers import anthropic_model, opened, weather_agent

JSON = dict[str, Any]
TOOL_THEN_TEXT = (Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="Sunny."))


def post(emulator: Emulator, path: str, body: JSON) -> httpx.Response:
    headers = {"authorization": "Bearer k", "x-api-key": "k", "anthropic-version": "2023-06-01"}
    base = emulator.url if path == "/v1/messages" else emulator.base_url.removesuffix("/v1")
    return httpx.post(base + path, json=body, headers=headers, timeout=10)


def dropped(events: list[Any]) -> list[tuple[str, Any, Any]]:
    return [(e.setting, e.value, e.replacement) for e in events if isinstance(e, SettingDropped)]


# --- the emulator's rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "param", "code", "message"),
    [
        (
            "/v1/chat/completions",
            {"model": "o4-mini", "temperature": 0.2},
            "temperature",
            "unsupported_parameter",
            "Unsupported parameter: 'temperature' is not supported with this model.",
        ),
        (
            "/v1/chat/completions",
            {"model": "o4-mini", "max_tokens": 5},
            "max_tokens",
            "unsupported_parameter",
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
        ),
        (
            "/v1/chat/completions",
            {"model": "o4-mini", "reasoning_effort": "minimal"},
            "reasoning_effort",
            "unsupported_value",
            "Unsupported value: 'reasoning_effort' does not support 'minimal' with this model. "
            "Supported values are: 'low', 'medium', and 'high'.",
        ),
        (
            "/v1/chat/completions",
            {"model": "gpt-4.1", "reasoning_effort": "low"},
            "reasoning_effort",
            "unsupported_parameter",
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
        ),
        (
            "/v1/responses",
            {"model": "gpt-5", "top_p": 0.5},
            "top_p",
            "unsupported_parameter",
            "Unsupported parameter: 'top_p' is not supported with this model.",
        ),
        (
            "/v1/responses",
            {"model": "gpt-4.1", "reasoning": {"effort": "high"}},
            "reasoning.effort",
            "unsupported_parameter",
            "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
        ),
        (
            "/v1/responses",
            {"model": "o3", "reasoning": {"effort": "minimal"}},
            "reasoning.effort",
            "unsupported_value",
            "Unsupported value: 'reasoning.effort' does not support 'minimal' with this model. "
            "Supported values are: 'low', 'medium', and 'high'.",
        ),
    ],
)
def test_emulator_rejects_what_openai_rejects(
    emulator: Emulator, path: str, body: JSON, param: str, code: str, message: str
) -> None:
    field = "messages" if path.endswith("completions") else "input"
    response = post(emulator, path, {**body, field: [{"role": "user", "content": "hi"}]})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }


def test_emulator_accepts_what_the_models_take(emulator: Emulator) -> None:
    emulator.script(Reply(text="a"), Reply(text="b"), Reply(text="c"))
    chat = {"model": "gpt-5", "reasoning_effort": "minimal", "max_completion_tokens": 5}
    plain = {"model": "gpt-4.1", "temperature": 0.2, "max_tokens": 5}
    for body in (chat, plain):
        assert post(
            emulator, "/v1/chat/completions", {**body, "messages": [{"role": "user", "content": "x"}]}
        ).is_success
    responses = {"model": "o4-mini", "reasoning": {"effort": "high"}, "input": "x"}
    assert post(emulator, "/v1/responses", responses).is_success


@pytest.mark.parametrize(
    ("sampling", "message"),
    [
        (
            {"temperature": 0.5},
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at "
            "https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking"
            "#important-considerations-when-using-extended-thinking",
        ),
        (
            {"top_p": 0.9},
            "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our "
            "documentation at https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking"
            "#important-considerations-when-using-extended-thinking",
        ),
    ],
)
def test_emulator_rejects_sampling_with_anthropic_thinking(emulator: Emulator, sampling: JSON, message: str) -> None:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4000,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "hi"}],
        **sampling,
    }
    response = post(emulator, "/v1/messages", body)
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": message}
    emulator.script(Reply(text="ok"))
    assert post(emulator, "/v1/messages", {**body, "temperature": 1, "top_p": 0.97}).is_success


# --- agentkit sends what the model takes ---------------------------------------------------------


async def test_chat_o_series_drops_sampling_and_maps_effort(emulator: Emulator) -> None:
    emulator.script(*TOOL_THEN_TEXT)
    model = opened(OpenAIChatModel("o4-mini", base_url=emulator.base_url, api_key="k"))  # no provider="openai"
    settings = ModelSettings(temperature=0.2, reasoning_effort="minimal", max_tokens=500)
    result = await weather_agent(model, settings=settings).run("Weather in Paris?")
    assert result.output == "Sunny."
    assert dropped(result.events) == [("temperature", 0.2, None), ("reasoning_effort", "minimal", "low")]
    for body in emulator.bodies("/v1/chat/completions"):
        assert "temperature" not in body and body["reasoning_effort"] == "low"
        assert body["max_completion_tokens"] == 500 and "max_tokens" not in body
    event = next(e for e in result.events if isinstance(e, SettingDropped))
    assert event.model == "127.0.0.1:o4-mini" and event.reason == "OpenAI o-series models take no temperature"
    emulator.assert_all_consumed()


async def test_responses_non_reasoning_model_gets_no_effort(emulator: Emulator) -> None:
    emulator.script(*TOOL_THEN_TEXT)
    model = opened(OpenAIResponsesModel("gpt-4.1", base_url=emulator.base_url, api_key="k"))
    result = await weather_agent(model, settings=ModelSettings(reasoning_effort="high", temperature=0.3)).run("Paris?")
    assert result.output == "Sunny."
    assert dropped(result.events) == [("reasoning_effort", "high", None)]
    bodies = emulator.bodies("/v1/responses")
    assert len(bodies) == 2 and all("reasoning" not in b and b["temperature"] == 0.3 for b in bodies)


async def test_responses_gpt5_drops_top_p(emulator: Emulator) -> None:
    emulator.script(Reply(text="Done."))
    model = opened(OpenAIResponsesModel("gpt-5", base_url=emulator.base_url, api_key="k"))
    result = await weather_agent(model, settings=ModelSettings(top_p=0.5, reasoning_effort="minimal")).run("Hi")
    assert dropped(result.events) == [("top_p", 0.5, None)]
    assert "top_p" not in emulator.last_body and emulator.last_body["reasoning"]["effort"] == "minimal"


async def test_anthropic_thinking_drops_temperature(emulator: Emulator) -> None:
    emulator.script(
        Reply(reasoning="check", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="Sunny.")
    )
    settings = ModelSettings(reasoning_effort="low", temperature=0.3, top_p=0.97)
    result = await weather_agent(anthropic_model(emulator), settings=settings).run("Paris?")
    assert result.output == "Sunny."
    assert dropped(result.events) == [("temperature", 0.3, None)]
    for body in emulator.bodies("/v1/messages"):
        assert body["thinking"]["type"] in ("enabled", "adaptive") and "temperature" not in body
        assert body["top_p"] == 0.97


@pytest.mark.parametrize(
    ("make", "settings", "message"),
    [
        (
            lambda emu: OpenAIChatModel("o4-mini", base_url=emu.base_url, api_key="k"),
            ModelSettings(temperature=0.2, strict=True),
            "Model 'o4-mini' does not accept these settings. ModelSettings(temperature=0.2) is refused: OpenAI "
            "o-series models take no temperature. Fix: remove temperature; or leave ModelSettings(strict=False) to "
            "have them dropped with a SettingDropped event.",
        ),
        (
            lambda emu: OpenAIResponsesModel("gpt-4.1", base_url=emu.base_url, api_key="k"),
            ModelSettings(reasoning_effort="low", strict=True),
            "Model 'gpt-4.1' does not accept these settings. ModelSettings(reasoning_effort='low') is refused: OpenAI "
            "GPT-4.1 models do not reason. Fix: remove reasoning_effort; or leave ModelSettings(strict=False) to have "
            "them dropped with a SettingDropped event.",
        ),
        (
            anthropic_model,
            ModelSettings(thinking_budget=2000, temperature=0.0, strict=True),
            "Model 'anthropic/claude-sonnet-4-5' does not accept these settings. ModelSettings(temperature=0.0) is "
            "refused: with thinking on, Claude 4 (thinking budget) models take only temperature=1.0. Fix: remove "
            "temperature; or leave ModelSettings(strict=False) to have them dropped with a SettingDropped event.",
        ),
    ],
)
async def test_strict_refuses_before_any_request(
    emulator: Emulator, make: Any, settings: ModelSettings, message: str
) -> None:
    model = opened(make(emulator))
    with pytest.raises(UserError) as caught:
        await weather_agent(model, settings=settings).run("Paris?")
    assert str(caught.value) == message
    assert emulator.requests == []


async def test_without_the_rule_the_provider_answers_400(emulator: Emulator) -> None:
    permissive = ModelProfile("permissive")  # a profile override that knows nothing about o4-mini
    model = opened(OpenAIChatModel("o4-mini", base_url=emulator.base_url, api_key="k", profile=permissive))
    with pytest.raises(ModelHTTPError) as caught:
        await weather_agent(model, settings=ModelSettings(temperature=0.2)).run("Paris?")
    assert "Unsupported parameter: 'temperature' is not supported with this model." in str(caught.value)
    assert emulator.bodies("/v1/chat/completions")[0]["temperature"] == 0.2
