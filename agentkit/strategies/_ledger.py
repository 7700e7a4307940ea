"""One budget and one concurrency limit shared by every branch of a strategy.

Every model request of every branch (and of judges, critics and step scorers) goes through
:meth:`Ledger.call`, which admits it only if the shared :class:`~agentkit.usage.Budget` can afford it:

- requests (``max_turns``) and tool calls (``max_tool_calls``) are counted exactly, in-flight ones
  included, so these limits are never passed;
- tokens and cost can't be known before a request ends, so each in-flight request reserves as much as
  the largest request seen so far. Until one request has finished, requests run one at a time. The
  limit holds as long as no request is larger than the largest one before it (single-turn branches,
  or ``ModelSettings.max_tokens`` set); a request that grows past that is recorded as it is.
- ``max_seconds`` is a deadline for the whole strategy.

A request the budget can't afford raises :class:`BranchStopped`, which ends that branch only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from agentkit._loop import ModelCaller, RunConfig
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models.base import Model, RequestParams
from agentkit.settings import ModelSettings
from agentkit.usage import Budget, LimitName, Usage

__all__ = ["BranchStopped", "Ledger"]

_Decision = Literal["go", "wait"] | LimitName
T = TypeVar("T")


class BranchStopped(Exception):
    """The shared budget can't afford this branch's next request; the branch ends here."""

    def __init__(self, limit: LimitName) -> None:
        super().__init__(f"the strategy's shared budget limit {limit!r} was reached")
        self.limit = limit

    def __reduce__(self) -> tuple[type[BranchStopped], tuple[LimitName]]:
        return (BranchStopped, (self.limit,))  # recorded by a durable step and raised again on replay


@dataclass
class _Reservation:
    tokens: int = 0
    cost: float = 0.0


class Ledger:
    """Usage of all branches together, the budget they share and the concurrency limit."""

    def __init__(self, budget: Budget | None, concurrency: int | None) -> None:
        self.budget = budget
        self.used = Usage()
        self.stopped_by: LimitName | None = None
        self.peak_in_flight = 0
        self._slots = asyncio.Semaphore(concurrency) if concurrency else None
        self._in_flight = 0
        self._reserved = _Reservation()
        self._largest = _Reservation()
        self._seen_any = False
        self._changed = asyncio.Condition()
        self._started = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds since the strategy started."""
        return time.monotonic() - self._started

    def caller(self, inner: ModelCaller) -> ModelCaller:
        """A model caller (the loop's hook) that goes through this ledger before calling ``inner``."""

        async def call(
            model: Model,
            messages: list[ModelRequest | ModelResponse],
            settings: ModelSettings,
            params: RequestParams,
            config: RunConfig[Any],
            timeout: float | None,
        ) -> ModelResponse:
            async with self._slot(), self._admitted():
                response = await self._within_deadline(inner(model, messages, settings, params, config, timeout))
                self._record(response.usage)
                return response

        return call

    def take_tool_call(self) -> bool:
        """Count one tool call; ``False`` (and nothing counted) when ``max_tool_calls`` is used up."""
        limit = self.budget.max_tool_calls if self.budget else None
        if limit is not None and self.used.tool_calls >= limit:
            self._stop("max_tool_calls")
            return False
        self.used = self.used + Usage(tool_calls=1)
        return True

    # --- admission -------------------------------------------------------------------------------

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots is None:
            yield
            return
        async with self._slots:
            yield

    @asynccontextmanager
    async def _admitted(self) -> AsyncIterator[_Reservation]:
        reservation = await self._within_deadline(self._admit())
        self._in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            yield reservation
        finally:
            self._in_flight -= 1
            self._reserved.tokens -= reservation.tokens
            self._reserved.cost -= reservation.cost
            async with self._changed:
                self._changed.notify_all()

    async def _admit(self) -> _Reservation:
        async with self._changed:
            await self._changed.wait_for(lambda: self._decide() != "wait")
            limit = _limit_of(self._decide())
            if limit is not None:
                self._stop(limit)
                raise BranchStopped(limit)
            reservation = _Reservation(self._largest.tokens, self._largest.cost)
            self._reserved.tokens += reservation.tokens
            self._reserved.cost += reservation.cost
            return reservation

    async def _within_deadline(self, awaitable: Awaitable[T]) -> T:
        left = self._seconds_left()
        if left is None:
            return await awaitable
        try:
            return await asyncio.wait_for(awaitable, timeout=left)
        except TimeoutError:
            self._stop("max_seconds")
            raise BranchStopped("max_seconds") from None

    def _seconds_left(self) -> float | None:
        if self.budget is None or self.budget.max_seconds is None:
            return None
        return max(0.0, self.budget.max_seconds - self.elapsed)

    def _decide(self) -> _Decision:
        """``go``, ``wait`` (an in-flight request may free room) or the limit that stops the request."""
        budget = self.budget
        if budget is None:
            return "go"
        decisions: list[_Decision] = [self._decide_counts(budget)]
        decisions.append(self._decide_measure("max_tokens", budget.max_tokens, self.used.total_tokens, "tokens"))
        decisions.append(self._decide_measure("max_cost_usd", budget.max_cost_usd, self.used.cost_usd, "cost"))
        stops = [d for d in decisions if d not in ("go", "wait")]
        if stops:
            return stops[0]
        return "wait" if "wait" in decisions else "go"

    def _decide_counts(self, budget: Budget) -> _Decision:
        seconds_left = self._seconds_left()
        if seconds_left is not None and seconds_left <= 0:
            return "max_seconds"
        if budget.max_turns is not None and self.used.requests + self._in_flight >= budget.max_turns:
            return "max_turns"
        return "go"

    def _decide_measure(
        self, name: LimitName, limit: float | None, used: float, field: Literal["tokens", "cost"]
    ) -> _Decision:
        if limit is None:
            return "go"
        if used >= limit:
            return name
        if not self._seen_any:
            return "wait" if self._in_flight else "go"
        needed = used + getattr(self._reserved, field) + getattr(self._largest, field)
        if needed <= limit:
            return "go"
        return "wait" if self._in_flight else name

    def _record(self, usage: Usage) -> None:
        usage = usage.model_copy(update={"requests": max(1, usage.requests)})
        self.used = self.used + usage
        self._seen_any = True
        self._largest.tokens = max(self._largest.tokens, usage.total_tokens)
        self._largest.cost = max(self._largest.cost, usage.cost_usd)

    def _stop(self, limit: LimitName) -> None:
        if self.stopped_by is None:
            self.stopped_by = limit


def _limit_of(decision: _Decision) -> LimitName | None:
    return None if decision in ("go", "wait") else cast(LimitName, decision)
