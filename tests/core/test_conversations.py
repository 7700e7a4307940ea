"""A conversation continues after every way a run can end, on every wire format.

Run 1 ends one way (text, typed answer, each budget limit, a failed output, a cancellation, a denied
approval, a tool failing too often, a strategy's winner); run 2 continues with its messages through the
emulator, which refuses an unanswered tool call (or a result without its call) with each provider's own
400 text, and checks reasoning state (Responses reasoning items, Anthropic thinking signatures, DeepSeek
``reasoning_content``). Wire formats: Chat Completions, Responses, Anthropic Messages through litellm.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import (
    Agent,
    BudgetExceeded,
    ModelPrice,
    ModelRequest,
    ModelResponse,
    ModelSettings,
    OutputValidationError,
    ReasoningPart,
    RunOptions,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    ToolRetriesExceeded,
    Usage,
    UserError,
    UserPart,
    tool,
)
from agentkit._closing import close_after_error, close_history
from agentkit.approval import deny_all
from agentkit.events import ModelSwitched
from agentkit.exceptions import ModelHTTPError
from agentkit.messages import RetryPrompt, dump_messages, load_messages
from agentkit.models.base import Model, RequestParams
from agentkit.strategies import BeamSearch, BestOfN
from agentkit.usage import Budget
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.models._helpers import (
    anthropic_model,
    close_models,
    deepseek_model,
    get_weather,
    plain_chat_model,
    responses_model,
)
from tests.models.conftest import LITELLM_WARNING

__all__ = ["close_models"]

pytestmark = pytest.mark.filterwarnings(LITELLM_WARNING)

Messages = list[ModelRequest | ModelResponse]
WIRES = ["chat", "responses", "anthropic"]
SETTINGS = {
    "chat": ModelSettings(),
    "responses": ModelSettings(reasoning_effort="low"),
    "anthropic": ModelSettings(reasoning_effort="low"),
    "deepseek": ModelSettings(),
}
WEATHER = Call("get_weather", {"city": "Paris"})
FINAL = Call("final_result", {"city": "Paris", "weather": "sunny, 24 C"})


class Forecast(BaseModel):
    city: str
    weather: str


ANSWER = Forecast(city="Paris", weather="sunny, 24 C")


def model_for(wire: str, emu: Emulator) -> Model:
    makers = {
        "chat": plain_chat_model,
        "responses": responses_model,
        "anthropic": anthropic_model,
        "deepseek": deepseek_model,
    }
    return makers[wire](emu)


def typed_agent(model: Model, wire: str, **options: Any) -> Agent[None, Forecast]:
    tools = [get_weather, *options.pop("tools", [])]
    return Agent(model, output_type=Forecast, tools=tools, settings=SETTINGS[wire], **options)


def text_agent(model: Model, wire: str) -> Agent[None, str]:
    return Agent(model, tools=[get_weather], settings=SETTINGS[wire])


def assert_every_call_answered_once(messages: Messages) -> None:
    """Each tool call has exactly one result, in the request right after its response."""
    for index, message in enumerate(messages):
        if not isinstance(message, ModelResponse) or not message.tool_calls:
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        assert isinstance(following, ModelRequest), f"response {index} has calls but no request after it"
        answers = Counter(
            p.call_id for p in following.parts if isinstance(p, ToolResult | RetryPrompt) and p.call_id is not None
        )
        assert answers == Counter(c.id for c in message.tool_calls)


def results(messages: Messages) -> dict[str, str]:
    """Tool name -> result text of the last request."""
    last = messages[-1]
    assert isinstance(last, ModelRequest)
    return {p.name: p.content_text() for p in last.parts if isinstance(p, ToolResult)}


# --- the ways a run can end -------------------------------------------------------------------------

Ending = Callable[[Emulator, Model, str], Awaitable[tuple[Agent[None, Any], Messages]]]


async def text_output(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    emu.script(Reply(reasoning="Look it up.", tool_calls=[WEATHER]), Reply(reasoning="Done.", text="Sunny."))
    agent = text_agent(model, wire)
    result = await agent.run("Paris?")
    assert result.output == "Sunny." and result.stop_reason == "final"
    return agent, result.messages


async def typed_output(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    emu.script(Reply(reasoning="Look it up.", tool_calls=[WEATHER]), Reply(reasoning="Done.", tool_calls=[FINAL]))
    agent = typed_agent(model, wire)
    result = await agent.run("Paris?")
    assert result.output == ANSWER
    assert results(result.messages) == {"final_result": "Final answer recorded."}
    return agent, result.messages


async def typed_output_with_another_call(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    emu.script(Reply(reasoning="Both at once.", tool_calls=[WEATHER, FINAL]))
    agent = typed_agent(model, wire)
    result = await agent.run("Paris?")
    assert result.output == ANSWER
    assert results(result.messages) == {
        "get_weather": "Tool 'get_weather' was not run because the final answer was given in the same turn.",
        "final_result": "Final answer recorded.",
    }
    return agent, result.messages


async def _best_answer(emu: Emulator, agent: Agent[None, Any], limit: str, **run: Any) -> Messages:
    emu.script(
        Reply(reasoning="Look it up.", tool_calls=[WEATHER]), Reply(reasoning="Best I have.", tool_calls=[FINAL])
    )
    result = await agent.run("Paris?", **run)
    assert result.output == ANSWER and result.stop_reason == limit
    return result.messages


async def budget_turns(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    agent = typed_agent(model, wire, budget=Budget(max_turns=1))
    return agent, await _best_answer(emu, agent, "max_turns")


async def budget_tokens(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    agent = typed_agent(model, wire, budget=Budget(max_tokens=5))
    return agent, await _best_answer(emu, agent, "max_tokens")


async def budget_cost(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    price = ModelPrice(input_per_mtok=1000.0, output_per_mtok=1000.0)
    agent = typed_agent(model, wire, budget=Budget(max_cost_usd=0.001), price=price)
    return agent, await _best_answer(emu, agent, "max_cost_usd")


async def budget_seconds(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    elapsed = [0.0]

    @tool(side_effect="pure")
    def slow_weather(city: str) -> str:
        """Weather, slowly."""
        elapsed[0] = 100.0  # the run's clock passes max_seconds while the tool runs
        return "sunny"

    agent = typed_agent(model, wire, tools=[slow_weather], budget=Budget(max_seconds=10))
    emu.script(
        Reply(reasoning="Look it up.", tool_calls=[Call("slow_weather", {"city": "Paris"})]),
        Reply(reasoning="Best I have.", tool_calls=[FINAL]),
    )
    result = await agent.run("Paris?", options=RunOptions(clock=lambda: elapsed[0]))
    assert result.output == ANSWER and result.stop_reason == "max_seconds"
    return agent, result.messages


async def budget_tool_calls(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    rome = Call("get_weather", {"city": "Rome"})
    emu.script(
        Reply(reasoning="Both.", tool_calls=[WEATHER, rome]), Reply(reasoning="Best I have.", tool_calls=[FINAL])
    )
    agent = typed_agent(model, wire, budget=Budget(max_tool_calls=1))
    result = await agent.run("Paris?")
    assert result.output == ANSWER and result.stop_reason == "max_tool_calls"
    return agent, result.messages


async def budget_raises(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    emu.script(Reply(reasoning="Look it up.", tool_calls=[WEATHER]))
    agent = typed_agent(model, wire, budget=Budget(max_turns=1, on_exceeded="raise"))
    with pytest.raises(BudgetExceeded) as info:
        await agent.run("Paris?")
    assert results(info.value.messages) == {"get_weather": "sunny, 24 C"}  # the result that was computed
    return agent, info.value.messages


async def output_invalid(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    emu.script(Reply(reasoning="Answer.", tool_calls=[Call("final_result", {"city": "Paris"})]))
    agent = typed_agent(model, wire, output_retries=0)
    with pytest.raises(OutputValidationError) as info:
        await agent.run("Paris?")
    assert results(info.value.messages) == {
        "final_result": "Tool 'final_result' has no result: the run ended (OutputValidationError) before this "
        "call was answered."
    }
    return agent, info.value.messages


async def cancelled_mid_tool(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    started = asyncio.Event()

    @tool(side_effect="pure")
    async def wait_forever(city: str) -> str:
        """Never finishes."""
        started.set()
        await asyncio.Event().wait()
        return "never"

    emu.script(Reply(reasoning="Wait.", tool_calls=[Call("wait_forever", {"city": "Paris"})]))
    agent = typed_agent(model, wire, tools=[wait_forever])
    async with agent.iter("Paris?") as run:

        async def drive() -> None:
            async for _ in run:
                pass

        task = asyncio.create_task(drive())
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert results(run.messages) == {
            "wait_forever": "Tool 'wait_forever' has no result: the run was cancelled before this call finished."
        }
        return agent, run.messages


async def approval_denied(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    @tool(side_effect="mutating", requires_approval=True)
    def forget_city(city: str) -> str:
        """Forget a city."""
        return "forgotten"

    emu.script(
        Reply(reasoning="Forget it.", tool_calls=[Call("forget_city", {"city": "Paris"})]),
        Reply(reasoning="Denied; answer.", tool_calls=[FINAL]),
    )
    agent = typed_agent(model, wire, tools=[forget_city], approver=deny_all)
    result = await agent.run("Paris?")
    assert result.output == ANSWER
    return agent, result.messages


async def tool_retries_exceeded(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    @tool(side_effect="pure", retries=0)
    def broken(city: str) -> str:
        """Always fails."""
        raise RuntimeError("station offline")

    emu.script(Reply(reasoning="Both.", tool_calls=[Call("broken", {"city": "Paris"}), WEATHER]))
    agent = typed_agent(model, wire, tools=[broken])
    with pytest.raises(ToolRetriesExceeded) as info:
        await agent.run("Paris?")
    return agent, info.value.messages


async def strategy_winner(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    emu.script(Reply(reasoning="One.", tool_calls=[FINAL]), Reply(reasoning="Two.", tool_calls=[FINAL]))
    agent = typed_agent(model, wire)
    result = await agent.run("Paris?", strategy=BestOfN(2, verifier=lambda out: 1.0, concurrency=1))
    assert result.output == ANSWER
    assert results(result.messages) == {"final_result": "Final answer recorded."}
    return agent, result.messages


async def beam_winner(emu: Emulator, model: Model, wire: str) -> tuple[Agent[None, Any], Messages]:
    emu.script(Reply(reasoning="Look.", tool_calls=[WEATHER]), Reply(reasoning="Done.", tool_calls=[WEATHER, FINAL]))
    agent = typed_agent(model, wire)
    result = await agent.run("Paris?", strategy=BeamSearch(1, 1, step_scorer=lambda ctx: 1.0, max_steps=3))
    assert result.output == ANSWER
    assert results(result.messages)["final_result"] == "Final answer recorded."
    return agent, result.messages


ENDINGS: list[Ending] = [
    text_output,
    typed_output,
    typed_output_with_another_call,
    budget_turns,
    budget_tokens,
    budget_cost,
    budget_seconds,
    budget_tool_calls,
    budget_raises,
    output_invalid,
    cancelled_mid_tool,
    approval_denied,
    tool_retries_exceeded,
    strategy_winner,
    beam_winner,
]


async def continue_with(emu: Emulator, agent: Agent[None, Any], history: Messages) -> Messages:
    """Run 2: one more turn on ``history``; the emulator refuses it if the history breaks a rule."""
    if agent.output.is_text:
        emu.script(Reply(reasoning="Recall.", text="Still sunny."))
    else:
        emu.script(Reply(reasoning="Recall.", tool_calls=[FINAL]))
    second = await agent.run("And now?", message_history=history)
    assert second.output == ("Still sunny." if agent.output.is_text else ANSWER)
    assert second.messages[: len(history)] == history
    assert second.new_messages() == second.messages[len(history) :]
    assert isinstance(second.new_messages()[0], ModelRequest)
    assert second.new_messages()[0].parts[-1] == UserPart(content="And now?")
    return second.messages


@pytest.mark.parametrize("ending", ENDINGS, ids=[e.__name__ for e in ENDINGS])
@pytest.mark.parametrize("wire", [*WIRES, "deepseek"])
async def test_a_conversation_continues_after_every_ending(wire: str, ending: Ending) -> None:
    with Emulator(chat_mode="deepseek" if wire == "deepseek" else "plain-chat") as emu:
        model = model_for(wire, emu)
        agent, history = await ending(emu, model, wire)
        messages = await continue_with(emu, agent, history)  # a 400 from the emulator fails here
        assert_every_call_answered_once(history)
        assert close_history(history) == history  # already closed: nothing to add
        assert_every_call_answered_once(messages)
        assert all(r.status == 200 for r in emu.requests)
        emu.assert_all_consumed()


# --- the emulator's rules bite: the same histories, left open, get each provider's 400 -------------

UNANSWERED = {
    "chat": "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
    "'tool_call_id'. The following tool_call_ids did not have response messages: {call_id}",
    "responses": "No tool output found for function call {call_id}.",
    "anthropic": "messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
    "{call_id}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
}
ORPHAN = {
    "chat": "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
    "'tool_calls'.",
    "responses": "No tool call found for function call output with call_id {call_id}.",
    # litellm merges the two user messages: the result is block 1 after the text
    "anthropic": "messages.{index}.content.1: unexpected `tool_use_id` found in `tool_result` blocks: {call_id}. "
    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
}


async def _refused(model: Model, wire: str, messages: Messages) -> str:
    request = [*messages, ModelRequest(parts=[UserPart(content="And now?")])]
    with pytest.raises(ModelHTTPError) as info:
        await model.request(request, SETTINGS[wire], RequestParams())
    assert info.value.status_code == 400
    return str(info.value)


@pytest.mark.parametrize("wire", WIRES)
async def test_the_history_left_open_after_a_typed_answer_is_refused(wire: str) -> None:
    """The bug this file guards against: without the closing result the next request is a 400."""
    with Emulator() as emu:
        model = model_for(wire, emu)
        _, history = await typed_output(emu, model, wire)
        opened = history[:-1]  # drop the request answering final_result
        final_call = opened[-1].tool_calls[0]  # type: ignore[union-attr]
        text = await _refused(model, wire, opened)
        assert UNANSWERED[wire].format(call_id=final_call.id, index=3) in text
        emu.assert_all_consumed()


@pytest.mark.parametrize("wire", WIRES)
async def test_a_result_without_its_call_is_refused(wire: str) -> None:
    with Emulator() as emu:
        model = model_for(wire, emu)
        orphan = ModelRequest(parts=[ToolResult(call_id="toolu_01orphan", name="get_weather", content="sunny")])
        text = await _refused(model, wire, [ModelRequest(parts=[UserPart(content="Paris?")]), orphan])
        assert ORPHAN[wire].format(call_id="toolu_01orphan", index=0) in text


# --- histories kept elsewhere: closing, dump/load, new_messages ---------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_an_open_history_given_to_a_run_is_closed_first(wire: str) -> None:
    """A history saved before the fix (or cut by the caller) still continues: its open calls get results."""
    with Emulator() as emu:
        model = model_for(wire, emu)
        agent, history = await typed_output(emu, model, wire)
        opened = history[:-1]
        messages = await continue_with(emu, agent, close_history(opened))
        assert_every_call_answered_once(messages)
        emu.script(Reply(reasoning="Recall.", tool_calls=[FINAL]))
        again = await agent.run("And now?", message_history=opened)
        assert again.messages[len(opened)].parts == [
            ToolResult(
                call_id=opened[-1].tool_calls[0].id,  # type: ignore[union-attr]
                name="final_result",
                content="Tool 'final_result' has no result: the run ended (the history ended there) before this "
                "call was answered.",
            )
        ]
        assert again.new_messages()[0].parts[-1] == UserPart(content="And now?")
        emu.assert_all_consumed()


@pytest.mark.parametrize("wire", [*WIRES, "deepseek"])
async def test_a_dumped_and_loaded_history_continues(wire: str) -> None:
    """JSON round trip keeps reasoning state (signatures, encrypted content, reasoning_content) unchanged."""
    with Emulator(chat_mode="deepseek" if wire == "deepseek" else "plain-chat") as emu:
        model = model_for(wire, emu)
        agent, history = await typed_output(emu, model, wire)
        text = dump_messages(history)
        loaded = load_messages(text)
        assert loaded == history
        assert dump_messages(loaded) == text
        await continue_with(emu, agent, loaded)
        emu.assert_all_consumed()


async def test_new_messages_are_what_the_run_added() -> None:
    with Emulator() as emu:
        model = model_for("chat", emu)
        agent, history = await typed_output(emu, model, "chat")
        emu.script(Reply(tool_calls=[WEATHER]), Reply(tool_calls=[FINAL]))
        second = await agent.run("And now?", message_history=history)
        added = second.new_messages()
        assert [m.kind for m in added] == ["request", "response", "request", "response", "request"]
        assert added[0].parts == [UserPart(content="And now?")]
        assert second.all_messages() == [*history, *added]
        assert results(added) == {"final_result": "Final answer recorded."}


# --- after a model switch: reasoning state of another provider -----------------------------------

SWITCHES = [
    ("responses", "anthropic"),
    ("anthropic", "responses"),
    ("anthropic", "deepseek"),
    ("deepseek", "anthropic"),
    ("responses", "deepseek"),
    ("deepseek", "responses"),
]


@pytest.mark.parametrize(("first", "second"), SWITCHES, ids=[f"{a}-to-{b}" for a, b in SWITCHES])
async def test_a_conversation_continues_on_another_provider(first: str, second: str) -> None:
    with Emulator(chat_mode="deepseek") as emu:
        agent, history = await typed_output(emu, model_for(first, emu), first)
        emu.script(Reply(reasoning="Recall.", tool_calls=[WEATHER]), Reply(reasoning="Again.", tool_calls=[FINAL]))
        events: list[Any] = []

        async def sink(event: Any) -> None:
            events.append(event)

        other = model_for(second, emu)
        result = await agent.run(
            "And now?",
            message_history=history,
            model=other,
            settings=SETTINGS[second],
            options=RunOptions(emit=sink),
        )
        assert result.output == ANSWER
        assert_every_call_answered_once(result.messages)
        switched = [e for e in events if isinstance(e, ModelSwitched)]
        assert switched and switched[0].to_provider == other.provider
        assert all(r.status == 200 for r in emu.requests)
        emu.assert_all_consumed()


# --- close_history and load_messages on their own ------------------------------------------------


def _calls(*names: str) -> ModelResponse:
    return ModelResponse(parts=[ToolCall(id=f"c_{n}", name=n) for n in names])


def test_close_history_puts_missing_results_before_the_users_text() -> None:
    user = UserPart(content="next")
    history: Messages = [
        ModelRequest(parts=[UserPart(content="go")]),
        _calls("a", "b"),
        ModelRequest(parts=[ToolResult(call_id="c_a", name="a", content=1), user]),
        _calls("c"),
        _calls("d"),
    ]
    closed = close_history(history)
    assert [m.kind for m in closed] == ["request", "response", "request", "response", "request", "response", "request"]
    ended = "has no result: the run ended (the history ended there) before this call was answered."
    assert closed[2].parts == [
        ToolResult(call_id="c_a", name="a", content=1),
        ToolResult(call_id="c_b", name="b", content=f"Tool 'b' {ended}"),
        user,
    ]
    assert closed[4].parts == [ToolResult(call_id="c_c", name="c", content=f"Tool 'c' {ended}")]
    assert history[2].parts == [ToolResult(call_id="c_a", name="a", content=1), user]
    assert close_history(closed) == closed


def test_a_final_answer_is_recorded_only_in_the_last_response() -> None:
    closed = close_history([_calls("final_result"), _calls("final_result", "final_result", "x")], "answered")
    assert [p.content for p in closed[1].parts] == [  # type: ignore[union-attr]
        "Tool 'final_result' has no result: the run ended (the history ended there) before this call was answered."
    ]
    assert [p.content for p in closed[3].parts] == [  # type: ignore[union-attr]
        "Final answer recorded.",
        "Tool 'final_result' was not run because the final answer was given in the same turn.",
        "Tool 'x' was not run because the final answer was given in the same turn.",
    ]


def test_an_error_carrying_a_transcript_gets_it_closed() -> None:
    error = OutputValidationError("no valid answer", [_calls("final_result")])
    closed = close_after_error(error, [_calls("x")])
    assert closed[1].parts[0].content == (  # type: ignore[union-attr]
        "Tool 'x' has no result: the run ended (OutputValidationError) before this call was answered."
    )
    assert len(error.messages) == 2
    cancelled = close_after_error(asyncio.CancelledError(), [_calls("x")])
    assert cancelled[1].parts[0].content == (  # type: ignore[union-attr]
        "Tool 'x' has no result: the run was cancelled before this call finished."
    )


def test_every_part_survives_dump_and_load() -> None:
    history: Messages = [
        ModelRequest(parts=[SystemPart(content="Be brief."), UserPart(content="Paris?")]),
        ModelResponse(
            parts=[
                ReasoningPart(content="r", provider="openai", id="rs_1", encrypted_content="gAAA", data={"k": [1]}),
                ReasoningPart(provider="anthropic", signature="sig", redacted=True),
                TextPart(content="Let me check."),
                ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}', provider_id="fc_1"),
            ],
            model_name="o4-mini",
            provider="openai",
            usage=Usage(input_tokens=10, output_tokens=5, reasoning_tokens=3, cost_usd=0.25),
            finish_reason="tool_calls",
            id="resp_1",
        ),
        ModelRequest(
            parts=[
                ToolResult(call_id="call_1", name="get_weather", content={"sky": "sunny", "c": 24}),
                RetryPrompt(content="Fix it.", call_id="call_1", name="get_weather"),
                RetryPrompt(content="Answer now."),
            ]
        ),
    ]
    text = dump_messages(history)
    assert load_messages(text) == history
    assert load_messages(text.encode()) == history
    assert dump_messages(load_messages(text)) == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "Invalid JSON: expected ident at line 1 column 2 at the top level"),
        ("{}", "Input should be a valid array at the top level"),
        (
            '[{"kind": "note"}]',
            "Input tag 'note' found using 'kind' does not match any of the expected tags: 'request', 'response' at [0]",
        ),
        ('[{"kind": "request", "parts": [{"kind": "user"}]}]', "Field required at [0].request.parts[0].user.content"),
    ],
)
def test_load_messages_names_what_is_wrong_and_the_fix(text: str, problem: str) -> None:
    with pytest.raises(UserError) as info:
        load_messages(text)
    assert str(info.value) == (
        f"load_messages: the text is not a transcript written by dump_messages ({problem}). "
        "Pass the JSON text that dump_messages returned."
    )


async def test_a_strategy_continuing_an_open_history_reports_only_its_own_messages() -> None:
    from agentkit.testing import ScriptedModel, call

    model = ScriptedModel([call("final_result", city="Paris", weather="sunny")])
    opened: Messages = [ModelRequest(parts=[UserPart(content="Paris?")]), _calls("get_weather")]
    agent = Agent(model, output_type=Forecast)
    result = await agent.run("And now?", message_history=opened, strategy=BestOfN(1, verifier=lambda out: 1.0))
    assert [m.parts for m in result.messages[:3]] == [m.parts for m in close_history(opened)]
    assert result.new_messages()[0].parts == [UserPart(content="And now?")]
    assert_every_call_answered_once(result.messages)
