"""Errors raised to the user. Each message names the problem and the fix.

The model errors (:class:`ModelHTTPError`, :class:`ModelConnectionError` and its subclasses) carry text
a provider sent back; it passes through :mod:`agentkit.redaction` first, so an API key a server echoes
never reaches the message, ``args`` or ``body``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit.redaction import redact_text, redact_value

if TYPE_CHECKING:
    from agentkit.messages import ModelRequest, ModelResponse
    from agentkit.usage import LimitName, Usage

__all__ = [
    "AgentkitError",
    "BudgetExceeded",
    "ContextWindowExceeded",
    "MissingExtra",
    "ModelConnectionError",
    "ModelHTTPError",
    "ModelResponseError",
    "ModelRetry",
    "ModelStreamError",
    "OutputValidationError",
    "ToolDefinitionError",
    "ToolRetriesExceeded",
    "UnexpectedModelBehavior",
    "UserError",
]


class AgentkitError(Exception):
    """Base class of every agentkit error."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as it is (type, args, attributes), without calling ``__init__`` again: subclasses take
        # other arguments than ``args`` holds, and durable runs record a step's error by pickling it.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[AgentkitError], args: tuple[Any, ...], state: dict[str, Any]) -> AgentkitError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class UserError(AgentkitError, ValueError):
    """The library was called incorrectly (bad configuration or arguments)."""


class MissingExtra(UserError, ModuleNotFoundError):
    """An optional dependency is not installed; the message ends with the ``pip install`` that adds it.

    Also a :class:`ModuleNotFoundError` (``name`` is the missing module), so code that handles a missing
    import keeps working. Raised by :func:`agentkit._extras.require`.
    """

    def __init__(self, module: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependency {module!r}, which is not installed. "
            f"Install it with: pip install 'agentkit[{extra}]'"
        )
        self.name = module
        self.extra = extra
        self.feature = feature

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.extra, self.feature))


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
        last_error = redact_text(last_error)  # a tool's error text, hidden as events hide it
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


class ModelConnectionError(AgentkitError):
    """The provider could not be reached, timed out, or cut its answer off, and retries ran out.

    Raised for failures without an HTTP error status; those with one raise
    :class:`~agentkit.exceptions.ModelHTTPError`.
    """

    _FIX = (
        "Check that the server at the configured base_url is running and reachable, raise "
        "ModelSettings(timeout_s=...) if it is slow, or allow more attempts with RetryPolicy(max_attempts=...)."
    )

    def __init__(self, model_name: str, detail: str, attempts: int = 1) -> None:
        detail = redact_text(detail)
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"Request to model {model_name!r} failed{tries}: {detail}. {self._FIX}")
        self.model_name = model_name
        self.detail = detail
        self.attempts = attempts


class ModelStreamError(ModelConnectionError):
    """A streamed answer broke off after part of it was already delivered, so it can't be retried."""

    def __init__(self, model_name: str, detail: str) -> None:
        detail = redact_text(detail)
        AgentkitError.__init__(
            self,
            f"The stream from model {model_name!r} broke off after part of the answer was delivered: {detail}. "
            "Deltas already emitted can't be taken back, so the request was not retried. Run again, or use "
            "the non-streaming API (agent.run) where such failures are retried.",
        )
        self.model_name = model_name
        self.detail = detail
        self.attempts = 1


class ModelResponseError(ModelConnectionError):
    """The provider answered HTTP 200 with a body that is not valid JSON (cut off or corrupted), and
    retries ran out. Retried like a dropped connection: the next answer is usually whole."""

    _FIX = (
        "Check that base_url points at the provider's API itself (not a web page or a proxy that rewrites "
        "answers), or allow more attempts with RetryPolicy(max_attempts=...)."
    )


class ModelHTTPError(AgentkitError):
    """A provider answered with an HTTP error that retrying can't fix (or retries ran out)."""

    def __init__(self, status_code: int, model_name: str, body: object = None, hint: str = "") -> None:
        body = redact_text(body) if isinstance(body, str) else redact_value(body)
        message = f"Model {model_name!r} answered HTTP {status_code}: {body}"
        if hint:
            separator = " " if message.endswith((".", "!", "?")) else ". "
            message = f"{message}{separator}{hint}".rstrip(". ")
        super().__init__(message)
        self.status_code = status_code
        self.model_name = model_name
        self.body = body


class ContextWindowExceeded(ModelHTTPError):
    """The provider refused a request longer than the model's context window (HTTP 400).

    ``window`` and ``tokens`` (the request's size) are set when the provider's message names them. A
    run compacts its history and retries once when this happens (see :class:`agentkit.ContextPolicy`);
    you see it when compaction is off or could not make the request fit.
    """

    def __init__(
        self,
        status_code: int,
        model_name: str,
        body: object = None,
        window: int | None = None,
        tokens: int | None = None,
    ) -> None:
        hint = (
            "The conversation is longer than the model's context window: keep context management on "
            "(Agent(context=ContextPolicy(...))), give it the server's real window with ContextPolicy(window=...), "
            "or shorten the prompt and the tool results"
        )
        super().__init__(status_code, model_name, body, hint)
        self.window = window
        self.tokens = tokens
