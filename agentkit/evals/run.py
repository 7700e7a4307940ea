"""Running an evaluation: every case under every strategy, concurrently, into an :class:`EvalReport`.

Each strategy is run by :func:`_run_strategy`, which spends the same strategy on every case. A compute
allocation over the dataset (``evaluate(..., allocation=ComputeOptimal(...))``, spending more where the
vote is least settled) runs beside it in :mod:`agentkit.evals._allocated`, as one more label returning
the same :class:`CaseResult` list.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from agentkit.agent import Agent, RunOptions
from agentkit.evals._progress import Advance, progress_bar
from agentkit.evals._runs import event_record
from agentkit.evals.allocation import ComputeOptimal
from agentkit.evals.case import Case
from agentkit.evals.dataset import Dataset
from agentkit.evals.evaluators import Evaluator, EvaluatorLike, ExactMatch, as_evaluator
from agentkit.evals.report import EvalReport
from agentkit.evals.results import CaseResult, StrategyRun
from agentkit.evals.specs import strategy_label
from agentkit.events import AgentEvent, ModelResponseEvent
from agentkit.exceptions import BudgetExceeded, UserError
from agentkit.result import AgentResult
from agentkit.strategies import Strategy
from agentkit.usage import Budget, Usage

__all__ = ["Strategies", "evaluate", "evaluate_sync"]

Strategies = Sequence[Strategy | None] | Mapping[str, Strategy | None]
"""Strategies to compare (``None``: a plain run), or a mapping label -> strategy."""


@dataclass(frozen=True)
class _Plan:
    """What every case run of one evaluation shares."""

    agent: Agent[Any, Any]
    evaluators: list[Evaluator]
    budget: Budget | None
    deps: Any
    eval_id: str
    limit: asyncio.Semaphore
    advance: Advance
    keep_runs: bool = True


async def evaluate(
    agent: Agent[Any, Any],
    dataset: Dataset | Sequence[Case],
    *,
    strategies: Strategies = (None,),
    evaluators: Sequence[EvaluatorLike] | None = None,
    concurrency: int = 8,
    budget: Budget | None = None,
    deps: Any = None,
    progress: bool | None = None,
    name: str | None = None,
    eval_id: str | None = None,
    allocation: ComputeOptimal | None = None,
    keep_runs: bool = True,
) -> EvalReport:
    """Run every case of ``dataset`` under every strategy and score the outputs.

    ``strategies``: strategies to compare (``None`` is a plain run), or a mapping label -> strategy;
    labels default to ``none``, ``sc:8``, ``bon:8``... ``evaluators``: default ``[ExactMatch()]``.
    Strategies run one after the other (so they don't compete for rate limits); ``concurrency`` is the
    most cases in flight at once (a strategy's own ``concurrency`` caps its branches inside one case).
    ``budget``: the :class:`~agentkit.Budget` of each case run (a strategy's branches share it).
    ``progress``: a progress bar on stderr (default: only on a terminal). A case whose run fails is
    recorded with its error and counts as failed; a :class:`~agentkit.exceptions.UserError` (a
    configuration mistake) stops the evaluation. ``allocation``: a
    :class:`~agentkit.evals.allocation.ComputeOptimal` budget of model calls spent over the dataset where
    the vote is least settled, reported after the strategies under its label (``optimal:800``); with it,
    ``strategies`` may be empty. ``keep_runs``: keep each case run's events (:attr:`CaseResult.events`, saved
    with the report) so :meth:`EvalReport.save_html` can write each case's run report. They cost about
    1.2 KB per run plus what the model wrote (a strategy's branches each count); ``False`` keeps reports small.
    """
    if concurrency < 1:
        raise UserError(f"evaluate() needs concurrency >= 1, got {concurrency}.")
    cases = list(dataset)
    labelled = _labelled(strategies, allocation)
    scorers = [as_evaluator(e) for e in evaluators or [ExactMatch()]]
    dataset_name = getattr(dataset, "name", "dataset")
    if allocation is not None:
        allocation.check_fits(len(cases))
    runs = len(labelled) + (allocation is not None)
    with progress_bar(len(cases) * runs, f"evaluating {agent.name}", progress=progress) as advance:
        limit = asyncio.Semaphore(concurrency)
        plan = _Plan(agent, scorers, budget, deps, eval_id or _new_id(), limit, advance, keep_runs)
        per_strategy = [await _run_strategy(plan, label, strategy, cases) for label, strategy in labelled]
        if allocation is not None:
            from agentkit.evals._allocated import run_allocation  # it runs samples with this module's helpers

            per_strategy.append(await run_allocation(plan, allocation.label, allocation, cases))
            labelled.append((allocation.label, None))
    return EvalReport(
        id=plan.eval_id,
        name=name or dataset_name,
        dataset=dataset_name,
        agent=agent.name,
        created_at=time.time(),
        evaluators=[e.name for e in scorers],
        runs=[
            StrategyRun(strategy=label, results=results)
            for (label, _), results in zip(labelled, per_strategy, strict=True)
        ],
    )


def evaluate_sync(agent: Agent[Any, Any], dataset: Dataset | Sequence[Case], **options: Any) -> EvalReport:
    """:func:`evaluate` for code that is not async (takes the same keyword arguments)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(evaluate(agent, dataset, **options))
    raise UserError("evaluate_sync() was called inside a running event loop; use 'await evaluate(...)' there.")


def _new_id() -> str:
    return f"eval-{uuid.uuid4().hex[:12]}"


def _labelled(strategies: Strategies, allocation: ComputeOptimal | None) -> list[tuple[str, Strategy | None]]:
    pairs = (
        list(strategies.items()) if isinstance(strategies, Mapping) else [(strategy_label(s), s) for s in strategies]
    )
    if not pairs and allocation is None:
        raise UserError("evaluate() needs at least one strategy; pass strategies=[None] for plain runs.")
    labels = [label for label, _ in pairs] + ([allocation.label] if allocation is not None else [])
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise UserError(
            f"strategies {', '.join(repeated)} appear more than once; pass a dict to give each its own label."
        )
    return pairs


async def _run_strategy(plan: _Plan, label: str, strategy: Strategy | None, cases: list[Case]) -> list[CaseResult]:
    return list(await asyncio.gather(*(_run_case(plan, label, strategy, i, case) for i, case in enumerate(cases))))


async def _run_case(plan: _Plan, label: str, strategy: Strategy | None, index: int, case: Case) -> CaseResult:
    run_id = f"{plan.eval_id}-{label.replace(':', '')}-{index}"
    tally = _Tally(keep=plan.keep_runs)
    async with plan.limit:
        started = time.perf_counter()
        try:
            result = await plan.agent.run(
                case.prompt(),
                deps=plan.deps,
                strategy=strategy,
                budget=plan.budget,
                options=RunOptions(run_id=run_id, emit=tally),
            )
        except UserError:
            raise
        except Exception as exc:
            plan.advance()
            spent = exc.usage if isinstance(exc, BudgetExceeded) else tally.usage
            return _failed(case, index, run_id, exc, spent, time.perf_counter() - started, tally.events)
        latency = time.perf_counter() - started
        scored = await _scored(plan.evaluators, case, result.output)
    plan.advance()
    return _recorded(case, index, result, latency, {**scored, "events": tally.events})


async def _scored(evaluators: list[Evaluator], case: Case, output: Any) -> dict[str, Any]:
    """The scores; an evaluator failing on this output (a judge's model error) fails the case, with the error."""
    scores = []
    for evaluator in evaluators:
        try:
            scores.append(await evaluator.score(case, output))
        except UserError:
            raise
        except Exception as exc:
            return {"passed": False, "error": f"evaluator {evaluator.name!r} failed: {type(exc).__name__}: {exc}"}
    return {
        "scores": {e.name: s.value for e, s in zip(evaluators, scores, strict=True)},
        "reasons": {e.name: s.reason for e, s in zip(evaluators, scores, strict=True) if s.reason},
        "passed": all(s.passed for s in scores),
    }


def _jsonable(value: Any) -> Any:
    return to_jsonable_python(value, fallback=repr)


def _base(case: Case, index: int) -> dict[str, Any]:
    return {
        "index": index,
        "name": case.name if case.name is not None else str(index),
        "input": _jsonable(case.input),
        "expected": _jsonable(case.expected),
        "metadata": _jsonable(case.metadata),
    }


def _recorded(case: Case, index: int, result: AgentResult[Any], latency: float, scored: dict[str, Any]) -> CaseResult:
    usage = result.usage
    return CaseResult(
        **_base(case, index),
        **scored,
        output=_jsonable(result.output),
        run_id=result.run_id,
        **_spent(usage, latency),
    )


class _Tally:
    """An event sink adding up the model responses of a run (every branch), for runs that fail, and keeping
    its events when asked (for the case's run report)."""

    def __init__(self, *, keep: bool = False) -> None:
        self.usage = Usage()
        self.events: list[dict[str, Any]] | None = [] if keep else None

    async def __call__(self, event: AgentEvent) -> None:
        if self.events is not None and (record := event_record(event)) is not None:
            self.events.append(record)
        if isinstance(event, ModelResponseEvent):
            self.usage = self.usage + event.response.usage.model_copy(update={"requests": 1})


def _failed(
    case: Case,
    index: int,
    run_id: str,
    error: Exception,
    usage: Usage,
    latency: float,
    events: list[dict[str, Any]] | None = None,
) -> CaseResult:
    return CaseResult(
        **_base(case, index),
        error=f"{type(error).__name__}: {error}",
        run_id=run_id,
        events=events,
        **_spent(usage, latency),
    )


def _spent(usage: Usage, latency: float) -> dict[str, Any]:
    """The compute fields of a :class:`CaseResult`."""
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cost_usd": usage.cost_usd,
        "model_calls": usage.requests,
        "latency_s": latency,
    }
