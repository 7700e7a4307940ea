"""Classifying provider failures and turning them into clear, typed errors.

Adapters catch their SDK's exceptions and describe them as a :class:`Failure` (HTTP status, provider
message, ``Retry-After``, whether a retry may help). The retry policy decides on that description only,
so it works the same for the ``openai`` SDK, litellm and anything else.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass

from agentkit.exceptions import AgentkitError, ModelConnectionError, ModelHTTPError, ModelStreamError

__all__ = [
    "RETRYABLE_STATUSES",
    "Failure",
    "IncompleteResponse",
    "ModelConnectionError",
    "ModelStreamError",
    "StreamReportedError",
    "final_error",
    "parse_retry_after",
]

RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
"""Statuses a later attempt can succeed on: timeouts, conflicts, rate limits, server errors, overload."""


class IncompleteResponse(Exception):
    """An attempt ended without a complete answer (a stream closed early, a body cut off)."""


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

    ``status`` is the HTTP status (``None`` for connection errors, timeouts and cut-off answers).
    """

    message: str
    status: int | None = None
    retry_after: float | None = None
    body: object = None

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
    if failure.status is None:
        return ModelConnectionError(model_name, failure.message, attempts)
    hint = _HINTS.get(failure.status, "")
    if failure.retryable:
        hint = (
            f"Gave up after {attempts} attempt{'s' if attempts != 1 else ''}: the provider is rate limiting "
            "or failing. Wait and run again, allow more with RetryPolicy(max_attempts=..., max_total_s=...), "
            "or pass fallback_models=[...]"
        )
    text = failure.message.rstrip(". ") if hint else failure.message
    return ModelHTTPError(failure.status, model_name, text, hint)


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
