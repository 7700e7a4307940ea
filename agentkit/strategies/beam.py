"""Beam search over agent steps, guided by a process-reward-style step scorer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentkit.agent import Agent, RunOptions
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.strategies._select import AnswerKey, default_key
from agentkit.strategies._session import Session, StrategyConfig
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies._tree import Path, Search, check_search_args
from agentkit.strategies.result import StrategyResult
from agentkit.strategies.step_scorers import Aggregate, StepScorerLike, as_step_scorer

__all__ = ["BeamSearch"]


class BeamSearch:
    """Keep the ``beams`` best partial runs; at every step expand each into ``width`` continuations.

    The first step samples ``beams * width`` continuations of the prompt; each later step expands
    every unfinished kept beam into ``width`` continuations. All children are scored (``step_scorer``
    on the latest step, aggregated over the branch's steps by ``aggregate``) and the ``beams`` best
    are kept; kept beams that answered are finished, the others go on. The search ends when no beam
    is left unfinished, or after ``max_steps`` steps. While every beam goes on, each step costs
    exactly ``beams * width`` model requests (and as many step scores).

    The answer is the finished beam with the best score (``weighted=True``: the answer whose finished
    beams have the highest summed score).
    """

    name = "beam_search"

    def __init__(
        self,
        width: int = 4,
        beams: int = 4,
        *,
        step_scorer: StepScorerLike,
        aggregate: Aggregate = "last",
        max_steps: int = 10,
        weighted: bool = False,
        key: AnswerKey | None = None,
        concurrency: int | None = None,
        tools: ToolPolicy | None = None,
    ) -> None:
        check_search_args(self.name, width=width, beams=beams, max_steps=max_steps, aggregate=aggregate)
        self.width = width
        self.beams = beams
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
        """Search, then choose among the finished beams."""
        session = Session(
            self.name, agent, prompt, deps=deps, history=message_history, options=options, config=self.config
        )
        search = Search(session, self.scorer, self.aggregate)
        async with agent.iter(
            prompt, deps=deps, message_history=message_history, options=session.options_for("root")
        ) as run:
            await self._search(search, Path(run, ""))
        choice = search.choose(self.weighted, self.key)
        if choice is None:
            raise session.no_answer(search.candidates, f"Raise max_steps (now {self.max_steps}) or the budget.")
        (chosen, reason), votes = choice
        return await session.finish(search.candidates, chosen, reason, votes)

    async def _search(self, search: Search, root: Path) -> None:
        frontier = [root]
        for depth in range(self.max_steps):
            width = self.width * self.beams if depth == 0 else self.width
            children = await search.expand_all(frontier, width)
            kept, pruned = search.top(children, self.beams)
            await search.prune(pruned)
            for path in kept:
                if path.finished:
                    search.record(path, "finished")
            frontier = [path for path in kept if not path.finished]
            if not frontier:
                return
        for path in frontier:
            search.record(path, "unfinished")
