"""Fuzzing (hypothesis): no tool-argument text and no tool return value crashes a run (issue 12).

Every example is a whole run: the model calls a tool with the generated arguments (once or twice under
one id), the tool returns or raises the generated value, the model answers. The run must end with that
answer, every call must be answered under its own id, and the transcript, the events and the HTML
report must still serialise and encode as UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit import Agent, Tool
from agentkit.events import AgentEvent
from agentkit.messages import ModelRequest, ModelResponse, ToolCall, ToolResult, dump_messages, load_messages
from agentkit.report import render_html
from agentkit.testing import FunctionModel, RecordedRequest, response

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
"""The same examples on every run (the suite stays deterministic); ``derandomize=False`` explores others."""

surrogates = st.characters(categories=["Cs"])
texts = st.text(st.characters() | surrogates, max_size=20)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=10
)
argument_texts = st.one_of(
    st.dictionaries(st.sampled_from(["n", "token", "x"]) | texts, json_values, max_size=4).map(json.dumps),
    json_values.map(json.dumps),  # lone surrogates only escaped, as a provider's JSON can carry them
    st.text(max_size=20),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "[" * 100_000,
            "{" * 50_000,
            '{"n": ' + "9" * 5000 + "}",
            '{"token": ' + "9" * 5000 + "}",
            '{"n": NaN, "token": Infinity}',
            '{"n": 1e999}',
            '{"token": "\\ud800 secret value"}',
            '{"n": ' + "[" * 900 + "]" * 900 + "}",
            "",
            "null",
        ]
    ),
)


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


class BrokenError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


def _cyclic() -> dict[str, Any]:
    data: dict[str, Any] = {}
    data["self"] = data
    return data


def _huge_int() -> int:
    return 10**5000  # built, not stored: hypothesis can't print an int over 4,300 digits


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


odd_objects = st.one_of(
    st.builds(Unprintable),
    st.builds(_cyclic),
    st.integers(0, 400).map(_nested),
    st.builds(_huge_int),
    st.sets(st.integers(), max_size=3),
    st.binary(max_size=20).map(bytearray),
    st.floats(allow_nan=True, allow_infinity=True),
)
return_values = st.recursive(
    json_scalars | st.binary(max_size=20) | odd_objects,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(texts | st.integers(), inner, max_size=3)
        | st.tuples(inner, inner)
    ),
    max_leaves=10,
)
raised = st.sampled_from([ValueError("bad"), SystemExit(2), KeyboardInterrupt(), BrokenError(), RecursionError()])
outcomes = st.one_of(
    return_values.map(lambda v: ("return", v)), raised.map(lambda e: ("raise", e)), st.just(("echo", None))
)


def _hostile_tool(outcome: tuple[str, Any], *, is_async: bool, secret: bool) -> Tool[Any]:
    how, value = outcome

    def behave(**arguments: Any) -> Any:
        if how == "raise":
            raise value
        return arguments if how == "echo" else value

    async def behave_async(**_: Any) -> Any:
        return behave()

    return Tool.from_schema(
        name="hostile",
        description="Returns or raises whatever the test says.",
        parameters={"type": "object", "properties": {"n": {}, "token": {}}},
        function=behave_async if is_async else behave,
        side_effect="pure",
        secret_args=["token"] if secret else [],
    )


def _model(arguments: str, twice: bool) -> FunctionModel:
    def answer(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse | str:
        if len(messages) > 1:
            return "done"
        calls = [ToolCall(id="c1", name="hostile", arguments=arguments)] * (2 if twice else 1)
        return response(*calls)

    return FunctionModel(answer)


def _check_shown(events: list[AgentEvent], messages: list[ModelRequest | ModelResponse]) -> None:
    for event in events:
        event.model_dump_json().encode()
    load_messages(dump_messages(messages))
    render_html(events).encode()


@FUZZ
@given(arguments=argument_texts, outcome=outcomes, twice=st.booleans(), is_async=st.booleans(), secret=st.booleans())
def test_no_arguments_or_return_value_crash_a_run(
    arguments: str, outcome: tuple[str, Any], twice: bool, is_async: bool, secret: bool
) -> None:
    model = _model(arguments, twice)
    result = Agent(model, tools=[_hostile_tool(outcome, is_async=is_async, secret=secret)]).run_sync("go")
    assert result.output == "done"
    answers = model.requests[1].messages[-1].parts
    assert [p.call_id for p in answers] == (["c1", "c1_2"] if twice else ["c1"])  # type: ignore[union-attr]
    for part in answers:
        text = part.content_text() if isinstance(part, ToolResult) else part.content  # type: ignore[union-attr]
        text.encode()  # sendable as UTF-8
    _check_shown(result.events, result.messages)
