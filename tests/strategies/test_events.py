"""Events stream per branch; the result keeps every candidate with its usage and the reason."""

from __future__ import annotations

from agentkit import Agent, RunOptions, Usage, tool
from agentkit.events import AgentEvent, FinalResultEvent, ModelResponseEvent, RunStart, StrategyBranch, event_adapter
from agentkit.strategies import BeamSearch, BestOfN, StrategyResult

from ._models import StepModel, last_x, think


async def test_every_branch_event_names_its_branch_and_the_strategy_narrates() -> None:
    seen: list[AgentEvent] = []

    async def sink(event: AgentEvent) -> None:
        seen.append(event)

    agent = Agent(StepModel(depth=1).model, output_type=str)

    result = await agent.run(
        "go", strategy=BestOfN(3, verifier=lambda out: 1.0), options=RunOptions(emit=sink, run_id="r1")
    )

    assert seen == result.events
    runs = [e for e in seen if isinstance(e, RunStart)]
    assert sorted((e.branch, e.run_id) for e in runs) == [("0", "r1:0"), ("1", "r1:1"), ("2", "r1:2")]
    responses = [e for e in seen if isinstance(e, ModelResponseEvent)]
    assert sorted(e.branch for e in responses) == ["0", "1", "2"]  # type: ignore[type-var]
    narration = [(e.action, e.branch_id) for e in seen if isinstance(e, StrategyBranch)]
    assert sorted(narration[:-1]) == sorted([(a, b) for b in "012" for a in ("start", "score")])
    assert narration[-1] == ("choose", "0")
    assert isinstance(seen[-1], FinalResultEvent)
    assert seen[-1].branch is None and seen[-1].run_id == "r1"
    for event in seen:
        assert event_adapter().validate_json(event_adapter().dump_json(event)) == event


async def test_beam_search_reports_pruned_branches_and_judge_events_are_tagged() -> None:
    seen: list[AgentEvent] = []

    async def sink(event: AgentEvent) -> None:
        seen.append(event)

    agent = Agent(StepModel(depth=2).model, tools=[tool(side_effect="pure")(think)], output_type=str)

    result = await agent.run("go", strategy=BeamSearch(2, 2, step_scorer=last_x), options=RunOptions(emit=sink))

    pruned = {e.branch_id for e in seen if isinstance(e, StrategyBranch) and e.action == "prune"}
    assert pruned == {c.branch_id for c in result.candidates if c.status == "pruned"}
    assert len(pruned) == 2 + 2


async def test_candidates_carry_tokens_cost_and_the_total_is_the_sum() -> None:
    steps = StepModel(depth=1, usage=Usage(input_tokens=100, output_tokens=20, cost_usd=0.002))
    agent = Agent(steps.model, output_type=str)

    result = await agent.run("go", strategy=BestOfN(4, verifier=lambda out: 1.0))

    assert isinstance(result, StrategyResult)
    assert [(c.tokens, c.cost_usd) for c in result.candidates] == [(120, 0.002)] * 4
    assert result.usage.total_tokens == 480
    assert result.usage.cost_usd == sum(c.cost_usd for c in result.candidates)
    assert result.extra["candidates"] is result.candidates
    assert result.extra["reason"] == result.reason
    assert result.messages == result.chosen_candidate.messages
