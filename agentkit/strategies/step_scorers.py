"""Process-reward scoring of agent steps, for :class:`BeamSearch` and :class:`DVTS`.

A step is one model turn with the results of its tool calls. After each step a scorer rates the
branch's latest step (a function of :class:`StepContext`, or an LLM judge: :class:`JudgeStepScorer`);
a branch's score aggregates its step scores: the ``last`` one, the ``min`` (the weakest step) or the
``prod`` (all steps right, when scores are probabilities).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from agentkit.agent import RunOptions
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models import Model
from agentkit.prompts import render
from agentkit.strategies._judge import Grade, Judge, transcript_text

__all__ = [
    "Aggregate",
    "FunctionStepScorer",
    "JudgeStepScorer",
    "StepContext",
    "StepScorer",
    "StepScorerLike",
    "aggregate_scores",
    "as_step_scorer",
]

Aggregate = Literal["last", "min", "prod"]


@dataclass(frozen=True)
class StepContext:
    """A branch right after one of its steps."""

    prompt: str
    messages: list[ModelRequest | ModelResponse]
    """The branch's transcript so far; the last step is at its end."""
    step: int
    """0 for the first step."""
    finished: bool
    """Whether this step ended the run with a final answer."""
    output: Any
    """The final output when ``finished``, else ``None``."""
    deps: Any
    model: Model
    options: RunOptions
    """Pass to ``agent.run(..., options=ctx.options)`` so a model call counts against the strategy's budget."""


@runtime_checkable
class StepScorer(Protocol):
    """Rates a branch's latest step; higher is better."""

    async def score(self, ctx: StepContext) -> float:
        """The score of ``ctx``'s latest step."""
        ...


class FunctionStepScorer:
    """``function(ctx) -> float`` (sync or async)."""

    def __init__(self, function: Callable[[StepContext], float | Awaitable[float]]) -> None:
        self.function = function

    async def score(self, ctx: StepContext) -> float:
        """Call the function."""
        value = self.function(ctx)
        if inspect.isawaitable(value):
            value = await value
        return float(value)


class JudgeStepScorer:
    """An LLM process-reward judge: rates the latest step 0..10 (score = rating / 10).

    ``model=None`` uses the branch's own model.
    """

    def __init__(self, model: Model | str | None = None, rubric: str | None = None) -> None:
        self.rubric = rubric or render("prm_default_rubric")
        self._judge = Judge(model, render("prm_instructions"), Grade)

    async def score(self, ctx: StepContext) -> float:
        """Ask the judge."""
        prompt = render("prm_prompt", task=ctx.prompt, transcript=transcript_text(ctx.messages), rubric=self.rubric)
        grade: Grade = await self._judge.ask(prompt, fallback=ctx.model, options=ctx.options)
        return grade.score / 10


StepScorerLike = StepScorer | Callable[[StepContext], float | Awaitable[float]]


def as_step_scorer(value: StepScorerLike) -> StepScorer:
    """The :class:`StepScorer` for a scorer or a function of :class:`StepContext`."""
    if isinstance(value, StepScorer):
        return value
    if callable(value):
        return FunctionStepScorer(value)
    raise UserError(
        f"step_scorer={value!r} is not usable: pass a function of StepContext returning a number, "
        "or an object with 'async score(ctx) -> float' such as JudgeStepScorer(model)."
    )


def aggregate_scores(scores: Sequence[float], how: Aggregate) -> float:
    """A branch's score from its step scores."""
    if not scores:
        raise ValueError("a branch without scored steps has no score")
    if how == "last":
        return scores[-1]
    if how == "min":
        return min(scores)
    if how == "prod":
        return math.prod(scores)
    raise UserError(f"aggregate must be 'last', 'min' or 'prod', got {how!r}.")
