"""Tool calls that time out, outlive the run's ``max_seconds``, or whose run is cancelled (issue 12, items 5-6).

A sync tool's thread can't be stopped: the run sets ``ctx.cancelled`` and stops waiting, and while a
mutating tool's thread lives no other mutating call of the run starts. Async tools are cancelled.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import pytest

from agentkit import Agent, Budget, BudgetExceeded, ModelRequest, ModelResponse, RunContext, RunOptions, tool
from agentkit.background import InProcessStepRunner
from agentkit.background.agent_runner import durable_tool_invoker
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, call, response, text

MAY_HAVE_COMPLETED = "Its outcome is unknown: it may have completed; check before retrying."
FINAL_PROMPT = (
    "You have reached the limit of this run (max_seconds). Do not call any more tools. Using only what you already "
    "know, give your best final answer now."
)


def busy(tool_name: str, running: str) -> str:
    return (
        f"Tool '{tool_name}' was not run: an earlier call of the mutating tool '{running}' did not finish and is "
        "still running, and mutating tools never run at the same time. That call's outcome is unknown: check "
        "whether it completed before calling a mutating tool again."
    )


def fed_back(model: ScriptedModel | FunctionModel, index: int) -> list[str]:
    """What request ``index`` gave the model: the contents of its last message's parts."""
    last = model.requests[index].messages[-1]
    assert isinstance(last, ModelRequest)
    return [part.content if isinstance(part.content, str) else str(part.content) for part in last.parts]


def join_tool_threads(name: str, timeout: float = 10.0) -> None:
    for thread in threading.enumerate():
        if thread.name == f"agentkit-tool:{name}":
            thread.join(timeout)
            assert not thread.is_alive(), f"the thread of tool {name!r} is still running"


def until_final(final_text: str, tool_name: str) -> FunctionModel:
    """Calls ``tool_name`` until asked for the final answer."""

    def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        return text(final_text) if info.params.final_answer else call(tool_name, id=f"c{len(messages)}")

    return FunctionModel(reply)


# --- item 5: a timed-out sync tool keeps running --------------------------------------------------


def test_a_timed_out_mutating_call_is_not_repeated_while_its_thread_runs() -> None:
    """The pay(100)-twice attack: the model retries at once; the second payment must not start."""
    lock = threading.Lock()
    seen = {"started": 0, "active": 0, "most_active": 0, "paid": 0}

    @tool(timeout=0.2)
    def pay(amount: int) -> str:
        """Pay an amount (the payment service is slow the first time)."""
        with lock:
            seen["started"] += 1
            seen["active"] += 1
            seen["most_active"] = max(seen["most_active"], seen["active"])
            slow = seen["started"] == 1
        time.sleep(2 if slow else 0)
        with lock:
            seen["active"] -= 1
            seen["paid"] += 1
        return f"paid {amount}"

    @tool(side_effect="pure")
    def wait_for_payments() -> str:
        """Wait until no payment is in flight."""
        join_tool_threads("pay")
        return "no payment in flight"

    model = ScriptedModel(
        [
            call("pay", amount=100, id="p1"),
            call("pay", amount=100, id="p2"),
            call("wait_for_payments", id="w"),
            call("pay", amount=100, id="p3"),
            "done",
        ]
    )
    result = Agent(model, tools=[pay, wait_for_payments]).run_sync("pay 100")
    assert result.output == "done"
    assert fed_back(model, 1) == [f"Tool 'pay' did not finish within 0.2 seconds. {MAY_HAVE_COMPLETED}"]
    assert fed_back(model, 2) == [busy("pay", "pay")]
    assert fed_back(model, 4) == ["paid 100"]
    assert seen["most_active"] == 1  # before the fix: 2 (p2 ran next to the abandoned p1)
    assert seen["paid"] == 2  # p1 (finished in its abandoned thread) and p3; p2 never ran


def test_no_mutating_tool_runs_next_to_a_live_mutating_thread_but_pure_ones_do() -> None:
    release = threading.Event()
    refunds: list[int] = []

    @tool(timeout=0.1)
    def pay(amount: int) -> str:
        """Pay."""
        release.wait(10)
        return "paid"

    @tool
    async def refund(amount: int) -> str:
        """Refund."""
        refunds.append(amount)
        return "refunded"

    @tool(side_effect="pure")
    def balance() -> int:
        """The balance."""
        return 42

    model = ScriptedModel(
        [call("pay", amount=5, id="p"), response(call("balance", id="b"), call("refund", amount=5, id="r")), "ok"]
    )
    try:
        Agent(model, tools=[pay, refund, balance]).run_sync("go")
    finally:
        release.set()
    assert fed_back(model, 2) == ["42", busy("refund", "pay")]
    assert refunds == []
    join_tool_threads("pay")


def test_a_pure_tool_may_be_called_again_after_a_timeout_and_its_token_is_set() -> None:
    woken: list[bool] = []

    @tool(side_effect="pure", timeout=0.1)
    def lookup(ctx: RunContext[None], key: str) -> str:
        """Look up a key."""
        if key == "slow":
            woken.append(ctx.cancelled.wait(10))
        return f"value of {key}"

    model = ScriptedModel([call("lookup", key="slow", id="a"), call("lookup", key="fast", id="b"), "ok"])
    assert Agent(model, tools=[lookup]).run_sync("go").output == "ok"
    assert fed_back(model, 1) == [
        "Tool 'lookup' did not finish within 0.1 seconds. Calling it again is safe; try different arguments or "
        "answer without it."
    ]
    assert fed_back(model, 2) == ["value of fast"]
    join_tool_threads("lookup")
    assert woken == [True]  # the thread saw ctx.cancelled and stopped early


async def test_a_cancelled_async_mutating_tool_does_not_keep_running() -> None:
    effects: list[str] = []
    contexts: list[RunContext[None]] = []

    @tool(timeout=0.2)
    async def transfer(ctx: RunContext[None]) -> str:
        """Transfer money."""
        contexts.append(ctx)
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            effects.append("cancelled")
            raise
        effects.append("transferred")
        return "done"

    model = ScriptedModel([call("transfer", id="t"), "gave up"])
    assert (await Agent(model, tools=[transfer]).run("go")).output == "gave up"
    await asyncio.sleep(1.5)  # past the moment the transfer would have happened
    assert effects == ["cancelled"]
    assert contexts[0].cancelled.is_set()
    assert fed_back(model, 1) == [f"Tool 'transfer' did not finish within 0.2 seconds. {MAY_HAVE_COMPLETED}"]


def test_a_tool_raising_timeout_error_itself_is_a_failure_not_a_timeout() -> None:
    @tool(side_effect="pure")
    def fetch() -> str:
        """Fetch something."""
        raise TimeoutError("socket timed out")

    model = ScriptedModel([call("fetch", id="f"), "ok"])
    Agent(model, tools=[fetch]).run_sync("go")
    assert fed_back(model, 1) == [
        "Tool 'fetch' raised TimeoutError: socket timed out\nFix the problem and try again, or answer without it."
    ]


def test_durable_invoker_reports_timeouts_and_blocks_the_retry_too() -> None:
    release = threading.Event()

    @tool(timeout=0.2)
    def pay() -> str:
        """Pay."""
        release.wait(10)
        return "paid"

    model = ScriptedModel([call("pay", id="p1"), call("pay", id="p2"), "ok"])
    options = RunOptions(invoke_tool=durable_tool_invoker(InProcessStepRunner("durable-run")))
    try:
        Agent(model, tools=[pay]).run_sync("go", options=options)
    finally:
        release.set()
    assert fed_back(model, 1) == [f"Tool 'pay' did not finish within 0.2 seconds. {MAY_HAVE_COMPLETED}"]
    assert fed_back(model, 2) == [busy("pay", "pay")]
    join_tool_threads("pay")


# --- run cancellation -----------------------------------------------------------------------------


def _migration_agent() -> tuple[Agent[None, str], threading.Event, threading.Event]:
    """An agent whose one sync tool waits up to 10 s for its cancellation token; the events say when the
    tool started and when the token woke it."""
    running, woke = threading.Event(), threading.Event()

    @tool
    def migrate(ctx: RunContext[None]) -> str:
        """A long migration."""
        running.set()
        if ctx.cancelled.wait(10):
            woke.set()
        return "migrated"

    return Agent(ScriptedModel([call("migrate", id="m"), "done"]), tools=[migrate]), running, woke


async def test_cancelling_the_run_sets_the_token_of_a_running_sync_tool() -> None:
    agent, running, woke = _migration_agent()
    run = asyncio.create_task(agent.run("go"))
    assert await asyncio.to_thread(running.wait, 5)
    started = time.monotonic()
    run.cancel()  # what asyncio.wait_for around agent.run does at its timeout
    with pytest.raises(asyncio.CancelledError):
        await run
    assert await asyncio.to_thread(woke.wait, 5)
    assert time.monotonic() - started < 5  # the tool would have waited 10 s without the token


async def test_closing_the_event_stream_sets_the_token_of_a_running_sync_tool() -> None:
    agent, running, woke = _migration_agent()
    stream = agent.stream("go")
    assert isinstance(stream, AsyncGenerator)
    async with aclosing(stream) as events:
        async for event in events:
            if event.kind == "tool_call_start":
                assert await asyncio.to_thread(running.wait, 5)
                break
    assert await asyncio.to_thread(woke.wait, 5)


async def test_after_a_cancelled_run_its_live_mutating_thread_blocks_that_run_id_only() -> None:
    release, paying = threading.Event(), threading.Event()

    @tool
    def pay() -> str:
        """Pay."""
        paying.set()
        release.wait(10)
        return "paid"

    def agent(model: ScriptedModel) -> Agent[None, str]:
        return Agent(model, tools=[pay])

    first = asyncio.create_task(agent(ScriptedModel([call("pay", id="p1"), "x"])).run("go", options=_run("r1")))
    assert await asyncio.to_thread(paying.wait, 5)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    try:
        resumed = ScriptedModel([call("pay", id="p2"), "x"])
        await agent(resumed).run("go", options=_run("r1"))
        assert fed_back(resumed, 1) == [busy("pay", "pay")]
        other = ScriptedModel([call("pay", id="q"), "x"])
        other_run = asyncio.create_task(agent(other).run("go", options=_run("r2")))
        await asyncio.sleep(0.2)
        assert not other_run.done()  # another run is not blocked: it is paying
    finally:
        release.set()
    await other_run
    assert fed_back(other, 1) == ["paid"]
    await asyncio.to_thread(join_tool_threads, "pay")
    after = ScriptedModel([call("pay", id="p3"), "x"])
    await agent(after).run("go", options=_run("r1"))
    assert fed_back(after, 1) == ["paid"]


def _run(run_id: str) -> RunOptions:
    return RunOptions(run_id=run_id)


# --- item 6: max_seconds bounds tool calls --------------------------------------------------------


def test_max_seconds_stops_a_20_second_sync_tool() -> None:
    woken: list[bool] = []

    @tool
    def crunch(ctx: RunContext[None]) -> str:
        """Twenty seconds of work."""
        woken.append(ctx.cancelled.wait(20))
        return "crunched"

    model = until_final("best guess", "crunch")
    started = time.monotonic()
    result = Agent(model, tools=[crunch], budget=Budget(max_seconds=2)).run_sync("go")
    assert time.monotonic() - started < 6  # before the fix: 20 s
    assert (result.output, result.stop_reason) == ("best guess", "max_seconds")
    assert fed_back(model, 1) == [
        f"Tool 'crunch' did not finish before the time budget of this run ran out. {MAY_HAVE_COMPLETED}",
        FINAL_PROMPT,
    ]
    join_tool_threads("crunch")
    assert woken == [True]


def test_max_seconds_stops_a_20_second_async_tool() -> None:
    @tool(side_effect="pure")
    async def crunch() -> str:
        """Twenty seconds of work."""
        await asyncio.sleep(20)
        return "crunched"

    model = until_final("best guess", "crunch")
    started = time.monotonic()
    result = Agent(model, tools=[crunch], budget=Budget(max_seconds=2)).run_sync("go")
    assert time.monotonic() - started < 6  # before the fix: 20 s
    assert (result.output, result.stop_reason) == ("best guess", "max_seconds")
    assert fed_back(model, 1) == [
        "Tool 'crunch' did not finish before the time budget of this run ran out.",
        FINAL_PROMPT,
    ]


def test_run_sync_returns_without_waiting_for_a_sync_tool_that_ignores_its_token() -> None:
    release = threading.Event()

    @tool(side_effect="pure")
    def stuck() -> str:
        """Ignores ctx.cancelled."""
        release.wait(20)
        return "unstuck"

    started = time.monotonic()
    try:
        result = Agent(until_final("best guess", "stuck"), tools=[stuck], budget=Budget(max_seconds=0.5)).run_sync("go")
        assert time.monotonic() - started < 6  # with a pooled thread, asyncio.run waited for it at exit: 20 s
        assert result.stop_reason == "max_seconds"
        [thread] = [t for t in threading.enumerate() if t.name == "agentkit-tool:stuck"]
        assert thread.is_alive() and thread.daemon
    finally:
        release.set()
    join_tool_threads("stuck")


def test_max_seconds_during_a_tool_call_raises_when_asked() -> None:
    @tool
    async def crunch() -> str:
        """Twenty seconds of work."""
        await asyncio.sleep(20)
        return "crunched"

    started = time.monotonic()
    budget = Budget(max_seconds=0.3, on_exceeded="raise")
    with pytest.raises(BudgetExceeded) as info:
        Agent(until_final("best guess", "crunch"), tools=[crunch], budget=budget).run_sync("go")
    assert info.value.limit == "max_seconds"
    assert time.monotonic() - started < 6


def test_a_call_cut_short_by_max_seconds_does_not_count_against_the_tool_retries() -> None:
    @tool(retries=0)
    async def crunch() -> str:
        """Twenty seconds of work."""
        await asyncio.sleep(20)
        return "crunched"

    result = Agent(until_final("best guess", "crunch"), tools=[crunch], budget=Budget(max_seconds=0.3)).run_sync("go")
    assert result.stop_reason == "max_seconds"  # not ToolRetriesExceeded


def test_a_mutating_call_is_not_started_once_the_run_is_out_of_time() -> None:
    ran: list[str] = []

    @tool
    def first(ctx: RunContext[None]) -> str:
        """Runs past the run's time."""
        ctx.cancelled.wait(20)
        return "first"

    @tool
    def second() -> str:
        """Must not start."""
        ran.append("second")
        return "second"

    def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> Any:
        return "best guess" if info.params.final_answer else response(call("first", id="a"), call("second", id="b"))

    model = FunctionModel(reply)
    result = Agent(model, tools=[first, second], budget=Budget(max_seconds=0.3)).run_sync("go")
    assert result.stop_reason == "max_seconds"
    assert ran == []
    assert fed_back(model, 1) == [
        f"Tool 'first' did not finish before the time budget of this run ran out. {MAY_HAVE_COMPLETED}",
        "Tool 'second' was not run: the time budget of this run is used up. Answer with what you have.",
        FINAL_PROMPT,
    ]


def test_the_tool_sees_the_time_left_in_its_context() -> None:
    seen: list[float | None] = []

    @tool(side_effect="pure")
    def probe(ctx: RunContext[None]) -> str:
        """Report the time left."""
        seen.append(ctx.time_left)
        return "ok"

    model = ScriptedModel([call("probe", id="a"), "done"])
    Agent(model, tools=[probe], budget=Budget(max_seconds=30)).run_sync("go")
    Agent(ScriptedModel([call("probe", id="b"), "done"]), tools=[probe]).run_sync("go")
    assert seen[0] is not None and 25 < seen[0] <= 30
    assert seen[1] is None
