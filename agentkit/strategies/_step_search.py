"""What beam search and DVTS share: their settings, the root run, and choosing among the answers."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from agentkit.agent import AgentRun
from agentkit.strategies._select import AnswerKey, default_key
from agentkit.strategies._session import Session, StrategyConfig
from agentkit.strategies._strategy import SessionStrategy
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies._tree import Search
from agentkit.strategies.result import StrategyResult
from agentkit.strategies.step_scorers import Aggregate, StepScorerLike, as_step_scorer

__all__ = ["StepSearch"]


class StepSearch(SessionStrategy):
    """A search over agent steps: expand from the root run, score steps, choose a finished answer."""

    durable = False  # its steps run concurrently inside one run: a replay could not number them the same way

    def __init__(
        self,
        *,
        step_scorer: StepScorerLike,
        aggregate: Aggregate,
        max_steps: int,
        weighted: bool,
        key: AnswerKey | None,
        concurrency: int | None,
        tools: ToolPolicy | None,
    ) -> None:
        self.scorer = as_step_scorer(step_scorer)
        self.aggregate = aggregate
        self.max_steps = max_steps
        self.weighted = weighted
        self.key = key or default_key
        self.config = StrategyConfig(concurrency, tools or ToolPolicy())

    async def _run(self, session: Session) -> StrategyResult[Any]:
        """Search from the root run, then choose among the finished branches."""
        search = Search(session, self.scorer, self.aggregate)
        async with session.agent.iter(
            session.prompt, deps=session.deps, message_history=session.history, options=session.options_for("root")
        ) as run:
            await self._explore(search, run)
        choice = search.choose(self.weighted, self.key)
        if choice is None:
            raise session.no_answer(search.candidates, f"Raise max_steps (now {self.max_steps}) or the budget.")
        (chosen, reason), votes = choice
        return await session.finish(search.candidates, chosen, reason, votes)

    @abstractmethod
    async def _explore(self, search: Search, root: AgentRun[Any]) -> None:
        """Grow the tree from ``root`` (the root :class:`~agentkit.agent.AgentRun`)."""
