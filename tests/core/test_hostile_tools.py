"""Hostile tool arguments and return values never crash a run (issue 12, items 2, 3, 8, 14a).

Each test performs the attack through a whole run and checks the exact text the model reads.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

import agentkit.tracing
from agentkit import Agent, ToolRetriesExceeded, tool
from agentkit._call_ids import unique_call_ids
from agentkit._output import OUTPUT_TOOL_NAME
from agentkit._tool_content import MAX_DEPTH, tool_content
from agentkit.agent import RunOptions
from agentkit.events import AgentEvent
from agentkit.messages import ModelRequest, ModelResponse, RetryPrompt, ToolCall, ToolResult, dump_messages
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.report import render_html
from agentkit.testing import ScriptedModel, call, response, text
from agentkit.tools import REDACTED_ARGUMENTS, Tool
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as EmuCall
from tests.emulator.fixtures import emulator

__all__ = ["emulator"]  # the fixture, imported for this module's tests

ARGS_NOT_JSON = (
    "The arguments for tool 'count' are not valid JSON ({error}). "
    "Send the arguments as one JSON object and call the tool again."
)
BAD_RESULT = (
    "Tool '{tool}' returned a value that can't be turned into JSON ({error}). This is a fault of the tool, "
    "not of your arguments: try other arguments, another tool, or answer without it."
)
EXITED = (
    "Tool '{tool}' tried to stop the program ({error}); it was stopped instead. "
    "Try other arguments, another tool, or answer without it."
)


@tool(side_effect="pure")
def count(n: int) -> int:
    """Echo a number."""
    return n


def answer_seen(function: Any, arguments: str = "{}", **options: Any) -> ToolResult | RetryPrompt:
    """Run a tool once through a whole run; the part that answered its call, as the model received it."""
    hostile = function if isinstance(function, Tool) else tool(side_effect="pure", **options)(function)
    model = ScriptedModel([call(hostile.name, arguments, id="c1"), "done"])
    result = Agent(model, tools=[hostile]).run_sync("go")
    assert result.output == "done"
    (part,) = model.requests[1].messages[-1].parts
    assert isinstance(part, ToolResult | RetryPrompt)
    assert part.call_id == "c1"
    dump_messages(result.messages)  # the transcript still serialises
    return part


# --- item 2: arguments that json.loads can't take ---------------------------------------------------


def test_integer_over_4300_digits_is_a_retry_prompt_with_the_exact_error() -> None:
    part = answer_seen(count, '{"n": ' + "1" * 5000 + "}")
    error = (
        "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; "
        "use sys.set_int_max_str_digits() to increase the limit"
    )
    assert part == RetryPrompt(content=ARGS_NOT_JSON.format(error=error), call_id="c1", name="count")


def test_100k_nested_brackets_are_a_retry_prompt_with_the_exact_error() -> None:
    part = answer_seen(count, "[" * 100_000)
    error = "maximum recursion depth exceeded while decoding a JSON array from a unicode string"
    assert part == RetryPrompt(content=ARGS_NOT_JSON.format(error=error), call_id="c1", name="count")


def test_deep_but_parsable_arguments_are_a_retry_prompt() -> None:
    part = answer_seen(count, '{"n": ' + "[" * 900 + "]" * 900 + "}")
    assert isinstance(part, RetryPrompt)
    assert part.content.startswith("The arguments for tool 'count' are invalid: ")


def test_a_plain_bad_json_retry_prompt_is_unchanged() -> None:
    part = answer_seen(count, '{"n": 1,}')
    error = "Expecting property name enclosed in double quotes at position 8"
    assert part.content == ARGS_NOT_JSON.format(error=error)


@pytest.mark.parametrize(
    "arguments",
    ['{"token": ' + "1" * 5000 + "}", "[" * 100_000, '["s3cr3t-value"]', "not json", '"s3cr3t-value"'],
    ids=["huge-int", "deep", "list", "garbage", "string"],
)
def test_redact_arguments_never_raises_and_hides_what_it_cannot_parse(arguments: str) -> None:
    def login(token: str) -> str:
        """Log in."""
        return "ok"

    secret = tool(secret_args=["token"])(login)
    assert secret.redact_arguments(arguments) == REDACTED_ARGUMENTS
    assert secret.secret_values(arguments) == []


def test_redact_arguments_of_an_object() -> None:
    def login(user: str, token: str) -> str:
        """Log in."""
        return "ok"

    secret = tool(secret_args=["token"])(login)
    assert secret.redact_arguments('{"user": "ada", "token": "s3cr3t"}') == '{"user": "ada", "token": "[REDACTED]"}'


# --- item 3: return values that can't be turned into JSON --------------------------------------------


def test_non_utf8_bytes_become_base64_with_a_note() -> None:
    def blob() -> bytes:
        """Binary data."""
        return b"\xff\xfe\x00"

    part = answer_seen(blob)
    assert part == ToolResult(
        call_id="c1",
        name="blob",
        content={
            "encoding": "base64",
            "data": "//4A",
            "note": "The tool returned 3 bytes of binary data that are not UTF-8 text; 'data' holds them in base64.",
        },
    )


def test_utf8_bytes_become_text() -> None:
    def page() -> bytes:
        """Text as bytes."""
        return "héllo".encode()

    assert answer_seen(page) == ToolResult(call_id="c1", name="page", content="héllo")


def test_cyclic_dict_is_a_tool_failure_the_model_sees() -> None:
    def cyclic() -> dict[str, Any]:
        """A cycle."""
        data: dict[str, Any] = {}
        data["self"] = data
        return data

    part = answer_seen(cyclic)
    error = "ValueError: Circular reference detected (id repeated)"
    assert part == RetryPrompt(content=BAD_RESULT.format(tool="cyclic", error=error), call_id="c1", name="cyclic")


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_object_whose_str_raises_is_a_tool_failure_the_model_sees() -> None:
    def odd() -> object:
        """An odd object."""
        return Unprintable()

    part = answer_seen(odd)
    assert part.content == BAD_RESULT.format(tool="odd", error="RuntimeError: no text for you")


def test_huge_int_result_is_a_tool_failure_the_model_sees() -> None:
    def huge() -> int:
        """A huge number."""
        return 10**5000

    part = answer_seen(huge)
    error = (
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion; "
        "use sys.set_int_max_str_digits() to increase the limit"
    )
    assert part.content == BAD_RESULT.format(tool="huge", error=error)


def test_non_finite_floats_and_lone_surrogates_are_made_sendable() -> None:
    def odd_numbers() -> dict[str, Any]:
        """Odd numbers."""
        return {"nan": float("nan"), "inf": [float("inf"), float("-inf")], "text": "a\ud800b"}

    part = answer_seen(odd_numbers)
    assert part.content == {"nan": "NaN", "inf": ["Infinity", "-Infinity"], "text": "a\ufffdb"}


def test_deep_results_go_as_json_text_and_too_deep_ones_fail() -> None:
    def nested(depth: int) -> list[Any]:
        """Nested lists."""
        value: list[Any] = []
        for _ in range(depth - 1):
            value = [value]
        return value

    assert answer_seen(nested, json.dumps({"depth": MAX_DEPTH})).content == nested(MAX_DEPTH)
    deeper = answer_seen(nested, json.dumps({"depth": MAX_DEPTH + 1}))
    assert deeper.content == "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    too_deep = answer_seen(nested, json.dumps({"depth": 300}))
    error = "ValueError: Maximum serialization depth exceeded"
    assert too_deep.content == BAD_RESULT.format(tool="nested", error=error)


def test_an_exception_whose_str_raises_is_still_reported() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    def fails() -> None:
        """Fails oddly."""
        raise Broken

    part = answer_seen(fails)
    assert part.content == (
        "Tool 'fails' raised Broken: <Broken whose message can't be shown>\n"
        "Fix the problem and try again, or answer without it."
    )


def _sync_exit() -> None:
    """Exits."""
    raise SystemExit(3)


async def _async_exit() -> None:
    """Exits."""
    raise SystemExit(3)


def _sync_interrupt() -> None:
    """Interrupts."""
    raise KeyboardInterrupt


async def _async_interrupt() -> None:
    """Interrupts."""
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("function", "error"),
    [
        (_sync_exit, "SystemExit: 3"),
        (_async_exit, "SystemExit: 3"),
        (_sync_interrupt, "KeyboardInterrupt: no message"),
        (_async_interrupt, "KeyboardInterrupt: no message"),
    ],
    ids=["sync-exit", "async-exit", "sync-interrupt", "async-interrupt"],
)
def test_a_tool_that_exits_or_interrupts_is_a_tool_failure(function: Any, error: str) -> None:
    part = answer_seen(function, name="stopper")
    assert part == RetryPrompt(content=EXITED.format(tool="stopper", error=error), call_id="c1", name="stopper")


def _blocking_tool(started: threading.Event, release: threading.Event) -> Tool[Any]:
    def wait() -> str:
        """Waits until released."""
        started.set()
        release.wait(10)
        return "released"

    return tool(side_effect="pure")(wait)


def test_a_real_ctrl_c_still_stops_run_sync() -> None:
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        pytest.skip("needs Python's own SIGINT handling in the main thread (asyncio.run replaces it with a cancel)")
    started, release = threading.Event(), threading.Event()
    blocking = _blocking_tool(started, release)
    agent = Agent(ScriptedModel([call("wait", id="c1"), "done"]), tools=[blocking])

    def press_ctrl_c() -> None:
        if started.wait(10):
            os.kill(os.getpid(), signal.SIGINT)
        threading.Timer(0.2, release.set).start()

    threading.Thread(target=press_ctrl_c).start()
    with pytest.raises(KeyboardInterrupt):
        agent.run_sync("go")
    assert release.wait(10)


async def test_cancelling_the_run_task_is_not_swallowed() -> None:
    started, release = threading.Event(), threading.Event()
    agent = Agent(ScriptedModel([call("wait", id="c1"), "done"]), tools=[_blocking_tool(started, release)])
    task = asyncio.create_task(agent.run("go"))
    assert await asyncio.to_thread(started.wait, 10)
    task.cancel()
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        release.set()


def test_tool_content_rules() -> None:
    assert tool_content(bytearray(b"abc")) == "abc"
    assert tool_content(memoryview(b"\x80")) == {
        "encoding": "base64",
        "data": "gA==",
        "note": "The tool returned 1 bytes of binary data that are not UTF-8 text; 'data' holds them in base64.",
    }
    assert tool_content({"a": b"ok", "b": [b"fine"]}) == {"a": "ok", "b": ["fine"]}
    assert tool_content({"a": b"ok", "b": b"\xff"}) == {"a": "b2s=", "b": "_w=="}  # all URL-safe base64
    assert tool_content("NaN is fine as text") == "NaN is fine as text"
    assert tool_content(Named()) == "a named thing"  # other objects: str(obj)


class Named:
    def __str__(self) -> str:
        return "a named thing"


def test_a_result_that_cant_be_converted_counts_against_the_tools_retries() -> None:
    @tool(retries=0)
    def cyclic() -> dict[str, Any]:
        """A cycle."""
        data: dict[str, Any] = {}
        data["self"] = data
        return data

    with pytest.raises(ToolRetriesExceeded) as raised:
        Agent(ScriptedModel([call("cyclic", id="c1")]), tools=[cyclic]).run_sync("go")
    assert "Tool 'cyclic' returned a value that can't be turned into JSON (ValueError: Circular" in str(raised.value)


# --- item 8: secret argument values in result and error text -------------------------------------------

TOKEN = "tok-9f8e7d6c5b4a"


def _traced_run(agent: Agent[Any, Any]) -> tuple[list[AgentEvent], str, Exception | None, str]:
    """Run with tracing on; the events, the spans as text, the error (if any) and the report."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentkit.tracing.instrument(provider, capture_content=True)
    events: list[AgentEvent] = []

    async def sink(event: AgentEvent) -> None:
        events.append(event)

    error: Exception | None = None
    try:
        agent.run_sync("log in", options=RunOptions(emit=sink))
    except ToolRetriesExceeded as exc:
        error = exc
    finally:
        agentkit.tracing.uninstrument()
        provider.shutdown()
    spans = json.dumps(
        [
            {"name": s.name, "attributes": dict(s.attributes or {}), "status": s.status.description}
            for s in exporter.get_finished_spans()
        ],
        default=str,
    )
    report = render_html(events, error=str(error) if error else None)
    return events, spans, error, report


def test_secret_values_are_scrubbed_from_error_and_result_text_in_events_spans_and_report() -> None:
    @tool(secret_args=["token"])
    def login(user: str, token: str) -> str:
        """Log in."""
        if user != "ada":
            raise ValueError(f"bad token {token} for {user}")
        return f"welcome ada, token {token!r} accepted"

    model = ScriptedModel(
        [
            call("login", {"user": "bob", "token": TOKEN}, id="c1"),
            call("login", {"user": "ada", "token": TOKEN}, id="c2"),
            "done",
        ]
    )
    events, spans, error, report = _traced_run(Agent(model, tools=[login]))
    assert error is None
    ends = [e for e in events if e.kind == "tool_call_end"]
    assert [e.result.content for e in ends] == [
        "Tool 'login' raised ValueError: bad token [REDACTED] for bob\n"
        "Fix the problem and try again, or answer without it.",
        "welcome ada, token '[REDACTED]' accepted",
    ]
    for shown in (*(e.model_dump_json() for e in events), spans, report):
        assert TOKEN not in shown
    # The model gave the token itself (it is in its own calls), so what it reads back is unchanged:
    seen = [p.content for m in model.requests[2].messages if isinstance(m, ModelRequest) for p in m.parts]
    assert f"welcome ada, token '{TOKEN}' accepted" in seen


def test_secret_values_are_scrubbed_from_the_retries_exceeded_error() -> None:
    @tool(secret_args=["token"], retries=0)
    def login(token: str) -> str:
        """Log in."""
        raise PermissionError(f"token {token} was revoked")

    model = ScriptedModel([call("login", {"token": TOKEN}, id="c1")])
    events, spans, error, report = _traced_run(Agent(model, tools=[login]))
    assert isinstance(error, ToolRetriesExceeded)
    assert "token [REDACTED] was revoked" in str(error)
    for shown in (str(error), *(e.model_dump_json() for e in events), spans, report):
        assert TOKEN not in shown


def test_short_secret_values_are_not_scrubbed_from_text() -> None:
    def unlock(pin: Any) -> Any:
        """Unlock."""
        return pin

    secret = Tool.from_function(unlock, secret_args=["pin"])
    assert secret.secret_values('{"pin": "123"}') == []
    assert secret.secret_values('{"pin": 12345}') == ["12345"]
    assert secret.secret_values('{"pin": "a\\"quote"}') == ['a\\"quote', 'a"quote']


# --- item 14a: two calls with one id in one response --------------------------------------------------


def test_duplicate_call_ids_are_each_answered_under_unique_ids() -> None:
    both = response(ToolCall.create("count", {"n": 1}, id="dup"), ToolCall.create("count", {"n": 2}, id="dup"))
    model = ScriptedModel([both, "done"])
    result = Agent(model, tools=[count]).run_sync("go")
    stored = result.messages[1]
    assert isinstance(stored, ModelResponse)
    assert [(c.id, c.arguments) for c in stored.tool_calls] == [("dup", '{"n": 1}'), ("dup_2", '{"n": 2}')]
    answers = model.requests[1].messages[-1].parts
    assert answers == [
        ToolResult(call_id="dup", name="count", content=1),
        ToolResult(call_id="dup_2", name="count", content=2),
    ]
    ends = [(e.call_id, e.result.content) for e in result.events if e.kind == "tool_call_end"]
    assert ends == [("dup", 1), ("dup_2", 2)]


def test_unique_call_ids_picks_the_first_free_suffix_and_drops_repeated_item_ids() -> None:
    calls = [
        ToolCall(id="a", name="t", provider_id="fc_1"),
        ToolCall(id="a_2", name="t", provider_id="fc_2"),
        ToolCall(id="a", name="t", provider_id="fc_1"),
        ToolCall(id="a", name="t", provider_id="fc_3"),
    ]
    fixed = unique_call_ids(response(*calls))
    assert [(c.id, c.provider_id) for c in fixed.tool_calls] == [
        ("a", "fc_1"),
        ("a_2", "fc_2"),
        ("a_3", None),
        ("a_4", "fc_3"),
    ]
    unique = response(ToolCall(id="x", name="t"), ToolCall(id="y", name="t"))
    assert unique_call_ids(unique) is unique


# --- item 14a through the emulator (Chat Completions and Responses wire formats) ------------------------

TWO_CALLS_ONE_ID = Reply(
    tool_calls=[EmuCall("count", {"n": 1}, call_id="dup"), EmuCall("count", {"n": 2}, call_id="dup")]
)


def test_the_emulator_rejects_a_repeated_tool_call_id(emulator: Emulator) -> None:
    call_dup = {"id": "dup", "type": "function", "function": {"name": "count", "arguments": "{}"}}
    body = {
        "model": "qwen3-8b",
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [call_dup, call_dup]},
            {"role": "tool", "tool_call_id": "dup", "content": "1"},
            {"role": "tool", "tool_call_id": "dup", "content": "2"},
        ],
    }
    answer = httpx.post(f"{emulator.base_url}/chat/completions", json=body, headers={"authorization": "Bearer t"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "Invalid parameter: Duplicate value for 'tool_call_id' of 'dup', in messages[2] and messages[3]."
    )


async def test_without_renaming_the_emulator_rejects_the_run(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("agentkit._loop.unique_call_ids", lambda response: response)
    emulator.script(TWO_CALLS_ONE_ID, Reply(text="done"))
    model = OpenAIChatModel("qwen3-8b", base_url=emulator.base_url)
    try:
        with pytest.raises(Exception, match="Duplicate value for 'tool_call_id' of 'dup'"):
            await Agent(model, tools=[count]).run("go")
    finally:
        await model.close()


async def test_repeated_ids_pass_the_chat_completions_pairing_rules(emulator: Emulator) -> None:
    emulator.script(TWO_CALLS_ONE_ID, Reply(text="done"))
    model = OpenAIChatModel("qwen3-8b", base_url=emulator.base_url)
    try:
        result = await Agent(model, tools=[count]).run("go")
    finally:
        await model.close()
    assert result.output == "done"
    sent = emulator.bodies("/v1/chat/completions")[1]["messages"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["dup", "dup_2"]
    assert [(m["tool_call_id"], m["content"]) for m in sent[2:]] == [("dup", "1"), ("dup_2", "2")]
    emulator.assert_all_consumed()


async def test_repeated_ids_pass_the_responses_pairing_rules(emulator: Emulator) -> None:
    emulator.script(TWO_CALLS_ONE_ID, Reply(text="done"))
    model = OpenAIResponsesModel("o4-mini", base_url=emulator.base_url, api_key="sk-test", provider="openai")
    try:
        result = await Agent(model, tools=[count]).run("go")
    finally:
        await model.close()
    assert result.output == "done"
    items = emulator.bodies("/v1/responses")[1]["input"]
    calls = [i["call_id"] for i in items if i.get("type") == "function_call"]
    outputs = [(i["call_id"], i["output"]) for i in items if i.get("type") == "function_call_output"]
    assert calls == ["dup", "dup_2"]
    assert outputs == [("dup", "1"), ("dup_2", "2")]
    emulator.assert_all_consumed()


# --- the output tool's arguments and a structured text answer get the same protection -----------------


class Answer(BaseModel):
    n: int


def test_output_tool_arguments_json_cant_take_are_an_output_retry() -> None:
    huge = '{"n": ' + "1" * 5000 + "}"
    model = ScriptedModel([call(OUTPUT_TOOL_NAME, huge, id="o1"), text("1" * 5000), call(OUTPUT_TOOL_NAME, n=3)])
    result = Agent(model, output_type=Answer, output_retries=2).run_sync("go")
    assert result.output == Answer(n=3)
    first = model.requests[1].messages[-1].parts[0]
    assert first == RetryPrompt(
        content="Your final answer is invalid: the arguments are not valid JSON (Exceeds the limit (4300 digits) "
        "for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase "
        "the limit)\nFix it and answer again.",
        call_id="o1",
        name=OUTPUT_TOOL_NAME,
    )
    second = model.requests[2].messages[-1].parts[0]
    assert isinstance(second, RetryPrompt)
    assert second.content == (
        "Your final answer is invalid: Give your final answer by calling the tool 'final_result' with the "
        "answer as its arguments.\nFix it and answer again."
    )
