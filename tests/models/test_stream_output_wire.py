"""Partial typed output over the wire: the output tool's arguments streamed in chunks by the emulator, read by
each adapter (Chat Completions, Responses, Anthropic via litellm), turned into partial values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Agent
from tests.emulator import Emulator, Reply, ToolCall
from tests.models._helpers import anthropic_model, plain_chat_model, responses_model

WIRES: dict[str, Callable[[Emulator], Any]] = {
    "chat": plain_chat_model,
    "responses": responses_model,
    "anthropic-litellm": anthropic_model,
}
ARGUMENTS = '{"city": "Paris", "temp": 21, "tags": ["sunny", "warm"]}'
# in pieces of 6: '{"city' '": "Pa' 'ris", ' '"temp"' ': 21, ' '"tags"' ': ["su' 'nny", ' '"warm"' ']}'


class Weather(BaseModel):
    city: str
    temp: int
    tags: list[str]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(chunk_chars=6) as emulator:
        yield emulator


@pytest.mark.parametrize("wire", WIRES)
async def test_partial_values_follow_the_argument_chunks(emu: Emulator, wire: str) -> None:
    emu.script(Reply(tool_calls=[ToolCall("final_result", ARGUMENTS, call_id="call_final1")]))
    agent = Agent(WIRES[wire](emu), output_type=Weather)

    values = [value async for value in agent.stream_output("Weather in Paris?")]

    assert [v.model_dump() for v in values] == [
        {"city": None, "temp": None, "tags": None},
        {"city": "Pa", "temp": None, "tags": None},
        {"city": "Paris", "temp": None, "tags": None},
        {"city": "Paris", "temp": 21, "tags": None},
        {"city": "Paris", "temp": 21, "tags": ["su"]},
        {"city": "Paris", "temp": 21, "tags": ["sunny"]},
        {"city": "Paris", "temp": 21, "tags": ["sunny", "warm"]},
    ]
    assert values[-1] == Weather(city="Paris", temp=21, tags=["sunny", "warm"])
    emu.assert_all_consumed()


@pytest.mark.parametrize("wire", WIRES)
async def test_text_output_accumulates_the_text_deltas(emu: Emulator, wire: str) -> None:
    emu.script(Reply(text="Sunny and warm, 21 C."))
    agent = Agent(WIRES[wire](emu))

    values = [value async for value in agent.stream_output("Weather in Paris?")]

    assert values == ["Sunny ", "Sunny and wa", "Sunny and warm, 21", "Sunny and warm, 21 C."]
    emu.assert_all_consumed()
