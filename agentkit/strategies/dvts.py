"""Diverse verifier tree search (DVTS): independent greedy searches over agent steps."""

from __future__ import annotations

from typing import Any

from agentkit.agent import AgentRun
from agentkit.strategies._select import AnswerKey
from agentkit.strategies._session import gather_branches
from agentkit.strategies._step_search import StepSearch
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies._tree import Path, Search, check_search_args
from agentkit.strategies.step_scorers import Aggregate, StepScorerLike

__all__ = ["DVTS"]


class DVTS(StepSearch):
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
        super().__init__(
            step_scorer=step_scorer,
            aggregate=aggregate,
            max_steps=max_steps,
            weighted=weighted,
            key=key,
            concurrency=concurrency,
            tools=tools,
        )
        self.subtrees = subtrees
        self.width = width

    async def _explore(self, search: Search, root: AgentRun[Any]) -> None:
        await gather_branches([self._subtree(search, Path(root, f"t{s}")) for s in range(self.subtrees)])

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
