"""The conversation goes to the openai SDK past its parameter transform, and reaches the server unchanged.

The SDK's type-driven transform walks every message (0.2-0.6 ms each on a 2-core machine): a 300-step
run spent 90 % of its time there. ``agentkit.models._sdk_body`` sends the list through ``extra_body``.
"""

from __future__ import annotations

from typing import Any

import openai.resources.chat.completions.completions as chat_resource
import openai.resources.responses.responses as responses_resource
import pytest

from agentkit import Agent
from agentkit.models._sdk_body import sdk_kwargs
from agentkit.settings import ModelSettings
from tests.emulator import Emulator, Reply, ToolCall
from tests.models._helpers import get_weather, plain_chat_model, responses_model

Transformed = list[dict[str, Any]]


@pytest.fixture
def transformed(monkeypatch: pytest.MonkeyPatch) -> Transformed:
    """What the SDK's transform was handed, for chat and responses requests."""
    seen: Transformed = []
    for module in (chat_resource, responses_resource):
        original = module.async_maybe_transform

        async def spy(data: Any, expected_type: Any, original: Any = original) -> Any:
            seen.append(dict(data))
            return await original(data, expected_type)

        monkeypatch.setattr(module, "async_maybe_transform", spy)
    return seen


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("wire", ["chat", "responses"])
async def test_history_skips_the_sdk_transform_and_arrives_whole(
    emulator: Emulator, transformed: Transformed, wire: str, stream: bool
) -> None:
    emulator.script(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="Sunny."))
    model = plain_chat_model(emulator) if wire == "chat" else responses_model(emulator)
    agent = Agent(model, instructions="Be brief.", tools=[get_weather])
    if stream:
        _ = [event async for event in agent.stream("Weather in Paris?")]
    else:
        await agent.run("Weather in Paris?")

    key = "messages" if wire == "chat" else "input"
    assert [t[key] for t in transformed] == [[], []]  # the SDK never walked the conversation
    last = emulator.last_body[key]
    assert any("Weather in Paris?" in str(entry) for entry in last)
    assert any("sunny, 24 C" in str(entry) for entry in last)  # the tool result went back
    assert list(emulator.last_body).index(key) < list(emulator.last_body).index("tools")  # same key position


async def test_a_users_extra_body_still_wins(emulator: Emulator) -> None:
    emulator.script(Reply(text="ok"))
    replaced = [{"role": "user", "content": "from extra_body"}]
    settings = ModelSettings(extra_body={"messages": replaced, "seed": 7})
    await Agent(plain_chat_model(emulator)).run("hi", settings=settings)
    assert emulator.last_body["messages"] == replaced
    assert emulator.last_body["seed"] == 7


def test_sdk_kwargs_moves_only_the_named_list() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5}
    assert sdk_kwargs(body, "messages", {"timeout": 3}) == {
        "model": "m",
        "messages": [],
        "temperature": 0.5,
        "timeout": 3,
        "extra_body": {"messages": [{"role": "user", "content": "hi"}]},
    }
    assert sdk_kwargs({"model": "m"}, "input", {}) == {"model": "m"}
