"""Instructions on the wire: every request carries the current instructions exactly once, in the place its
format wants them (Chat: the first message; Responses: the first input item; Anthropic: ``system``), on a
first run and on a continued run after the instructions changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agentkit import Agent
from agentkit.models.base import Model
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.models._helpers import anthropic_model, get_weather, plain_chat_model, responses_model

JSON = dict[str, Any]
FIRST = "You compare the weather.\n\nTemperatures in Celsius."
SECOND = "Answer in one word.\n\nTemperatures in Celsius.\n\nThis run only."


def chat_system(body: JSON) -> list[JSON]:
    """The system/developer messages; the first message must be the only one."""
    systems = [m for m in body["messages"] if m["role"] in ("system", "developer")]
    assert body["messages"][0] == systems[0]
    return systems


def responses_system(body: JSON) -> list[JSON]:
    """The system/developer input items (first) and the ``instructions`` field, which the adapter leaves unset."""
    assert body.get("instructions") is None
    systems = [i for i in body["input"] if i.get("role") in ("system", "developer")]
    assert body["input"][0] == systems[0]
    return systems


def anthropic_system(body: JSON) -> list[JSON]:
    """The ``system`` blocks; no system text may be left among the messages."""
    assert all(m["role"] in ("user", "assistant") for m in body["messages"])
    blocks: list[JSON] = body["system"]
    return blocks


WIRES: dict[str, tuple[Callable[[Emulator], Model], str, Callable[[JSON], list[JSON]], Callable[[str], JSON]]] = {
    "chat": (plain_chat_model, "/v1/chat/completions", chat_system, lambda t: {"role": "system", "content": t}),
    "responses": (responses_model, "/v1/responses", responses_system, lambda t: {"role": "system", "content": t}),
    "anthropic": (anthropic_model, "/v1/messages", anthropic_system, lambda t: {"type": "text", "text": t}),
}


@pytest.mark.parametrize("wire", list(WIRES))
async def test_current_instructions_are_sent_once_on_each_run(emulator: Emulator, wire: str) -> None:
    make_model, path, system_of, expected = WIRES[wire]
    emulator.script(
        Reply(tool_calls=[Call("get_weather", {"city": "Paris"})]),
        Reply(text="Paris is sunny."),
        Reply(text="Sunny."),
    )
    agent = Agent(make_model(emulator), instructions="You compare the weather.", tools=[get_weather])
    agent.instructions(lambda: "Temperatures in Celsius.")
    first = await agent.run("Weather in Paris?")
    agent.instructions = "Answer in one word."
    second = await agent.run("And now?", message_history=first.messages, instructions="This run only.")
    assert second.output == "Sunny."
    emulator.assert_all_consumed()

    bodies = emulator.bodies(path)
    assert [system_of(b) for b in bodies] == [[expected(FIRST)], [expected(FIRST)], [expected(SECOND)]]
    assert "You compare the weather." not in str(bodies[2])  # the old instructions are gone
    assert all("system" not in str(m.parts) for m in second.messages)  # none stored in the history
