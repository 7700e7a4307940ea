"""Adaptive-Consistency (Aggarwal et al. 2023): self-consistency that stops sampling once the vote is settled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentkit.exceptions import UserError
from agentkit.strategies._posterior import leader_confidence, samples_needed
from agentkit.strategies._select import AnswerKey, default_key, majority_scored, votes_of
from agentkit.strategies._session import Session, StrategyConfig, whole_run
from agentkit.strategies._strategy import SessionStrategy
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies.result import Candidate, StrategyResult

__all__ = ["AdaptiveConsistency"]


@dataclass(frozen=True)
class _Tally:
    """The vote after some samples: how many were drawn, the top two counts and the confidence."""

    drawn: int
    top: int
    second: int

    @classmethod
    def of(cls, candidates: list[Candidate], key: AnswerKey) -> _Tally:
        counts = sorted((v.count for v in votes_of([c for c in candidates if c.finished], key)), reverse=True)
        counts += [0, 0]
        return cls(len(candidates), counts[0], counts[1])

    @property
    def confidence(self) -> float:
        return leader_confidence(self.top, self.second)


class AdaptiveConsistency(SessionStrategy):
    """Majority vote like :class:`SelfConsistency`, drawing samples only until the leading answer is settled.

    After each wave of samples the vote is tested with the Beta stopping rule of Adaptive-Consistency
    (Aggarwal et al. 2023): with ``a`` votes for the leading answer and ``b`` for the runner-up, the
    leader's share of the two has the posterior ``Beta(a + 1, b + 1)``, and sampling stops once the
    probability that this share exceeds 1/2 (``P(leader)``) is at least ``threshold`` — or after
    ``max_n`` samples. Three equal answers give ``P(leader) = 1 - 1/16 = 0.9375``, so at the default
    threshold 0.9 an easy problem costs 3 samples (4 at ``threshold=0.95``: ``1 - 1/32 = 0.969``). On a
    seeded mix of easy and hard problems the default spends 59 % of ``SelfConsistency(max_n)``'s calls at
    the same accuracy (0.95: 69 %).

    A wave draws at most ``wave`` samples in parallel, and never more than the rule could need: if
    ``m`` more votes for the leader are the fewest that could reach the threshold, the wave draws
    ``min(wave, m)``. So the samples spent are exactly those of testing after every single sample,
    whatever ``wave`` is; a larger ``wave`` only lowers the latency. ``min_n`` samples are drawn before
    the first test. Failed branches spend a sample without voting; a branch the shared budget stops
    ends the sampling.

    ``result.votes`` holds every answer's count and share; ``result.extra`` adds ``samples`` (branches
    run), ``waves`` (their sizes), ``confidence`` (``P(leader)`` at the stop) and ``stopped_early``
    (the rule stopped before ``max_n``). Ties go to the answer seen first, as in self-consistency.
    """

    name = "adaptive_consistency"

    def __init__(
        self,
        max_n: int = 16,
        *,
        threshold: float = 0.9,
        wave: int = 4,
        min_n: int = 1,
        key: AnswerKey | None = None,
        concurrency: int | None = None,
        tools: ToolPolicy | None = None,
    ) -> None:
        _check_arguments(max_n, threshold, wave, min_n)
        self.max_n = max_n
        self.threshold = threshold
        self.wave = wave
        self.min_n = min_n
        self.key = key or default_key
        self.config = StrategyConfig(concurrency, tools or ToolPolicy())

    async def _run(self, session: Session) -> StrategyResult[Any]:
        """Draw waves until the vote is settled, ``max_n`` is reached or the budget stops a branch."""
        candidates: list[Candidate] = []
        waves: list[int] = []
        tally = _Tally(0, 0, 0)
        while (size := self._next_wave(tally, session)) > 0:
            first = len(candidates)
            candidates += await session.branches(whole_run, range(first, first + size))
            waves.append(size)
            tally = _Tally.of(candidates, self.key)
        return await self._choose(session, candidates, tally, waves)

    def _settled(self, tally: _Tally) -> bool:
        return tally.drawn >= self.min_n and tally.confidence >= self.threshold

    def _next_wave(self, tally: _Tally, session: Session) -> int:
        """How many samples to draw next; 0 to stop."""
        left = self.max_n - tally.drawn
        if self._settled(tally) or left <= 0 or session.ledger.stopped_by is not None:
            return 0
        needed = samples_needed(tally.top, tally.second, self.threshold, left)
        if needed is None:  # the rule can't pass within max_n: every sample left is drawn anyway
            needed = left
        return min(self.wave, max(self.min_n - tally.drawn, needed), left)

    async def _choose(
        self, session: Session, candidates: list[Candidate], tally: _Tally, waves: list[int]
    ) -> StrategyResult[Any]:
        finished = [c for c in candidates if c.finished]
        if not finished:
            raise session.no_answer(candidates, "See the error's .candidates for every branch, or raise max_n.")
        (chosen, reason), votes = majority_scored(finished, self.key)
        reason = f"{reason}; {self._why_stopped(tally, session)}"
        result = await session.finish(candidates, chosen, reason, votes)
        result.extra.update(
            samples=tally.drawn,
            waves=waves,
            confidence=tally.confidence,
            stopped_early=self._settled(tally) and tally.drawn < self.max_n,
        )
        return result

    def _why_stopped(self, tally: _Tally, session: Session) -> str:
        belief = f"P(leader) = {tally.confidence:.3f}"
        if self._settled(tally):
            return f"stopped after {tally.drawn} of {self.max_n} samples: {belief} >= {self.threshold}"
        limit = session.ledger.stopped_by
        if limit is not None:
            return f"the budget limit {limit!r} stopped sampling after {tally.drawn} of {self.max_n} samples: {belief}"
        return f"drew all {self.max_n} samples: {belief} < {self.threshold}"


def _check_arguments(max_n: int, threshold: float, wave: int, min_n: int) -> None:
    if max_n < 1:
        raise UserError(f"AdaptiveConsistency needs max_n >= 1 samples, got {max_n}.")
    if not 0.5 < threshold < 1:
        raise UserError(
            f"AdaptiveConsistency needs 0.5 < threshold < 1 (the probability that the leading answer beats the "
            f"runner-up), got {threshold}. For a fixed number of samples use SelfConsistency(k)."
        )
    if wave < 1:
        raise UserError(f"AdaptiveConsistency needs wave >= 1 samples drawn at once, got {wave}.")
    if not 1 <= min_n <= max_n:
        raise UserError(f"AdaptiveConsistency needs 1 <= min_n <= max_n, got min_n={min_n} with max_n={max_n}.")
