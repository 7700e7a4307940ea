"""The concurrency limit caps model requests in flight across all branches."""

from __future__ import annotations

import asyncio

import pytest

from agentkit import Agent, tool
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.strategies import DVTS, BestOfN, JudgeVerifier
from agentkit.testing import FunctionModel, RecordedRequest, call

from ._models import StepModel, last_x, think

Messages = list[ModelRequest | ModelResponse]


@pytest.mark.parametrize("cap", [1, 3, 5])
async def test_best_of_n_never_has_more_than_the_cap_in_flight_and_reaches_it(cap: int) -> None:
    steps = StepModel(depth=1, delay=0.01)
    agent = Agent(steps.model, output_type=str)

    await agent.run("go", strategy=BestOfN(12, verifier=lambda out: 1.0, concurrency=cap))

    assert steps.peak == cap


async def test_without_a_cap_every_branch_runs_at_once() -> None:
    steps = StepModel(depth=1, delay=0.01)

    await Agent(steps.model, output_type=str).run("go", strategy=BestOfN(12, verifier=lambda out: 1.0))

    assert steps.peak == 12


async def test_the_cap_covers_search_steps() -> None:
    steps = StepModel(depth=2, delay=0.01)
    agent = Agent(steps.model, tools=[tool(side_effect="pure")(think)], output_type=str)

    await agent.run("go", strategy=DVTS(4, 3, step_scorer=last_x, concurrency=2))

    assert steps.peak == 2


async def test_the_cap_covers_judge_requests_too() -> None:
    steps = StepModel(depth=1, delay=0.01)
    judging = 0
    peak = 0

    async def judge(messages: Messages, info: RecordedRequest) -> ModelResponse:
        nonlocal judging, peak
        judging += 1
        peak = max(peak, judging + steps.in_flight)
        await asyncio.sleep(0.01)
        judging -= 1
        return call("final_result", reasoning="ok", score=5)

    verifier = JudgeVerifier(FunctionModel(judge))

    await Agent(steps.model, output_type=str).run("go", strategy=BestOfN(6, verifier=verifier, concurrency=2))

    assert peak == 2


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency must be >= 1"):
        BestOfN(2, verifier=lambda out: 1.0, concurrency=0)
