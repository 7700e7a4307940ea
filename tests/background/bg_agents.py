"""A real :class:`agentkit.Agent` for durable-run tests.

The prompt reads ``"<label> <turns> <file> <seconds per call>"``: the model asks for
``append_line`` ``turns`` times, then answers. It answers from the history alone, so a replay in a
fresh process agrees with the original. Every call leaves a line ``"<kind> <id> <pid>"`` in the
file named by the deps before it takes its time (like :mod:`tests.background.bg_fake_agent`); a model call's id is
``"<label>:m<turn>"`` and travels in its response, a tool call's id is its idempotency key, which it
returns. In a branch of a strategy run (a child run ``"<parent>:<i>"``, e.g. ``writer.start(prompt,
strategy=vote_of_3)``) the label is that run's id, so every branch's calls have ids of their own.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from agentkit import Agent, ModelRequest, ModelResponse, RunContext, TextPart, ToolCall, ToolResult, UserPart, tool
from agentkit.strategies import SelfConsistency, ToolPolicy
from agentkit.testing import FunctionModel, RecordedRequest, call, text


def _append(path: str, kind: str, call_id: str) -> None:
    with open(path, "a") as f:
        f.write(f"{kind} {call_id} {os.getpid()}\n")


def _prompt(messages: list[Any]) -> tuple[str, int, str, float]:
    first = messages[0]
    prompt = next(p.content for p in first.parts if isinstance(p, UserPart))
    label, turns, path, delay = prompt.split()
    return label, int(turns), path, float(delay)


def _branch_label(label: str) -> str:
    from dbos import DBOS

    run_id = DBOS.workflow_id
    return run_id if run_id is not None and run_id.startswith(f"{label}:") else label


async def _answer(messages: list[Any], info: RecordedRequest) -> ModelResponse:
    label, turns, path, delay = _prompt(messages)
    label = _branch_label(label)
    done = sum(isinstance(p, ToolResult) for m in messages if isinstance(m, ModelRequest) for p in m.parts)
    call_id = f"{label}:m{done}"
    _append(path, "model", call_id)
    await asyncio.sleep(delay)
    return call("append_line", {"text": call_id}) if done < turns else text(call_id)


@tool
async def append_line(ctx: RunContext[dict[str, Any]], text: str) -> str:
    """Record one line."""
    assert ctx.idempotency_key is not None
    _append(ctx.deps["path"], "tool", ctx.idempotency_key)
    await asyncio.sleep(ctx.deps.get("delay_s", 0.0))
    return ctx.idempotency_key


writer = Agent(FunctionModel(_answer), tools=[append_line], name="writer")
vote_of_3 = SelfConsistency(3, tools=ToolPolicy(allow_mutating={"append_line"}))
"""Three branches, each a child run in the background; they may run ``append_line`` (its calls are counted)."""


def call_id_of(output: Any) -> str:
    """The id of a recorded step's output: a tool's key, or the id a model response carries."""
    if isinstance(output, str):
        return output
    part = output.parts[0]
    if isinstance(part, ToolCall):
        return str(json.loads(part.arguments)["text"])
    assert isinstance(part, TextPart)
    return part.content
