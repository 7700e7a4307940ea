"""Measured accuracy of Best-of-N and self-consistency against their predictions (500 seeded problems).

The solver answers each request correctly with probability p, independently. With a perfect verifier
Best-of-N is right when any of its N runs is: 1 - (1 - p)^N. Majority voting with one possible wrong
answer and odd k is right when more than k/2 runs are: a binomial tail. With several wrong answers
the prediction is an exact sum over all answer sequences using the stated rule (most votes; a tie goes
to the answer seen first in branch order). Each measured accuracy must be within 2 sigma
(sigma = sqrt(P(1-P)/500)) of its prediction.

Everything derives from SEED (0, the first seed tried). At 2 sigma about one seed in twenty fails a
given check by chance; with seeds 0-3 the largest |z| over the six checks was 1.76, 1.17, 2.08, 2.10.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random

import pytest

from agentkit import Agent
from agentkit.strategies import BestOfN, SelfConsistency

from ._models import NoisySolver, Problem, make_problems

PROBLEMS = 500
SEED = 0


def within_two_sigma(measured: float, predicted: float) -> None:
    sigma = math.sqrt(predicted * (1 - predicted) / PROBLEMS)
    assert abs(measured - predicted) <= 2 * sigma, f"measured {measured:.4f}, predicted {predicted:.4f} ± {sigma:.4f}"


async def accuracy(agent: Agent[None, int], problems: list[Problem], strategy_for: object) -> float:
    results = await asyncio.gather(*(agent.run(p.prompt, strategy=strategy_for(p)) for p in problems))  # type: ignore[operator]
    return sum(r.output == p.answer for r, p in zip(results, problems, strict=True)) / len(problems)


@pytest.mark.parametrize("n", [1, 4, 8])
async def test_best_of_n_with_a_perfect_verifier_matches_one_minus_miss_probability(n: int) -> None:
    p = 0.3
    problems = make_problems(PROBLEMS, seed=SEED)
    solver = NoisySolver(problems, p, seed=SEED * 7919 + n)
    agent = Agent(solver.model, output_type=int)

    measured = await accuracy(agent, problems, lambda prob: BestOfN(n, verifier=lambda out, a=prob.answer: out == a))

    assert solver.calls == PROBLEMS * n
    within_two_sigma(solver.correct / solver.calls, p)  # the solver itself behaves as specified
    within_two_sigma(measured, 1 - (1 - p) ** n)


def majority_prediction(p: float, k: int) -> float:
    return sum(math.comb(k, j) * p**j * (1 - p) ** (k - j) for j in range(k // 2 + 1, k + 1))


@pytest.mark.parametrize("k", [3, 5])
async def test_majority_vote_with_one_wrong_answer_matches_the_binomial_prediction(k: int) -> None:
    p = 0.6
    problems = make_problems(PROBLEMS, seed=SEED)
    solver = NoisySolver(problems, p, seed=SEED * 7919 + 100 + k)
    agent = Agent(solver.model, output_type=int)

    measured = await accuracy(agent, problems, lambda prob: SelfConsistency(k))

    assert solver.calls == PROBLEMS * k
    within_two_sigma(measured, majority_prediction(p, k))


def plurality_prediction(p: float, k: int, wrong_answers: int) -> float:
    """Exact P(correct) for 'most votes wins, ties to the first seen' over every answer sequence."""
    q = (1 - p) / wrong_answers
    total = 0.0
    for seq in itertools.product(range(wrong_answers + 1), repeat=k):  # 0 is the right answer
        counts = {a: seq.count(a) for a in seq}
        best = max(counts.values())
        winner = next(a for a in seq if counts[a] == best)
        if winner == 0:
            total += math.prod(p if a == 0 else q for a in seq)
    return total


@pytest.mark.parametrize("k", [4])
async def test_plurality_vote_with_several_wrong_answers_matches_the_exact_prediction(k: int) -> None:
    p, wrong_answers = 0.4, 3
    problems = make_problems(PROBLEMS, seed=SEED)

    def wrong(answer: int, rng: random.Random) -> int:
        return answer + rng.randint(1, wrong_answers)

    solver = NoisySolver(problems, p, seed=SEED * 7919 + 200 + k, wrong=wrong)
    agent = Agent(solver.model, output_type=int)

    measured = await accuracy(agent, problems, lambda prob: SelfConsistency(k))

    predicted = plurality_prediction(p, k, wrong_answers)
    assert predicted > p + 0.05  # voting helps here, so a strategy returning any one run would fail
    within_two_sigma(measured, predicted)
