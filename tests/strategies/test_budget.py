"""The run's budget is global across branches (and judges), and is never exceeded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentkit import Agent, Budget, BudgetExceeded, Usage, tool
from agentkit.events import BudgetExceededEvent
from agentkit.strategies import (
    DVTS,
    BeamSearch,
    BestOfN,
    JudgeVerifier,
    NoCandidateError,
    SelfConsistency,
    Strategy,
)
from agentkit.testing import FunctionModel, call, text

from ._models import StepModel, last_x, think

pure_think = tool(side_effect="pure")(think)


async def test_max_turns_counts_every_branch_request() -> None:
    steps = StepModel(depth=1)
    agent = Agent(steps.model, output_type=str)

    result = await agent.run("go", budget=Budget(max_turns=4), strategy=BestOfN(10, verifier=lambda o: True))

    assert steps.calls == 4
    assert result.usage.requests == 4
    assert result.stop_reason == "max_turns"
    statuses = [c.status for c in result.candidates]
    assert statuses.count("finished") == 4
    assert statuses.count("stopped") == 6
    assert {c.limit for c in result.candidates if c.status == "stopped"} == {"max_turns"}
    stopped_events = [e for e in result.events if isinstance(e, BudgetExceededEvent)]
    assert sorted(e.branch for e in stopped_events) == sorted(c.branch_id for c in result.candidates if c.limit)


async def test_max_tokens_admits_requests_only_while_the_largest_one_still_fits() -> None:
    steps = StepModel(depth=1, usage=Usage(input_tokens=10, output_tokens=5))  # 15 tokens a request
    agent = Agent(steps.model, output_type=str)

    result = await agent.run("go", budget=Budget(max_tokens=100), strategy=SelfConsistency(10))

    assert steps.calls == 6  # 6 * 15 = 90; a 7th would make 105
    assert result.usage.total_tokens == 90
    assert result.stop_reason == "max_tokens"


async def test_max_cost_is_shared() -> None:
    steps = StepModel(depth=1, usage=Usage(input_tokens=10, output_tokens=5, cost_usd=0.01))
    agent = Agent(steps.model, output_type=str)

    result = await agent.run("go", budget=Budget(max_cost_usd=0.055), strategy=SelfConsistency(8))

    assert steps.calls == 5
    assert result.usage.cost_usd == pytest.approx(0.05)
    assert [c.status for c in result.candidates].count("finished") == 5


async def test_a_tight_budget_spent_on_first_turns_leaves_no_answer_and_says_so() -> None:
    """Requests are admitted first come, first served: eight two-turn branches can't all finish on 0.055."""
    steps = StepModel(depth=2, usage=Usage(input_tokens=10, output_tokens=5, cost_usd=0.01))
    agent = Agent(steps.model, tools=[pure_think], output_type=str)

    with pytest.raises(NoCandidateError, match="'max_cost_usd' stopped branches"):
        await agent.run("go", budget=Budget(max_cost_usd=0.055), strategy=SelfConsistency(8))

    assert steps.calls == 5


async def test_max_tool_calls_is_shared_and_refused_calls_are_told_to_the_model() -> None:
    ran: list[int] = []

    @tool(side_effect="idempotent")
    def lookup(x: int) -> int:
        """Look up x.

        Args:
            x: A number.
        """
        ran.append(x)
        return x

    def respond(messages: list, info: object) -> object:  # type: ignore[type-arg]
        if len(messages) == 1:
            return call("lookup", x=len(ran))
        return text("done")

    agent = Agent(FunctionModel(respond), tools=[lookup])

    result = await agent.run("go", budget=Budget(max_tool_calls=3), strategy=SelfConsistency(5))

    assert len(ran) == 3
    assert result.usage.tool_calls == 3
    refused = [c for c in result.candidates if "tool-call budget" in str(c.messages[-2].parts[-1])]
    assert len(refused) == 2


async def test_judge_requests_count_against_the_same_budget() -> None:
    judge_calls = 0

    def judge(messages: list, info: object) -> object:  # type: ignore[type-arg]
        nonlocal judge_calls
        judge_calls += 1
        return call("final_result", reasoning="fine", score=7)

    steps = StepModel(depth=1)
    agent = Agent(steps.model, output_type=str)
    verifier = JudgeVerifier(FunctionModel(judge), "be right")

    result = await agent.run("go", budget=Budget(max_turns=7), strategy=BestOfN(6, verifier=verifier))

    assert steps.calls + judge_calls <= 7
    assert result.usage.requests == steps.calls + judge_calls


async def test_max_seconds_is_a_deadline_for_all_branches() -> None:
    steps = StepModel(depth=1, delay=0.05)
    agent = Agent(steps.model, output_type=str)
    started = time.perf_counter()

    result = await agent.run(
        "go", budget=Budget(max_seconds=0.12), strategy=BestOfN(10, verifier=lambda o: True, concurrency=1)
    )

    assert time.perf_counter() - started < 0.5
    assert 1 <= steps.calls <= 3
    assert result.stop_reason == "max_seconds"


async def test_on_exceeded_raise_raises_when_the_budget_cuts_branches() -> None:
    agent = Agent(StepModel(depth=1).model, output_type=str)

    with pytest.raises(BudgetExceeded, match="max_turns"):
        await agent.run("go", budget=Budget(max_turns=2, on_exceeded="raise"), strategy=SelfConsistency(4))


async def test_no_answer_within_the_budget_names_the_limit_and_the_fix() -> None:
    agent = Agent(StepModel(depth=3).model, tools=[pure_think], output_type=str)

    with pytest.raises(NoCandidateError, match=r"'max_turns' stopped branches: raise it or use fewer branches"):
        await agent.run("go", budget=Budget(max_turns=4), strategy=BeamSearch(2, 2, step_scorer=last_x))


CASES = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["best_of_n", "beam", "dvts"]),
        "branches": st.integers(1, 6),
        "depth": st.integers(1, 3),
        "tokens": st.integers(5, 40),
        "concurrency": st.one_of(st.none(), st.integers(1, 4)),
        "max_turns": st.one_of(st.none(), st.integers(1, 30)),
        "max_tokens": st.one_of(st.none(), st.integers(20, 600)),
        "max_tool_calls": st.one_of(st.none(), st.integers(0, 10)),
    }
)


@settings(max_examples=40, deadline=None)
@given(case=CASES)
def test_a_global_budget_is_never_exceeded(case: dict[str, Any]) -> None:
    tokens, max_turns, max_tokens, max_tool_calls = (
        case["tokens"],
        case["max_turns"],
        case["max_tokens"],
        case["max_tool_calls"],
    )
    steps = StepModel(
        depth=case["depth"], seed=case["branches"], usage=Usage(input_tokens=tokens, output_tokens=tokens // 2)
    )
    tool_runs: list[int] = []

    @tool(side_effect="idempotent")
    def count(x: int) -> int:
        """Count.

        Args:
            x: A number.
        """
        tool_runs.append(x)
        return x

    steps.tool = "count"
    agent = Agent(steps.model, tools=[count], output_type=str)
    budget = Budget(max_turns=max_turns, max_tokens=max_tokens, max_tool_calls=max_tool_calls)
    strategy = make_strategy(case["kind"], case["branches"], case["concurrency"])

    async def run() -> Usage:
        try:
            result = await agent.run("go", budget=budget, strategy=strategy)
        except NoCandidateError:
            return Usage()
        return result.usage

    usage = asyncio.run(run())
    per_request = tokens + tokens // 2
    assert max_turns is None or steps.calls <= max_turns
    # The size of a request is known once one has finished: only a first request may be too large alone.
    first_alone_too_large = steps.calls == 1 and per_request > (max_tokens or 0)
    assert max_tokens is None or steps.calls * per_request <= max_tokens or first_alone_too_large
    assert max_tool_calls is None or len(tool_runs) <= max_tool_calls
    if usage.requests:
        assert usage.requests == steps.calls
        assert usage.total_tokens == steps.calls * per_request


def make_strategy(kind: str, branches: int, concurrency: int | None) -> Strategy:
    if kind == "best_of_n":
        return BestOfN(branches, verifier=lambda o: True, concurrency=concurrency)
    if kind == "beam":
        return BeamSearch(2, branches, step_scorer=last_x, concurrency=concurrency)
    return DVTS(branches, 2, step_scorer=last_x, concurrency=concurrency)
