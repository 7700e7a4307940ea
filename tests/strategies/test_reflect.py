"""Reflect: draft → critique → revise, until the critic accepts."""

from __future__ import annotations

import itertools

from agentkit import Agent
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.prompts import render
from agentkit.strategies import ModelCritic, Reflect, TestsVerifier, Verdict
from agentkit.testing import FunctionModel, RecordedRequest, call, text

Messages = list[ModelRequest | ModelResponse]


def drafts(*answers: str) -> FunctionModel:
    it = iter(answers)
    return FunctionModel(lambda messages, info: text(next(it)))


def last_user_text(messages: Messages) -> str:
    request = messages[-1]
    assert isinstance(request, ModelRequest)
    return next(p.content for p in request.parts if isinstance(p, UserPart))


async def test_revises_with_the_critique_until_the_critic_accepts() -> None:
    model = drafts("draft one", "draft two", "final")
    critiques = 0

    def critic(output: str) -> Verdict:
        nonlocal critiques
        critiques += 1
        return Verdict(1.0, True) if output == "final" else Verdict(0.0, False, f"'{output}' lacks detail")

    result = await Agent(model).run("Write it", strategy=Reflect(5, critic=critic))

    assert result.output == "final"
    assert critiques == 3
    assert len(model.requests) == 3
    revise = last_user_text(model.requests[1].messages)
    assert revise == render("reflect_revise", critique="'draft one' lacks detail")
    assert len(model.requests[2].messages) == 5  # the revision continues the same conversation
    assert result.reason == "the critic accepted revision 2"
    assert [c.score for c in result.candidates] == [0.0, 0.0, 1.0]


async def test_returns_the_best_scored_draft_when_none_is_accepted() -> None:
    model = drafts("a", "abc", "ab")
    critic_calls = 0

    def critic(output: str) -> float:
        nonlocal critic_calls
        critic_calls += 1
        return len(output) / 10

    result = await Agent(model).run("go", strategy=Reflect(2, critic=critic))

    assert critic_calls == 3  # the draft and two revisions
    assert len(model.requests) == 3
    assert result.output == "abc"
    assert result.reason.startswith("the critic accepted none of 3 answers; revision 1 scored best")


async def test_accepting_the_first_draft_costs_one_critique() -> None:
    model = drafts("good")

    result = await Agent(model).run("go", strategy=Reflect(3, critic=lambda out: True))

    assert result.output == "good"
    assert result.reason == "the critic accepted the first draft"
    assert len(model.requests) == 1


async def test_a_model_critic_on_the_same_model() -> None:
    answers = iter(["42 apples", "42"])
    critic_prompts: list[str] = []

    def respond(messages: Messages, info: RecordedRequest) -> ModelResponse:
        if info.params.output_tool is not None:  # the critic's request
            prompt = last_user_text(messages)
            critic_prompts.append(prompt)
            accept = "Draft answer:\n42\n" in prompt
            return call("final_result", accept=accept, critique="" if accept else "Give only the number.")
        return text(next(answers))

    model = FunctionModel(respond)

    result = await Agent(model).run("How many?", strategy=Reflect(2, critic=ModelCritic(rubric="a number")))

    assert result.output == "42"
    assert len(critic_prompts) == 2
    assert render("reflect_revise", critique="Give only the number.") in [
        last_user_text(r.messages) for r in model.requests
    ]
    assert result.usage.requests == 4


async def test_a_tests_verifier_as_critic_feeds_its_failures_back() -> None:
    model = drafts("-1", "1")

    def positive(out: str) -> None:
        assert int(out) > 0, "must be positive"

    result = await Agent(model).run("go", strategy=Reflect(2, critic=TestsVerifier([positive])))

    assert result.output == "1"
    assert "positive: AssertionError: must be positive" in last_user_text(model.requests[1].messages)


async def test_zero_rounds_is_just_a_checked_draft() -> None:
    counter = itertools.count()
    model = FunctionModel(lambda m, i: text(str(next(counter))))

    result = await Agent(model).run("go", strategy=Reflect(0, critic=lambda out: False))

    assert result.output == "0"
    assert len(model.requests) == 1
