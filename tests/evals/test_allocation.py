"""Compute-optimal allocation: which cases get the samples, exact call counts, errors, and its accuracy
against uniform self-consistency at equal calls, checked against an independent simulation."""

from __future__ import annotations

import functools
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from agentkit import Agent
from agentkit.evals import Case, ComputeOptimal, Dataset, EvalReport, evaluate
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse, ToolResult
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel, RecordedRequest, call, text

from ._agents import Messages, question


def cycling(script: dict[int, list[str]]) -> FunctionModel:
    """Case i answers ``script[i]`` in a cycle, one entry per call for that case."""
    calls: dict[int, int] = defaultdict(int)

    def respond(messages: Messages, info: RecordedRequest) -> ModelResponse:
        i = question(messages)
        answer = script[i][calls[i] % len(script[i])]
        calls[i] += 1
        return text(answer)

    return FunctionModel(respond)


SCRIPT = {0: ["a"], 1: ["a", "b"], 2: ["c"]}
"""Case 0 always says "a" (right), case 1 is split between "a" (right) and "b", case 2 always says "c" (wrong)."""
CASES = Dataset([Case(f"q {i}", expected="a") for i in range(3)], name="three")


async def allocated(model: FunctionModel, allocation: ComputeOptimal, **kwargs: Any) -> EvalReport:
    return await evaluate(Agent(model), CASES, strategies=[], allocation=allocation, progress=False, **kwargs)


# --- which cases get the samples ----------------------------------------------------------------------


async def test_one_at_a_time_every_extra_sample_goes_to_the_split_case() -> None:
    model = cycling(SCRIPT)

    report = await allocated(model, ComputeOptimal(total_calls=10, wave=1))

    # after two samples each: P(leader) 0.875, 0.5, 0.875; case 1 stays the least settled (2-1: 0.6875,
    # 2-2: 0.5, 3-2: 0.656, 3-3: 0.5), so it takes all four extra samples
    results = report.results("optimal:10")
    assert report.strategies == ["optimal:10"]
    assert [r.samples for r in results] == [2, 6, 2]
    assert [r.output for r in results] == ["a", "a", "c"]  # case 1: a 3-3 tie goes to the answer seen first
    assert [r.passed for r in results] == [True, True, False]
    assert [r.model_calls for r in results] == [2, 6, 2]
    assert len(model.requests) == report.summaries()[0].model_calls == 10
    assert [r.run_id for r in results] == [f"{report.id}-optimal10-{i}-0" for i in range(3)]


async def test_a_wave_gives_one_sample_to_each_of_the_least_settled_cases() -> None:
    model = cycling(SCRIPT)

    report = await allocated(model, ComputeOptimal(total_calls=10, wave=2))

    # wave 1: case 1 (0.5), then case 0 (0.875, ties with case 2 and comes first); wave 2: case 1 (2-1:
    # 0.6875), then case 2 (0.875; case 0 is at 3-0: 0.9375)
    assert [r.samples for r in report.results("optimal:10")] == [3, 4, 3]
    assert len(model.requests) == 10


async def test_the_default_wave_is_a_quarter_of_the_cases() -> None:
    assert ComputeOptimal(total_calls=10).wave_size(3) == 1
    assert ComputeOptimal(total_calls=10).wave_size(200) == 50
    assert ComputeOptimal(total_calls=10, wave=7).wave_size(200) == 7
    report = await allocated(cycling(SCRIPT), ComputeOptimal(total_calls=10))
    assert [r.samples for r in report.results("optimal:10")] == [2, 6, 2]


async def test_max_per_case_caps_a_case_and_leaves_the_rest_unspent() -> None:
    model = cycling(SCRIPT)

    report = await allocated(model, ComputeOptimal(total_calls=12, wave=1, max_per_case=3))

    assert [r.samples for r in report.results("optimal:12")] == [3, 3, 3]
    assert len(model.requests) == 9


async def test_key_decides_which_answers_are_the_same() -> None:
    script = {0: ["a"], 1: ["A", "a "], 2: ["c"]}

    same = await allocated(cycling(script), ComputeOptimal(total_calls=7, key=lambda s: s.strip().lower()))
    apart = await allocated(cycling(script), ComputeOptimal(total_calls=7))

    # with the key case 1 agrees with itself (all three at 0.875: the extra sample goes to case 0);
    # without it, case 1 is split (0.5) and gets it
    assert [r.samples for r in same.results("optimal:7")] == [3, 2, 2]
    assert [r.samples for r in apart.results("optimal:7")] == [2, 3, 2]


# --- calls are counted exactly ------------------------------------------------------------------------


def tool_then_answer() -> FunctionModel:
    """Two calls per sample: a tool call, then the answer."""

    def respond(messages: Messages, info: RecordedRequest) -> ModelResponse:
        if isinstance(messages[-1], ModelRequest) and any(isinstance(p, ToolResult) for p in messages[-1].parts):
            return text("a")
        return call("look", x=1)

    return FunctionModel(respond)


async def test_total_calls_are_never_exceeded_and_a_sample_cut_short_is_spent_without_a_vote() -> None:
    model = tool_then_answer()
    agent = Agent(model)

    @agent.tool
    def look(x: int) -> int:
        """Look."""
        return x

    cases = Dataset([Case("q 0", expected="a")])
    report = await evaluate(agent, cases, strategies=[], allocation=ComputeOptimal(total_calls=7), progress=False)

    (result,) = report.results("optimal:7")
    assert len(model.requests) == 7  # 2 + 2 + 2, then the fourth sample's second call is refused
    assert (result.samples, result.model_calls, result.output, result.passed) == (4, 7, "a", True)


async def test_a_case_without_any_answer_fails_with_the_last_error() -> None:
    agent = Agent(FunctionModel(lambda m, i: text("")), output_retries=0)

    report = await evaluate(
        agent, [Case("q 0", expected="a")], strategies=[], allocation=ComputeOptimal(total_calls=3), progress=False
    )

    (result,) = report.results("optimal:3")
    assert (result.samples, result.model_calls, result.passed) == (3, 3, False)
    assert result.error is not None
    assert result.error.startswith("no sample produced an answer (3 failed); the last: OutputValidationError: ")


class Unreadable(Case):
    def prompt(self) -> str:
        raise RuntimeError("unreadable input")


async def test_samples_that_make_no_call_end_the_allocation() -> None:
    model = cycling(SCRIPT)

    report = await evaluate(
        Agent(model), [Unreadable("q 0")], strategies=[], allocation=ComputeOptimal(total_calls=10), progress=False
    )

    (result,) = report.results("optimal:10")
    assert (result.samples, result.model_calls, len(model.requests)) == (3, 0, 0)  # two, then one wave
    assert result.error == "no sample produced an answer (3 failed); the last: RuntimeError: unreadable input"


async def test_it_is_reported_after_the_strategies() -> None:
    model = cycling(SCRIPT)

    report = await evaluate(
        Agent(model), CASES, strategies=[None], allocation=ComputeOptimal(total_calls=9), progress=False
    )

    assert report.strategies == ["none", "optimal:9"]
    assert [s.model_calls for s in report.summaries()] == [3, 9]
    assert len(model.requests) == 12
    assert report.results("none")[0].samples is None
    assert EvalReport.from_dict(report.to_dict()) == report


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total_calls": 0}, "ComputeOptimal needs total_calls >= 1, got 0."),
        (
            {"total_calls": 8, "first": 0},
            "ComputeOptimal needs first >= 1 samples per case to estimate it, got 0.",
        ),
        (
            {"total_calls": 8, "wave": 0},
            "ComputeOptimal needs wave >= 1 samples at once (or None for a quarter of the cases), got 0.",
        ),
        (
            {"total_calls": 8, "first": 3, "max_per_case": 2},
            "ComputeOptimal needs max_per_case >= first, got max_per_case=2 with first=3.",
        ),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as info:
        ComputeOptimal(**kwargs)
    assert str(info.value) == message


async def test_too_few_calls_for_the_first_samples_fail_before_any_call() -> None:
    model = cycling(SCRIPT)

    with pytest.raises(UserError) as info:
        await allocated(model, ComputeOptimal(total_calls=5))

    assert str(info.value) == (
        "ComputeOptimal(total_calls=5) can't give each of the 3 cases its first 2 samples (6 calls): raise "
        "total_calls to at least 6 or lower first."
    )
    assert model.requests == []


async def test_a_strategy_with_the_same_label_is_refused() -> None:
    with pytest.raises(UserError) as info:
        await evaluate(
            Agent(cycling(SCRIPT)), CASES, strategies={"optimal:9": None}, allocation=ComputeOptimal(total_calls=9)
        )
    assert str(info.value) == ("strategies optimal:9 appear more than once; pass a dict to give each its own label.")


# --- a seeded solver of mixed difficulty: compute-optimal vs uniform self-consistency -----------------

DIFFICULTY = (0.3, 0.5, 0.7, 0.9)
"""Case i is answered right with probability DIFFICULTY[i % 4]; wrong answers spread over 3 distractors."""
SEED = 0
N_CASES = 200


def answers_for(seed: int, count: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(10, 10_000) for _ in range(count)]


def draw(rng: random.Random, case: int, answer: int) -> int:
    """One sample: the right answer with the case's probability, else one of three distractors."""
    if rng.random() < DIFFICULTY[case % 4]:
        return answer
    return answer + rng.randint(1, 3)


def stream(seed: int, case: int) -> random.Random:
    """Each case's own seeded stream of samples, whatever order the cases are sampled in."""
    return random.Random(seed * 1_000_003 + case)


class MixedSolver:
    def __init__(self, answers: list[int], seed: int) -> None:
        self.answers = answers
        self.rngs = {i: stream(seed, i) for i in range(len(answers))}
        self.model = FunctionModel(self.respond, name="mixed-solver")

    def respond(self, messages: Messages, info: RecordedRequest) -> ModelResponse:
        i = question(messages)
        return call("final_result", result=draw(self.rngs[i], i, self.answers[i]))


async def evaluated(strategy: Any, allocation: ComputeOptimal | None) -> tuple[EvalReport, int]:
    answers = answers_for(SEED, N_CASES)
    solver = MixedSolver(answers, SEED)
    cases = Dataset([Case(f"q {i}", expected=a) for i, a in enumerate(answers)], name="mixed")
    strategies = [strategy] if strategy is not None else []
    agent = Agent(solver.model, output_type=int)
    report = await evaluate(agent, cases, strategies=strategies, allocation=allocation, concurrency=64, progress=False)
    return report, len(solver.model.requests)


@functools.cache
def posterior_above_half(top: int, second: int) -> float:
    """P(p > 1/2) for the density p^top (1 - p)^second, by Simpson's rule (not agentkit's binomial sums)."""

    def integrate(f: Callable[[float], float], lo: float, hi: float, steps: int) -> float:
        h = (hi - lo) / steps
        return (f(lo) + f(hi) + sum((4 if i % 2 else 2) * f(lo + i * h) for i in range(1, steps))) * h / 3

    density = lambda t: t**top * (1 - t) ** second  # noqa: E731
    return round(integrate(density, 0.5, 1.0, 200) / integrate(density, 0.0, 1.0, 400), 8)


def majority(votes: list[int]) -> int:
    counts = Counter(votes)
    return next(v for v in votes if counts[v] == max(counts.values()))


def settledness(votes: list[int]) -> float:
    counts = [*sorted(Counter(votes).values(), reverse=True), 0, 0]
    return posterior_above_half(counts[0], counts[1])


def simulate(seed: int, count: int, total: int, first: int, wave: int) -> tuple[list[int], list[bool]]:
    """Independently of agentkit: the allocation on the same seeded streams. (samples, right) per case."""
    answers = answers_for(seed, count)
    rngs = [stream(seed, i) for i in range(count)]
    votes = [[draw(rngs[i], i, answers[i]) for _ in range(first)] for i in range(count)]
    left = total - first * count
    while left > 0:
        ranked = sorted(range(count), key=lambda i: (settledness(votes[i]), len(votes[i]), i))
        for i in ranked[: min(wave, left)]:
            votes[i].append(draw(rngs[i], i, answers[i]))
        left -= min(wave, left)
    return [len(v) for v in votes], [majority(v) == a for v, a in zip(votes, answers, strict=True)]


def simulate_uniform(seed: int, count: int, k: int) -> list[bool]:
    answers = answers_for(seed, count)
    rngs = [stream(seed, i) for i in range(count)]
    return [majority([draw(rngs[i], i, answers[i]) for _ in range(k)]) == answers[i] for i in range(count)]


@pytest.mark.parametrize(
    ("k", "uniform_right", "optimal_right", "mean_samples"),
    [
        (4, 142, 150, {0.3: 5.24, 0.5: 4.92, 0.7: 3.36, 0.9: 2.48}),
        (8, 151, 169, {0.3: 14.24, 0.5: 10.34, 0.7: 4.56, 0.9: 2.86}),
    ],
)
async def test_compute_optimal_beats_uniform_self_consistency_at_equal_calls(
    k: int, uniform_right: int, optimal_right: int, mean_samples: dict[float, float]
) -> None:
    total = k * N_CASES
    uniform, uniform_calls = await evaluated(SelfConsistency(k), None)
    optimal, optimal_calls = await evaluated(None, ComputeOptimal(total_calls=total))
    (u,), (o,) = uniform.summaries(), optimal.summaries()
    results = optimal.results(f"optimal:{total}")

    # equal calls, counted by the model itself and reported exactly
    assert uniform_calls == optimal_calls == u.model_calls == o.model_calls == total
    assert sum(r.samples or 0 for r in results) == total
    assert (u.passed, o.passed) == (uniform_right, optimal_right)  # k=4: 71.0 -> 75.0 %; k=8: 75.5 -> 84.5 %
    # the hard cases get the samples, the easy ones keep about their first two
    spent = {p: [r.samples or 0 for r in results[j::4]] for j, p in enumerate(DIFFICULTY)}
    assert {p: sum(n) / len(n) for p, n in spent.items()} == mean_samples
    # an independent simulation (its own draws, votes and posterior by numeric integration) gives every
    # case the same samples and the same verdicts, and uniform voting the same accuracy
    samples, right = simulate(SEED, N_CASES, total, first=2, wave=N_CASES // 4)
    assert [r.samples for r in results] == samples
    assert [r.passed for r in results] == right
    assert [r.passed for r in uniform.results(f"sc:{k}")] == simulate_uniform(SEED, N_CASES, k)


def test_the_gain_holds_over_many_seeds_in_an_independent_monte_carlo() -> None:
    """Not one lucky seed: 20 datasets of 200 cases, the test's own simulation only."""
    gains = {}
    for k in (4, 8):
        uniform = optimal = 0
        for seed in range(1, 21):
            uniform += sum(simulate_uniform(seed, N_CASES, k))
            optimal += sum(simulate(seed, N_CASES, k * N_CASES, first=2, wave=N_CASES // 4)[1])
        gains[k] = (round(uniform / (20 * N_CASES), 4), round(optimal / (20 * N_CASES), 4))
    assert gains == {4: (0.7087, 0.7575), 8: (0.773, 0.8073)}  # uniform vs compute-optimal accuracy
    assert all(o > u for u, o in gains.values())
