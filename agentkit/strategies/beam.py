"""Beam search over agent steps, guided by a process-reward-style step scorer."""

from __future__ import annotations

from typing import Any

from agentkit.agent import AgentRun
from agentkit.strategies._select import AnswerKey
from agentkit.strategies._step_search import StepSearch
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies._tree import Path, Search, check_search_args
from agentkit.strategies.step_scorers import Aggregate, StepScorerLike

__all__ = ["BeamSearch"]


class BeamSearch(StepSearch):
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
        super().__init__(
            step_scorer=step_scorer,
            aggregate=aggregate,
            max_steps=max_steps,
            weighted=weighted,
            key=key,
            concurrency=concurrency,
            tools=tools,
        )
        self.width = width
        self.beams = beams

    async def _explore(self, search: Search, root: AgentRun[Any]) -> None:
        await self._search(search, Path(root, ""))

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
