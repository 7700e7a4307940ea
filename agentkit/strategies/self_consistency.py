"""Self-consistency (Wang et al. 2022): k independent runs, majority vote over their answers."""

from __future__ import annotations

from typing import Any

from agentkit.exceptions import UserError
from agentkit.strategies._select import AnswerKey, default_key, majority_scored
from agentkit.strategies._session import Session, StrategyConfig, whole_run
from agentkit.strategies._strategy import SessionStrategy
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies.result import StrategyResult

__all__ = ["SelfConsistency"]


class SelfConsistency(SessionStrategy):
    """Run the agent ``k`` times and return the answer given most often.

    Answers are compared on the validated typed output (``output_type=int`` already makes ``"42"`` and
    ``" 42"`` the same answer); ``key`` normalises further (``key=lambda s: s.strip().lower()``). A tie
    goes to the answer whose first candidate has the lowest branch index. ``result.votes`` holds every
    answer's count and share; each candidate's ``score`` is its answer's vote share.
    """

    name = "self_consistency"

    def __init__(
        self,
        k: int,
        *,
        key: AnswerKey | None = None,
        concurrency: int | None = None,
        tools: ToolPolicy | None = None,
    ) -> None:
        if k < 1:
            raise UserError(f"SelfConsistency needs k >= 1 runs, got {k}.")
        self.k = k
        self.key = key or default_key
        self.config = StrategyConfig(concurrency, tools or ToolPolicy())

    async def _run(self, session: Session) -> StrategyResult[Any]:
        """Run the branches and count the votes."""
        candidates = await session.branches(whole_run, range(self.k))
        finished = [c for c in candidates if c.finished]
        if not finished:
            raise session.no_answer(candidates, "See the error's .candidates for every branch, or raise k.")
        (chosen, reason), votes = majority_scored(finished, self.key)
        return await session.finish(candidates, chosen, reason, votes)
