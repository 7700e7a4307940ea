"""An agent as a tool of another agent (:meth:`agentkit.Agent.as_tool`).

The parent's model calls the tool with one ``task`` string. The sub-agent runs on it with the parent's
``deps``, inside a budget carved from what the parent run has left, and its output is the tool's result
(a typed output goes back as JSON). Its usage is added to the parent's (so the parent's budget counts
it) and its events go to the parent's event stream, tagged with ``parent_call_id``. A sub-run that
fails or runs out of budget is a tool failure the parent's model reads, never a crash of the parent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from agentkit._loop import EventSink
from agentkit._tool_content import exception_text
from agentkit.agent import Agent, RunOptions
from agentkit.context import RunContext
from agentkit.events import AgentEvent
from agentkit.exceptions import AgentkitError, BudgetExceeded, ModelRetry, UserError
from agentkit.prompts import render
from agentkit.tools import SideEffect, Tool
from agentkit.usage import Budget, LimitName, Usage

__all__ = ["agent_tool", "carve_budget", "derived_side_effect"]

TASK = "task"
"""The one parameter of an agent tool."""

_USED: dict[LimitName, Callable[[Usage], float]] = {
    "max_turns": lambda u: u.requests,
    "max_tokens": lambda u: u.total_tokens,
    "max_cost_usd": lambda u: u.cost_usd,
    "max_tool_calls": lambda u: u.tool_calls,
}
_WHOLE: frozenset[LimitName] = frozenset({"max_turns", "max_tokens", "max_tool_calls"})


class NoBudgetLeft(Exception):
    """The parent run has nothing left of ``limit`` to give a sub-agent."""

    def __init__(self, limit: LimitName) -> None:
        super().__init__(limit)
        self.limit = limit


def agent_tool(
    agent: Agent[Any, Any],
    *,
    name: str | None,
    description: str,
    budget: Budget | None,
    side_effect: SideEffect | None,
) -> Tool[Any]:
    """A tool that runs ``agent`` on the task the calling model writes (see the module docs)."""
    if not description.strip():
        raise UserError(
            "Agent.as_tool(description=...) is empty: say what the agent does and when to call it, "
            "the parent's model reads it to decide."
        )
    tool_name = name or agent.name

    async def run_agent(ctx: RunContext[Any], task: str) -> Any:
        return await run_sub_agent(agent, tool_name, budget, ctx, task)

    parameters = {
        "type": "object",
        "properties": {TASK: {"type": "string", "description": render("agent_tool_task")}},
        "required": [TASK],
        "additionalProperties": False,
    }
    return Tool.from_schema(
        name=tool_name,
        description=description,
        parameters=parameters,
        function=run_agent,
        takes_ctx=True,
        side_effect=side_effect or derived_side_effect(agent),
    )


def derived_side_effect(agent: Agent[Any, Any]) -> SideEffect:
    """``"mutating"`` if any of the agent's tools is, else ``"idempotent"`` (a model's answer varies, so
    never ``"pure"``: strategies would share one answer between branches)."""
    return "mutating" if any(t.side_effect == "mutating" for t in agent.registry) else "idempotent"


async def run_sub_agent(
    agent: Agent[Any, Any], tool_name: str, own: Budget | None, ctx: RunContext[Any], task: str
) -> Any:
    """Run ``agent`` on ``task`` for the tool call ``ctx``; its usage goes to ``ctx.add_usage``."""
    try:
        budget = carve_budget(own or agent.budget, ctx.budget, ctx.usage, ctx.time_left)
    except NoBudgetLeft as exc:
        raise ModelRetry(render("agent_tool_no_budget", tool=tool_name, limit=exc.limit)) from None
    options = RunOptions(budget=budget, emit=_nested_sink(ctx), run_id=_sub_run_id(ctx))
    async with agent.iter(task, deps=ctx.deps, options=options) as run:
        try:
            async for _ in run:
                pass
        except BudgetExceeded as exc:
            raise ModelRetry(render("agent_tool_budget", tool=tool_name, limit=exc.limit)) from exc
        except UserError:
            raise  # a configuration fault: the tool failure names it as it is
        except AgentkitError as exc:
            error = exception_text(exc)
            raise ModelRetry(
                render("agent_tool_failed", tool=tool_name, error_type=type(exc).__name__, error=error)
            ) from exc
        finally:
            ctx.add_usage(run.usage)
    assert run.result is not None
    return run.result.output


def carve_budget(own: Budget | None, parent: Budget | None, used: Usage, time_left: float | None) -> Budget | None:
    """The sub-run's budget: ``own`` with each limit capped by what the parent has left.

    Raises :class:`NoBudgetLeft` when the parent has none left of a limit (tool calls excepted: a
    sub-agent without tool calls left can still answer).
    """
    left = _parent_left(parent, used, time_left)
    if not left:
        return own
    base = own or Budget(unpriced=parent.unpriced if parent else "raise")
    caps: dict[str, float | int] = {}
    for limit, value in left.items():
        if value <= 0 and limit != "max_tool_calls":
            raise NoBudgetLeft(limit)
        mine = getattr(base, limit)
        capped = max(0.0, value) if mine is None else min(mine, max(0.0, value))
        caps[limit] = math.floor(capped) if limit in _WHOLE else capped
    return base.model_copy(update=caps)


def _parent_left(parent: Budget | None, used: Usage, time_left: float | None) -> dict[LimitName, float]:
    left: dict[LimitName, float] = {}
    if parent is not None:
        for limit, measure in _USED.items():
            maximum = getattr(parent, limit)
            if maximum is not None:
                left[limit] = maximum - measure(used)
    if time_left is not None:
        left["max_seconds"] = time_left
    return left


def _nested_sink(ctx: RunContext[Any]) -> EventSink | None:
    parent = ctx.emit
    if parent is None:
        return None
    call_id = ctx.tool_call_id

    async def sink(event: AgentEvent) -> None:
        if event.parent_call_id is None:  # else it comes from deeper down and names its own call
            event = event.model_copy(update={"parent_call_id": call_id})
        await parent(event)

    return sink


def _sub_run_id(ctx: RunContext[Any]) -> str | None:
    return f"{ctx.run_id}:{ctx.step}:{ctx.tool_call_id}" if ctx.tool_call_id else None
