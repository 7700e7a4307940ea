"""What the branches of one strategy run share: budget, concurrency, tool rules, events, results."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from agentkit._closing import close_history
from agentkit._loop import EventSink
from agentkit.agent import Agent, AgentRun, RunOptions
from agentkit.events import AgentEvent, BudgetExceededEvent, FinalResultEvent, StrategyBranch
from agentkit.exceptions import AgentkitError, BudgetExceeded, UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models import Model
from agentkit.strategies._branching import BranchFn, LedgerLike
from agentkit.strategies._ledger import BranchStopped, Ledger
from agentkit.strategies._tools import BranchTools, ToolCache, ToolPolicy
from agentkit.strategies.result import Candidate, NoCandidateError, StrategyResult, Vote
from agentkit.strategies.verifiers import Verdict, Verifier, VerifyContext
from agentkit.usage import LimitName

__all__ = ["Session", "StrategyConfig", "gather_branches", "whole_run"]

T = TypeVar("T")

Messages = list[ModelRequest | ModelResponse]
Action = Literal["start", "score", "choose", "prune"]


@dataclass(frozen=True)
class StrategyConfig:
    """Settings every strategy has: the concurrency limit and the tool rules of branches."""

    concurrency: int | None = None
    """At most this many model requests in flight across all branches (``None``: no limit)."""
    tools: ToolPolicy = field(default_factory=ToolPolicy)

    def __post_init__(self) -> None:
        if self.concurrency is not None and self.concurrency < 1:
            raise UserError(f"concurrency must be >= 1 (or None for no limit), got {self.concurrency}.")


class Session:
    """One strategy run: hands out per-branch run options and collects events and candidates."""

    def __init__(
        self,
        name: str,
        agent: Agent[Any, Any],
        prompt: str,
        *,
        deps: Any,
        history: Sequence[ModelRequest | ModelResponse] | None,
        options: RunOptions,
        config: StrategyConfig,
        ledger: LedgerLike | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.agent = agent
        self.prompt = prompt
        self.deps = deps
        self.history: Messages = close_history(history or [])  # as agent.run closes it: new_message_index holds
        self.base = options
        self.root_id = options.run_id or uuid.uuid4().hex
        self.budget = options.budget or agent.budget
        self.executor = options.branch_executor
        self.ledger: LedgerLike = ledger or (
            self.executor.ledger if self.executor is not None else Ledger(self.budget, config.concurrency)
        )
        self.cache = ToolCache()
        self.tools = BranchTools(
            config.tools, self.cache, self.ledger.take_tool_call, options.tool_guard, options.invoke_tool
        )
        self.events: list[AgentEvent] = []
        self._model: Model | None = None

    # --- hooks handed to branches ----------------------------------------------------------------

    @property
    def model(self) -> Model:
        """The model branches run on."""
        if self._model is None:
            self._model = self.agent._model_for(self.base.model)  # a string's model: one per event loop
        return self._model

    def options_for(self, branch_id: str) -> RunOptions:
        """Run options for one branch: its events are tagged, its requests and tools go through the session."""
        return replace(
            self.base,
            emit=self.sink_for(branch_id),
            invoke_tool=self.tools.invoke,
            model_caller=self.ledger.caller(self.base.model_caller),
            tool_guard=self.tools.guard,
            run_id=f"{self.root_id}:{branch_id}",
            budget=self.budget,
        )

    def judge_options(self, branch_id: str) -> RunOptions:
        """Run options for a judge, critic or scorer working on ``branch_id`` (its own model and settings)."""
        return RunOptions(
            emit=self.sink_for(f"{branch_id}/judge"),
            model_caller=self.ledger.caller(self.base.model_caller),
            run_id=f"{self.root_id}:{branch_id}/judge",
        )

    def sink_for(self, branch_id: str) -> EventSink:
        """An event sink that tags events with ``branch_id``."""

        async def sink(event: AgentEvent) -> None:
            await self.emit(event.model_copy(update={"branch": branch_id}))

        return sink

    async def emit(self, event: AgentEvent) -> None:
        """Record an event and pass it to the user's sink."""
        self.events.append(event)
        if self.base.emit is not None:
            await self.base.emit(event)

    async def emit_branch(self, action: Action, branch_id: str, score: float | None = None, detail: str = "") -> None:
        """Emit a :class:`StrategyBranch` event."""
        event = StrategyBranch(
            run_id=self.root_id,
            branch=branch_id,
            strategy=self.name,
            action=action,
            branch_id=branch_id,
            score=score,
            detail=detail,
        )
        await self.emit(event)

    async def branch_stopped(self, branch_id: str, stop: BranchStopped) -> None:
        """Tell the event stream that the shared budget ended ``branch_id``."""
        usage = self.ledger.used
        await self.emit(BudgetExceededEvent(run_id=self.root_id, branch=branch_id, limit=stop.limit, usage=usage))

    # --- whole runs ------------------------------------------------------------------------------

    async def branches(self, branch: BranchFn, indices: Sequence[int]) -> list[Candidate]:
        """Run independent branches concurrently and return their candidates in the order of ``indices``.

        In a durable run (``agent.start(task, strategy=...)``) each branch is a child run on the queue,
        spread over every worker; ``branch`` must then be picklable (a strategy method is).
        """
        if self.executor is None:
            return await gather_branches([branch(self, i) for i in indices])
        return await self.executor.run(self, branch, indices)

    async def run_whole(self, index: int, *, prompt: str | None = None, history: Messages | None = None) -> Candidate:
        """One complete run of the agent as branch ``index``; errors end the branch, not the strategy."""
        branch_id = str(index)
        await self.emit_branch("start", branch_id)
        try:
            result = await self.agent.run(
                prompt if prompt is not None else self.prompt,
                deps=self.deps,
                message_history=history if history is not None else self.history,
                options=self.options_for(branch_id),
            )
        except BranchStopped as stop:
            await self.branch_stopped(branch_id, stop)
            return Candidate(index, branch_id, "stopped", error=str(stop), limit=stop.limit, stop_reason=stop.limit)
        except UserError:
            raise
        except AgentkitError as exc:
            messages = list(getattr(exc, "messages", []))
            return Candidate(index, branch_id, "failed", error=f"{type(exc).__name__}: {exc}", messages=messages)
        return Candidate(
            index,
            branch_id,
            "finished",
            output=result.output,
            usage=result.usage,
            messages=result.messages,
            stop_reason=result.stop_reason,
        )

    async def verify(self, candidate: Candidate, verifier: Verifier) -> Verdict | None:
        """Score a finished candidate (sets its score and feedback); ``None`` if the budget stopped the check."""
        ctx = VerifyContext(
            prompt=self.prompt,
            messages=candidate.messages,
            deps=self.deps,
            model=self.model,
            options=self.judge_options(candidate.branch_id),
        )
        try:
            verdict = await verifier.verify(candidate.output, ctx)
        except BranchStopped as stop:
            candidate.feedback = f"not verified: {stop}"
            return None
        candidate.score = verdict.score
        candidate.feedback = verdict.feedback
        await self.emit_branch("score", candidate.branch_id, verdict.score, verdict.feedback)
        return verdict

    # --- results ---------------------------------------------------------------------------------

    async def finish(
        self, candidates: list[Candidate], chosen: Candidate, reason: str, votes: Sequence[Vote] = ()
    ) -> StrategyResult[Any]:
        """Build the result, emit the choice and the final event."""
        stopped_by = self.ledger.stopped_by  # read once: a shared ledger reads the run database
        self._raise_if_budget_raises(candidates, stopped_by)
        await self.emit_branch("choose", chosen.branch_id, chosen.score, reason)
        stop_reason = stopped_by or chosen.stop_reason or "final"
        used = self.ledger.used
        final = FinalResultEvent(run_id=self.root_id, output=chosen.output, stop_reason=stop_reason, usage=used)
        await self.emit(final)
        return StrategyResult(
            output=chosen.output,
            usage=used,
            messages=chosen.messages,
            stop_reason=stop_reason,
            run_id=self.root_id,
            new_message_index=len(self.history),
            events=self.events,
            extra=self._extra(candidates, chosen, reason, votes),
            strategy=self.name,
            candidates=candidates,
            chosen=candidates.index(chosen),
            reason=reason,
            votes=list(votes),
        )

    def _extra(
        self, candidates: list[Candidate], chosen: Candidate, reason: str, votes: Sequence[Vote]
    ) -> dict[str, Any]:
        return {
            "strategy": self.name,
            "candidates": candidates,
            "chosen": candidates.index(chosen),
            "reason": reason,
            "votes": list(votes),
            "tool_cache": {"hits": self.cache.hits, "misses": self.cache.misses},
            "peak_in_flight": self.ledger.peak_in_flight,
        }

    def no_answer(self, candidates: list[Candidate], fix: str) -> AgentkitError:
        """The error for a strategy none of whose branches answered."""
        limit = self.ledger.stopped_by
        self._raise_if_budget_raises(candidates, limit)
        counts = Counter(c.status for c in candidates)
        summary = ", ".join(f"{n} {status}" for status, n in counts.items())
        message = f"{self.name}: no branch produced an answer ({summary})."
        failed = next((c for c in candidates if c.error and c.status == "failed"), None)
        if failed is not None:
            message += f" First error (branch {failed.branch_id}): {failed.error}"
        if limit is not None:
            fix = f"The shared budget limit {limit!r} stopped branches: raise it or use fewer branches. {fix}"
        return NoCandidateError(f"{message}\n{fix}", candidates)

    def _raise_if_budget_raises(self, candidates: list[Candidate], limit: LimitName | None) -> None:
        if limit is not None and self.budget is not None and self.budget.on_exceeded == "raise":
            best = next((c for c in candidates if c.messages), None)
            detail = f"The {self.name} strategy stopped its branches there (Budget(on_exceeded='raise'))."
            raise BudgetExceeded(limit, self.ledger.used, best.messages if best else [], detail)

    # --- stepping --------------------------------------------------------------------------------

    def fork(self, run: AgentRun[Any], branch_id: str) -> AgentRun[Any]:
        """A copy of ``run`` at its current node that continues as branch ``branch_id``."""
        return run.fork(run_id=f"{self.root_id}:{branch_id}", emit=self.sink_for(branch_id))


async def whole_run(session: Session, index: int) -> Candidate:
    """The simplest branch: one complete run of the agent (a picklable :data:`BranchFn`)."""
    return await session.run_whole(index)


async def gather_branches(coros: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Run branch coroutines concurrently; if one raises, cancel the others and re-raise that error."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
