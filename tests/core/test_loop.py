"""The controller loop: tool calls, retries, output validation, transcripts, iteration."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from inline_snapshot import snapshot
from pydantic import BaseModel

from agentkit import (
    Agent,
    ModelRequest,
    ModelResponse,
    ModelRetry,
    OutputValidationError,
    RunContext,
    ToolRetriesExceeded,
    UserError,
    tool,
)
from agentkit._loop import CallToolsNode, End, ModelRequestNode
from agentkit.messages import RetryPrompt, SystemPart, ToolResult
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, call, reasoning, response, text
from agentkit.usage import Usage


def transcript(messages: list[ModelRequest | ModelResponse]) -> list[dict[str, Any]]:
    """Messages as dicts without timestamps and default values (but with every ``kind``)."""
    out = []
    for message in messages:
        data = message.model_dump(mode="json", exclude={"timestamp"}, exclude_defaults=True)
        data["kind"] = message.kind
        data["parts"] = [{"kind": p.kind, **p.model_dump(mode="json", exclude_defaults=True)} for p in message.parts]
        out.append(data)
    return out


@tool(side_effect="pure")
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: First addend.
        b: Second addend.
    """
    return a + b


class Weather(BaseModel):
    city: str
    celsius: float


@tool(side_effect="idempotent")
async def weather(ctx: RunContext[dict[str, float]], city: str) -> Weather:
    """Current weather for a city."""
    return Weather(city=city, celsius=ctx.deps[city])


def last_request(model: ScriptedModel | FunctionModel) -> ModelRequest:
    message = model.requests[-1].messages[-1]
    assert isinstance(message, ModelRequest)
    return message


def test_multi_turn_transcript_snapshot() -> None:
    model = ScriptedModel(
        [
            response(
                reasoning("Need both cities.", provider="test", signature="sig-1"),
                call("weather", city="Paris", id="c1"),
            ),
            call("weather", city="Oslo", id="c2"),
            response(call("add", a=20, b=-3, id="c3")),
            text("Paris is 17 degrees warmer than Oslo."),
        ]
    )
    agent = Agent(model, instructions="Answer about weather.", tools=[weather, add])
    result = agent.run_sync("How much warmer is Paris than Oslo?", deps={"Paris": 20.0, "Oslo": 3.0})
    assert result.output == "Paris is 17 degrees warmer than Oslo."
    assert result.stop_reason == "final"
    assert result.usage == Usage(input_tokens=40, output_tokens=20, requests=4, tool_calls=3)
    assert transcript(result.messages) == snapshot(
        [
            {
                "parts": [{"kind": "user", "content": "How much warmer is Paris than Oslo?"}],
                "kind": "request",
            },
            {
                "kind": "response",
                "parts": [
                    {"kind": "reasoning", "content": "Need both cities.", "provider": "test", "signature": "sig-1"},
                    {"kind": "tool_call", "id": "c1", "name": "weather", "arguments": '{"city": "Paris"}'},
                ],
                "model_name": "scripted",
                "provider": "test",
                "usage": {"input_tokens": 10, "output_tokens": 5},
            },
            {
                "parts": [
                    {
                        "kind": "tool_result",
                        "call_id": "c1",
                        "name": "weather",
                        "content": {"city": "Paris", "celsius": 20.0},
                    }
                ],
                "kind": "request",
            },
            {
                "kind": "response",
                "parts": [{"kind": "tool_call", "id": "c2", "name": "weather", "arguments": '{"city": "Oslo"}'}],
                "model_name": "scripted",
                "provider": "test",
                "usage": {"input_tokens": 10, "output_tokens": 5},
            },
            {
                "parts": [
                    {
                        "kind": "tool_result",
                        "call_id": "c2",
                        "name": "weather",
                        "content": {"city": "Oslo", "celsius": 3.0},
                    }
                ],
                "kind": "request",
            },
            {
                "kind": "response",
                "parts": [{"kind": "tool_call", "id": "c3", "name": "add", "arguments": '{"a": 20, "b": -3}'}],
                "model_name": "scripted",
                "provider": "test",
                "usage": {"input_tokens": 10, "output_tokens": 5},
            },
            {"parts": [{"kind": "tool_result", "call_id": "c3", "name": "add", "content": 17}], "kind": "request"},
            {
                "kind": "response",
                "parts": [{"kind": "text", "content": "Paris is 17 degrees warmer than Oslo."}],
                "model_name": "scripted",
                "provider": "test",
                "usage": {"input_tokens": 10, "output_tokens": 5},
            },
        ]
    )
    # The model saw the instructions (not stored in the transcript) and the tool definitions each turn.
    assert all(r.messages[0].parts[0] == SystemPart(content="Answer about weather.") for r in model.requests)
    assert [d.name for d in model.requests[0].params.tools] == ["weather", "add"]


def test_history_continues_a_conversation() -> None:
    first = Agent(ScriptedModel(["Hi, Ada."]), instructions="Be kind.").run_sync("I am Ada.")
    model = ScriptedModel(["Your name is Ada."])
    second = Agent(model, instructions="Be kind.").run_sync("Who am I?", message_history=first.all_messages())
    assert second.new_messages()[0].parts[0].content == "Who am I?"  # type: ignore[union-attr]
    assert len(model.requests[0].messages) == 3  # no second system prompt
    assert len(second.all_messages()) == 4


# --- bad inputs: each becomes a retry prompt the model sees ------------------------------------


@pytest.mark.parametrize(
    ("bad_call", "expected"),
    [
        (
            call("add", a=1, b="two", id="x"),
            "The arguments for tool 'add' are invalid: at 'b': 'two' is not of type 'integer'\n"
            "Fix the arguments and call the tool again.",
        ),
        (
            call("add", {"a": 1}, id="x"),
            "The arguments for tool 'add' are invalid: 'b' is a required property\n"
            "Fix the arguments and call the tool again.",
        ),
        (
            call("add", a=1, b=2, c=3, id="x"),
            "The arguments for tool 'add' are invalid: Additional properties are not allowed ('c' was unexpected)\n"
            "Fix the arguments and call the tool again.",
        ),
        (
            call("add", '{"a": 1, "b": 2', id="x"),
            "The arguments for tool 'add' are not valid JSON (Expecting ',' delimiter at position 15). "
            "Send the arguments as one JSON object and call the tool again.",
        ),
        (
            call("add", "[1, 2]", id="x"),
            "The arguments for tool 'add' are invalid: expected a JSON object, got list\n"
            "Fix the arguments and call the tool again.",
        ),
        (
            call("subtract", a=1, b=2, id="x"),
            "Unknown tool 'subtract'. Available tools: add, explode, picky. Call one of these or give your answer.",
        ),
        (
            call("explode", id="x"),
            "Tool 'explode' raised ZeroDivisionError: division by zero\n"
            "Fix the problem and try again, or answer without it.",
        ),
        (call("picky", word="hello", id="x"), "Say 'please' first."),
    ],
)
def test_bad_inputs_become_retry_prompts(bad_call: ModelResponse, expected: str) -> None:
    @tool
    def explode() -> float:
        """Always fails."""
        return 1 / 0

    @tool
    def picky(word: str) -> str:
        """Needs manners."""
        if word != "please":
            raise ModelRetry("Say 'please' first.")
        return "thanks"

    model = ScriptedModel([bad_call, "recovered"])
    result = Agent(model, tools=[add, explode, picky]).run_sync("go")
    assert result.output == "recovered"
    assert last_request(model).parts == [RetryPrompt(content=expected, call_id="x", name=bad_call.tool_calls[0].name)]


def test_tool_timeout_becomes_retry_prompt() -> None:
    @tool(timeout=0.05)
    async def slow() -> str:
        """Too slow."""
        await asyncio.sleep(5)
        return "late"

    model = ScriptedModel([call("slow", id="s"), "gave up"])
    assert Agent(model, tools=[slow]).run_sync("go").output == "gave up"
    assert last_request(model).parts[0].content == (  # type: ignore[union-attr]
        "Tool 'slow' did not finish within 0.05 seconds. Its outcome is unknown: it may have completed; "
        "check before retrying."
    )


def test_tool_retries_exceeded_ends_with_typed_error() -> None:
    @tool(retries=1)
    def broken(x: int) -> int:
        """Fails."""
        raise RuntimeError(f"bad {x}")

    model = ScriptedModel([call("broken", x=1), call("broken", x=2), "never"])
    with pytest.raises(ToolRetriesExceeded) as info:
        Agent(model, tools=[broken]).run_sync("go")
    assert str(info.value) == (
        "Tool 'broken' failed 2 times, more than its retry limit of 1. Last error: Tool 'broken' raised "
        "RuntimeError: bad 2\nFix the problem and try again, or answer without it.\n"
        "Raise the limit with @tool(retries=...) or fix the tool/prompt."
    )
    assert len(info.value.messages) == 5  # the failing call's result is kept, so the history can continue
    assert info.value.messages[-1].parts[0].content.startswith("Tool 'broken' raised RuntimeError: bad 2")  # type: ignore[union-attr]


def test_success_resets_the_failure_count() -> None:
    calls = iter([1, 0, 1, 0, 1])

    @tool(retries=1)
    def flaky() -> str:
        """Sometimes fails."""
        if next(calls):
            raise RuntimeError("flake")
        return "ok"

    model = ScriptedModel([call("flaky")] * 5 + ["done"])
    assert Agent(model, tools=[flaky]).run_sync("go").output == "done"


def test_unknown_tool_uses_agent_retries() -> None:
    model = ScriptedModel([call("nope"), call("nope"), "x"])
    with pytest.raises(ToolRetriesExceeded, match="Tool 'nope' failed 2 times, more than its retry limit of 1"):
        Agent(model, tools=[add], retries=1).run_sync("go")


# --- typed output ------------------------------------------------------------------------------


def test_structured_output_with_validation_retry() -> None:
    model = ScriptedModel(
        [
            call("final_result", city="Paris", celsius="warm", id="o1"),
            call("final_result", city="Paris", celsius=21.5, id="o2"),
        ]
    )
    result = Agent(model, output_type=Weather).run_sync("weather?")
    assert result.output == Weather(city="Paris", celsius=21.5)
    assert last_request(model).parts == [
        RetryPrompt(
            content="Your final answer is invalid: at 'celsius': Input should be a valid number, unable to parse "
            "string as a number\nFix it and answer again.",
            call_id="o1",
            name="final_result",
        )
    ]
    output_tool = model.requests[0].params.output_tool
    assert output_tool is not None and output_tool.name == "final_result"


def test_non_object_output_is_wrapped() -> None:
    model = ScriptedModel([call("final_result", result=[1, 2, 3])])
    agent: Agent[None, list[int]] = Agent(model, output_type=list[int])
    assert agent.run_sync("numbers").output == [1, 2, 3]
    params = model.requests[0].params.output_tool
    assert params is not None
    assert params.parameters["required"] == ["result"]


def test_text_instead_of_output_tool_is_corrected() -> None:
    model = ScriptedModel(["It is warm.", '{"city": "Rome", "celsius": 30}'])
    assert Agent(model, output_type=Weather).run_sync("?").output == Weather(city="Rome", celsius=30)
    assert last_request(model).parts[0].content == (  # type: ignore[union-attr]
        "Your final answer is invalid: Give your final answer by calling the tool 'final_result' with the answer "
        "as its arguments.\nFix it and answer again."
    )


def test_empty_response_is_retried_then_fails() -> None:
    model = ScriptedModel([response(), response(), response()])
    with pytest.raises(OutputValidationError) as info:
        Agent(model, output_retries=1).run_sync("?")
    assert str(info.value) == (
        "The model gave no valid final answer after 1 retries. Last problem: Your response was empty. Call a tool "
        "or give your final answer.\nRaise Agent(output_retries=...) or simplify the output type."
    )


# --- parallelism --------------------------------------------------------------------------------


def _timed_tools(log: list[tuple[str, float, float]]) -> list[Any]:
    async def record(name: str) -> str:
        start = time.perf_counter()
        await asyncio.sleep(0.15)
        log.append((name, start, time.perf_counter()))
        return name

    @tool(side_effect="pure")
    async def read(name: str) -> str:
        """Pure read."""
        return await record(name)

    @tool(side_effect="mutating")
    async def write(name: str) -> str:
        """Mutating write."""
        return await record(name)

    return [read, write]


def _overlaps(a: tuple[str, float, float], b: tuple[str, float, float]) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def test_pure_tools_run_in_parallel_and_mutating_ones_in_order() -> None:
    log: list[tuple[str, float, float]] = []
    calls = response(
        call("read", name="r1"),
        call("read", name="r2"),
        call("write", name="w1"),
        call("write", name="w2"),
        call("read", name="r3"),
    )
    model = ScriptedModel([calls, "done"])
    Agent(model, tools=_timed_tools(log)).run_sync("go")
    spans = {name: (name, s, e) for name, s, e in log}
    assert _overlaps(spans["r1"], spans["r2"])
    assert not _overlaps(spans["w1"], spans["w2"])
    assert spans["r2"][2] <= spans["w1"][1] and spans["w1"][2] <= spans["w2"][1] <= spans["w2"][2] <= spans["r3"][1]
    # Results go back in the order of the calls.
    assert [p.content for p in last_request(model).parts] == ["r1", "r2", "w1", "w2", "r3"]  # type: ignore[union-attr]


def test_parallel_limit() -> None:
    log: list[tuple[str, float, float]] = []
    model = ScriptedModel([response(*[call("read", name=f"r{i}") for i in range(4)]), "done"])
    Agent(model, tools=_timed_tools(log), max_parallel_tools=2).run_sync("go")
    starts = sorted(s for _, s, _ in log)
    ends = sorted(e for _, _, e in log)
    assert starts[2] >= ends[0]  # the third call waited for a free slot


# --- iteration, events, configuration ----------------------------------------------------------


async def test_iter_yields_nodes_in_order() -> None:
    agent = Agent(ScriptedModel([call("add", a=1, b=2), "3"]), tools=[add])
    kinds = []
    async with agent.iter("1+2") as run:
        async for node in run:
            kinds.append(type(node).__name__)
    assert kinds == ["ModelRequestNode", "CallToolsNode", "ModelRequestNode", "CallToolsNode", "End"]
    assert run.result is not None and run.result.output == "3"


async def test_iter_manual_stepping_can_stop_early() -> None:
    agent = Agent(ScriptedModel([call("add", a=1, b=2), "3"]), tools=[add])
    async with agent.iter("1+2") as run:
        node = await run.next()
        assert isinstance(node, CallToolsNode) and node.response.tool_calls[0].name == "add"
        node = await run.next()
        assert isinstance(node, ModelRequestNode)
        assert isinstance(node.request.parts[0], ToolResult)
    assert run.result is None
    assert isinstance(End("x", "final"), End)


async def test_run_sync_inside_event_loop_is_refused() -> None:
    with pytest.raises(UserError, match=r"run_sync\(\) was called inside a running event loop"):
        Agent(ScriptedModel(["x"])).run_sync("x")


def test_script_exhausted_error() -> None:
    with pytest.raises(UserError, match="ScriptedModel ran out of responses: request 2 but only 1 were scripted"):
        Agent(ScriptedModel([call("add", a=1, b=1)]), tools=[add]).run_sync("x")


def test_function_model_sees_messages() -> None:
    def answer(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> str:
        return f"{len(messages)} messages, tools={[t.name for t in info.params.tools]}"

    assert Agent(FunctionModel(answer), tools=[add]).run_sync("hi").output == "1 messages, tools=['add']"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-4", "Unknown model 'gpt-4': the part before ':' must be one of"),
        ("openai:", "Model 'openai:' names no model after 'openai'"),
        ("", "Model must be a Model instance or a string like"),
    ],
)
def test_bad_model_strings(spec: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        Agent(spec)


def test_bad_agent_options() -> None:
    with pytest.raises(UserError, match="max_parallel_tools must be >= 1"):
        Agent(ScriptedModel([]), max_parallel_tools=0)
    with pytest.raises(UserError, match="Tool name 'add' is registered twice"):
        Agent(ScriptedModel([]), tools=[add, add])


def test_agent_tool_decorator_with_and_without_options() -> None:
    agent = Agent(ScriptedModel([response(call("double", x=2), call("triple", x=2)), "ok"]))

    @agent.tool
    def double(x: int) -> int:
        """Double."""
        return 2 * x

    @agent.tool(side_effect="pure")
    def triple(ctx: RunContext[None], x: int) -> int:
        """Triple."""
        assert ctx.tool_name == "triple" and ctx.idempotency_key is not None
        return 3 * x

    result = agent.run_sync("go")
    assert [p.content for p in result.messages[2].parts] == [4, 6]  # type: ignore[union-attr]
    assert double(5) == 10  # a tool stays callable


def test_model_switch_strips_foreign_reasoning_state() -> None:
    first = Agent(ScriptedModel([response(reasoning("hmm", provider="openai", encrypted_content="enc"), text("a"))]))
    history = first.run_sync("q1").all_messages()
    other = ScriptedModel(["b"], provider="anthropic")
    result = Agent(other).run_sync("q2", message_history=history)
    sent = other.requests[0].messages[1]
    assert isinstance(sent, ModelResponse)
    assert sent.parts[0].model_dump(exclude_defaults=True) == {"content": "hmm"}
    switched = [e for e in result.events if e.kind == "model_switched"]
    assert [(e.from_provider, e.to_provider, e.stripped_parts) for e in switched] == [  # type: ignore[union-attr]
        ("openai", "anthropic", 1)
    ]
    # The user's transcript keeps everything.
    assert result.messages[1].parts[0].encrypted_content == "enc"  # type: ignore[union-attr]


def test_test_model_exercises_tools_and_structured_output() -> None:
    from agentkit.testing import TestModel

    model = TestModel()
    result = Agent(model, tools=[add, weather], output_type=Weather).run_sync("go", deps={"a": 1.0})
    assert result.output == Weather(city="a", celsius=0.0)
    tool_results = result.messages[2].parts
    assert [p.content for p in tool_results] == [0, {"city": "a", "celsius": 1.0}]  # type: ignore[union-attr]


def test_output_validator_rejects_with_model_retry() -> None:
    model = ScriptedModel(["41", "42"])
    agent = Agent(model)

    @agent.output_validator
    async def must_be_even(ctx: RunContext[None], output: str) -> str:
        if int(output) % 2:
            raise ModelRetry(f"{output} is odd; the answer must be even.")
        return output + "!"

    assert agent.run_sync("even number?").output == "42!"
    assert last_request(model).parts[0].content == (  # type: ignore[union-attr]
        "Your final answer is invalid: 41 is odd; the answer must be even.\nFix it and answer again."
    )
