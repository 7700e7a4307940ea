"""Agents whose tools need approval, for background runs.

The prompt reads ``"<label> <tool> <calls> <file> <seconds>"``: the first model response asks for
``<calls>`` calls of ``<tool>`` (call ids ``<label>-c0``, ``<label>-c1``..., orders ``<label>-o0``...);
the second, after ``<seconds>``, answers with the tool results joined by ``" | "``. The model answers
from the history alone, so a replay in a fresh process agrees with the original. Each model call and
each tool run appends ``"<kind> <id> <pid>"`` to ``<file>`` before it takes its time.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from agentkit import Agent, ModelRequest, ModelResponse, RetryPrompt, RunContext, ToolResult, UserPart, tool
from agentkit.approval import approve_all
from agentkit.testing import FunctionModel, RecordedRequest, call, response, text

TOKEN = "s3cret-token"


def _append(path: str, kind: str, call_id: str) -> None:
    with open(path, "a") as f:
        f.write(f"{kind} {call_id} {os.getpid()}\n")


@tool(requires_approval=True, secret_args=["token"])
async def refund(ctx: RunContext[dict[str, Any]], order: str, token: str) -> str:
    """Refund an order (mutating: calls run one at a time)."""
    assert token == TOKEN
    _append(ctx.deps["path"], "tool", order)
    return f"refunded {order}"


@tool(requires_approval=True, side_effect="idempotent")
async def lookup(ctx: RunContext[dict[str, Any]], order: str) -> str:
    """Look an order up (idempotent: calls run in parallel)."""
    _append(ctx.deps["path"], "tool", order)
    return f"looked up {order}"


def _prompt(messages: list[Any]) -> tuple[str, str, int, str, float]:
    prompt = next(p.content for p in messages[0].parts if isinstance(p, UserPart))
    label, tool_name, calls, path, delay = prompt.split()
    return label, tool_name, int(calls), path, float(delay)


def _first_response(label: str, tool_name: str, calls: int) -> ModelResponse:
    def args(i: int) -> dict[str, str]:
        order = {"order": f"{label}-o{i}"}
        return {**order, "token": TOKEN} if tool_name == "refund" else order

    return response(*(call(tool_name, args(i), id=f"{label}-c{i}") for i in range(calls)))


async def _answer(messages: list[Any], info: RecordedRequest) -> ModelResponse:
    label, tool_name, calls, path, delay = _prompt(messages)
    results = [
        p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolResult | RetryPrompt)
    ]
    if not results:
        _append(path, "model", f"{label}:m0")
        return _first_response(label, tool_name, calls)
    _append(path, "model", f"{label}:m1")
    await asyncio.sleep(delay)
    return text(" | ".join(str(p.content) for p in results))


refunder: Agent[dict[str, Any], str] = Agent(FunctionModel(_answer), tools=[refund, lookup], name="refunder")
"""No approver: background runs wait for a person's decision."""

trusting_refunder: Agent[dict[str, Any], str] = Agent(
    FunctionModel(_answer), tools=[refund, lookup], approver=approve_all, name="trusting"
)
"""Its own approver decides (approves everything)."""

REF = "tests.background.bg_approval_agents:refunder"


def tool_runs(path: str) -> list[str]:
    """The orders the tools ran for, in order (one entry per run of a tool)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split()[1] for line in f if line.startswith("tool ")]
