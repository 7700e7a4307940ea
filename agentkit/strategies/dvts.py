"""Diverse verifier tree search (DVTS): independent greedy searches over agent steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentkit.agent import Agent, RunOptions
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.strategies._select import AnswerKey, default_key
from agentkit.strategies._session import Session, StrategyConfig, gather_branches
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies._tree import Path, Search, check_search_args
from agentkit.strategies.result import StrategyResult
from agentkit.strategies.step_scorers import Aggregate, StepScorerLike, as_step_scorer

__all__ = ["DVTS"]


class DVTS:
    """``subtrees`` independent searches, each expanding its one current branch into ``width`` steps.

    Splitting the compute into independent subtrees keeps the answers diverse where one beam search
    would collapse onto a few prefixes. In each subtree, every step expands the current branch into
    ``width`` continuations, scores them (``step_scorer``, aggregated by ``aggregate``) and keeps the
    best one; the subtree ends when that one has answered, or after ``max_steps`` steps. While every
    subtree goes on, each step costs exactly ``subtrees * width`` model requests.

    The answer is the subtree answer with the best score (``weighted=True``: summed per answer).
    """

    name = "dvts"

    def __init__(
        self,
        subtrees: int = 4,
        width: int = 4,
        *,
        step_scorer: StepScorerLike,
        aggregate: Aggregate = "last",
        max_steps: int = 10,
        weighted: bool = False,
        key: AnswerKey | None = None,
        concurrency: int | None = None,
        tools: ToolPolicy | None = None,
    ) -> None:
        check_search_args(self.name, subtrees=subtrees, width=width, max_steps=max_steps, aggregate=aggregate)
        self.subtrees = subtrees
        self.width = width
        self.scorer = as_step_scorer(step_scorer)
        self.aggregate = aggregate
        self.max_steps = max_steps
        self.weighted = weighted
        self.key = key or default_key
        self.config = StrategyConfig(concurrency, tools or ToolPolicy())

    async def run(
        self,
        agent: Agent[Any, Any],
        prompt: str,
        *,
        deps: Any,
        message_history: Sequence[ModelRequest | ModelResponse] | None,
        options: RunOptions,
    ) -> StrategyResult[Any]:
        """Run the subtrees concurrently, then choose among their answers."""
        session = Session(
            self.name, agent, prompt, deps=deps, history=message_history, options=options, config=self.config
        )
        search = Search(session, self.scorer, self.aggregate)
        async with agent.iter(
            prompt, deps=deps, message_history=message_history, options=session.options_for("root")
        ) as run:
            await gather_branches([self._subtree(search, Path(run, f"t{s}")) for s in range(self.subtrees)])
        choice = search.choose(self.weighted, self.key)
        if choice is None:
            raise session.no_answer(search.candidates, f"Raise max_steps (now {self.max_steps}) or the budget.")
        (chosen, reason), votes = choice
        return await session.finish(search.candidates, chosen, reason, votes)

    async def _subtree(self, search: Search, current: Path) -> None:
        for _ in range(self.max_steps):
            children = await search.expand(current, self.width)
            kept, pruned = search.top(children, 1)
            await search.prune(pruned)
            if not kept:
                return
            current = kept[0]
            if current.finished:
                search.record(current, "finished")
                return
        search.record(current, "unfinished")
