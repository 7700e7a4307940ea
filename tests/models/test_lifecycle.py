"""Agent lifecycle: ``async with Agent(...)``, ``aclose()``, models made from per-run model strings, clean exits."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any, cast

import pytest

from agentkit import Agent
from agentkit.events import AgentEvent
from agentkit.models._openai_common import make_client
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel, ScriptedModel
from tests.emulator import Emulator, Reply


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ``AsyncOpenAI`` client the ``openai`` adapters create during the test, in order."""
    made: list[Any] = []

    def recording(**kwargs: Any) -> Any:
        made.append(make_client(**kwargs))
        return made[-1]

    monkeypatch.setattr("agentkit.models._openai_client.make_client", recording)
    return made


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An emulator that answers every request with text; model strings (``openai:``...) go to it."""
    with Emulator() as emu:
        emu.responder = lambda body: Reply(text="ok")
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        yield emu


async def test_async_with_closes_the_agents_client(server: Emulator, clients: list[Any]) -> None:
    async with Agent(OpenAIChatModel("m", base_url=server.base_url, api_key="k")) as agent:
        assert (await agent.run("q")).output == "ok"
        assert [c.is_closed() for c in clients] == [False]
    assert [c.is_closed() for c in clients] == [True]
    assert (await agent.run("again")).output == "ok"  # still usable: a new client
    await agent.aclose()
    assert [c.is_closed() for c in clients] == [True, True]


async def test_a_per_run_model_string_makes_one_client_per_loop_closed_by_aclose(
    server: Emulator, clients: list[Any]
) -> None:
    agent = Agent(ScriptedModel([]))
    for model in ["openai-chat:a", "openai-chat:a", "openai:b", "openai-chat:a", "openai:b"]:
        assert (await agent.run("q", model=model)).output == "ok"
    assert len(clients) == 2  # one per model string, not one per run
    assert [c.is_closed() for c in clients] == [False, False]
    await agent.aclose()
    assert [c.is_closed() for c in clients] == [True, True]
    assert [b["model"] for b in server.bodies()] == ["a", "a", "b", "a", "b"]


async def test_strategy_branches_on_a_model_string_share_the_agents_client(
    server: Emulator, clients: list[Any]
) -> None:
    async with Agent(ScriptedModel([])) as agent:
        for _ in range(2):
            result = await agent.run("q", strategy=SelfConsistency(2), model="openai-chat:branches")
            assert result.output == "ok"
        assert len(clients) == 1
    assert clients[0].is_closed()
    assert len(server.bodies()) == 4


def test_run_sync_closes_the_clients_of_its_loop(server: Emulator, clients: list[Any]) -> None:
    agent = Agent("openai:main")
    for _ in range(2):
        assert agent.run_sync("q", model="openai-chat:other").output == "ok"
        assert clients[-1].is_closed()  # a client for each run_sync's loop, closed when its run ends
    assert agent.run_sync("q").output == "ok"
    assert [c.is_closed() for c in clients] == [True, True, True]
    assert [b["model"] for b in server.bodies()] == ["other", "other", "main"]


def _new_tasks(before: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - before - {asyncio.current_task()}


async def test_a_stream_left_early_whose_run_fails_later_logs_nothing() -> None:
    logged: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: logged.append(context))
    agent = Agent(ScriptedModel([]))  # its first request fails: no response scripted
    before = asyncio.all_tasks()
    events = cast(AsyncGenerator[AgentEvent, None], agent.stream("q"))
    first = await anext(events)  # the consumer reads one event, then stops listening
    running = _new_tasks(before)
    if running:
        await asyncio.wait(running)  # meanwhile the run fails
    await events.aclose()
    del events, running
    await asyncio.sleep(0)  # the run task's done callbacks run: nothing but the loop refers to it now
    gc.collect()
    assert first.kind == "run_start"
    assert logged == []  # no "Task exception was never retrieved"


async def test_leaving_a_stream_early_ends_the_run_before_stream_returns() -> None:
    never = asyncio.Event()

    async def wait_forever(messages: Any, info: Any) -> str:
        await never.wait()
        return "unreachable"

    agent = Agent(FunctionModel(wait_forever))
    before = asyncio.all_tasks()
    events = cast(AsyncGenerator[AgentEvent, None], agent.stream("q"))
    await anext(events)
    running = _new_tasks(before)
    assert running and not any(t.done() for t in running)
    await events.aclose()
    assert all(t.cancelled() for t in running)


# --- exit after run_sync, stream and strategies: warnings are errors, asyncio in debug mode ---------

SCRIPT = """
import asyncio, contextlib, gc, logging, os, sys

logging.getLogger("asyncio").setLevel(logging.ERROR)  # -X dev warns of slow callbacks; errors still show
from tests.emulator import Emulator, Fault, Reply, ToolCall


def respond(body):
    tools = [t.get("name") or t.get("function", {}).get("name") for t in body.get("tools", [])]
    if "final_result" in tools:  # a critic's structured verdict
        return Reply(tool_calls=[ToolCall("final_result", {"accept": True, "critique": ""})])
    return Reply(text="an answer in several small pieces")


emulator = Emulator().start()
emulator.responder = respond
os.environ.update(OPENAI_BASE_URL=emulator.base_url, OPENAI_API_KEY="k")

from agentkit import Agent
from agentkit.strategies import Reflect, SelfConsistency
from agentkit.strategies.reflect import ModelCritic

prefix = sys.argv[1]
agent = Agent(f"{prefix}:main")


async def stream(stop_early, model=None):
    async for event in agent.stream("hi", model=model):
        if stop_early and event.kind == "text_delta":
            return "stopped"
    return event.output


async def left_early_then_failed():
    emulator.script(Fault.http_error(400, "refused"))
    before = asyncio.all_tasks()
    events = agent.stream("hi")
    await anext(events)
    running = asyncio.all_tasks() - before - {asyncio.current_task()}
    if running:
        await asyncio.wait(running)
    await events.aclose()
    return "left"


async def in_one_loop():
    async with Agent(f"{prefix}:main") as scoped:
        outputs = [(await scoped.run("q", model=f"{prefix}:other")).output for _ in range(2)]
        outputs.append((await scoped.run("q", strategy=SelfConsistency(2), model=f"{prefix}:branches")).output)
        async with contextlib.aclosing(scoped.stream("q", model=f"{prefix}:other")) as events:
            async for event in events:
                if event.kind == "text_delta":
                    break
        async for event in scoped.stream("q", model=f"{prefix}:streamed"):
            pass
        outputs.append(event.output)
    return len(set(outputs))


print(agent.run_sync("one").output)
print(agent.run_sync("two", model=f"{prefix}:per-run").output)
print(asyncio.run(stream(False)))
print(asyncio.run(stream(True)))
print(asyncio.run(stream(True, f"{prefix}:per-run")))
print(asyncio.run(left_early_then_failed()))
print(agent.run_sync("three", strategy=SelfConsistency(2), model=f"{prefix}:branches").output)
print(agent.run_sync("four", strategy=Reflect(1, critic=ModelCritic(f"{prefix}:critic"))).output)
print(asyncio.run(in_one_loop()))
gc.collect()
emulator.stop()
"""


@pytest.mark.parametrize("prefix", ["openai", "openai-chat"])
def test_clean_exit_with_warnings_as_errors(prefix: str) -> None:
    """run_sync, streams (whole, left early, left early then failed), strategies, ``async with``: stderr stays empty."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHONWARNINGS")}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-X", "dev", "-c", SCRIPT, prefix],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    answer = "an answer in several small pieces"
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [answer, answer, answer, "stopped", "stopped", "left", answer, answer, "1"]
    assert done.stderr == ""
