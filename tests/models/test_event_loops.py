"""One model object used from several event loops (``run_sync`` called again and again)."""

from __future__ import annotations

from agentkit import Agent
from agentkit.models.openai_chat import OpenAIChatModel
from tests.emulator import Emulator, Reply


def test_run_sync_twice_reuses_no_dead_connections() -> None:
    with Emulator() as emu:
        emu.script(Reply(text="one"), Reply(text="two"), Reply(text="three"))
        agent = Agent(OpenAIChatModel("plain", base_url=emu.base_url, api_key="k"))
        outputs = [agent.run_sync(f"q{i}").output for i in range(3)]
        emu.assert_all_consumed()
    assert outputs == ["one", "two", "three"]


async def test_client_is_per_event_loop() -> None:
    model = OpenAIChatModel("plain", base_url="http://127.0.0.1:9/v1", api_key="k")
    first = model.client
    assert model.client is first  # same loop, same client
    await model.close()
    assert model.client is not first
    await model.close()
