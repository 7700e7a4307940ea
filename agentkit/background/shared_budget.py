"""The budget of a strategy run whose branches are child runs on any worker, kept in the database.

One row of ``agentkit_budgets`` per strategy run holds its limits and what every branch used. Each
model request of a branch is admitted by one atomic ``UPDATE`` inside the request's durable step, so
a replay of a recorded step neither asks again nor counts twice, and workers on several machines see
one budget:

- requests (``max_turns``) and tool calls (``max_tool_calls``) are counted when admitted, so those
  limits are never passed (a request or tool call that runs again after a crash counts again);
- tokens and cost are checked against what finished requests used: each request still in flight
  can pass ``max_tokens`` / ``max_cost_usd`` by its own size (at most the strategy's ``concurrency``
  requests are in flight);
- ``max_seconds`` is a deadline for the whole strategy run, from its first start, on the wall clock.

A request the budget can't afford raises :class:`~agentkit.strategies._ledger.BranchStopped`, which
ends that branch only.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, cast

from agentkit._loop import ModelCaller, RunConfig
from agentkit.background.tables import USAGE_COUNTS, Tables
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models.base import Model, RequestParams
from agentkit.settings import ModelSettings
from agentkit.strategies._ledger import BranchStopped
from agentkit.usage import Budget, LimitName, Usage

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["SharedBudget"]

_LIMITS: tuple[tuple[LimitName, str], ...] = (
    ("max_turns", "requests"),
    ("max_tokens", "tokens"),
    ("max_cost_usd", "cost_usd"),
)


class SharedBudget:
    """The :class:`~agentkit.strategies._branching.LedgerLike` of a strategy run fanned out over workers."""

    def __init__(self, engine: sa.Engine, tables: Tables, run_id: str, budget: Budget | None) -> None:
        self._engine = engine
        self._table = tables.budgets
        self.run_id = run_id
        self.budget = budget
        self.peak_in_flight = 0
        self._started_at: float | None = None

    # --- the row ---------------------------------------------------------------------------------

    def open(self) -> None:
        """Create the run's row (once: a replay keeps the first start time and what was used)."""
        from sqlalchemy.dialects import postgresql, sqlite

        budget = self.budget or Budget()
        dialect = sqlite if self._engine.dialect.name == "sqlite" else postgresql
        row: dict[str, Any] = {
            "run_id": self.run_id,
            "started_at": time.time(),
            "max_turns": budget.max_turns,
            "max_tool_calls": budget.max_tool_calls,
            "max_tokens": budget.max_tokens,
            "max_cost_usd": budget.max_cost_usd,
            "max_seconds": budget.max_seconds,
            "cost_usd": 0.0,
            **dict.fromkeys(USAGE_COUNTS, 0),
        }
        with self._engine.begin() as conn:
            conn.execute(dialect.insert(self._table).values(row).on_conflict_do_nothing())

    def _row(self) -> Any:
        import sqlalchemy as sa

        with self._engine.connect() as conn:
            row = conn.execute(sa.select(self._table).where(self._table.c.run_id == self.run_id)).one_or_none()
        if row is None:
            raise RuntimeError(f"Strategy run {self.run_id} has no shared budget row; its parent run must open it.")
        return row

    # --- LedgerLike ------------------------------------------------------------------------------

    @property
    def used(self) -> Usage:
        """What every branch of the run used so far, on any worker."""
        row = self._row()
        return Usage(cost_usd=row.cost_usd, **{name: getattr(row, name) for name in USAGE_COUNTS})

    @property
    def stopped_by(self) -> LimitName | None:
        """The first limit that stopped a branch, if one did."""
        return cast("LimitName | None", self._row().stopped_by)

    def caller(self, inner: ModelCaller) -> ModelCaller:
        """``inner`` unchanged: requests are admitted inside their durable step (see :meth:`admitting`)."""
        return inner

    def take_tool_call(self) -> bool:
        """Count one tool call against ``max_tool_calls`` (atomic across workers)."""
        import sqlalchemy as sa

        t = self._table
        query = (
            sa.update(t)
            .where(t.c.run_id == self.run_id)
            .where(sa.or_(t.c.max_tool_calls.is_(None), t.c.tool_calls < t.c.max_tool_calls))
            .values(tool_calls=t.c.tool_calls + 1)
        )
        with self._engine.begin() as conn:
            taken = conn.execute(query).rowcount == 1
        if not taken:
            self._row()  # a missing row is an error, not a used-up limit
            self._stop("max_tool_calls")
        return taken

    # --- admission -------------------------------------------------------------------------------

    def admitting(self, inner: ModelCaller) -> ModelCaller:
        """``inner`` with each request admitted by the shared budget first and its usage added after."""

        async def call(
            model: Model,
            messages: list[ModelRequest | ModelResponse],
            settings: ModelSettings,
            params: RequestParams,
            config: RunConfig[Any],
            timeout: float | None,
        ) -> ModelResponse:
            await asyncio.to_thread(self._admit)
            left = self._seconds_left()
            try:
                response = await asyncio.wait_for(inner(model, messages, settings, params, config, timeout), left)
            except TimeoutError:
                if left is None or self._seconds_left() != 0.0:
                    raise
                await asyncio.to_thread(self._stop, "max_seconds")
                raise BranchStopped("max_seconds") from None
            await asyncio.to_thread(self._record, response.usage)
            return response

        return call

    def _seconds_left(self) -> float | None:
        budget = self.budget
        if budget is None or budget.max_seconds is None:
            return None
        if self._started_at is None:
            self._started_at = float(self._row().started_at)
        return max(0.0, self._started_at + budget.max_seconds - time.time())

    def _admit(self) -> None:
        import sqlalchemy as sa

        if self._seconds_left() == 0.0:
            self._stop("max_seconds")
            raise BranchStopped("max_seconds")
        t = self._table
        query = (
            sa.update(t)
            .where(t.c.run_id == self.run_id)
            .where(sa.or_(t.c.max_turns.is_(None), t.c.requests < t.c.max_turns))
            .where(sa.or_(t.c.max_tokens.is_(None), t.c.input_tokens + t.c.output_tokens < t.c.max_tokens))
            .where(sa.or_(t.c.max_cost_usd.is_(None), t.c.cost_usd < t.c.max_cost_usd))
            .values(requests=t.c.requests + 1)
        )
        with self._engine.begin() as conn:
            if conn.execute(query).rowcount == 1:
                return
        limit = self._limit_reached()
        self._stop(limit)
        raise BranchStopped(limit)

    def _limit_reached(self) -> LimitName:
        row = self._row()
        used = {"requests": row.requests, "tokens": row.input_tokens + row.output_tokens, "cost_usd": row.cost_usd}
        for limit, measure in _LIMITS:
            ceiling = getattr(row, limit)
            if ceiling is not None and used[measure] >= ceiling:
                return limit
        raise RuntimeError(f"Strategy run {self.run_id}: no budget row to admit a request to.")

    def _record(self, usage: Usage) -> None:
        import sqlalchemy as sa

        t = self._table
        counted = ("requests", "tool_calls")  # at admission and by take_tool_call
        values: dict[str, Any] = {n: t.c[n] + getattr(usage, n) for n in USAGE_COUNTS if n not in counted}
        values["requests"] = t.c.requests + max(0, usage.requests - 1)  # admission counted one already
        values["cost_usd"] = t.c.cost_usd + usage.cost_usd
        with self._engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.run_id == self.run_id).values(values))

    def _stop(self, limit: LimitName) -> None:
        import sqlalchemy as sa

        t = self._table
        query = sa.update(t).where(t.c.run_id == self.run_id, t.c.stopped_by.is_(None)).values(stopped_by=limit)
        with self._engine.begin() as conn:
            conn.execute(query)
