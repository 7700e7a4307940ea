"""Best-of-N over real HTTP (the loopback emulator and the Chat Completions adapter)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from agentkit import Agent
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.strategies import BestOfN
from tests.emulator import Emulator, Reply

LATENCY_MS = 100


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    with Emulator(latency_ms=LATENCY_MS, record=False, responder=lambda request: Reply(text="42")) as emu:
        yield emu


@pytest.mark.parametrize("cap", [2, 3])
async def test_the_server_sees_exactly_the_concurrency_cap(slow_emulator: Emulator, cap: int) -> None:
    model = OpenAIChatModel("m", base_url=slow_emulator.base_url, api_key="test")

    result = await Agent(model).run("6 x 7?", strategy=BestOfN(7, verifier=lambda out: out == "42", concurrency=cap))

    assert result.output == "42"
    assert slow_emulator.stats.requests == 7
    assert slow_emulator.max_in_flight == cap
    await model.close()


async def test_branches_run_in_parallel_over_http(slow_emulator: Emulator) -> None:
    model = OpenAIChatModel("m", base_url=slow_emulator.base_url, api_key="test")
    agent = Agent(model)
    await agent.run("warm up")
    slow_emulator.reset()
    started = time.perf_counter()

    await agent.run("6 x 7?", strategy=BestOfN(8, verifier=lambda out: out == "42"))

    assert slow_emulator.max_in_flight == 8
    assert time.perf_counter() - started < 3 * LATENCY_MS / 1000  # one wave, not eight
    await model.close()
