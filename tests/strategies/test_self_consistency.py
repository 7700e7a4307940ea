"""Self-consistency: votes over typed outputs, key functions, ties, failed branches."""

from __future__ import annotations

import itertools
import json

import pytest

from agentkit import Agent
from agentkit.strategies import NoCandidateError, SelfConsistency
from agentkit.testing import FunctionModel, call, text


def answering(*answers: object) -> FunctionModel:
    """Branch i (requests arrive in branch order) answers ``answers[i]`` through the output tool."""
    it = itertools.cycle(answers)
    return FunctionModel(lambda messages, info: call("final_result", result=next(it)))


async def test_the_most_common_typed_answer_wins_with_vote_shares() -> None:
    agent = Agent(answering(" 42", 41, "42", 42.0, 7), output_type=int)  # validation makes "42", 42.0 equal

    result = await agent.run("go", strategy=SelfConsistency(5))

    assert result.output == 42
    assert [(v.output, v.count, v.share, v.candidates) for v in result.votes] == [
        (42, 3, 0.6, (0, 2, 3)),
        (41, 1, 0.2, (1,)),
        (7, 1, 0.2, (4,)),
    ]
    assert result.reason == "answer 42 won 3 of 5 votes (60%)"
    assert [c.score for c in result.candidates] == [0.6, 0.2, 0.6, 0.6, 0.2]


async def test_a_tie_goes_to_the_answer_seen_first() -> None:
    answers = iter(["B", "A", "A", "B"])
    agent = Agent(FunctionModel(lambda m, i: text(next(answers))))

    result = await agent.run("go", strategy=SelfConsistency(4))

    assert result.output == "B"
    assert result.chosen == 0


async def test_a_key_function_normalises_answers() -> None:
    agent = Agent(FunctionModel(lambda m, i: text(next(words))))
    words = iter(["Paris", "paris ", "Lyon", "Lyon", "PARIS"])

    result = await agent.run("go", strategy=SelfConsistency(5, key=lambda s: s.strip().lower()))

    assert result.output == "Paris"
    assert result.votes[0].key == "paris" and result.votes[0].count == 3


async def test_failed_branches_do_not_vote() -> None:
    replies = iter([text("yes"), text(""), text(""), text(""), text("no"), text("no")])
    agent = Agent(FunctionModel(lambda m, i: next(replies)), output_retries=1)

    result = await agent.run("go", strategy=SelfConsistency(3, concurrency=1))

    statuses = [c.status for c in result.candidates]
    assert statuses.count("failed") == 1
    assert sum(v.count for v in result.votes) == 2


async def test_no_finished_branch_raises_with_the_first_error() -> None:
    agent = Agent(FunctionModel(lambda m, i: text("")), output_retries=0)

    with pytest.raises(NoCandidateError, match=r"no branch produced an answer \(2 failed\)\. First error") as info:
        await agent.run("go", strategy=SelfConsistency(2))

    assert len(info.value.candidates) == 2


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError, match="k >= 1"):
        SelfConsistency(0)


def test_default_key_is_canonical_json() -> None:
    from agentkit.strategies._select import default_key

    assert default_key({"b": 1, "a": [1, 2]}) == json.dumps({"a": [1, 2], "b": 1})
