"""PromptedModel through the real loop, with a scripted text model that has no native tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agentkit import Agent, Budget
from agentkit.agent import prepare_model
from agentkit.exceptions import UnexpectedModelBehavior, UserError
from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.models._openai_common import json_schema_response_format
from agentkit.models.prompted import PromptedModel
from agentkit.settings import ModelSettings
from agentkit.testing import FunctionModel, RecordedRequest, response, text

from ._helpers import TEXT, add, multiply

Turn = tuple[str, str]


def turns(messages: list[ModelRequest | ModelResponse]) -> list[Turn]:
    """What the text model saw, as (role, text) pairs."""
    out: list[Turn] = []
    for message in messages:
        for part in message.parts:
            if isinstance(part, SystemPart):
                out.append(("system", part.content))
            elif isinstance(part, UserPart):
                out.append(("user", part.content))
            elif isinstance(part, TextPart):
                out.append(("assistant", part.content))
            else:
                out.append((part.kind, repr(part)))
    return out


def scripted(*replies: str | ModelResponse, **options: Any) -> tuple[FunctionModel, PromptedModel]:
    """A text model answering ``replies`` in order, and its prompted wrapper."""
    pending: Iterator[str | ModelResponse] = iter(replies)

    def answer(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> str | ModelResponse:
        return next(pending)

    inner = FunctionModel(answer, supports_tools=False)
    return inner, PromptedModel(inner, **options)


SYSTEM = (
    "You can call these tools:\n"
    "- add(a: number, b: number): Add two numbers.\n"
    "- multiply(a: number, b: number): Multiply two numbers.\n"
    "    a: The first factor.\n"
    "    b: The second factor.\n"
    "Reply with one JSON object and nothing else:\n"
    '{"tool": "<tool name>", "arguments": {...}} to call a tool, or\n'
    '{"final_answer": "<your answer>"} to give your final answer.'
)
CALL = '{"tool": "multiply", "arguments": {"a": 12, "b": 7}}'
RETRY = (
    "Your reply could not be used: $problem.\n"
    'Reply with one JSON object only: {"tool": "<tool name>", "arguments": {...}} or {"final_answer": ...}.'
)
RETRY_FINAL = 'Your reply could not be used: $problem.\nReply with one JSON object only: {"final_answer": ...}.'


def test_a_run_with_a_tool_call() -> None:
    inner, model = scripted(CALL, '{"final_answer": "84"}')
    result = Agent(model, tools=[add, multiply], instructions="Be brief.").run_sync("What is 12 * 7?")
    assert result.output == "84"
    assert result.stop_reason == "final"
    assert [type(p).__name__ for m in result.messages for p in m.parts] == [
        "UserPart",
        "ToolCall",
        "ToolResult",
        "TextPart",
    ]
    call = result.messages[1].parts[0]
    assert isinstance(call, ToolCall) and (call.name, call.arguments) == ("multiply", '{"a": 12, "b": 7}')
    assert turns(inner.requests[1].messages) == [
        ("system", "Be brief.\n\n" + SYSTEM),
        ("user", "What is 12 * 7?"),
        ("assistant", CALL),
        ("user", "Result of multiply: 84.0"),
    ]
    assert inner.requests[1].params.tools == () and inner.requests[1].settings.extra_body is None


def test_structured_output_and_history_of_native_calls() -> None:
    inner, model = scripted('{"final_answer": 84}')
    history: list[ModelRequest | ModelResponse] = [
        ModelRequest(parts=[UserPart(content="earlier")]),
        response(ToolCall(id="c1", name="add", arguments="{'a': 1, 'b': 2,}")),
    ]
    history.append(ModelRequest(parts=[RetryPrompt(content="bad b", call_id="c1", name="add")]))
    history.append(response(ToolCall(id="c2", name="final_result", arguments='{"result": 3}')))
    history.append(ModelRequest(parts=[ToolResult(call_id="c2", name="final_result", content="ok")]))
    history.append(text("fine"))
    result = Agent(model, tools=[add], output_type=int).run_sync("again", message_history=history)
    assert result.output == 84
    assert turns(inner.requests[0].messages)[1:] == [
        ("user", "earlier"),
        ("assistant", '{"tool": "add", "arguments": {"a": 1, "b": 2}}'),
        ("user", "Error from add: bad b"),
        ("assistant", '{"final_answer": 3}'),
        ("user", "Result of final_result: ok"),
        ("assistant", "fine"),
        ("user", "again"),
    ]
    assert turns(inner.requests[0].messages)[0][1].endswith('{"final_answer": <integer>} to give your final answer.')


def test_unreadable_reply_is_sent_back_with_a_precise_retry_prompt() -> None:
    inner, model = scripted('{"a": 12, "b": 7}', CALL, "84")
    result = Agent(model, tools=[add, multiply]).run_sync("What is 12 * 7?")
    assert result.output == "84"
    problem = 'the JSON object has neither a "tool" nor a "final_answer" key (keys: a, b)'
    assert turns(inner.requests[1].messages)[-2:] == [
        ("assistant", '{"a": 12, "b": 7}'),
        ("user", RETRY.replace("$problem", problem)),
    ]
    assert result.usage.requests == 3
    assert [m.kind for m in result.messages] == ["request", "response", "request", "response"]


def test_retries_exhausted_raise_a_clear_error() -> None:
    inner, model = scripted("nope", "still nope", format_retries=1)
    with pytest.raises(UnexpectedModelBehavior) as info:
        Agent(model, tools=[add], output_type=int).run_sync("1 + 2?")
    assert str(info.value) == (
        "FunctionModel(test:function) gave no usable tool call or final answer in 2 tries; last problem: it "
        "contains no JSON object. Last reply: 'still nope'. Use a server that constrains output "
        "(PromptedModel(constrained=True)), a stronger model, or raise format_retries."
    )
    assert turns(inner.requests[1].messages)[-1] == ("user", RETRY.replace("$problem", "it contains no JSON object"))


def test_repeated_call_asks_for_the_final_answer() -> None:
    inner, model = scripted(CALL, CALL, '{"final_answer": "84"}', constrained=True)
    result = Agent(model, tools=[add, multiply]).run_sync("What is 12 * 7?")
    assert result.output == "84"
    assert result.usage.tool_calls == 1
    assert len(inner.requests) == 3
    assert turns(inner.requests[2].messages)[-2:] == [
        ("assistant", CALL),
        (
            "user",
            "You already called multiply with these arguments; the result is above. "
            "Do not call it again: give your final answer now.",
        ),
    ]
    final_only = json_schema_response_format(TEXT.final().schema(), name="action", strict=False)
    assert inner.requests[2].settings.extra_body == {"response_format": final_only}
    assert inner.requests[1].settings.extra_body == {
        "response_format": json_schema_response_format(TEXT.schema(), name="action", strict=False)
    }


def test_alternating_repeats_are_caught_too() -> None:
    other = '{"tool": "add", "arguments": {"a": 12, "b": 7}}'
    inner, model = scripted(other, CALL, other, '{"final_answer": "84"}')
    result = Agent(model, tools=[add, multiply]).run_sync("What is 12 * 7?")
    assert result.output == "84"
    assert result.usage.tool_calls == 2
    assert turns(inner.requests[3].messages)[-1][1].startswith("You already called add with these arguments")


def test_same_call_for_a_new_question_is_not_a_repeat() -> None:
    _inner, model = scripted(CALL, '{"final_answer": "84"}', CALL, '{"final_answer": "84 again"}')
    agent = Agent(model, tools=[add, multiply])
    first = agent.run_sync("What is 12 * 7?")
    second = agent.run_sync("And once more?", message_history=first.messages)
    assert second.output == "84 again"
    assert second.usage.tool_calls == 1


def test_a_failed_call_may_be_repeated() -> None:
    bad = '{"tool": "add", "arguments": {"a": 1}}'
    inner, model = scripted(bad, bad, '{"final_answer": "gave up"}')
    result = Agent(model, tools=[add]).run_sync("1 + ?")
    assert result.output == "gave up"
    assert len(inner.requests) == 3
    assert not any("You already called" in t for _, t in turns(inner.requests[2].messages))


def test_budget_final_answer_turn() -> None:
    inner, model = scripted(CALL, CALL, '{"final_answer": "84"}', constrained=True)
    result = Agent(model, tools=[add, multiply], budget=Budget(max_turns=1)).run_sync("What is 12 * 7?")
    assert (result.output, result.stop_reason) == ("84", "max_turns")
    final_turns = turns(inner.requests[1].messages)
    assert final_turns[-1][1].startswith("Result of multiply: 84.0\n\nYou have reached the limit of this run")
    assert turns(inner.requests[2].messages)[-1] == (
        "user",
        RETRY_FINAL.replace("$problem", "no more tools may be called (you called multiply); give your final answer"),
    )
    final_only = json_schema_response_format(TEXT.final().schema(), name="action", strict=False)
    assert inner.requests[1].settings.extra_body == {"response_format": final_only}


def test_constrained_keeps_other_extra_body_fields() -> None:
    inner, model = scripted('{"final_answer": "x"}', constrained=True)
    Agent(model, tools=[add], settings=ModelSettings(extra_body={"top_k": 5})).run_sync("hi")
    body = inner.requests[0].settings.extra_body
    assert body is not None and body["top_k"] == 5 and body["response_format"]["type"] == "json_schema"


def test_constrained_follows_the_inner_model_by_default() -> None:
    inner = FunctionModel(lambda m, i: "x", supports_tools=False)
    assert PromptedModel(inner).constrained is False
    inner.supports_json_schema = True  # type: ignore[attr-defined]
    assert PromptedModel(inner).constrained is True
    assert PromptedModel(inner, constrained=False).constrained is False


def test_inner_reasoning_is_kept_and_sent_back() -> None:
    thought = ReasoningPart(content="multiply", provider="test", signature="sig")
    inner, model = scripted(response(thought, TextPart(content=CALL)), "84")
    result = Agent(model, tools=[multiply]).run_sync("12 * 7?")
    first = result.messages[1]
    assert isinstance(first, ModelResponse) and first.parts[0] == thought
    sent = inner.requests[1].messages[2]
    assert isinstance(sent, ModelResponse) and sent.parts == [thought, TextPart(content=CALL)]


def test_think_tags_become_reasoning() -> None:
    _inner, model = scripted("<think>12 times 7</think>" + CALL, "84")
    result = Agent(model, tools=[multiply]).run_sync("12 * 7?")
    first = result.messages[1]
    assert isinstance(first, ModelResponse) and first.reasoning == "12 times 7"
    assert first.tool_calls[0].name == "multiply"


def test_model_identity_and_errors() -> None:
    inner, model = scripted()
    assert (model.model_name, model.provider, model.supports_tools) == ("function", "test", True)
    assert repr(model) == "PromptedModel(FunctionModel(test:function), constrained=False)"
    with pytest.raises(UserError, match="wrap the text model only once"):
        PromptedModel(model)
    with pytest.raises(UserError, match="format_retries must be >= 0"):
        PromptedModel(inner, format_retries=-1)


def test_prepare_model_wraps_models_without_tools() -> None:
    inner = FunctionModel(lambda m, i: "x", supports_tools=False)
    wrapped = prepare_model(inner)
    assert isinstance(wrapped, PromptedModel) and wrapped.inner is inner
    assert prepare_model(wrapped) is wrapped


def test_agent_wraps_a_model_without_native_tools() -> None:
    inner = FunctionModel(lambda m, i: '{"final_answer": "ok"}', supports_tools=False)
    agent = Agent(inner, tools=[add])
    assert isinstance(agent.model, PromptedModel)
    assert agent.run_sync("hi").output == "ok"


def test_plain_mode_without_tools() -> None:
    inner, model = scripted("<think>easy</think>\n\nBonjour !", "Salut.", constrained=True)
    first = Agent(model, instructions="Be brief.").run_sync("Say hello in French.")
    assert first.output == "Bonjour !"
    assert first.messages[-1].parts[0] == ReasoningPart(content="easy")
    assert turns(inner.requests[0].messages) == [("system", "Be brief."), ("user", "Say hello in French.")]
    assert inner.requests[0].settings.extra_body is None  # nothing to constrain
    second = Agent(model, instructions="Be brief.").run_sync("Again.", message_history=first.messages)
    assert second.output == "Salut."
    assert turns(inner.requests[1].messages) == [
        ("system", "Be brief."),
        ("user", "Say hello in French."),
        ("reasoning", repr(ReasoningPart(content="easy"))),
        ("assistant", "Bonjour !"),
        ("user", "Again."),
    ]


def test_plain_mode_takes_json_literally() -> None:
    inner, model = scripted('{"final_answer": "x"}')
    assert Agent(model).run_sync("Give me JSON.").output == '{"final_answer": "x"}'
    assert turns(inner.requests[0].messages) == [("user", "Give me JSON.")]  # no system prompt at all
