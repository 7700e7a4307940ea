"""Best-of-N: n independent runs in parallel, one chosen by a verifier."""

from __future__ import annotations

from typing import Any

from agentkit.exceptions import UserError
from agentkit.strategies._select import AnswerKey, best_scored, default_key, weighted_best
from agentkit.strategies._session import Session, StrategyConfig, gather_branches
from agentkit.strategies._strategy import SessionStrategy
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies.result import Candidate, StrategyResult
from agentkit.strategies.verifiers import VerifierLike, as_verifier

__all__ = ["BestOfN"]


class BestOfN(SessionStrategy):
    """Run the agent ``n`` times independently and return the run the verifier scores highest.

    With ``weighted=True`` the scores of candidates with the same answer (``key``, default: equal
    validated outputs) are summed and the answer with the highest sum wins ("weighted Best-of-N").
    Ties go to the earliest branch. Every candidate is kept in ``result.candidates``.

    >>> agent.run_sync(task, strategy=BestOfN(8, verifier=lambda out: check(out)))  # doctest: +SKIP
    """

    name = "best_of_n"

    def __init__(
        self,
        n: int,
        *,
        verifier: VerifierLike,
        weighted: bool = False,
        key: AnswerKey | None = None,
        concurrency: int | None = None,
        tools: ToolPolicy | None = None,
    ) -> None:
        if n < 1:
            raise UserError(f"BestOfN needs n >= 1 runs, got {n}.")
        self.n = n
        self.verifier = as_verifier(verifier)
        self.weighted = weighted
        self.key = key or default_key
        self.config = StrategyConfig(concurrency, tools or ToolPolicy())

    async def _run(self, session: Session) -> StrategyResult[Any]:
        """Run the branches, verify each as soon as it finishes, choose."""
        candidates = await gather_branches([self._branch(session, i) for i in range(self.n)])
        finished = [c for c in candidates if c.finished]
        if not finished:
            raise session.no_answer(candidates, "See the error's .candidates for every branch, or raise n.")
        if self.weighted:
            (chosen, reason), votes = weighted_best(finished, self.key)
            return await session.finish(candidates, chosen, reason, votes)
        chosen, reason = best_scored(finished, of=len(finished))
        return await session.finish(candidates, chosen, reason)

    async def _branch(self, session: Session, index: int) -> Candidate:
        candidate = await session.run_whole(index)
        if candidate.finished:
            await session.verify(candidate, self.verifier)
        return candidate
