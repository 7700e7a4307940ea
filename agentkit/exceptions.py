"""Errors raised to the user. Each message names the problem and the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentkit.messages import ModelRequest, ModelResponse
    from agentkit.usage import LimitName, Usage

__all__ = [
    "AgentkitError",
    "BudgetExceeded",
    "ModelHTTPError",
    "ModelRetry",
    "OutputValidationError",
    "ToolDefinitionError",
    "ToolRetriesExceeded",
    "UnexpectedModelBehavior",
    "UserError",
]


class AgentkitError(Exception):
    """Base class of every agentkit error."""


class UserError(AgentkitError, ValueError):
    """The library was called incorrectly (bad configuration or arguments)."""


class ToolDefinitionError(UserError):
    """A function can't become a tool (e.g. an unsupported parameter)."""


class UnexpectedModelBehavior(AgentkitError):
    """The model kept doing something the run can't accept. ``messages`` holds the transcript so far."""

    def __init__(self, message: str, messages: list[ModelRequest | ModelResponse] | None = None) -> None:
        super().__init__(message)
        self.messages: list[ModelRequest | ModelResponse] = list(messages or [])


class ToolRetriesExceeded(UnexpectedModelBehavior):
    """A tool failed (bad arguments, exception, timeout) more times than its retry count allows."""

    def __init__(
        self, tool_name: str, retries: int, last_error: str, messages: list[ModelRequest | ModelResponse]
    ) -> None:
        super().__init__(
            f"Tool {tool_name!r} failed {retries + 1} times, more than its retry limit of {retries}. "
            f"Last error: {last_error}\nRaise the limit with @tool(retries=...) or fix the tool/prompt.",
            messages,
        )
        self.tool_name = tool_name
        self.retries = retries
        self.last_error = last_error


class OutputValidationError(UnexpectedModelBehavior):
    """The final output failed validation more times than ``output_retries`` allows."""


class ModelRetry(AgentkitError):
    """Raise inside a tool to ask the model to try again with the given message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BudgetExceeded(AgentkitError):
    """A budget limit was reached and the budget says ``on_exceeded="raise"`` (or no answer was possible)."""

    def __init__(
        self, limit: LimitName, usage: Usage, messages: list[ModelRequest | ModelResponse], detail: str = ""
    ) -> None:
        text = f"Budget limit {limit!r} reached ({usage.requests} requests, {usage.total_tokens} tokens, "
        text += f"${usage.cost_usd:.4f}, {usage.tool_calls} tool calls)."
        super().__init__(f"{text} {detail}".strip())
        self.limit = limit
        self.usage = usage
        self.messages = list(messages)


class ModelHTTPError(AgentkitError):
    """A provider answered with an HTTP error that retrying can't fix (or retries ran out)."""

    def __init__(self, status_code: int, model_name: str, body: object = None, hint: str = "") -> None:
        message = f"Model {model_name!r} answered HTTP {status_code}: {body}"
        super().__init__(f"{message}. {hint}".rstrip(". ") if hint else message)
        self.status_code = status_code
        self.model_name = model_name
        self.body = body
