"""Token, request and cost accounting (:class:`Usage`) and run limits (:class:`Budget`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Budget", "LimitName", "Usage"]

LimitName = Literal["max_turns", "max_tokens", "max_cost_usd", "max_seconds", "max_tool_calls"]


class Usage(BaseModel):
    """Usage summed over requests.

    ``output_tokens`` includes ``reasoning_tokens`` (adapters normalise providers that report them
    apart), so ``total_tokens`` = input + output counts reasoning. ``cached_tokens`` is the part of
    ``input_tokens`` served from a prompt cache.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    requests: int = 0
    tool_calls: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens (reasoning included)."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            requests=self.requests + other.requests,
            tool_calls=self.tool_calls + other.tool_calls,
            cost_usd=self.cost_usd + other.cost_usd,
        )


class Budget(BaseModel):
    """Limits for one run (or, with a strategy, for all its branches together).

    When a limit is reached the run ends gracefully: one last model call, without tools, asks for the
    best answer from what the model has, and ``result.stop_reason`` names the limit. Set
    ``on_exceeded="raise"`` to get :class:`~agentkit.exceptions.BudgetExceeded` instead.

    ``max_turns`` counts model requests; the final best-answer call is not counted against it.

    ``max_cost_usd`` needs the model's price (see :mod:`agentkit.pricing`). For a model agentkit has no
    price for, the run raises :class:`~agentkit.exceptions.UserError` at its start; with
    ``unpriced="warn"`` it warns once per model instead (an
    :class:`~agentkit.pricing.UnpricedModelWarning`) and runs with that model's cost counted as $0.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    max_turns: int | None = Field(default=None, ge=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, gt=0)
    max_seconds: float | None = Field(default=None, gt=0)
    max_tool_calls: int | None = Field(default=None, ge=0)
    on_exceeded: Literal["answer", "raise"] = "answer"
    unpriced: Literal["raise", "warn"] = "raise"
    """What a ``max_cost_usd`` run does with a model that has no price: fail at start, or warn once."""
    final_answer_seconds: float = Field(default=60.0, gt=0)
    """Time allowed for the best-answer call after ``max_seconds`` ran out."""

    def _measures(self, usage: Usage, elapsed_s: float) -> list[tuple[LimitName, float, float]]:
        """(limit name, used, maximum) for every limit that is set."""
        measures: list[tuple[LimitName, float | int | None, float]] = [
            ("max_turns", self.max_turns, usage.requests),
            ("max_tokens", self.max_tokens, usage.total_tokens),
            ("max_cost_usd", self.max_cost_usd, usage.cost_usd),
            ("max_seconds", self.max_seconds, elapsed_s),
            ("max_tool_calls", self.max_tool_calls, usage.tool_calls),
        ]
        return [(name, used, float(limit)) for name, limit, used in measures if limit is not None]

    def exceeded(self, usage: Usage, elapsed_s: float) -> LimitName | None:
        """The first limit that ``usage`` and ``elapsed_s`` reach, or ``None``."""
        return next((name for name, used, limit in self._measures(usage, elapsed_s) if used >= limit), None)

    def near_limits(self, usage: Usage, elapsed_s: float, share: float = 0.8) -> list[tuple[LimitName, float, float]]:
        """Limits at least ``share`` used: (name, used, maximum)."""
        return [m for m in self._measures(usage, elapsed_s) if m[1] >= share * m[2]]

    def tool_calls_left(self, usage: Usage) -> int | None:
        """How many more tool calls the budget allows (``None``: no limit)."""
        if self.max_tool_calls is None:
            return None
        return max(0, self.max_tool_calls - usage.tool_calls)
