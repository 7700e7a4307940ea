"""The retry policy: what is retried, how long it waits, when it gives up, and the errors it raises."""

from __future__ import annotations

import email.utils
import time

import pytest

from agentkit.exceptions import ModelHTTPError, UserError
from agentkit.models._errors import Failure, ModelConnectionError, parse_retry_after
from agentkit.models._retry import RetryPolicy, call_with_retry


class Boom(Exception):
    """A fake SDK error carrying the failure it stands for."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def classify(exc: BaseException) -> Failure | None:
    return exc.failure if isinstance(exc, Boom) else None


class Flaky:
    """Fails with the given failures in order, then returns "ok"."""

    def __init__(self, *failures: Failure) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise Boom(self.failures.pop(0))
        return "ok"


def recording_policy(**options: float) -> tuple[RetryPolicy, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return RetryPolicy(sleep=sleep, **options), waits  # type: ignore[arg-type]


RATE_LIMITED = Failure("slow down", status=429)
SERVER_ERROR = Failure("oops", status=500)
RESET = Failure("connection failed (ReadError: reset)")


async def test_retries_rate_limits_server_errors_and_connection_errors_then_succeeds() -> None:
    policy, waits = recording_policy(initial_wait_s=0.5, jitter_s=0.0)
    attempt = Flaky(RATE_LIMITED, SERVER_ERROR, RESET)
    assert await call_with_retry(attempt, classify, policy, "m") == "ok"
    assert attempt.calls == 4
    assert waits == [0.5, 1.0, 2.0]  # exponential backoff


async def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(initial_wait_s=1.0, max_wait_s=3.0, jitter_s=0.5)
    for retry_number, base in [(1, 1.0), (2, 2.0), (3, 3.0), (6, 3.0)]:
        samples = [policy.backoff(retry_number) for _ in range(50)]
        assert all(base <= s <= base + 0.5 for s in samples)
        assert len(set(samples)) > 1  # jitter


async def test_retry_after_is_honoured_exactly() -> None:
    policy, waits = recording_policy(initial_wait_s=0.01, jitter_s=0.0)
    attempt = Flaky(Failure("slow down", status=429, retry_after=7.5))
    assert await call_with_retry(attempt, classify, policy, "m") == "ok"
    assert waits == [7.5]


async def test_retry_after_longer_than_the_cap_fails_at_once() -> None:
    policy, waits = recording_policy(max_retry_after_s=10.0)
    attempt = Flaky(Failure("come back tomorrow", status=429, retry_after=86400))
    with pytest.raises(ModelHTTPError) as info:
        await call_with_retry(attempt, classify, policy, "gpt-x")
    assert attempt.calls == 1 and waits == []
    assert info.value.status_code == 429
    assert "Gave up after 1 attempt:" in str(info.value)


async def test_attempts_are_capped_and_the_error_names_the_fix() -> None:
    policy, waits = recording_policy(max_attempts=3, initial_wait_s=0.01, jitter_s=0.0)
    attempt = Flaky(SERVER_ERROR, SERVER_ERROR, SERVER_ERROR, SERVER_ERROR)
    with pytest.raises(ModelHTTPError) as info:
        await call_with_retry(attempt, classify, policy, "gpt-x")
    assert attempt.calls == 3 and len(waits) == 2
    text = str(info.value)
    assert text.startswith("Model 'gpt-x' answered HTTP 500: oops. Gave up after 3 attempts")
    assert "RetryPolicy(max_attempts=" in text and "fallback_models" in text
    assert isinstance(info.value.__cause__, Boom)


async def test_total_time_is_capped() -> None:
    policy, waits = recording_policy(max_attempts=100, initial_wait_s=4.0, max_wait_s=4.0, jitter_s=0.0, max_total_s=10)
    attempt = Flaky(*[SERVER_ERROR] * 10)
    with pytest.raises(ModelHTTPError):
        await call_with_retry(attempt, classify, policy, "m")
    # sleeps are recorded, not slept, so elapsed time is ~0: two waits of 4 s fit in 10 s, a third doesn't
    assert waits == [4.0, 4.0]


async def test_total_time_counts_real_time() -> None:
    policy = RetryPolicy(max_attempts=100, initial_wait_s=0.05, max_wait_s=0.05, jitter_s=0.0, max_total_s=0.3)
    attempt = Flaky(*[SERVER_ERROR] * 100)
    started = time.monotonic()
    with pytest.raises(ModelHTTPError):
        await call_with_retry(attempt, classify, policy, "m")
    assert time.monotonic() - started < 0.6
    assert 3 <= attempt.calls <= 7


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
async def test_requests_that_cannot_succeed_are_not_retried(status: int) -> None:
    policy, waits = recording_policy()
    attempt = Flaky(Failure("nope", status=status))
    with pytest.raises(ModelHTTPError) as info:
        await call_with_retry(attempt, classify, policy, "m")
    assert attempt.calls == 1 and waits == []
    assert info.value.status_code == status
    assert "Gave up" not in str(info.value)


async def test_auth_error_says_how_to_fix_the_key() -> None:
    attempt = Flaky(Failure("Incorrect API key provided", status=401))
    with pytest.raises(ModelHTTPError, match=r"HTTP 401: Incorrect API key provided\. Check the API key: pass api_key"):
        await call_with_retry(attempt, classify, RetryPolicy(), "m")


async def test_connection_failures_end_in_a_typed_error() -> None:
    policy, _ = recording_policy(max_attempts=2, initial_wait_s=0.0, jitter_s=0.0)
    attempt = Flaky(RESET, RESET)
    with pytest.raises(ModelConnectionError) as info:
        await call_with_retry(attempt, classify, policy, "m")
    assert info.value.attempts == 2
    assert str(info.value).startswith("Request to model 'm' failed after 2 attempts: connection failed")
    assert "base_url" in str(info.value)


async def test_other_exceptions_pass_through_untouched() -> None:
    async def broken() -> str:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await call_with_retry(broken, classify, RetryPolicy(), "m")


def test_never_makes_one_attempt() -> None:
    assert RetryPolicy.never().max_attempts == 1


def test_bad_policies_are_rejected() -> None:
    with pytest.raises(UserError, match="at least 1"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(UserError, match="zero or positive"):
        RetryPolicy(initial_wait_s=-1)


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 27 <= (parse_retry_after({"retry-after": future}) or 0) <= 30
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0
