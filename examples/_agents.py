"""Agents for ``examples/background_agents.ipynb``.

A durable run stores the *import path* of its agent (``"_agents:writer"``), not the agent itself: the
worker that executes the run (this process in embedded mode, or an ``agentkit worker`` started
elsewhere) imports it. So the agent must live at module level of an importable module, like here.

The model is a :class:`~agentkit.testing.FunctionModel` that decides from the transcript alone (how
many sections are written so far). That makes it safe to *replay*: after a crash, a cancel or a
resume, the recorded steps are read back and the next request sees the same transcript as before.
(A :class:`~agentkit.testing.ScriptedModel` counts its requests instead, so a replay would desync
it.) Swap it for ``"openai:o4-mini"`` or ``"local"`` and nothing else changes.
"""

from __future__ import annotations

import asyncio
import fcntl
from pathlib import Path
from typing import Any

from agentkit import Agent, ModelRequest, ModelResponse, RunContext, ToolResult, tool
from agentkit.testing import FunctionModel, RecordedRequest, call, text

__all__ = ["SECTIONS", "writer"]

SECTIONS = ["Summary", "Findings", "Risks", "Next steps"]


@tool(side_effect="mutating")
async def write_section(ctx: RunContext[dict[str, Any]], title: str) -> str:
    """Append one section to the report file.

    Args:
        title: The section's title.
    """
    path = Path(ctx.deps["path"])
    key = ctx.idempotency_key  # the same when a durable run repeats an interrupted call
    with Path(f"{path}.calls").open("a") as calls:  # every call, for the notebook to count
        calls.write(f"{key} {title}\n")
    await asyncio.sleep(ctx.deps.get("delay_s", 0.2))  # pretend this is slow work
    with path.open("a+") as report:
        fcntl.flock(report, fcntl.LOCK_EX)  # check and write as one step
        report.seek(0)
        if key is not None and f"<!-- {key} -->" in report.read():
            return f"section {title!r} was already written"
        report.write(f"## {title}\n<!-- {key} -->\n")
    return f"wrote section {title!r}"


def _next_step(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
    """Write the next missing section, or answer when all are written (decided from the transcript)."""
    written = sum(isinstance(p, ToolResult) for m in messages if isinstance(m, ModelRequest) for p in m.parts)
    if written < len(SECTIONS):
        return call("write_section", title=SECTIONS[written])
    return text(f"The report has {len(SECTIONS)} sections: {', '.join(SECTIONS)}.")


writer = Agent(
    FunctionModel(_next_step, name="scripted-writer"),
    instructions="Write the report one section at a time.",
    tools=[write_section],
    name="report-writer",
)
