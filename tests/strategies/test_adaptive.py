"""Adaptive-Consistency: the Beta stopping rule, the samples it spends, and its accuracy against fixed voting.

The rule's arithmetic (exact binomial sums) is checked against numeric integration of the Beta
density; the seeded experiment is checked against an independent simulation that integrates the
posterior numerically and tests after every single sample.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import pickle
import random
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from agentkit import Agent, Budget, BudgetExceeded, RunOptions
from agentkit.events import StrategyBranch
from agentkit.exceptions import UserError
from agentkit.strategies import AdaptiveConsistency, NoCandidateError, SelfConsistency, StrategyResult
from agentkit.strategies._posterior import beta_cdf, leader_confidence, samples_needed
from agentkit.testing import FunctionModel, call, text

from ._models import Messages, Problem, WaveRecorder, make_problems, problem_id

# --- the Beta tail ------------------------------------------------------------------------------------


def integrate(f: Callable[[float], float], lo: float, hi: float, steps: int = 4000) -> float:
    """Simpson's rule."""
    h = (hi - lo) / steps
    inner = sum((4 if i % 2 else 2) * f(lo + i * h) for i in range(1, steps))
    return (f(lo) + f(hi) + inner) * h / 3


def beta_cdf_by_integration(x: float, a: int, b: int) -> float:
    density = lambda t: t ** (a - 1) * (1 - t) ** (b - 1)  # noqa: E731
    return integrate(density, 0.0, x) / integrate(density, 0.0, 1.0)


@pytest.mark.parametrize(
    ("x", "a", "b"), [(0.5, 1, 1), (0.3, 2, 5), (0.5, 5, 2), (0.9, 7, 3), (0.1, 1, 9), (0.5, 12, 11), (0.75, 20, 4)]
)
def test_beta_cdf_matches_numeric_integration(x: float, a: int, b: int) -> None:
    assert beta_cdf(x, a, b) == pytest.approx(beta_cdf_by_integration(x, a, b), abs=1e-9)


def test_beta_cdf_known_values() -> None:
    assert beta_cdf(0.5, 3, 3) == 0.5
    assert beta_cdf(0.3, 1, 1) == 0.3
    assert beta_cdf(0.25, 3, 1) == 0.25**3
    assert beta_cdf(0.25, 1, 2) == 1 - 0.75**2
    assert beta_cdf(0.0, 2, 2) == 0.0
    assert beta_cdf(1.0, 2, 2) == 1.0
    # large counts: no overflow, and the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) holds
    assert beta_cdf(0.5, 500, 500) == 0.5
    assert 0 < beta_cdf(0.5, 600, 400) < 1e-9
    assert beta_cdf(0.5, 600, 400) + beta_cdf(0.5, 400, 600) == pytest.approx(1.0, abs=1e-15)


def test_leader_confidence_is_the_beta_tail_above_one_half() -> None:
    assert leader_confidence(0, 0) == 0.5
    assert leader_confidence(3, 0) == 15 / 16
    assert leader_confidence(4, 0) == 31 / 32  # four equal answers: 0.969 >= 0.95
    assert leader_confidence(6, 1) == float(1 - Fraction(9, 256))
    assert leader_confidence(5, 5) == 0.5
    for top, second in itertools.product(range(12), repeat=2):
        assert leader_confidence(top, second) == pytest.approx(1 - beta_cdf(0.5, top + 1, second + 1), abs=1e-15)


def test_samples_needed_is_the_fewest_votes_that_could_pass() -> None:
    assert samples_needed(0, 0, 0.95, 16) == 4
    assert samples_needed(0, 0, 0.9, 16) == 3
    assert samples_needed(3, 1, 0.95, 16) == 3  # (4,1): 0.891, (5,1): 0.938, (6,1): 0.965
    assert samples_needed(4, 0, 0.95, 16) == 0
    assert samples_needed(0, 0, 0.95, 3) is None


@pytest.mark.parametrize(
    ("call_", "message"),
    [
        (lambda: beta_cdf(0.5, 0, 2), "beta_cdf needs integer a >= 1 and b >= 1, got a=0, b=2."),
        (lambda: beta_cdf(1.5, 1, 2), "beta_cdf needs 0 <= x <= 1, got x=1.5."),
        (lambda: leader_confidence(-1, 0), "leader_confidence needs vote counts >= 0, got top=-1, second=0."),
    ],
)
def test_bad_beta_arguments(call_: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        call_()
    assert str(info.value) == message


# --- stopping on scripted answers ---------------------------------------------------------------------


def answering(*answers: object) -> FunctionModel:
    """Request i answers ``answers[i]`` (cycling) through the output tool; requests arrive in branch order."""
    it = itertools.cycle(answers)
    return FunctionModel(lambda messages, info: call("final_result", result=next(it)))


async def voted(agent: Agent[Any, Any], prompt: str, **kwargs: Any) -> StrategyResult[Any]:
    result = await agent.run(prompt, **kwargs)
    assert isinstance(result, StrategyResult)
    return result


def saying(*answers: str) -> FunctionModel:
    """Request i answers ``answers[i]`` (cycling) in text."""
    it = itertools.cycle(answers)
    return FunctionModel(lambda messages, info: text(next(it)))


async def test_four_equal_answers_stop_after_four_samples() -> None:
    model = answering(42)
    agent = Agent(model, output_type=int)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95, wave=2))

    assert result.output == 42
    assert len(model.requests) == 4
    assert (
        result.reason == "answer 42 won 4 of 4 votes (100%); stopped after 4 of 16 samples: P(leader) = 0.969 >= 0.95"
    )
    assert result.extra["samples"] == 4
    assert result.extra["waves"] == [2, 2]
    assert result.extra["confidence"] == 31 / 32
    assert result.extra["stopped_early"] is True
    assert [(v.output, v.count, v.share) for v in result.votes] == [(42, 4, 1.0)]
    branch_events = [(e.action, e.branch_id) for e in result.events if isinstance(e, StrategyBranch)]
    assert branch_events == [("start", "0"), ("start", "1"), ("start", "2"), ("start", "3"), ("choose", "0")]
    choose = [e for e in result.events if isinstance(e, StrategyBranch) and e.action == "choose"]
    assert choose[0].detail == result.reason


async def test_by_default_three_equal_answers_settle_the_vote() -> None:
    model = answering(42)
    agent = Agent(model, output_type=int)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(16))

    assert AdaptiveConsistency().threshold == 0.9
    assert len(model.requests) == 3
    assert result.extra["waves"] == [3]
    assert result.reason == "answer 42 won 3 of 3 votes (100%); stopped after 3 of 16 samples: P(leader) = 0.938 >= 0.9"


@pytest.mark.parametrize(("wave", "waves"), [(1, [1, 1, 1, 1]), (3, [3, 1]), (4, [4]), (16, [4])])
async def test_a_wave_never_draws_more_than_the_rule_could_need(wave: int, waves: list[int]) -> None:
    agent = Agent(answering(7), output_type=int)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95, wave=wave))

    assert result.extra["waves"] == waves
    assert result.extra["samples"] == 4


async def test_a_dissenting_answer_costs_three_more_samples() -> None:
    model = saying("A", "A", "B", "A", "A", "A", "A")
    agent = Agent(model)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95))

    # (3, 1) after the first wave of 4: P = 0.8125; (6, 1) is the first count to reach 0.95 (0.965)
    assert result.extra["waves"] == [4, 3]
    assert len(model.requests) == 7
    assert (
        result.reason == 'answer "A" won 6 of 7 votes (86%); stopped after 7 of 16 samples: P(leader) = 0.965 >= 0.95'
    )
    assert [c.score for c in result.candidates] == [6 / 7, 6 / 7, 1 / 7, 6 / 7, 6 / 7, 6 / 7, 6 / 7]


async def test_a_tied_vote_draws_max_n_and_goes_to_the_answer_seen_first() -> None:
    model = saying("B", "A")
    agent = Agent(model)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(6, threshold=0.95))

    assert len(model.requests) == 6
    assert result.output == "B"
    assert result.chosen == 0
    assert result.extra["waves"] == [4, 2]
    assert result.extra["stopped_early"] is False
    assert result.reason == 'answer "B" won 3 of 6 votes (50%); drew all 6 samples: P(leader) = 0.500 < 0.95'


@pytest.mark.parametrize("max_n", [1, 2, 3, 5, 9])
async def test_never_more_than_max_n_samples(max_n: int) -> None:
    model = answering(1, 2, 3)  # never settles
    agent = Agent(model, output_type=int)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(max_n, wave=4))

    assert len(model.requests) == max_n == result.extra["samples"] == len(result.candidates)


async def test_min_n_samples_come_before_the_first_test() -> None:
    agent = Agent(answering(42), output_type=int)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95, min_n=6))

    assert result.extra["waves"] == [4, 2]
    assert result.reason.endswith("stopped after 6 of 16 samples: P(leader) = 0.992 >= 0.95")


async def test_failed_samples_are_spent_without_voting() -> None:
    replies = iter([text(""), *[text("yes")] * 10])
    model = FunctionModel(lambda m, i: next(replies))
    agent = Agent(model, output_retries=0)

    result = await voted(agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95))

    assert [c.status for c in result.candidates] == ["failed", "finished", "finished", "finished", "finished"]
    assert result.extra["waves"] == [4, 1]  # (3, 0) after 4 samples, one more vote settles it
    assert sum(v.count for v in result.votes) == 4


async def test_no_answer_at_all_raises_with_the_fix() -> None:
    agent = Agent(FunctionModel(lambda m, i: text("")), output_retries=0)

    with pytest.raises(NoCandidateError) as info:
        await agent.run("go", strategy=AdaptiveConsistency(3))

    assert str(info.value).startswith("adaptive_consistency: no branch produced an answer (3 failed).")
    assert str(info.value).endswith("\nSee the error's .candidates for every branch, or raise max_n.")


# --- budget and concurrency ---------------------------------------------------------------------------


async def test_the_shared_budget_ends_the_sampling() -> None:
    model = answering(42)
    agent = Agent(model, output_type=int)

    result = await voted(agent, "go", budget=Budget(max_turns=3), strategy=AdaptiveConsistency(16, threshold=0.95))

    assert len(model.requests) == 3
    assert [c.status for c in result.candidates] == ["finished", "finished", "finished", "stopped"]
    assert result.stop_reason == "max_turns"
    assert result.reason == (
        "answer 42 won 3 of 3 votes (100%); the budget limit 'max_turns' stopped sampling after 4 of 16 samples: "
        "P(leader) = 0.938"
    )


async def test_a_raising_budget_raises() -> None:
    agent = Agent(answering(42), output_type=int)

    with pytest.raises(BudgetExceeded):
        await agent.run("go", budget=Budget(max_turns=2, on_exceeded="raise"), strategy=AdaptiveConsistency(16))


async def test_concurrency_caps_the_requests_in_flight() -> None:
    in_flight = peak = 0

    async def slow(messages: Messages, info: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        in_flight -= 1
        return call("final_result", result=5)

    agent = Agent(FunctionModel(slow), output_type=int)
    wide = await voted(agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95, wave=4))
    assert (peak, wide.extra["peak_in_flight"]) == (4, 4)

    peak = 0
    narrow = await voted(agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95, wave=4, concurrency=2))
    assert (peak, narrow.extra["peak_in_flight"]) == (2, 2)
    assert narrow.extra["samples"] == 4


# --- arguments ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_n": 0}, "AdaptiveConsistency needs max_n >= 1 samples, got 0."),
        (
            {"threshold": 0.5},
            "AdaptiveConsistency needs 0.5 < threshold < 1 (the probability that the leading answer beats the "
            "runner-up), got 0.5. For a fixed number of samples use SelfConsistency(k).",
        ),
        (
            {"threshold": 1.0},
            "AdaptiveConsistency needs 0.5 < threshold < 1 (the probability that the leading answer beats the "
            "runner-up), got 1.0. For a fixed number of samples use SelfConsistency(k).",
        ),
        ({"wave": 0}, "AdaptiveConsistency needs wave >= 1 samples drawn at once, got 0."),
        ({"min_n": 0}, "AdaptiveConsistency needs 1 <= min_n <= max_n, got min_n=0 with max_n=16."),
        ({"min_n": 17}, "AdaptiveConsistency needs 1 <= min_n <= max_n, got min_n=17 with max_n=16."),
        ({"concurrency": 0}, "concurrency must be >= 1 (or None for no limit), got 0."),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as info:
        AdaptiveConsistency(**kwargs)
    assert str(info.value) == message


# --- a seeded synthetic solver of mixed difficulty ----------------------------------------------------

DIFFICULTY = (0.3, 0.5, 0.7, 0.9)
"""Problem i is answered right with probability DIFFICULTY[i % 4]; wrong answers spread over 3 distractors."""
SEED = 0
CASES = 200


def draw(rng: random.Random, problem: Problem) -> int:
    """One sample: the right answer with the problem's probability, else one of three distractors."""
    if rng.random() < DIFFICULTY[problem.id % 4]:
        return problem.answer
    return problem.answer + rng.randint(1, 3)


class MixedSolver:
    """A FunctionModel sampling :func:`draw` from one seeded stream per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.calls = 0
        self.rngs: dict[int, random.Random] = {}
        self.model = FunctionModel(self.respond, name="mixed-solver")

    def respond(self, messages: Messages, info: Any) -> Any:
        pid = problem_id(messages)
        rng = self.rngs.setdefault(pid, random.Random(SEED * 1_000_003 + pid))
        self.calls += 1
        return call("final_result", result=draw(rng, self.problems[pid]))


@functools.cache
def posterior_above_half(top: int, second: int) -> float:
    """P(p > 1/2) for the density p^top (1 - p)^second, by numeric integration."""
    density = lambda t: t**top * (1 - t) ** second  # noqa: E731
    return integrate(density, 0.5, 1.0, 200) / integrate(density, 0.0, 1.0, 400)


def simulate(problem: Problem, threshold: float, max_n: int = 16) -> tuple[int, int]:
    """Independently of agentkit: test the Beta rule after every sample (numeric integration of the posterior).

    Returns (samples spent, answer chosen: most votes, ties to the answer seen first).
    """
    rng = random.Random(SEED * 1_000_003 + problem.id)
    answers: list[int] = []
    while len(answers) < max_n:
        answers.append(draw(rng, problem))
        counts = [*sorted(Counter(answers).values(), reverse=True), 0]
        if posterior_above_half(counts[0], counts[1]) >= threshold:
            break
    counts_of = Counter(answers)
    return len(answers), next(a for a in answers if counts_of[a] == max(counts_of.values()))


async def run_all(strategy: Callable[[], Any], problems: list[Problem]) -> tuple[list[Any], int]:
    solver = MixedSolver(problems)
    agent = Agent(solver.model, output_type=int)
    results = await asyncio.gather(*(agent.run(p.prompt, strategy=strategy()) for p in problems))
    return results, solver.calls


def correct(results: list[Any], problems: list[Problem]) -> int:
    return sum(r.output == p.answer for r, p in zip(results, problems, strict=True))


def mean_samples_by_difficulty(results: list[Any], problems: list[Problem]) -> dict[float, float]:
    spent: dict[float, list[int]] = {p: [] for p in DIFFICULTY}
    for result, problem in zip(results, problems, strict=True):
        spent[DIFFICULTY[problem.id % 4]].append(result.extra["samples"])
    return {p: sum(n) / len(n) for p, n in spent.items()}


async def test_fewer_samples_than_fixed_self_consistency_at_the_same_accuracy() -> None:
    problems = make_problems(CASES, seed=SEED)
    fixed, fixed_calls = await run_all(lambda: SelfConsistency(16), problems)
    default, default_calls = await run_all(lambda: AdaptiveConsistency(16), problems)
    stricter, stricter_calls = await run_all(lambda: AdaptiveConsistency(16, threshold=0.95), problems)

    # every problem has one seeded stream of answers, so each adaptive vote is a prefix of the fixed one
    assert (fixed_calls, correct(fixed, problems)) == (3200, 168)  # 84.0 %
    assert (default_calls, correct(default, problems)) == (1882, 168)  # 58.8 % of the calls, same accuracy
    assert (stricter_calls, correct(stricter, problems)) == (2222, 168)  # 69.4 % of the calls, same accuracy
    # hard problems rightly take (nearly) all 16 samples, easy ones about 4
    assert mean_samples_by_difficulty(default, problems) == {0.3: 14.26, 0.5: 11.92, 0.7: 7.02, 0.9: 4.44}
    assert mean_samples_by_difficulty(stricter, problems) == {0.3: 15.22, 0.5: 13.8, 0.7: 9.54, 0.9: 5.88}
    # an independent simulation (posterior by numeric integration, a test after every sample) spends
    # exactly the same samples and picks the same answers
    for threshold, results in [(0.9, default), (0.95, stricter)]:
        simulated = [simulate(p, threshold) for p in problems]
        assert [r.extra["samples"] for r in results] == [n for n, _ in simulated]
        assert [r.output for r in results] == [answer for _, answer in simulated]
    assert sum(r.extra["samples"] for r in default) == default_calls
    # the simulation's own accuracy and spend, with fixed voting simulated as all 16 samples
    simulated_default = [simulate(p, 0.9) for p in problems]
    simulated_fixed = [simulate(p, 1.0) for p in problems]  # P(leader) < 1 always: every sample is drawn
    assert sum(n for n, _ in simulated_default) <= 0.6 * sum(n for n, _ in simulated_fixed) == 0.6 * 3200
    assert sum(a == p.answer for (_, a), p in zip(simulated_fixed, problems, strict=True)) == 168
    # the acceptance, with the DEFAULT settings: within 3 points of SelfConsistency(16) with at
    # most 60 % of its calls
    assert default_calls <= 0.6 * fixed_calls
    assert abs(correct(default, problems) - correct(fixed, problems)) <= 0.03 * CASES


async def test_the_wave_size_changes_latency_not_the_samples_spent() -> None:
    problems = make_problems(40, seed=SEED)
    one, calls_one = await run_all(lambda: AdaptiveConsistency(16, wave=1), problems)
    wide, calls_wide = await run_all(lambda: AdaptiveConsistency(16, wave=16), problems)

    assert calls_one == calls_wide
    assert [r.extra["samples"] for r in one] == [r.extra["samples"] for r in wide]
    assert [r.output for r in one] == [r.output for r in wide]
    assert max(len(r.extra["waves"]) for r in wide) < max(len(r.extra["waves"]) for r in one)


async def test_each_wave_is_one_batch_of_independent_branches() -> None:
    executor = WaveRecorder()
    agent = Agent(saying("A", "A", "B", "A", "A", "A", "A"))

    result = await voted(
        agent, "go", strategy=AdaptiveConsistency(16, threshold=0.95), options=RunOptions(branch_executor=executor)
    )

    assert executor.batches == [[0, 1, 2, 3], [4, 5, 6]]  # durable runs make each batch child runs
    assert result.extra["waves"] == [4, 3]


def test_it_can_be_stored_with_a_durable_run() -> None:
    from agentkit.background.strategy_check import check_strategy

    restored = pickle.loads(check_strategy(AdaptiveConsistency(12, threshold=0.9, wave=3)))
    assert (restored.max_n, restored.threshold, restored.wave, restored.min_n) == (12, 0.9, 3, 1)
