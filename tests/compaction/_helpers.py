"""Shared pieces of the context-management tests."""

from __future__ import annotations

from agentkit.messages import ModelRequest, ModelResponse, RetryPrompt, ToolCall, ToolResult

Messages = list[ModelRequest | ModelResponse]


def unanswered_calls(messages: Messages) -> list[str]:
    """Tool calls without exactly one result (and results without a call): must be empty."""
    calls = [c.id for m in messages if isinstance(m, ModelResponse) for c in m.tool_calls]
    answers = [
        p.call_id
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, ToolResult) or (isinstance(p, RetryPrompt) and p.call_id is not None)
    ]
    problems = [c for c in calls if answers.count(c) != 1]
    return problems + [a for a in answers if a not in calls]


def calls_answered_in_order(messages: Messages) -> bool:
    """Each response's calls are answered by the very next request (the wire formats' pairing rule)."""
    for index, message in enumerate(messages):
        if isinstance(message, ModelResponse) and message.tool_calls:
            following = messages[index + 1] if index + 1 < len(messages) else None
            if not isinstance(following, ModelRequest):
                return False
            answered = {p.call_id for p in following.parts if isinstance(p, ToolResult | RetryPrompt)}
            if not {c.id for c in message.tool_calls} <= answered:
                return False
    return True


def tool_results(messages: Messages) -> list[ToolResult]:
    return [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolResult)]


def call(name: str, call_id: str, arguments: str = "{}") -> ModelResponse:
    return ModelResponse(parts=[ToolCall(id=call_id, name=name, arguments=arguments)])
