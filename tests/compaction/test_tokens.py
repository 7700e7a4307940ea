"""Token accounting: the estimate builds on the provider's reported input tokens and calibrates."""

from __future__ import annotations

import math

import pytest

from agentkit.compaction import _tokens
from agentkit.compaction._tokens import BASE_RATIO, TokenCounter, message_chars
from agentkit.messages import ModelRequest, ModelResponse, TextPart, ToolCall, ToolResult, UserPart
from agentkit.usage import Usage


def user(text: str) -> ModelRequest:
    return ModelRequest(parts=[UserPart(content=text)])


def answer(text: str, input_tokens: int = 0) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content=text)], usage=Usage(input_tokens=input_tokens))


def test_without_reports_the_estimate_is_a_quarter_token_per_character() -> None:
    messages: list[ModelRequest | ModelResponse] = [user("x" * 400)]
    counter = TokenCounter(fixed_chars=100)
    assert counter.estimate(messages) == math.ceil(BASE_RATIO * (message_chars(messages[0]) + 100))


def test_a_report_anchors_the_estimate_and_sets_the_ratio() -> None:
    first = user("x" * 1000)
    counter = TokenCounter()
    messages: list[ModelRequest | ModelResponse] = [first]
    counter.estimate(messages)
    sent = message_chars(first)
    reported = sent // 2  # a provider counting 2 characters per token
    messages += [answer("ok", input_tokens=reported), user("y" * 600)]
    added = message_chars(messages[1]) + message_chars(messages[2])
    estimate = counter.estimate(messages)
    assert counter.ratio == reported / sent
    assert estimate == reported + math.ceil(counter.ratio * added)


def test_an_implausible_report_is_ignored() -> None:
    """Test models report a fixed 10 input tokens: that says nothing about the text."""
    messages: list[ModelRequest | ModelResponse] = [user("x" * 4000)]
    counter = TokenCounter()
    counter.estimate(messages)
    messages += [answer("ok", input_tokens=10), user("y")]
    assert counter.ratio == BASE_RATIO
    assert counter.estimate(messages) == math.ceil(BASE_RATIO * sum(message_chars(m) for m in messages))


def test_reports_of_messages_from_before_the_run_are_not_anchors() -> None:
    """An old response's usage described another request (maybe before an earlier compaction)."""
    history: list[ModelRequest | ModelResponse] = [user("x" * 1000), answer("ok", input_tokens=400), user("next")]
    counter = TokenCounter()
    assert counter.estimate(history) == math.ceil(BASE_RATIO * sum(message_chars(m) for m in history))


def test_each_step_counts_only_the_new_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[object] = []
    real = _tokens.message_chars

    def spy(message: ModelRequest | ModelResponse) -> int:
        counted.append(message)
        return real(message)

    monkeypatch.setattr(_tokens, "message_chars", spy)
    counter = TokenCounter()
    messages: list[ModelRequest | ModelResponse] = [user("task")]
    for step in range(50):
        counter.estimate(messages)
        messages += [answer(f"step {step}"), user(f"result {step}")]
    counter.estimate(messages)
    assert len(counted) == len(messages)  # every message counted exactly once


def test_a_rewritten_list_is_counted_again() -> None:
    counter = TokenCounter()
    messages: list[ModelRequest | ModelResponse] = [user("a" * 100), answer("b" * 100), user("c" * 100)]
    counter.estimate(messages)
    shorter: list[ModelRequest | ModelResponse] = [user("a" * 100), answer("b"), user("c")]
    assert counter.estimate(shorter) == math.ceil(BASE_RATIO * sum(message_chars(m) for m in shorter))


def test_reset_builds_on_the_given_estimate() -> None:
    counter = TokenCounter()
    messages: list[ModelRequest | ModelResponse] = [user("a" * 100)]
    counter.reset(messages, tokens=500)
    assert counter.estimate(messages) == 500
    messages += [answer("b" * 40)]
    assert counter.estimate(messages) == 500 + math.ceil(BASE_RATIO * message_chars(messages[-1]))


def test_tool_calls_and_results_are_counted() -> None:
    call = ModelResponse(parts=[ToolCall(id="c1", name="fetch", arguments='{"url": "https://x"}')])
    result = ModelRequest(parts=[ToolResult(call_id="c1", name="fetch", content={"page": "z" * 500})])
    assert message_chars(call) > len('{"url": "https://x"}')
    assert message_chars(result) > 500


def test_scale_corrects_the_ratio_within_bounds() -> None:
    counter = TokenCounter()
    counter.scale(2.0)
    assert counter.ratio == BASE_RATIO * 2
    counter.scale(100.0)
    assert counter.ratio == 1.0
