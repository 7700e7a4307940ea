"""``agent.stream(prompt, strategy=...)``: every branch streams, its events tagged; the chosen answer ends it."""

from __future__ import annotations

import itertools

from agentkit import Agent
from agentkit.events import AgentEvent, FinalResultEvent, StrategyBranch, TextDelta
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel, text


def answering(*answers: str) -> FunctionModel:
    """Branch i (requests arrive in branch order) answers ``answers[i]``, streamed in pieces of 2 characters."""
    it = itertools.cycle(answers)
    return FunctionModel(lambda messages, info: text(next(it)), chunk_size=2)


async def test_branch_events_are_tagged_and_the_winner_comes_last() -> None:
    agent = Agent(answering("42!", "41!", "42!"))

    events: list[AgentEvent] = [e async for e in agent.stream("go", strategy=SelfConsistency(3))]

    deltas = [(e.branch, e.text) for e in events if isinstance(e, TextDelta)]
    assert sorted(deltas) == [("0", "!"), ("0", "42"), ("1", "!"), ("1", "41"), ("2", "!"), ("2", "42")]
    starts = [e.branch_id for e in events if isinstance(e, StrategyBranch) and e.action == "start"]
    assert starts == ["0", "1", "2"]
    branch_finals = {e.branch: e.output for e in events if isinstance(e, FinalResultEvent) and e.branch}
    assert branch_finals == {"0": "42!", "1": "41!", "2": "42!"}
    chosen = [e for e in events if isinstance(e, StrategyBranch) and e.action == "choose"]
    assert len(chosen) == 1 and chosen[0].branch_id == "0"
    final = events[-1]
    assert isinstance(final, FinalResultEvent)
    assert final.branch is None and final.output == "42!" and final.stop_reason == "final"
    assert all(e.run_id for e in events)


async def test_a_plain_stream_is_unchanged_by_the_strategy_option() -> None:
    agent = Agent(answering("hello"))

    events = [e async for e in agent.stream("go")]

    assert [(e.branch, e.text) for e in events if isinstance(e, TextDelta)] == [(None, "he"), (None, "ll"), (None, "o")]
    assert isinstance(events[-1], FinalResultEvent) and events[-1].output == "hello"
