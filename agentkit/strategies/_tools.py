"""Side-effect rules for tools inside branches (:class:`ToolPolicy`) and the shared result cache.

Branches of a strategy are speculative: most of them are thrown away. So by default they run only
tools declared ``pure`` or ``idempotent``; a ``mutating`` call is refused (the model is told so and
continues). Opt in per tool with a dry-run implementation (``ToolPolicy(dry_run={"send_email":
fake_send})``), or for real with ``allow_mutating``. Identical calls of a ``pure`` tool (same name,
same validated arguments) run once and every branch shares the result.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic_core import to_jsonable_python

from agentkit._loop import ToolGuard
from agentkit._tool_exec import ToolInvoker, invoke_directly
from agentkit.context import RunContext
from agentkit.exceptions import UserError
from agentkit.messages import ToolCall
from agentkit.prompts import render
from agentkit.tools import Tool

__all__ = ["ToolCache", "ToolPolicy"]


@dataclass(frozen=True)
class ToolPolicy:
    """What tools may do inside a strategy's branches.

    Args:
        allow_mutating: ``True`` runs every mutating tool for real in every branch; a collection of
            names allows just those. Only for tools that are safe to run many times.
        dry_run: Replacement implementations (same parameters as the tool's function) run instead of
            a mutating tool inside branches: a sandbox or a simulation.
        share_pure: Run identical calls of a ``pure`` tool once and share the result across branches.
    """

    allow_mutating: bool | Collection[str] = False
    dry_run: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    share_pure: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.allow_mutating, str):
            raise UserError(
                f"ToolPolicy(allow_mutating={self.allow_mutating!r}): pass True or a collection of tool names, "
                f"e.g. allow_mutating={{{self.allow_mutating!r}}}."
            )
        bad = [name for name, impl in self.dry_run.items() if not callable(impl)]
        if bad:
            raise UserError(f"ToolPolicy(dry_run=...) values must be callables; not for {bad}.")

    def allows(self, tool: Tool[Any]) -> bool:
        """Whether ``tool`` may run inside a branch (for real or as its dry run)."""
        if tool.side_effect != "mutating" or tool.name in self.dry_run:
            return True
        if isinstance(self.allow_mutating, bool):
            return self.allow_mutating
        return tool.name in self.allow_mutating


class ToolCache:
    """Results of pure tool calls shared across branches; concurrent identical calls run once."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], asyncio.Task[Any]] = {}
        self.hits = 0
        self.misses = 0

    async def get(self, tool: Tool[Any], args: dict[str, Any], run: Callable[[], Awaitable[Any]]) -> Any:
        """The cached result of ``tool(**args)``, running ``run`` if there is none (failures aren't kept)."""
        key = (tool.name, json.dumps(to_jsonable_python(args, fallback=repr), sort_keys=True))
        task = self._entries.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(run())
            task.add_done_callback(_retrieve)
            self._entries[key] = task
            self.misses += 1
        else:
            self.hits += 1
        return await asyncio.shield(task)


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a task's exception as seen (its waiters may all have been cancelled)."""
    if not task.cancelled():
        task.exception()


@dataclass
class BranchTools:
    """The guard and invoker hooks a strategy installs in every branch."""

    policy: ToolPolicy
    cache: ToolCache
    take_tool_call: Callable[[], bool]
    """Counts one call against the shared budget; ``False`` when it's used up."""
    base_guard: ToolGuard | None = None
    base_invoke: ToolInvoker = invoke_directly
    _dry_tools: dict[str, Tool[Any]] = field(default_factory=dict)

    def guard(self, tool: Tool[Any], call: ToolCall) -> str | None:
        """``None`` to run the call, or the refusal the model sees."""
        refusal = self.base_guard(tool, call) if self.base_guard else None
        if refusal is not None:
            return refusal
        if not self.policy.allows(tool):
            return render("strategy_tool_refused", tool=tool.name)
        if not self.take_tool_call():
            return render("tool_call_limit", tool=tool.name)
        return None

    async def invoke(self, tool: Tool[Any], args: dict[str, Any], ctx: RunContext[Any]) -> Any:
        """Run a validated call: its dry run, the shared cached result, or the tool itself."""
        if tool.side_effect == "mutating" and tool.name in self.policy.dry_run:
            return await self.base_invoke(self._dry_tool(tool), args, ctx)
        if tool.side_effect == "pure" and self.policy.share_pure:
            return await self.cache.get(tool, args, lambda: self.base_invoke(tool, args, ctx))
        return await self.base_invoke(tool, args, ctx)

    def _dry_tool(self, tool: Tool[Any]) -> Tool[Any]:
        made = self._dry_tools.get(tool.name)
        if made is None:
            made = self._dry_tools[tool.name] = replace(tool, function=self.policy.dry_run[tool.name])
        return made
