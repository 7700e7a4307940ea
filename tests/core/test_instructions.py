"""Instructions: sent at the head of every request, never stored in the history, dynamic and per run."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import pytest

from agentkit import Agent, RunContext, UserError, tool
from agentkit.messages import ModelRequest, ModelResponse, SystemPart, TextPart, UserPart
from agentkit.models.prompted import PromptedModel
from agentkit.prompts import render
from agentkit.strategies import BestOfN
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, call, text

Messages = list[ModelRequest | ModelResponse]


def system_texts(messages: Messages) -> list[str]:
    """Every system text a request carried, in order."""
    return [p.content for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, SystemPart)]


def head(messages: Messages) -> str | None:
    """The system text at the head of a request, if it starts with one."""
    first = messages[0].parts[0] if messages and isinstance(messages[0], ModelRequest) else None
    return first.content if isinstance(first, SystemPart) else None


def sent(model: ScriptedModel | FunctionModel) -> list[list[str]]:
    return [system_texts(r.messages) for r in model.requests]


@tool(side_effect="pure")
def lookup(key: str) -> str:
    """Look a key up."""
    return key.upper()


# --- static instructions --------------------------------------------------------------------------


def test_instructions_head_every_request_and_stay_out_of_the_history() -> None:
    model = ScriptedModel([call("lookup", key="a"), call("lookup", key="b"), "AB"])
    result = Agent(model, instructions="Be brief.", tools=[lookup]).run_sync("Look up a and b.")
    assert result.output == "AB"
    assert sent(model) == [["Be brief."]] * 3
    assert all(head(r.messages) == "Be brief." for r in model.requests)
    assert system_texts(result.messages) == []
    assert result.messages[0].parts == [UserPart(content="Look up a and b.")]


def test_changed_instructions_take_effect_on_a_continued_conversation() -> None:
    model = ScriptedModel(["Hi, Ada.", "Ada."])
    agent = Agent(model, instructions="Be kind.")
    first = agent.run_sync("I am Ada.")
    agent.instructions = "Be terse."
    second = agent.run_sync("Who am I?", message_history=first.messages)
    assert sent(model) == [["Be kind."], ["Be terse."]]
    assert [type(m).__name__ for m in model.requests[1].messages] == ["ModelRequest", "ModelResponse", "ModelRequest"]
    assert model.requests[1].messages[0].parts == [SystemPart(content="Be terse."), UserPart(content="I am Ada.")]
    assert system_texts(second.messages) == []


def test_agent_instructions_reads_as_the_text_and_can_be_assigned() -> None:
    agent = Agent(ScriptedModel([]), instructions="Be kind.")
    assert agent.instructions == "Be kind."
    assert isinstance(agent.instructions, str)
    assert f"{agent.instructions}!" == "Be kind.!"
    assert pickle.loads(pickle.dumps(agent.instructions)) == "Be kind."
    assert type(pickle.loads(pickle.dumps(agent.instructions))) is str
    agent.instructions = None
    assert agent.instructions == "" and not agent.instructions
    assert Agent(ScriptedModel([])).instructions == ""
    assert isinstance(Agent.__dict__["instructions"], type(Agent.instructions))  # the class attribute itself


def test_no_instructions_sends_no_system_message() -> None:
    model = ScriptedModel(["ok"])
    Agent(model).run_sync("hi")
    assert sent(model) == [[]]


# --- dynamic instructions --------------------------------------------------------------------------


@dataclass
class Deps:
    user: str


def test_dynamic_instructions_see_the_run_context_and_follow_the_static_text() -> None:
    model = ScriptedModel(["Hello, Ada.", "Again, Bob."])
    agent = Agent(model, instructions="Be kind.", deps_type=Deps)
    seen: list[tuple[Any, str, list[str]]] = []

    @agent.instructions
    def user_name(ctx: RunContext[Deps]) -> str:
        prompts = [p.content for m in ctx.messages if isinstance(m, ModelRequest) for p in m.parts]
        seen.append((ctx.deps, ctx.run_id, prompts))
        return f"The user is {ctx.deps.user}."

    @agent.instructions
    async def later() -> str | None:
        return "Answer in English."

    first = agent.run_sync("Hi!", deps=Deps("Ada"))
    second = agent.run_sync("Hi again!", deps=Deps("Bob"), message_history=first.messages)
    assert user_name.__name__ == "user_name"  # the decorator returns the function itself
    assert agent.instructions.functions == (user_name, later)
    assert sent(model) == [
        ["Be kind.\n\nThe user is Ada.\n\nAnswer in English."],
        ["Be kind.\n\nThe user is Bob.\n\nAnswer in English."],
    ]
    assert seen == [
        (Deps("Ada"), first.run_id, ["Hi!"]),
        (Deps("Bob"), second.run_id, ["Hi!", "Hi again!"]),  # the history and this run's prompt
    ]


def test_dynamic_instructions_are_evaluated_once_per_run() -> None:
    model = ScriptedModel([call("lookup", key="a"), call("lookup", key="b"), "AB", "again"])
    agent = Agent(model, tools=[lookup])
    runs: list[int] = []

    @agent.instructions
    def counter(ctx: RunContext[None]) -> str:
        runs.append(len(runs) + 1)
        return f"Run {len(runs)}."

    first = agent.run_sync("go")
    agent.run_sync("again", message_history=first.messages)
    assert runs == [1, 2]
    assert sent(model) == [["Run 1."]] * 3 + [["Run 2."]]


@pytest.mark.parametrize("value", [None, "", "  \n"])
def test_a_function_returning_nothing_adds_no_block(value: str | None) -> None:
    model = ScriptedModel(["ok"])
    agent = Agent(model, instructions="Be kind.")

    @agent.instructions
    def nothing(ctx: RunContext[None]) -> str | None:
        return value

    agent.run_sync("hi")
    assert sent(model) == [["Be kind."]]


def test_only_dynamic_instructions() -> None:
    model = ScriptedModel(["ok"])
    agent = Agent(model)
    agent.instructions(lambda ctx: "Dynamic only.")
    agent.run_sync("hi")
    assert sent(model) == [["Dynamic only."]]


# --- per-run instructions --------------------------------------------------------------------------


def test_per_run_instructions_come_last_and_last_one_run() -> None:
    model = ScriptedModel(["one", "two"])
    agent = Agent(model, instructions="Be kind.")
    agent.instructions(lambda: "Dynamic.")
    first = agent.run_sync("hi", instructions="Only this run.")
    agent.run_sync("hi", message_history=first.messages)
    assert sent(model) == [["Be kind.\n\nDynamic.\n\nOnly this run."], ["Be kind.\n\nDynamic."]]


async def test_per_run_instructions_on_run_stream_and_iter() -> None:
    model = ScriptedModel(["a", "b", "c"])
    agent = Agent(model)
    await agent.run("x", instructions="From run.")
    _ = [e async for e in agent.stream("x", instructions="From stream.")]
    async with agent.iter("x", instructions="From iter.") as run:
        async for _node in run:
            pass
    assert sent(model) == [["From run."], ["From stream."], ["From iter."]]


def test_per_run_instructions_reach_every_branch_of_a_strategy() -> None:
    model = FunctionModel(lambda messages, info: text("42"))
    agent = Agent(model, instructions="Be exact.")
    result = agent.run_sync("6*7?", strategy=BestOfN(3, verifier=lambda out: 1.0), instructions="Show no work.")
    assert result.output == "42"
    assert sent(model) == [["Be exact.\n\nShow no work."]] * 3


# --- histories from earlier versions ---------------------------------------------------------------


def old_history(system: str) -> Messages:
    """A transcript as earlier versions stored it: the instructions of its first run kept in it."""
    return [
        ModelRequest(parts=[SystemPart(content=system), UserPart(content="I am Ada.")]),
        ModelResponse(parts=[TextPart(content="Hi, Ada.")]),
    ]


def test_a_stored_copy_of_the_instructions_is_not_sent_twice() -> None:
    model = ScriptedModel(["Ada."])
    agent = Agent(model, instructions="Be kind.")
    agent.instructions(lambda: "Use her name.")
    history = old_history("Be kind.")
    result = agent.run_sync("Who am I?", message_history=history)
    assert model.requests[0].messages[0].parts == [
        SystemPart(content="Be kind.\n\nUse her name."),
        UserPart(content="I am Ada."),
    ]
    assert result.messages[0] == history[0]  # the history itself is kept as it was


def test_other_stored_system_text_stays_where_it_is() -> None:
    model = ScriptedModel(["Ada."])
    history = old_history("You were once a pirate.")
    Agent(model, instructions="Be kind.").run_sync("Who am I?", message_history=history)
    assert model.requests[0].messages[0].parts == [
        SystemPart(content="Be kind."),
        SystemPart(content="You were once a pirate."),
        UserPart(content="I am Ada."),
    ]
    no_instructions = ScriptedModel(["Ada."])
    Agent(no_instructions).run_sync("Who am I?", message_history=history)
    assert no_instructions.requests[0].messages[:2] == history


def test_a_request_left_empty_by_a_stored_copy_is_dropped() -> None:
    model = ScriptedModel(["ok"])
    history: Messages = [ModelRequest(parts=[SystemPart(content="Be kind.")]), *old_history("x")[0:1]]
    Agent(model, instructions="Be kind.").run_sync("hi", message_history=history)
    assert [m.parts for m in model.requests[0].messages if isinstance(m, ModelRequest)] == [
        [SystemPart(content="Be kind."), SystemPart(content="x"), UserPart(content="I am Ada.")],
        [UserPart(content="hi")],
    ]


def test_system_text_after_the_first_request_is_sent_where_it_is() -> None:
    model = ScriptedModel(["ok"])
    later = ModelRequest(parts=[SystemPart(content="Be kind."), UserPart(content="Still there?")])
    history: Messages = [*old_history("Be kind."), later, ModelResponse(parts=[TextPart(content="Yes.")])]
    Agent(model, instructions="Be kind.").run_sync("hi", message_history=history)
    assert system_texts(model.requests[0].messages) == ["Be kind.", "Be kind."]
    assert model.requests[0].messages[2] == later


def test_a_history_starting_with_a_response_gets_a_request_for_the_instructions() -> None:
    model = ScriptedModel(["ok"])
    history: Messages = [ModelResponse(parts=[TextPart(content="Welcome!")])]
    Agent(model, instructions="Be kind.").run_sync("hi", message_history=history)
    sent_messages = model.requests[0].messages
    assert isinstance(sent_messages[0], ModelRequest)
    assert sent_messages[0].parts == [SystemPart(content="Be kind.")]
    assert sent_messages[1] == history[0]


# --- prompted mode ---------------------------------------------------------------------------------


def test_prompted_mode_puts_the_current_instructions_in_its_system_prompt_once() -> None:
    replies = iter(['{"tool": "lookup", "arguments": {"key": "a"}}', '{"final_answer": "A"}', '{"final_answer": "B"}'])
    inner = FunctionModel(lambda messages, info: next(replies), supports_tools=False)
    agent = Agent(inner, instructions="Be kind.", tools=[lookup])
    assert isinstance(agent.model, PromptedModel)
    first = agent.run_sync("Look up a.")
    agent.instructions = "Be terse."
    agent.run_sync("And b?", message_history=first.messages)
    systems = [system_texts(r.messages) for r in inner.requests]
    assert [len(s) for s in systems] == [1, 1, 1]
    body = systems[0][0].removeprefix("Be kind.\n\n")
    assert systems[0][0] == render("prompted_system", instructions="Be kind.", body=body)
    assert systems[2][0] == render("prompted_system", instructions="Be terse.", body=body)
    assert "Be kind." not in systems[2][0]


# --- bad input: each fails with a clear error ------------------------------------------------------


def test_a_raising_function_is_a_user_error_naming_it() -> None:
    model = ScriptedModel(["never"])
    agent = Agent(model)

    @agent.instructions
    def broken(ctx: RunContext[None]) -> str:
        raise KeyError("profile")

    with pytest.raises(UserError) as info:
        agent.run_sync("hi")
    assert str(info.value) == (
        "The instructions function "
        "'test_a_raising_function_is_a_user_error_naming_it.<locals>.broken' raised KeyError: 'profile'. "
        "Fix it, or catch the error inside it and return None to add no instructions."
    )
    assert isinstance(info.value.__cause__, KeyError)
    assert model.requests == []  # the run ended before its first request


async def test_an_async_function_returning_a_non_string_is_a_user_error() -> None:
    agent = Agent(ScriptedModel(["never"]))

    async def count(ctx: RunContext[None]) -> int:
        return 3

    agent.instructions(count)  # type: ignore[type-var]
    with pytest.raises(UserError) as info:
        await agent.run("hi")
    assert str(info.value) == (
        "The instructions function "
        "'test_an_async_function_returning_a_non_string_is_a_user_error.<locals>.count' returned int; "
        "return a str (or None to add no instructions)."
    )


def test_a_function_taking_two_parameters_is_refused_when_registered() -> None:
    agent = Agent(ScriptedModel([]))

    def two(ctx: RunContext[None], extra: str) -> str:
        return extra

    with pytest.raises(UserError) as info:
        agent.instructions(two)
    assert str(info.value) == (
        "The instructions function "
        "'test_a_function_taking_two_parameters_is_refused_when_registered.<locals>.two' must take the "
        "RunContext as its only parameter (or no parameter); it requires ctx, extra."
    )
    assert agent.instructions.functions == ()


def test_a_required_keyword_only_parameter_is_refused() -> None:
    def keyword(*, ctx: RunContext[None]) -> str:
        return ""

    with pytest.raises(UserError, match=r"it requires ctx\.$"):
        Agent(ScriptedModel([])).instructions(keyword)


def test_calling_instructions_with_text_explains_how_to_set_it() -> None:
    agent = Agent(ScriptedModel([]))
    with pytest.raises(UserError) as info:
        agent.instructions("Be kind.")  # type: ignore[type-var]
    assert str(info.value) == (
        "agent.instructions(...) registers a function that returns instructions; use it as a decorator "
        "(@agent.instructions). To set the text, assign it: agent.instructions = '...'."
    )


@pytest.mark.parametrize("where", ["agent", "run"])
def test_instructions_that_are_not_text_are_refused(where: str) -> None:
    with pytest.raises(UserError) as info:
        if where == "agent":
            Agent(ScriptedModel([]), instructions=["Be kind."])  # type: ignore[arg-type]
        else:
            Agent(ScriptedModel(["x"])).run_sync("hi", instructions=42)  # type: ignore[arg-type]
    name = "Agent(instructions=...)" if where == "agent" else "instructions="
    kind = "list" if where == "agent" else "int"
    assert str(info.value) == (
        f"{name} must be a str (or None), not {kind}; "
        "for instructions computed per run, register a function with @agent.instructions."
    )


def test_the_model_sees_the_request_as_built_for_it() -> None:
    """What a FunctionModel receives is the request with the instructions; the run's own list is not touched."""
    seen: list[RecordedRequest] = []

    def answer(messages: Messages, info: RecordedRequest) -> str:
        seen.append(info)
        return "ok"

    agent = Agent(FunctionModel(answer), instructions="Be kind.")
    result = agent.run_sync("hi")
    assert head(seen[0].messages) == "Be kind."
    assert head(result.messages) is None
