"""One model object used from several event loops (``run_sync`` called again and again)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


SCRIPT = """
import asyncio, gc, sys
from agentkit import Agent
from agentkit.models.litellm import LiteLLMModel
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from tests.emulator import Emulator, Reply

emulator = Emulator().start()
emulator.responder = lambda request: Reply(text="a streamed answer in several small pieces")
models = {
    "chat": lambda: OpenAIChatModel("m", base_url=emulator.base_url, api_key="k"),
    "responses": lambda: OpenAIResponsesModel("m", base_url=emulator.base_url, api_key="k"),
    "litellm": lambda: LiteLLMModel("anthropic/claude-sonnet-4-5", base_url=emulator.url, api_key="sk-ant-k"),
}
agent = Agent(models[sys.argv[1]]())


async def stream(stop_early):
    try:
        async for event in agent.stream("hello"):
            if stop_early and event.kind == "text_delta":
                return "stopped"
        return event.output
    finally:
        gc.collect()  # as Python may at any time while a loop runs: finalizes what earlier loops left


print(asyncio.run(stream(False)))
print(asyncio.run(stream(True)))
print(agent.run_sync("again").output)
print(asyncio.run(stream(False)))
emulator.stop()
"""


@pytest.mark.parametrize("adapter", ["chat", "responses", "litellm"])
def test_streaming_leaves_no_client_on_a_closed_loop(adapter: str) -> None:
    """asyncio.run + agent.stream, again and again, then exit: no 'Event loop is closed' (issue 12, 14c)."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONWARNINGS": "default"}
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", SCRIPT, adapter],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    answer = "a streamed answer in several small pieces"
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [answer, "stopped", answer, answer]
    stderr = done.stderr.lower()
    for symptom in ("event loop is closed", "task was destroyed", "never retrieved", "unclosed", "exception ignored"):
        assert symptom not in stderr, done.stderr
