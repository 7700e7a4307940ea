"""Compute-optimal allocation: spend a dataset's budget of model calls where the vote is least settled.

Uniform self-consistency gives every case the same number of samples, though an easy case is settled
after two equal answers and a hard one is still split after eight. :class:`ComputeOptimal` spends a
fixed total instead: ``first`` samples per case estimate each case's difficulty, then the rest go, wave
by wave, to the cases whose vote is least settled (Snell et al. 2024 allocate by difficulty the same
way). "Settled" is the Beta posterior of Adaptive-Consistency: with ``a`` votes for the leading answer
and ``b`` for the runner-up, ``P(leader) = P(p > 1/2)`` for ``p ~ Beta(a + 1, b + 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from agentkit.exceptions import UserError
from agentkit.strategies._posterior import leader_confidence
from agentkit.strategies._select import AnswerKey

__all__ = ["ComputeOptimal", "least_settled"]


@dataclass(frozen=True)
class ComputeOptimal:
    """Spend ``total_calls`` model calls over a dataset, more where the vote is least settled.

    Every case first gets ``first`` samples (plain runs of the agent). Then, in waves of ``wave``
    samples (default: a quarter of the cases, at least 1), one more sample goes to each of the ``wave``
    cases with the lowest ``P(leader)`` (fewest samples, then dataset order, break ties), until the calls
    are spent; ``max_per_case`` caps one case's samples. A case's answer is the majority of its samples
    (ties to the answer seen first), compared by ``key`` (default: the typed output's JSON).

    Calls are counted as they are sent, so the total is never exceeded: with agents that take several
    calls per sample, the last samples of the budget may be cut short (they are spent without a vote).
    Pass it as ``evaluate(..., allocation=ComputeOptimal(total_calls=...))``; it is reported beside the
    strategies under :attr:`label` (``optimal:800``), with each case's ``samples``.
    """

    total_calls: int
    first: int = 2
    wave: int | None = None
    max_per_case: int | None = None
    key: AnswerKey | None = None

    def __post_init__(self) -> None:
        if self.first < 1:
            raise UserError(f"ComputeOptimal needs first >= 1 samples per case to estimate it, got {self.first}.")
        if self.total_calls < 1:
            raise UserError(f"ComputeOptimal needs total_calls >= 1, got {self.total_calls}.")
        if self.wave is not None and self.wave < 1:
            raise UserError(
                f"ComputeOptimal needs wave >= 1 samples at once (or None for a quarter of the cases), got {self.wave}."
            )
        if self.max_per_case is not None and self.max_per_case < self.first:
            raise UserError(
                f"ComputeOptimal needs max_per_case >= first, got max_per_case={self.max_per_case} with "
                f"first={self.first}."
            )

    @property
    def label(self) -> str:
        """Its label in a report: ``optimal:<total_calls>``."""
        return f"optimal:{self.total_calls}"

    def check_fits(self, cases: int) -> None:
        """Raise :class:`UserError` when ``total_calls`` can't give every case its first samples."""
        needed = self.first * cases
        if self.total_calls < needed:
            raise UserError(
                f"ComputeOptimal(total_calls={self.total_calls}) can't give each of the {cases} cases its first "
                f"{self.first} samples ({needed} calls): raise total_calls to at least {needed} or lower first."
            )

    def wave_size(self, cases: int) -> int:
        """Samples per wave after the first round."""
        return self.wave if self.wave is not None else max(1, math.ceil(cases / 4))


def confidence_of(answers: Sequence[Hashable]) -> float:
    """``P(leader)`` of a vote over ``answers`` (one hashable key per finished sample)."""
    counts = [*sorted((answers.count(a) for a in set(answers)), reverse=True), 0, 0]
    return leader_confidence(counts[0], counts[1])


def least_settled(votes: Sequence[Sequence[Hashable]], spent: Sequence[int], size: int, cap: int | None) -> list[int]:
    """The (at most ``size``) cases to sample next: lowest ``P(leader)``, then fewest samples, then first.

    ``votes[i]`` are case ``i``'s answer keys, ``spent[i]`` its samples (failed ones included); cases
    with ``cap`` samples are done.
    """
    open_cases = [i for i in range(len(votes)) if cap is None or spent[i] < cap]
    ranked = sorted(open_cases, key=lambda i: (confidence_of(votes[i]), spent[i], i))
    return ranked[:size]
