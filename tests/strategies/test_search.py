"""Beam search and DVTS over agent steps: exact call counts, selection, forks, aggregation."""

from __future__ import annotations

import pytest

from agentkit import Agent, tool
from agentkit.messages import ModelResponse, ToolResult
from agentkit.strategies import DVTS, BeamSearch, NoCandidateError, StepContext, aggregate_scores
from agentkit.strategies.result import Candidate

from ._models import StepModel, last_x, think, thoughts

pure_think = tool(side_effect="pure")(think)


class CountingScorer:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, ctx: StepContext) -> float:
        self.calls += 1
        return last_x(ctx)


@pytest.mark.parametrize(("beams", "width", "depth"), [(2, 3, 3), (3, 2, 1), (4, 4, 2), (1, 5, 4)])
async def test_beam_search_makes_beams_times_width_requests_per_step(beams: int, width: int, depth: int) -> None:
    steps = StepModel(depth, seed=depth)
    scorer = CountingScorer()
    agent = Agent(steps.model, tools=[pure_think], output_type=str)

    result = await agent.run("go", strategy=BeamSearch(width, beams, step_scorer=scorer, max_steps=10))

    assert steps.calls == beams * width * depth
    assert scorer.calls == beams * width * depth
    assert len(result.candidates) == beams * width * depth - beams * (depth - 1)  # kept beams go on, not recorded
    finished = [c for c in result.candidates if c.finished]
    assert len(finished) == beams
    assert result.usage.requests == beams * width * depth
    chosen = result.chosen_candidate
    assert sum(isinstance(m, ModelResponse) for m in chosen.messages) == depth
    assert chosen.score == max(c.score or 0.0 for c in finished)


@pytest.mark.parametrize(("subtrees", "width", "depth"), [(3, 2, 3), (2, 4, 1), (4, 3, 2)])
async def test_dvts_makes_subtrees_times_width_requests_per_step(subtrees: int, width: int, depth: int) -> None:
    steps = StepModel(depth, seed=10 + depth)
    scorer = CountingScorer()
    agent = Agent(steps.model, tools=[pure_think], output_type=str)

    result = await agent.run("go", strategy=DVTS(subtrees, width, step_scorer=scorer, max_steps=10))

    assert steps.calls == subtrees * width * depth
    assert scorer.calls == subtrees * width * depth
    finished = [c for c in result.candidates if c.finished]
    assert len(finished) == subtrees
    assert {c.branch_id.split(".")[0] for c in finished} == {f"t{s}" for s in range(subtrees)}


async def test_beam_search_stops_after_max_steps_and_says_how_to_fix_it() -> None:
    steps = StepModel(depth=5)
    agent = Agent(steps.model, tools=[pure_think], output_type=str)

    with pytest.raises(NoCandidateError, match=r"Raise max_steps \(now 2\)") as info:
        await agent.run("go", strategy=BeamSearch(2, 2, step_scorer=last_x, max_steps=2))

    assert steps.calls == 2 * 2 * 2
    statuses = [c.status for c in info.value.candidates]
    assert statuses.count("unfinished") == 2
    assert statuses.count("pruned") == 4


async def test_dvts_subtree_stops_after_max_steps() -> None:
    steps = StepModel(depth=4)
    agent = Agent(steps.model, tools=[pure_think], output_type=str)

    with pytest.raises(NoCandidateError):
        await agent.run("go", strategy=DVTS(2, 3, step_scorer=last_x, max_steps=3))

    assert steps.calls == 2 * 3 * 3


def _score_at(candidate: Candidate, depth: int, how: str) -> float:
    return aggregate_scores(candidate.step_scores[: depth + 1], how)  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["last", "min", "prod"])
async def test_beam_search_keeps_the_best_scored_beams_at_every_step(how: str) -> None:
    steps = StepModel(depth=4, seed=7)
    agent = Agent(steps.model, tools=[pure_think], output_type=str)

    result = await agent.run("go", strategy=BeamSearch(3, 2, step_scorer=last_x, aggregate=how))  # type: ignore[arg-type]

    for depth in range(4):
        pruned = [c for c in result.candidates if c.status == "pruned" and len(c.step_scores) == depth + 1]
        kept = [c for c in result.candidates if c.status != "pruned" and len(c.step_scores) > depth]
        assert len(pruned) == 6 - 2
        assert max(_score_at(c, depth, how) for c in pruned) <= min(_score_at(c, depth, how) for c in kept)
    finished = [c for c in result.candidates if c.finished]
    assert result.chosen_candidate.score == max(c.score or 0.0 for c in finished)


async def test_each_fork_keeps_its_own_consistent_transcript() -> None:
    steps = StepModel(depth=3, seed=3)
    agent = Agent(steps.model, tools=[pure_think], output_type=str)

    result = await agent.run("go", strategy=BeamSearch(2, 2, step_scorer=last_x))

    for candidate in result.candidates:
        xs = thoughts(candidate.messages)
        results = [p.content for m in candidate.messages if m.kind == "request" for p in m.parts]
        assert [r for r in results if isinstance(r, int)] == xs  # every call answered by its own result
        if candidate.finished:
            assert candidate.output == ",".join(map(str, xs))
            assert [s for s in candidate.step_scores[:2]] == [x / 100 for x in xs]


async def test_pure_tool_calls_are_shared_across_forks() -> None:
    calls: list[int] = []

    @tool(side_effect="pure")
    def slow_think(x: int) -> int:
        """Think.

        Args:
            x: A number.
        """
        calls.append(x)
        return x

    steps = StepModel(depth=2, seed=1, tool="slow_think")
    steps.rng.randint = lambda a, b: 7  # type: ignore[method-assign]  # every branch makes the same call
    agent = Agent(steps.model, tools=[slow_think], output_type=str)

    result = await agent.run("go", strategy=DVTS(3, 3, step_scorer=last_x))

    assert calls == [7]
    assert result.extra["tool_cache"] == {"hits": 8, "misses": 1}
    assert all(
        isinstance(p, ToolResult) and p.content == 7
        for c in result.candidates
        for m in c.messages
        if m.kind == "request"
        for p in m.parts
        if isinstance(p, ToolResult)
    )


def test_aggregation_of_step_scores() -> None:
    assert aggregate_scores([0.9, 0.5, 0.8], "last") == 0.8
    assert aggregate_scores([0.9, 0.5, 0.8], "min") == 0.5
    assert aggregate_scores([0.9, 0.5, 0.8], "prod") == pytest.approx(0.36)
    with pytest.raises(ValueError, match="no score"):
        aggregate_scores([], "last")


def test_search_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="width must be >= 1"):
        BeamSearch(0, 2, step_scorer=last_x)
    with pytest.raises(ValueError, match="aggregate must be one of"):
        DVTS(2, 2, step_scorer=last_x, aggregate="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step_scorer=3 is not usable"):
        BeamSearch(2, 2, step_scorer=3)  # type: ignore[arg-type]
