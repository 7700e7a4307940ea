"""Best-of-N with each kind of verifier, and weighted selection."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import pytest
from pydantic import BaseModel, field_validator

from agentkit import Agent, UserError
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.strategies import (
    BestOfN,
    FunctionVerifier,
    JudgeVerifier,
    PydanticVerifier,
    RewardVerifier,
    TestsVerifier,
    Verdict,
    as_verifier,
)
from agentkit.testing import FunctionModel, RecordedRequest, call, text

Messages = list[ModelRequest | ModelResponse]


def cycling(*answers: str) -> FunctionModel:
    """Answers with ``answers`` in turn (branch i gets answers[i] when requests arrive in branch order)."""
    it = itertools.cycle(answers)
    return FunctionModel(lambda messages, info: text(next(it)))


async def test_function_verifier_picks_the_highest_score_ties_to_the_first() -> None:
    agent = Agent(cycling("a", "bb", "ccc", "dd"))

    result = await agent.run("go", strategy=BestOfN(4, verifier=len))

    assert result.output == "ccc"
    assert [c.score for c in result.candidates] == [1.0, 2.0, 3.0, 2.0]
    assert "branch 2 had the highest score (3)" in result.reason
    tie = await Agent(cycling("xx", "yy")).run("go", strategy=BestOfN(2, verifier=len))
    assert tie.output == "xx"


async def test_bool_and_async_function_verifiers() -> None:
    async def is_b(output: str) -> bool:
        await asyncio.sleep(0)
        return output == "b"

    result = await Agent(cycling("a", "b", "c")).run("go", strategy=BestOfN(3, verifier=is_b))

    assert result.output == "b"
    assert [(c.score, c.feedback) for c in result.candidates] == [(0.0, ""), (1.0, ""), (0.0, "")]


async def test_a_verifier_returning_a_verdict_keeps_its_feedback() -> None:
    verifier = FunctionVerifier(lambda out: Verdict(0.5, False, f"{out} is half right"))

    result = await Agent(cycling("a")).run("go", strategy=BestOfN(1, verifier=verifier))

    assert result.chosen_candidate.feedback == "a is half right"


class Total(BaseModel):
    value: int


class EvenTotal(BaseModel):
    value: int

    @field_validator("value")
    @classmethod
    def even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even")
        return value


async def test_pydantic_verifier_runs_the_validators() -> None:
    answers = itertools.cycle([3, 4, 5])
    model = FunctionModel(lambda m, i: call("final_result", value=next(answers)))
    agent = Agent(model, output_type=Total)

    result = await agent.run("go", strategy=BestOfN(3, verifier=EvenTotal))

    assert result.output == Total(value=4)
    assert result.candidates[0].score == 0.0
    assert "must be even" in result.candidates[0].feedback


async def test_tests_verifier_scores_the_share_of_passing_tests() -> None:
    def is_int(out: str) -> None:
        int(out)

    def positive(out: str) -> None:
        assert int(out) > 0, "not positive"

    def small(out: str) -> None:
        assert int(out) < 100

    result = await Agent(cycling("x", "-5", "500", "7")).run(
        "go", strategy=BestOfN(4, verifier=TestsVerifier([is_int, positive, small]))
    )

    assert result.output == "7"
    assert [round(c.score or 0, 2) for c in result.candidates] == [0.0, 0.67, 0.67, 1.0]
    assert "positive: AssertionError: not positive" in result.candidates[1].feedback
    assert result.candidates[0].feedback.startswith("is_int: ValueError")


async def test_tests_verifier_times_out_a_slow_test() -> None:
    def slow(out: str) -> None:
        time.sleep(0.5)

    verdict = await TestsVerifier([slow], timeout=0.05).verify("x", None)  # type: ignore[arg-type]

    assert verdict == Verdict(0.0, False, "slow: timed out after 0.05 s")


async def test_judge_verifier_asks_a_model_and_counts_its_requests() -> None:
    seen: list[str] = []

    def judge(messages: Messages, info: RecordedRequest) -> ModelResponse:
        prompt = next(p.content for p in messages[-1].parts if isinstance(p, UserPart))  # type: ignore[union-attr]
        seen.append(prompt)
        score = 9 if "Candidate answer:\nParis" in prompt else 2
        return call("final_result", reasoning="checked", score=score)

    agent = Agent(cycling("Lyon", "Paris", "Nice"))
    verifier = JudgeVerifier(FunctionModel(judge), "The capital of France.")

    result = await agent.run("Capital of France?", strategy=BestOfN(3, verifier=verifier))

    assert result.output == "Paris"
    assert result.chosen_candidate.score == 0.9
    assert result.usage.requests == 6
    assert all("Task:\nCapital of France?" in p and "The capital of France." in p for p in seen)


async def test_judge_verifier_without_a_model_uses_the_candidates_model() -> None:
    def model(messages: Messages, info: RecordedRequest) -> ModelResponse:
        if info.params.output_tool is not None:  # the judge's request: structured output
            return call("final_result", reasoning="ok", score=10)
        return text("answer")

    result = await Agent(FunctionModel(model)).run("go", strategy=BestOfN(2, verifier=JudgeVerifier()))

    assert result.chosen_candidate.score == 1.0


async def test_reward_verifier_gets_the_task_and_the_output() -> None:
    def reward(prompt: str, output: str) -> float:
        return -abs(len(output) - len(prompt))

    result = await Agent(cycling("a", "abcd", "abcdefgh")).run(
        "four", strategy=BestOfN(3, verifier=RewardVerifier(reward))
    )

    assert result.output == "abcd"


async def test_weighted_best_of_n_sums_scores_per_answer() -> None:
    scores = {"A": 0.4, "B": 0.9}
    answers = ["A", "B", "A", "A"]

    result = await Agent(cycling(*answers)).run(
        "go", strategy=BestOfN(4, verifier=lambda out: scores[out], weighted=True)
    )
    plain = await Agent(cycling(*answers)).run("go", strategy=BestOfN(4, verifier=lambda out: scores[out]))

    assert result.output == "A"
    assert plain.output == "B"
    votes = {v.key: (v.count, round(v.weight, 2)) for v in result.votes}
    assert votes == {json.dumps("A"): (3, 1.2), json.dumps("B"): (1, 0.9)}
    assert "highest summed score (1.2, 3 of 4 candidates)" in result.reason


async def test_weighted_uses_the_key_function() -> None:
    result = await Agent(cycling("Yes", "no", "yes ", "NO", "no")).run(
        "go", strategy=BestOfN(5, verifier=lambda out: 1.0, weighted=True, key=lambda s: s.strip().lower())
    )

    assert result.output == "no"


def test_unusable_verifiers_fail_with_a_fix() -> None:
    with pytest.raises(UserError, match="pass a function of the output"):
        as_verifier(42)  # type: ignore[arg-type]
    assert isinstance(as_verifier(EvenTotal), PydanticVerifier)
    with pytest.raises(UserError, match="at least one test"):
        TestsVerifier([])


async def test_a_verifier_returning_something_else_fails_clearly() -> None:
    with pytest.raises(UserError, match="return a bool, a number or a Verdict"):
        await Agent(cycling("a")).run("go", strategy=BestOfN(1, verifier=lambda out: "yes"))
