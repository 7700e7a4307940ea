"""Best-of-N with ``early_stop=True``: the first candidate the verifier passes ends the strategy."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from agentkit import Agent, Budget, RunOptions
from agentkit.events import StrategyBranch
from agentkit.exceptions import UserError
from agentkit.strategies import BestOfN, FunctionVerifier, StrategyResult
from agentkit.testing import FunctionModel, call

from ._models import Messages, WaveRecorder


def counting(*answers: int) -> FunctionModel:
    """Request i answers ``answers[i]``; requests arrive in branch order."""
    it = iter(answers)
    return FunctionModel(lambda messages, info: call("final_result", result=next(it)))


async def best_of(agent: Agent[Any, Any], strategy: BestOfN, **kwargs: Any) -> StrategyResult[Any]:
    result = await agent.run("go", strategy=strategy, **kwargs)
    assert isinstance(result, StrategyResult)
    return result


def branch_events(result: StrategyResult[Any]) -> list[tuple[str, str]]:
    return [(e.action, e.branch_id) for e in result.events if isinstance(e, StrategyBranch)]


async def test_one_at_a_time_it_stops_at_the_first_pass() -> None:
    model = counting(1, 2, 3, 4, 5, 6, 7, 8)
    agent = Agent(model, output_type=int)

    result = await best_of(agent, BestOfN(8, verifier=lambda out: out >= 3, early_stop=True, concurrency=1))

    assert result.output == 3
    assert len(model.requests) == 3
    assert result.reason == (
        "branch 2 passed the verifier first (score 1); early stop after 3 of 8 branches started, 0 of them cancelled"
    )
    assert [c.status for c in result.candidates] == ["finished"] * 3 + ["stopped"] * 5
    assert result.candidates[3].error == "not started: branch 2 was accepted first (early_stop)"
    assert result.candidates[3].limit is None
    assert [c.passed for c in result.candidates] == [False, False, True] + [None] * 5
    assert branch_events(result) == [
        ("start", "0"), ("score", "0"), ("start", "1"), ("score", "1"), ("start", "2"), ("score", "2"), ("choose", "2")
    ]  # fmt: skip


async def test_a_window_of_two_starts_branches_in_index_order() -> None:
    model = counting(1, 2, 3, 4, 5, 6, 7, 8)
    agent = Agent(model, output_type=int)

    result = await best_of(agent, BestOfN(8, verifier=lambda out: out >= 3, early_stop=True, concurrency=2))

    assert result.output == 3
    assert len(model.requests) == 4  # branch 3 started when branch 1 ended, and finished before 2 was checked
    assert [c.status for c in result.candidates] == ["finished"] * 4 + ["stopped"] * 4


async def test_branches_still_running_are_cancelled() -> None:
    never = asyncio.Event()
    calls = itertools.count()

    async def respond(messages: Messages, info: Any) -> Any:
        if next(calls) == 0:
            await never.wait()  # branch 0 hangs until cancelled
        return call("final_result", result=42)

    agent = Agent(FunctionModel(respond), output_type=int)

    result = await best_of(agent, BestOfN(5, verifier=lambda out: True, early_stop=True, concurrency=2))

    assert result.output == 42
    assert result.chosen == 1
    assert [c.status for c in result.candidates] == ["stopped", "finished", "stopped", "stopped", "stopped"]
    assert result.candidates[0].error == "cancelled: branch 1 was accepted first (early_stop)"
    assert result.candidates[2].error == "not started: branch 1 was accepted first (early_stop)"
    assert ("prune", "0") in branch_events(result)
    assert result.reason.endswith("early stop after 2 of 5 branches started, 1 of them cancelled")
    assert result.usage.requests == 1


async def test_a_number_passes_at_the_verifier_threshold() -> None:
    agent = Agent(counting(2, 4, 6, 8), output_type=int)
    verifier = FunctionVerifier(lambda out: out / 10, threshold=0.5)

    result = await best_of(agent, BestOfN(4, verifier=verifier, early_stop=True, concurrency=1))

    assert result.output == 6
    assert result.chosen_candidate.score == 0.6


async def test_without_a_pass_every_branch_runs_and_the_best_score_wins() -> None:
    model = counting(1, 4, 2, 3)
    agent = Agent(model, output_type=int)
    verifier = FunctionVerifier(lambda out: out / 10, threshold=0.5)

    result = await best_of(agent, BestOfN(4, verifier=verifier, early_stop=True, concurrency=1))

    assert len(model.requests) == 4
    assert result.output == 4
    assert result.reason == "branch 1 had the highest score (0.4) of 4 candidates"


async def test_without_a_concurrency_limit_every_branch_starts_at_once() -> None:
    model = counting(1, 2, 3, 4)
    agent = Agent(model, output_type=int)

    result = await best_of(agent, BestOfN(4, verifier=lambda out: out >= 2, early_stop=True))

    assert len(model.requests) == 4  # the requests were all in flight: the saving is latency only
    assert result.output == 2  # of branches that end together, the lowest index is checked first


async def test_the_shared_budget_still_holds() -> None:
    model = counting(1, 2, 3, 4)
    agent = Agent(model, output_type=int)

    result = await best_of(
        agent, BestOfN(4, verifier=lambda out: out >= 9, early_stop=True, concurrency=1), budget=Budget(max_turns=2)
    )

    assert len(model.requests) == 2
    assert result.stop_reason == "max_turns"
    assert [c.status for c in result.candidates] == ["finished", "finished", "stopped", "stopped"]
    assert result.reason == "branch 0 had the highest score (0) of 2 candidates"  # nothing passed: a tie at 0


def test_early_stop_and_weighted_exclude_each_other() -> None:
    with pytest.raises(UserError) as info:
        BestOfN(4, verifier=lambda out: True, weighted=True, early_stop=True)
    assert str(info.value) == (
        "BestOfN(early_stop=True) returns the first candidate the verifier passes, so it can't also sum scores "
        "over all candidates (weighted=True): choose one of the two."
    )


async def test_in_a_durable_run_branches_go_in_whole_waves_of_concurrency() -> None:
    model = counting(1, 2, 3, 4, 5, 6, 7, 8)
    agent = Agent(model, output_type=int)
    executor = WaveRecorder()

    result = await best_of(
        agent,
        BestOfN(8, verifier=lambda out: out >= 5, early_stop=True, concurrency=3),
        options=RunOptions(branch_executor=executor),
    )

    assert executor.batches == [[0, 1, 2], [3, 4, 5]]
    assert result.output == 5
    assert len(model.requests) == 6
    assert [c.status for c in result.candidates] == ["finished"] * 6 + ["stopped"] * 2
    assert result.reason == (
        "branch 4 passed the verifier first (score 1); early stop after 6 of 8 branches started, 0 of them cancelled"
    )
