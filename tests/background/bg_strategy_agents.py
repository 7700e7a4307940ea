"""An agent and module-level verifiers for durable strategy runs (``agent.start(task, strategy=...)``).

The prompt reads ``"<file> <seconds per call>"``. Each branch first calls ``branch_index``, which
returns the branch's index (from its run id ``"<parent>:<index>"``), then answers ``"9"`` on branches
whose index is a multiple of 3 and ``"7"`` on the others. Every model and tool call leaves a line
``"<kind> <run id> <pid>"`` in the file before it takes its time, so tests count what ran where.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from agentkit import Agent, Budget, ModelRequest, ModelResponse, RunContext, ToolResult, UserPart, tool
from agentkit.strategies import BestOfN, SelfConsistency
from agentkit.testing import FunctionModel, RecordedRequest, call, text


def _append(path: str, kind: str, run_id: str) -> None:
    with open(path, "a") as f:
        f.write(f"{kind} {run_id} {os.getpid()}\n")


def _prompt(messages: list[Any]) -> tuple[str, float]:
    prompt = next(p.content for p in messages[0].parts if isinstance(p, UserPart))
    path, delay = prompt.split()
    return path, float(delay)


async def _answer(messages: list[Any], info: RecordedRequest) -> ModelResponse:
    path, delay = _prompt(messages)
    results = [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolResult)]
    _append(path, "model", f"{len(results)}")
    await asyncio.sleep(delay)
    if not results:
        return call("branch_index", {})
    index = int(results[-1].content)
    return text("9" if index % 3 == 0 else "7")


@tool(side_effect="idempotent")
def branch_index(ctx: RunContext[Any]) -> int:
    """The index of the branch this run is."""
    path, _ = _prompt(ctx.messages)
    _append(path, "tool", ctx.run_id)
    return int(ctx.run_id.rsplit(":", 1)[1])


solver = Agent(FunctionModel(_answer), tools=[branch_index], name="solver")


def prefers_nine(output: str) -> float:
    """A verifier: 1.0 for "9", else 0.0."""
    return 1.0 if output.strip() == "9" else 0.0


best_of_4 = BestOfN(4, verifier=prefers_nine)
vote_of_5 = SelfConsistency(5)

tight = Agent(FunctionModel(_answer), tools=[branch_index], name="tight", budget=Budget(max_turns=6))
two_at_a_time = SelfConsistency(4, concurrency=2)
three_tool_calls = Agent(FunctionModel(_answer), tools=[branch_index], name="three", budget=Budget(max_tool_calls=3))
