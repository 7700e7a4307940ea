"""Running the tool calls of one model response.

Pure and idempotent calls run concurrently (up to a limit); a mutating call waits for the calls
before it and runs alone, so side effects happen in the order the model asked for them. Every
failure (unknown tool, bad arguments, exception, timeout) becomes a retry prompt for the model.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from agentkit.context import RunContext
from agentkit.exceptions import ModelRetry
from agentkit.messages import RetryPrompt, ToolCall, ToolResult
from agentkit.prompts import render
from agentkit.tools import ArgumentsError, Tool

__all__ = ["ToolInvoker", "ToolOutcome", "invoke_directly", "run_calls"]

ToolInvoker = Callable[[Tool[Any], dict[str, Any], RunContext[Any]], Awaitable[Any]]
"""Runs a validated call and applies ``tool.timeout`` (raising ``TimeoutError``). The default calls the
function; durable runs wrap it in a step; strategies add a cache."""


@dataclass(frozen=True)
class ToolOutcome:
    """What one call produced: a result for the model, or a retry prompt after a failure."""

    call: ToolCall
    part: ToolResult | RetryPrompt
    duration_s: float
    tool: Tool[Any] | None

    @property
    def failed(self) -> bool:
        """Whether the call failed (the model gets a retry prompt)."""
        return isinstance(self.part, RetryPrompt)


async def invoke_directly(tool: Tool[Any], args: dict[str, Any], ctx: RunContext[Any]) -> Any:
    """Call the tool's function within its timeout: awaited if async, in a worker thread if not.

    The timeout is applied here, inside the invoker, so a durable step records a timeout like any outcome.
    """
    call_args = (ctx,) if tool.takes_ctx else ()
    if tool.is_async:
        return await asyncio.wait_for(tool.function(*call_args, **args), tool.timeout)
    return await asyncio.wait_for(asyncio.to_thread(tool.function, *call_args, **args), tool.timeout)


async def run_one(
    call: ToolCall,
    tool: Tool[Any] | None,
    ctx: RunContext[Any],
    invoke: ToolInvoker,
    available: Sequence[str],
) -> ToolOutcome:
    """Validate and run one call; never raises for a tool or argument failure."""
    started = time.perf_counter()
    part = await _result_part(call, tool, ctx, invoke, available)
    return ToolOutcome(call, part, time.perf_counter() - started, tool)


async def _result_part(
    call: ToolCall,
    tool: Tool[Any] | None,
    ctx: RunContext[Any],
    invoke: ToolInvoker,
    available: Sequence[str],
) -> ToolResult | RetryPrompt:
    if tool is None:
        names = ", ".join(available) or "(none)"
        return _retry(call, render("tool_unknown", tool=call.name, available=names))
    try:
        args = tool.validate_arguments(call.arguments)
    except ArgumentsError as exc:
        return _retry(call, render(exc.template, tool=call.name, error=exc.error))
    try:
        value = await invoke(tool, args, ctx)
    except TimeoutError:
        return _retry(call, render("tool_timeout", tool=call.name, seconds=tool.timeout))
    except ModelRetry as exc:
        return _retry(call, render("tool_retry", message=exc.message))
    except Exception as exc:  # a tool's failure goes back to the model, never crashes the run
        return _retry(call, render("tool_failed", tool=call.name, error_type=type(exc).__name__, error=exc))
    return ToolResult(call_id=call.id, name=call.name, content=to_jsonable_python(value, fallback=str))


def _retry(call: ToolCall, text: str) -> RetryPrompt:
    return RetryPrompt(content=text, call_id=call.id, name=call.name)


async def run_calls(
    calls: Sequence[ToolCall],
    run: Callable[[ToolCall], Awaitable[ToolOutcome]],
    parallel_safe: Callable[[ToolCall], bool],
    max_parallel: int,
    after_batch: Callable[[list[ToolOutcome]], Awaitable[None]],
) -> list[ToolOutcome]:
    """Run ``calls`` in batches: consecutive parallel-safe calls together, others alone; keep order.

    ``after_batch`` gets each batch's outcomes in call order (not completion order), so what it records
    is the same on every replay of a durable run.
    """
    limit = asyncio.Semaphore(max_parallel)

    async def limited(call: ToolCall) -> ToolOutcome:
        async with limit:
            return await run(call)

    outcomes: list[ToolOutcome] = []
    batches: list[list[ToolCall]] = []
    for call in calls:
        if parallel_safe(call) and batches and parallel_safe(batches[-1][0]):
            batches[-1].append(call)
        else:
            batches.append([call])
    for batch in batches:
        done = list(await asyncio.gather(*(limited(c) for c in batch)))
        await after_batch(done)
        outcomes += done
    return outcomes
