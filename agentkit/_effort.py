"""Lower ``reasoning_effort`` as a run's budget runs out (:class:`EffortSchedule`).

The schedule wraps the run's model caller: before each request it measures the share of the run's
:class:`~agentkit.Budget` already used (turns, tokens or cost, whichever is highest) from the responses
that passed through it, and sends the request with the effort the schedule allows at that share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentkit._loop import ModelCaller, RunConfig
from agentkit.events import EffortLowered
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models.base import Model, RequestParams
from agentkit.settings import ModelSettings, ReasoningEffort
from agentkit.usage import Budget, LimitName, Usage

__all__ = ["EffortSchedule", "scheduled_caller", "used_share"]

EFFORTS: tuple[ReasoningEffort, ...] = ("minimal", "low", "medium", "high")
"""From least to most effort."""


@dataclass(frozen=True)
class EffortSchedule:
    """Lower ``reasoning_effort`` as the run's budget runs out: ``Agent(..., effort_schedule=EffortSchedule())``.

    ``steps`` are ``(share, effort)`` pairs: once ``share`` of the run's budget is used (``max_turns``,
    ``max_tokens`` or ``max_cost_usd``, whichever is used most), the next requests use at most
    ``effort``. The default goes ``high`` → ``medium`` at half the budget and → ``low`` at 80 %. The
    schedule only lowers: a request never gets more effort than its settings ask for. When the settings
    leave ``reasoning_effort`` unset (the provider's default), the schedule's effort is sent once the
    first share is passed. Each change is a :class:`~agentkit.events.EffortLowered` event. A run without
    a budget (or one with only ``max_seconds`` / ``max_tool_calls``) is not changed.
    """

    steps: Sequence[tuple[float, ReasoningEffort]] = ((0.5, "medium"), (0.8, "low"))

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple((share, effort) for share, effort in self.steps))
        if not self.steps:
            raise UserError("EffortSchedule needs at least one (share, effort) step, e.g. [(0.5, 'medium')].")
        for share, effort in self.steps:
            if not 0 < share <= 1:
                raise UserError(f"EffortSchedule: a step's share must be in (0, 1], got {share} (for {effort!r}).")
            if effort not in EFFORTS:
                raise UserError(f"EffortSchedule: unknown effort {effort!r}; use one of {', '.join(EFFORTS)}.")
        shares = [share for share, _ in self.steps]
        ranks = [EFFORTS.index(effort) for _, effort in self.steps]
        if shares != sorted(set(shares)) or ranks != sorted(set(ranks), reverse=True):
            raise UserError(
                f"EffortSchedule steps must rise in share and fall in effort, got {list(self.steps)}; "
                "e.g. [(0.5, 'medium'), (0.8, 'low')]."
            )

    def effort(self, configured: ReasoningEffort | None, share: float) -> ReasoningEffort | None:
        """The effort of a request whose settings ask for ``configured``, with ``share`` of the budget used."""
        cap = next((effort for threshold, effort in reversed(self.steps) if share >= threshold), None)
        if cap is None or (configured is not None and EFFORTS.index(configured) <= EFFORTS.index(cap)):
            return configured
        return cap


def used_share(budget: Budget | None, usage: Usage) -> tuple[float, LimitName | None]:
    """The highest share of ``budget`` that ``usage`` used among turns, tokens and cost, and that limit."""
    if budget is None:
        return 0.0, None
    shares: list[tuple[float, LimitName]] = []
    if budget.max_turns is not None:
        shares.append((usage.requests / budget.max_turns, "max_turns"))
    if budget.max_tokens is not None:
        shares.append((usage.total_tokens / budget.max_tokens, "max_tokens"))
    if budget.max_cost_usd is not None:
        shares.append((usage.cost_usd / budget.max_cost_usd, "max_cost_usd"))
    if not shares:
        return 0.0, None
    share, limit = max(shares, key=lambda s: s[0])  # the first of equal shares
    return share, limit


def scheduled_caller(schedule: EffortSchedule | None, inner: ModelCaller) -> ModelCaller:
    """``inner`` with the effort of each request set by ``schedule`` (one per run: it counts the run's usage)."""
    return inner if schedule is None else _Scheduled(schedule, inner)


class _Scheduled:
    """A run's model caller that lowers the effort as the responses through it use up the budget."""

    def __init__(self, schedule: EffortSchedule, inner: ModelCaller) -> None:
        self.schedule = schedule
        self.inner = inner
        self.usage = Usage()
        self.lowered: ReasoningEffort | None = None

    async def __call__(
        self,
        model: Model,
        messages: list[ModelRequest | ModelResponse],
        settings: ModelSettings,
        params: RequestParams,
        config: RunConfig[Any],
        timeout: float | None,
    ) -> ModelResponse:
        share, limit = used_share(config.budget, self.usage)
        effort = self.schedule.effort(settings.reasoning_effort, share)
        if effort != settings.reasoning_effort and limit is not None:
            if effort != self.lowered:
                event = EffortLowered(
                    run_id=config.run_id,
                    step=self.usage.requests,
                    effort=effort,
                    previous=self.lowered or settings.reasoning_effort,
                    share=share,
                    limit=limit,
                )
                await config.emit(event)
                self.lowered = effort
            settings = settings.model_copy(update={"reasoning_effort": effort})
        response = await self.inner(model, messages, settings, params, config, timeout)
        self.usage = self.usage + response.usage.model_copy(update={"requests": max(1, response.usage.requests)})
        return response
