"""Best-of-N: n independent runs in parallel, one chosen by a verifier."""

from __future__ import annotations

from typing import Any

from agentkit.exceptions import UserError
from agentkit.strategies._race import first_accepted, in_waves
from agentkit.strategies._select import AnswerKey, best_scored, default_key, weighted_best
from agentkit.strategies._session import Session, StrategyConfig
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

    With ``early_stop=True`` the first candidate the verifier *passes* (``Verdict.passed``: a ``True``
    from a function, a score at or above a ``FunctionVerifier``'s ``threshold``, every test of a
    ``TestsVerifier``) is returned at once. Branches then start in index order, at most ``concurrency``
    at a time (all ``n`` when ``None``); of branches that end together the lowest index is looked at
    first; the branches still running are cancelled and the rest never start (both ``"stopped"``).
    Without a limit on ``concurrency`` every branch starts at once, so the saving is in latency and
    later turns only. If no candidate passes, the choice is the usual one over all ``n``. In a durable
    run (``agent.start``) the branches go in whole waves of ``concurrency`` child runs instead, nothing
    cancelled, so that a replay takes the same steps.

    >>> agent.run_sync(task, strategy=BestOfN(8, verifier=lambda out: check(out)))  # doctest: +SKIP
    """

    name = "best_of_n"

    def __init__(
        self,
        n: int,
        *,
        verifier: VerifierLike,
        weighted: bool = False,
        early_stop: bool = False,
        key: AnswerKey | None = None,
        concurrency: int | None = None,
        tools: ToolPolicy | None = None,
    ) -> None:
        if n < 1:
            raise UserError(f"BestOfN needs n >= 1 runs, got {n}.")
        if early_stop and weighted:
            raise UserError(
                "BestOfN(early_stop=True) returns the first candidate the verifier passes, so it can't also sum "
                "scores over all candidates (weighted=True): choose one of the two."
            )
        self.n = n
        self.verifier = as_verifier(verifier)
        self.weighted = weighted
        self.early_stop = early_stop
        self.key = key or default_key
        self.config = StrategyConfig(concurrency, tools or ToolPolicy())

    async def _run(self, session: Session) -> StrategyResult[Any]:
        """Run the branches, verify each as soon as it finishes, choose."""
        if self.early_stop:
            return await self._run_until_passed(session)
        candidates = await session.branches(self._branch, range(self.n))
        return await self._choose(session, candidates)

    async def _choose(self, session: Session, candidates: list[Candidate]) -> StrategyResult[Any]:
        finished = [c for c in candidates if c.finished]
        if not finished:
            raise session.no_answer(candidates, "See the error's .candidates for every branch, or raise n.")
        if self.weighted:
            (chosen, reason), votes = weighted_best(finished, self.key)
            return await session.finish(candidates, chosen, reason, votes)
        chosen, reason = best_scored(finished, of=len(finished))
        return await session.finish(candidates, chosen, reason)

    async def _run_until_passed(self, session: Session) -> StrategyResult[Any]:
        window = self.config.concurrency or self.n
        if session.executor is None:
            race = await first_accepted(self.n, window, lambda i: self._branch(session, i), _passed)
        else:  # durable child runs: whole waves, so that a replay takes the same steps
            race = await in_waves(self.n, window, lambda indices: session.branches(self._branch, indices), _passed)
        for index in race.cancelled:
            await session.emit_branch("prune", str(index), detail="cancelled: another branch passed (early_stop)")
        if race.winner is None:
            return await self._choose(session, race.candidates)
        reason = (
            f"branch {race.winner.branch_id} passed the verifier first (score {race.winner.score:.3g}); early stop "
            f"after {race.started} of {self.n} branches started, {len(race.cancelled)} of them cancelled"
        )
        return await session.finish(race.candidates, race.winner, reason)

    async def _branch(self, session: Session, index: int) -> Candidate:
        candidate = await session.run_whole(index)
        if candidate.finished:
            verdict = await session.verify(candidate, self.verifier)
            candidate.passed = verdict.passed if verdict is not None else None
        return candidate


def _passed(candidate: Candidate) -> bool:
    return candidate.passed is True
