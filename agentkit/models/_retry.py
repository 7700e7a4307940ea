"""Retrying model requests with tenacity: :class:`RetryPolicy` and :func:`call_with_retry`.

429, 5xx (and the other statuses in :data:`~agentkit.models._errors.RETRYABLE_STATUSES`), connection
errors and timeouts are retried with exponential backoff and jitter. A ``Retry-After`` header is
honoured exactly (unless it asks for longer than ``max_retry_after_s``: then waiting is pointless and
the request fails at once). Attempts and total time are capped. Other 4xx answers fail at once: the
same request can't succeed. The final error is typed and says what to do
(:class:`~agentkit.exceptions.ModelHTTPError` or :class:`~agentkit.models._errors.ModelConnectionError`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from agentkit.exceptions import UserError
from agentkit.models._errors import Failure, final_error, scrub_exception

__all__ = ["AttemptFailed", "Classifier", "RetryPolicy", "call_with_retry"]

T = TypeVar("T")
Classifier = Callable[[BaseException], Failure | None]
"""Describes an exception raised by an attempt, or returns ``None`` when it isn't a provider failure."""

logger = logging.getLogger("agentkit.models")


@dataclass(frozen=True)
class RetryPolicy:
    """How failed model requests are retried.

    Args:
        max_attempts: Attempts in total, the first included (1 = never retry).
        max_total_s: No retry starts once this many seconds have passed since the first attempt
            (counting the wait before it).
        initial_wait_s: Wait before the first retry; doubles with each retry ...
        max_wait_s: ... up to this.
        jitter_s: A random extra wait between 0 and this, so clients don't retry in lockstep.
        respect_retry_after: Wait what the provider's ``Retry-After`` header asks instead of backing off.
        max_retry_after_s: A ``Retry-After`` longer than this ends the retries at once.
        sleep: The coroutine that waits (default ``asyncio.sleep``); tests pass a recorder.
    """

    max_attempts: int = 4
    max_total_s: float = 90.0
    initial_wait_s: float = 0.5
    max_wait_s: float = 20.0
    jitter_s: float = 0.5
    respect_retry_after: bool = True
    max_retry_after_s: float = 60.0
    sleep: Callable[[float], Awaitable[None]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise UserError(f"RetryPolicy(max_attempts={self.max_attempts}) must be at least 1 (1 = no retries).")
        if min(self.max_total_s, self.initial_wait_s, self.max_wait_s, self.jitter_s, self.max_retry_after_s) < 0:
            raise UserError("RetryPolicy times must be zero or positive seconds.")

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt."""
        return cls(max_attempts=1)

    def backoff(self, retry_number: int) -> float:
        """The wait before retry ``retry_number`` (1-based) when the provider gave no ``Retry-After``."""
        base = min(self.max_wait_s, self.initial_wait_s * 2.0 ** (retry_number - 1))
        return base + random.uniform(0, self.jitter_s)

    def wait_for(self, failure: Failure, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` after ``failure``."""
        if self.respect_retry_after and failure.retry_after is not None:
            return failure.retry_after
        return self.backoff(retry_number)

    def retrying(self) -> AsyncRetrying:
        """The tenacity controller implementing this policy."""
        return AsyncRetrying(
            sleep=self.sleep or asyncio.sleep,
            retry=retry_if_exception(_retryable),
            wait=_Wait(self),
            stop=_Stop(self),
            reraise=True,
            before_sleep=_log_retry,
        )


class AttemptFailed(Exception):
    """One attempt failed with a provider failure (the SDK's exception is the ``__cause__``)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, AttemptFailed) and exc.failure.retryable


def _failure_of(state: RetryCallState) -> Failure:
    assert state.outcome is not None  # tenacity only waits/stops after an attempt
    exc = state.outcome.exception()
    assert isinstance(exc, AttemptFailed)  # only AttemptFailed is retried
    return exc.failure


class _Wait(wait_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.policy.wait_for(_failure_of(retry_state), retry_state.attempt_number)


class _Stop(stop_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> bool:
        policy = self.policy
        if retry_state.attempt_number >= policy.max_attempts:
            return True
        failure = _failure_of(retry_state)
        if policy.respect_retry_after and (failure.retry_after or 0) > policy.max_retry_after_s:
            return True
        # idle_for sums the planned waits: counts time even when a test's `sleep` does not really wait
        elapsed = max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)
        return elapsed + retry_state.upcoming_sleep > policy.max_total_s


def _log_retry(state: RetryCallState) -> None:
    failure = _failure_of(state)
    logger.warning(
        "model request failed (%s), retry %d in %.2f s",
        failure.message,
        state.attempt_number,
        state.upcoming_sleep,
    )


async def call_with_retry(
    attempt: Callable[[], Awaitable[T]], classify: Classifier, policy: RetryPolicy, model_name: str
) -> T:
    """Run ``attempt`` under ``policy``; a failure that is final becomes a typed, clearly worded error."""
    retrying = policy.retrying()

    async def once() -> T:
        try:
            return await attempt()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            raise AttemptFailed(failure) from exc

    try:
        return await retrying(once)
    except AttemptFailed as exc:
        attempts = int(retrying.statistics.get("attempt_number", 1))
        cause = scrub_exception(exc.__cause__) if exc.__cause__ is not None else None
        raise final_error(model_name, exc.failure, attempts) from cause
