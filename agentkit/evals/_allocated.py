"""Running a :class:`~agentkit.evals.allocation.ComputeOptimal` allocation into one :class:`CaseResult` per case.

Each sample is a plain run of the agent under the evaluation's concurrency limit and per-run budget; a
model caller counts every call as it is sent and refuses those past ``total_calls``. A case's run id and
kept events are those of the sample whose answer it took (the first sample when none answered).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from agentkit._loop import ModelCaller, RunConfig, call_model
from agentkit.agent import RunOptions
from agentkit.evals.allocation import ComputeOptimal, least_settled
from agentkit.evals.case import Case
from agentkit.evals.results import CaseResult
from agentkit.evals.run import _base, _jsonable, _Plan, _scored, _spent, _Tally
from agentkit.exceptions import BudgetExceeded, UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models.base import Model, RequestParams
from agentkit.settings import ModelSettings
from agentkit.strategies._select import default_key
from agentkit.usage import Usage

__all__ = ["run_allocation"]


class CallsSpent(Exception):
    """The allocation's ``total_calls`` are spent; the sample that wanted another call ends here."""


class _Counter:
    """Admits at most ``total`` model calls over the whole allocation, counted as they are sent."""

    def __init__(self, total: int) -> None:
        self.left = total

    def caller(self, inner: ModelCaller) -> ModelCaller:
        async def call(
            model: Model,
            messages: list[ModelRequest | ModelResponse],
            settings: ModelSettings,
            params: RequestParams,
            config: RunConfig[Any],
            timeout: float | None,
        ) -> ModelResponse:
            if self.left <= 0:
                raise CallsSpent("the allocation's total_calls are spent")
            self.left -= 1
            return await inner(model, messages, settings, params, config, timeout)

        return call


@dataclass
class _Sample:
    run_id: str
    usage: Usage
    latency: float
    output: Any = None
    key: Hashable = None
    error: str | None = None
    events: list[dict[str, Any]] | None = None


@dataclass
class _CaseState:
    """One case's samples so far."""

    case: Case
    index: int
    samples: list[_Sample] = field(default_factory=list)

    @property
    def answered(self) -> list[_Sample]:
        """The samples that gave an answer, in the order they were drawn."""
        return [s for s in self.samples if s.error is None]

    @property
    def keys(self) -> list[Hashable]:
        return [s.key for s in self.answered]


async def run_allocation(plan: _Plan, label: str, allocation: ComputeOptimal, cases: list[Case]) -> list[CaseResult]:
    """The first samples of every case, then waves to the least settled cases until the calls are spent."""
    allocation.check_fits(len(cases))
    states = [_CaseState(case, i) for i, case in enumerate(cases)]
    counter = _Counter(allocation.total_calls)
    sampler = _Sampler(plan, label, allocation, counter.caller(call_model))
    await asyncio.gather(*(sampler.draw(s) for s in states for _ in range(allocation.first)))
    size = allocation.wave_size(len(cases))
    left = None
    while 0 < counter.left != left:  # a wave that made no call (runs failing before their first) ends it
        left = counter.left
        chosen = least_settled(
            [s.keys for s in states], [len(s.samples) for s in states], min(size, left), allocation.max_per_case
        )
        await asyncio.gather(*(sampler.draw(states[i]) for i in chosen))
    results = list(await asyncio.gather(*(_result(plan, s) for s in states)))
    for _ in states:
        plan.advance()
    return results


@dataclass
class _Sampler:
    plan: _Plan
    label: str
    allocation: ComputeOptimal
    caller: ModelCaller

    async def draw(self, state: _CaseState) -> None:
        """Run one more sample of ``state``'s case and record it (its vote, if it answered)."""
        run_id = f"{self.plan.eval_id}-{self.label.replace(':', '')}-{state.index}-{len(state.samples)}"
        slot = _Sample(run_id, Usage(), 0.0)
        state.samples.append(slot)  # in draw order, whatever order the runs end in
        tally = _Tally(keep=self.plan.keep_runs)
        slot.events = tally.events  # filled as the run goes
        async with self.plan.limit:
            started = time.perf_counter()
            try:
                result = await self.plan.agent.run(
                    state.case.prompt(),
                    deps=self.plan.deps,
                    budget=self.plan.budget,
                    options=RunOptions(run_id=run_id, emit=tally, model_caller=self.caller),
                )
            except UserError:
                raise
            except Exception as exc:
                slot.usage = exc.usage if isinstance(exc, BudgetExceeded) else tally.usage
                slot.error = f"{type(exc).__name__}: {exc}"
            else:
                slot.usage, slot.output = result.usage, result.output
                slot.key = (self.allocation.key or default_key)(result.output)
            slot.latency = time.perf_counter() - started


async def _result(plan: _Plan, state: _CaseState) -> CaseResult:
    """The majority of the case's answered samples (ties to the first seen), scored; compute added up."""
    usage = sum((s.usage for s in state.samples), Usage())
    spent = {**_spent(usage, sum(s.latency for s in state.samples)), "samples": len(state.samples)}
    answered = state.answered
    if not answered:
        last = state.samples[-1].error
        error = f"no sample produced an answer ({len(state.samples)} failed); the last: {last}"
        first = state.samples[0]
        return CaseResult(
            **_base(state.case, state.index), error=error, run_id=first.run_id, events=first.events, **spent
        )
    keys = state.keys
    top = max(keys.count(k) for k in keys)
    chosen = next(s for s in answered if keys.count(s.key) == top)
    scored = await _scored(plan.evaluators, state.case, chosen.output)
    return CaseResult(
        **_base(state.case, state.index),
        **scored,
        output=_jsonable(chosen.output),
        run_id=chosen.run_id,
        events=chosen.events,
        **spent,
    )
