"""Side-effect rules inside branches, and sharing pure tool results across branches."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentkit import Agent, RunOptions, ToolResult, tool
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.prompts import render
from agentkit.strategies import BestOfN, SelfConsistency, ToolPolicy
from agentkit.testing import FunctionModel, RecordedRequest, call, text

Messages = list[ModelRequest | ModelResponse]


def calls_then_answers(tool_name: str, **args: Any) -> FunctionModel:
    """Calls ``tool_name`` once, then answers with what the tool returned."""

    def respond(messages: Messages, info: RecordedRequest) -> ModelResponse:
        results = [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolResult)]
        if not results:
            return call(tool_name, **args)
        return text(results[-1].content_text())

    return FunctionModel(respond)


def make_send(sent: list[str]) -> Any:
    @tool  # mutating by default
    def send_email(to: str) -> str:
        """Send an email.

        Args:
            to: Recipient.
        """
        sent.append(to)
        return f"sent to {to}"

    return send_email


async def test_a_mutating_tool_is_refused_in_branches_by_default() -> None:
    sent: list[str] = []
    agent = Agent(calls_then_answers("send_email", to="bob"), tools=[make_send(sent)])

    result = await agent.run("mail bob", strategy=SelfConsistency(3))

    assert sent == []
    assert result.output == render("strategy_tool_refused", tool="send_email")


@pytest.mark.parametrize("allow", [True, {"send_email"}])
async def test_mutating_tools_run_when_the_user_opts_in(allow: Any) -> None:
    sent: list[str] = []
    agent = Agent(calls_then_answers("send_email", to="bob"), tools=[make_send(sent)])

    result = await agent.run("mail bob", strategy=SelfConsistency(3, tools=ToolPolicy(allow_mutating=allow)))

    assert sent == ["bob"] * 3
    assert result.output == "sent to bob"


async def test_allowing_other_tools_still_refuses_this_one() -> None:
    sent: list[str] = []
    agent = Agent(calls_then_answers("send_email", to="bob"), tools=[make_send(sent)])

    await agent.run("mail bob", strategy=SelfConsistency(2, tools=ToolPolicy(allow_mutating={"other"})))

    assert sent == []


async def test_a_dry_run_implementation_runs_instead_of_the_mutating_tool() -> None:
    sent: list[str] = []
    simulated: list[str] = []

    def fake_send(to: str) -> str:
        simulated.append(to)
        return f"(dry run) would send to {to}"

    agent = Agent(calls_then_answers("send_email", to="eve"), tools=[make_send(sent)])
    policy = ToolPolicy(dry_run={"send_email": fake_send})

    result = await agent.run("mail eve", strategy=BestOfN(4, verifier=lambda o: True, tools=policy))

    assert sent == []
    assert simulated == ["eve"] * 4
    assert result.output == "(dry run) would send to eve"


async def test_identical_pure_calls_run_once_for_all_branches() -> None:
    runs: list[str] = []

    @tool(side_effect="pure")
    async def fetch(url: str) -> str:
        """Fetch a page.

        Args:
            url: The address.
        """
        runs.append(url)
        await asyncio.sleep(0.01)  # the branches overlap: concurrent identical calls share one execution
        return f"<page {url}>"

    agent = Agent(calls_then_answers("fetch", url="http://x"), tools=[fetch])

    result = await agent.run("read x", strategy=SelfConsistency(6))

    assert runs == ["http://x"]
    assert result.extra["tool_cache"] == {"hits": 5, "misses": 1}
    assert result.output == "<page http://x>"


async def test_idempotent_calls_are_allowed_but_not_shared() -> None:
    runs: list[int] = []

    @tool(side_effect="idempotent")
    def upsert(key: int) -> str:
        """Upsert.

        Args:
            key: Key.
        """
        runs.append(key)
        return "ok"

    agent = Agent(calls_then_answers("upsert", key=1), tools=[upsert])

    await agent.run("go", strategy=SelfConsistency(3))

    assert runs == [1, 1, 1]


async def test_sharing_can_be_turned_off() -> None:
    runs: list[int] = []

    @tool(side_effect="pure")
    def square(x: int) -> int:
        """Square.

        Args:
            x: A number.
        """
        runs.append(x)
        return x * x

    agent = Agent(calls_then_answers("square", x=3), tools=[square])

    await agent.run("go", strategy=SelfConsistency(3, tools=ToolPolicy(share_pure=False)))

    assert runs == [3, 3, 3]


async def test_a_failed_pure_call_is_not_cached() -> None:
    attempts: list[int] = []

    @tool(side_effect="pure")
    async def flaky(x: int) -> int:  # async without awaits: the order of calls is deterministic
        """Flaky.

        Args:
            x: A number.
        """
        attempts.append(x)
        if len(attempts) == 1:
            raise RuntimeError("temporary")
        return x

    agent = Agent(calls_then_answers("flaky", x=2), tools=[flaky])

    result = await agent.run("go", strategy=SelfConsistency(3))

    assert attempts == [2, 2]
    assert result.output == "2"


async def test_the_users_own_tool_guard_still_applies() -> None:
    runs: list[int] = []

    @tool(side_effect="pure")
    def square(x: int) -> int:
        """Square.

        Args:
            x: A number.
        """
        runs.append(x)
        return x * x

    agent = Agent(calls_then_answers("square", x=3), tools=[square])
    options = RunOptions(tool_guard=lambda t, c: "not today")

    result = await agent.run("go", strategy=SelfConsistency(2), options=options)

    assert runs == []
    assert result.output == "not today"


def test_dry_run_values_must_be_callable() -> None:
    with pytest.raises(ValueError, match="must be callables"):
        ToolPolicy(dry_run={"send_email": "nope"})  # type: ignore[dict-item]


def test_allow_mutating_takes_names_not_one_string() -> None:
    with pytest.raises(ValueError, match=r"allow_mutating=\{'send_email'\}"):
        ToolPolicy(allow_mutating="send_email")
