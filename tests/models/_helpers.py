"""Shared pieces of the adapter tests: tools, a recording retry policy, adapters pointed at an emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import pytest

from agentkit import Agent, tool
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import Model
from agentkit.models.litellm import LiteLLMModel
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from tests.emulator import Emulator

WEATHER = {"Paris": "sunny, 24 C", "Rome": "cloudy, 19 C", "Oslo": "rain, 9 C"}


@tool(side_effect="pure")
def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
    """
    return WEATHER[city]


WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": 'City name, e.g. "Paris".'}},
    "required": ["city"],
    "additionalProperties": False,
}


class Waits(list[float]):
    """The waits a :class:`RetryPolicy` asked for (recorded instead of slept)."""

    async def sleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def retry_policy(waits: Waits) -> RetryPolicy:
    """Up to 3 attempts; waits are recorded, not slept, so fault tests stay fast."""
    return RetryPolicy(max_attempts=3, initial_wait_s=0.25, jitter_s=0.0, sleep=waits.sleep)


M = TypeVar("M", bound=Model)
_OPEN: list[Model] = []


def opened(model: M) -> M:
    """Remember ``model`` so that :func:`close_models` closes its HTTP client after the test."""
    _OPEN.append(model)
    return model


@pytest.fixture(autouse=True)
async def close_models() -> AsyncIterator[None]:
    """Close every model the test opened (unclosed clients leave sockets open)."""
    yield
    while _OPEN:
        await _OPEN.pop().close()


def responses_model(emu: Emulator, retry: RetryPolicy | None = None, **options: Any) -> OpenAIResponsesModel:
    return opened(
        OpenAIResponsesModel(
            "o4-mini", base_url=emu.base_url, api_key="sk-test", provider="openai", retry=retry, **options
        )
    )


def deepseek_model(emu: Emulator, retry: RetryPolicy | None = None, **options: Any) -> OpenAIChatModel:
    return opened(
        OpenAIChatModel(
            "deepseek-reasoner", base_url=emu.base_url, api_key="sk-test", provider="deepseek", retry=retry, **options
        )
    )


def plain_chat_model(emu: Emulator, retry: RetryPolicy | None = None, **options: Any) -> OpenAIChatModel:
    return opened(OpenAIChatModel("qwen3-8b", base_url=emu.base_url, retry=retry, **options))


def anthropic_model(emu: Emulator, retry: RetryPolicy | None = None, **options: Any) -> LiteLLMModel:
    return opened(
        LiteLLMModel("anthropic/claude-sonnet-4-5", base_url=emu.url, api_key="sk-ant-test", retry=retry, **options)
    )


def weather_agent(model: Any, **options: Any) -> Agent[None, str]:
    return Agent(model, instructions="You compare the weather.", tools=[get_weather], **options)


def reasoning_parts(messages: list[ModelRequest | ModelResponse]) -> list[ReasoningPart]:
    return [p for m in messages if isinstance(m, ModelResponse) for p in m.parts if isinstance(p, ReasoningPart)]


def args(text: str) -> Any:
    return json.loads(text)


# --- chat messages as a client sends them ---------------------------------------------------------


def assistant_call(call_id: str, city: str, **reasoning: str) -> dict[str, object]:
    """An assistant message calling get_weather(city), with optional reasoning fields."""
    function = {"name": "get_weather", "arguments": f'{{"city": "{city}"}}'}
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": call_id, "type": "function", "function": function}],
        **reasoning,
    }


def tool_message(call_id: str, content: str) -> dict[str, object]:
    """The tool message answering ``call_id``."""
    return {"role": "tool", "tool_call_id": call_id, "content": content}
