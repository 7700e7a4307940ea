"""Classifying provider failures and turning them into clear, typed errors.

Adapters catch their SDK's exceptions and describe them as a :class:`Failure` (HTTP status, provider
message, ``Retry-After``, whether a retry may help). The retry policy decides on that description only,
so it works the same for the ``openai`` SDK, litellm and anything else.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from agentkit.exceptions import (
    AgentkitError,
    ContextWindowExceeded,
    ModelConnectionError,
    ModelHTTPError,
    ModelResponseError,
    ModelStreamError,
)
from agentkit.models._overflow import context_overflow
from agentkit.redaction import redact_text, redact_value

__all__ = [
    "RETRYABLE_STATUSES",
    "Failure",
    "IncompleteResponse",
    "InvalidResponseBody",
    "ModelConnectionError",
    "ModelStreamError",
    "StreamReportedError",
    "final_error",
    "invalid_json_cause",
    "parse_retry_after",
    "scrub_exception",
]

RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
"""Statuses a later attempt can succeed on: timeouts, conflicts, rate limits, server errors, overload."""


class IncompleteResponse(Exception):
    """An attempt ended without a complete answer (a stream closed early, a body cut off)."""


class InvalidResponseBody(IncompleteResponse):
    """A provider answered HTTP 200 with a body (or a stream event) that is not valid JSON."""

    def __init__(self, where: str, error: json.JSONDecodeError) -> None:
        super().__init__(f"{where} answered HTTP 200 with a body that is not valid JSON ({error})")


def invalid_json_cause(exc: BaseException) -> json.JSONDecodeError | None:
    """The ``json.JSONDecodeError`` behind ``exc`` (itself, or in its cause/context chain), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, json.JSONDecodeError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class StreamReportedError(Exception):
    """The provider reported an error inside a stream (HTTP 200 already sent); ``status`` is the one it
    would have had as an HTTP answer."""

    def __init__(self, message: str, status: int, body: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt, in provider-neutral terms.

    ``status`` is the HTTP status (``None`` for connection errors, timeouts and cut-off answers);
    ``invalid_body`` marks an HTTP 200 whose body was not valid JSON. The message and body are
    redacted (:mod:`agentkit.redaction`): a server that echoes the API key can't put it in an error.
    """

    message: str
    status: int | None = None
    retry_after: float | None = None
    body: object = None
    invalid_body: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", redact_text(self.message))
        object.__setattr__(self, "body", redact_value(self.body))

    @property
    def retryable(self) -> bool:
        """Whether another attempt can succeed (rate limits, server errors, connection problems)."""
        return self.status is None or self.status in RETRYABLE_STATUSES


_HINTS: dict[int, str] = {
    400: "The provider rejected the request; resending it unchanged would fail again, so it was not retried",
    401: "Check the API key: pass api_key=... or set the provider's environment variable (e.g. OPENAI_API_KEY)",
    403: "The key may not use this model or endpoint: check the key's permissions and the model name",
    404: "Check the model name and the base_url (the server does not know this model or endpoint)",
    413: "The request is too large: shorten the conversation or the tool results",
    422: "The provider could not process the request: check settings the model does not support",
}


def final_error(model_name: str, failure: Failure, attempts: int) -> AgentkitError:
    """The error a user sees once ``failure`` is final (not retryable, or retries ran out)."""
    if failure.invalid_body:
        return ModelResponseError(model_name, failure.message, attempts)
    if failure.status is None:
        return ModelConnectionError(model_name, failure.message, attempts)
    overflow = context_overflow(failure.status, failure.message, failure.body)
    if overflow is not None:
        return ContextWindowExceeded(failure.status, model_name, failure.message, overflow.window, overflow.tokens)
    hint = _HINTS.get(failure.status, "")
    if failure.retryable:
        hint = (
            f"Gave up after {attempts} attempt{'s' if attempts != 1 else ''}: the provider is rate limiting "
            "or failing. Wait and run again, allow more with RetryPolicy(max_attempts=..., max_total_s=...), "
            "or pass fallback_models=[...]"
        )
    text = failure.message.rstrip(". ") if hint else failure.message
    return ModelHTTPError(failure.status, model_name, text, hint)


def scrub_exception(exc: BaseException) -> BaseException:
    """``exc`` and the exceptions chained under it (``__cause__``, ``__context__``), with secrets redacted
    from their ``args`` and ``message``/``body`` attributes: an SDK error chained under agentkit's own
    keeps the provider's text, and a printed traceback must not show a key."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        _scrub_one(current)
        current = current.__cause__ or current.__context__
    return exc


def _scrub_one(exc: BaseException) -> None:
    exc.args = tuple(_scrubbed(a) for a in exc.args)
    for name in ("message", "body"):
        value = getattr(exc, name, None)
        if value is not None:
            with contextlib.suppress(AttributeError):  # a read-only property stays as it is
                setattr(exc, name, _scrubbed(value))


def _scrubbed(value: object) -> object:
    """``value`` redacted: text, bytes (litellm keeps some bodies as bytes) or JSON-like data."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
        redacted = redact_text(text)
        return value if redacted == text else redacted.encode()
    return redact_value(value)


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date), if any."""
    if not headers:
        return None
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = _header(headers, "retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return _seconds_until(value)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return value


def _seconds_until(http_date: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
