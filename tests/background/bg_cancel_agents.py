"""An agent whose one sync tool writes ``start`` and, ``deps["seconds"]`` later, ``end`` to ``deps["path"]``:
a cancel arrives while the tool's thread runs, and the thread finishes after the run was cancelled."""

from __future__ import annotations

import time
from typing import Any

from agentkit import Agent, ModelRequest, RunContext, ToolResult, tool
from agentkit.testing import FunctionModel, RecordedRequest, call, text


@tool
def wait_a_while(ctx: RunContext[dict[str, Any]]) -> str:
    """Take a while."""
    with open(ctx.deps["path"], "a") as f:
        f.write("start\n")
    time.sleep(ctx.deps["seconds"])
    with open(ctx.deps["path"], "a") as f:
        f.write("end\n")
    return "waited"


def _answer(messages: list[Any], info: RecordedRequest) -> Any:
    answered = any(isinstance(p, ToolResult) for m in messages if isinstance(m, ModelRequest) for p in m.parts)
    return text("done") if answered else call("wait_a_while", {})


sleeper = Agent(FunctionModel(_answer), tools=[wait_a_while], name="sleeper")
