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

from agentkit._tool_content import ContentError, exception_text, safe_text, tool_content
from agentkit._tool_files import file_result
from agentkit._tool_threads import mutating_call_running, run_in_thread
from agentkit.context import RunContext
from agentkit.exceptions import ModelRetry
from agentkit.messages import RetryPrompt, ToolCall, ToolResult
from agentkit.prompts import render
from agentkit.redaction import scrub_values
from agentkit.tools import ArgumentsError, Tool

__all__ = ["ToolInvoker", "ToolOutcome", "invoke_directly", "run_calls"]

ToolInvoker = Callable[[Tool[Any], dict[str, Any], RunContext[Any]], Awaitable[Any]]
"""Runs a validated call within ``tool.timeout`` and the run's ``ctx.time_left`` (raising ``TimeoutError``)
and sets ``ctx.cancelled`` when it stops waiting. The default calls the function; durable runs wrap it in
a step; strategies add a cache."""


@dataclass(frozen=True)
class ToolOutcome:
    """What one call produced: a result for the model, or a retry prompt after a failure."""

    call: ToolCall
    part: ToolResult | RetryPrompt
    duration_s: float
    tool: Tool[Any] | None
    scrubbed: ToolResult | RetryPrompt | None = None
    """``part`` with the call's secret argument values scrubbed, when it contained any."""

    @property
    def failed(self) -> bool:
        """Whether the call failed (the model gets a retry prompt)."""
        return isinstance(self.part, RetryPrompt)

    @property
    def shown(self) -> ToolResult | RetryPrompt:
        """The part as events, spans, reports and error messages show it (secret arguments scrubbed)."""
        return self.scrubbed or self.part


async def invoke_directly(tool: Tool[Any], args: dict[str, Any], ctx: RunContext[Any]) -> Any:
    """Call the tool's function within :func:`_call_timeout`: awaited if async, in a thread of its own if not
    (or, with ``in_thread=False``, right here on the event loop's thread).

    The timeout is applied here, inside the invoker, so a durable step records a timeout like any outcome.
    When the run stops waiting (a timeout, a cancelled run) ``ctx.cancelled`` is set: an async tool is
    cancelled, a sync tool's thread is abandoned and, if the tool is mutating, blocks the run's other
    mutating calls until it ends (see :mod:`agentkit._tool_threads`).
    """
    limit = _call_timeout(tool, ctx)
    if limit is not None and limit <= 0:
        raise ModelRetry(render("tool_no_time_left", tool=tool.name))
    mutating = tool.side_effect == "mutating"
    if mutating and (running := mutating_call_running(ctx.run_id)) is not None:
        raise ModelRetry(render("tool_busy", tool=tool.name, running=running))
    call_args = (ctx,) if tool.takes_ctx else ()
    if tool.is_async:
        pending: Awaitable[Any] = tool.function(*call_args, **args)
    elif tool.in_thread:
        pending = run_in_thread(
            tool.function, call_args, args, run_id=ctx.run_id, tool_name=tool.name, mutating=mutating
        )
    else:
        pending = _call_here(tool.function, call_args, args)
    try:
        return await asyncio.wait_for(pending, limit)
    except (TimeoutError, asyncio.CancelledError):
        ctx.cancelled.set()
        raise


async def _call_here(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A sync tool with ``in_thread=False``: called on the event loop's thread (no timeout can stop it)."""
    return function(*args, **kwargs)


def _call_timeout(tool: Tool[Any], ctx: RunContext[Any]) -> float | None:
    """The seconds a call may take: the tool's timeout or the run's time left, whichever is smaller."""
    limits = [t for t in (tool.timeout, ctx.time_left) if t is not None]
    return min(limits, default=None)


def _timeout_text(tool: Tool[Any], ctx: RunContext[Any]) -> str | None:
    """What the model reads after a call timed out, or ``None`` when no limit applied (the tool itself
    raised ``TimeoutError``)."""
    suffix = "_mutating" if tool.side_effect == "mutating" else ""
    if ctx.time_left is not None and (tool.timeout is None or ctx.time_left < tool.timeout):
        return render(f"tool_out_of_time{suffix}", tool=tool.name)
    if tool.timeout is None:
        return None
    return render(f"tool_timeout{suffix}", tool=tool.name, seconds=tool.timeout)


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
    return ToolOutcome(call, part, time.perf_counter() - started, tool, _scrubbed(part, call, tool))


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
    except Exception as exc:  # a user validator raising something pydantic does not wrap
        error = f"{type(exc).__name__}: {exception_text(exc)}"
        return _retry(call, render("tool_args_invalid", tool=call.name, error=error))
    try:
        value = await invoke(tool, args, ctx)
    except TimeoutError as exc:
        return _retry(call, _timeout_text(tool, ctx) or _failure_text("tool_failed", call, exc))
    except ModelRetry as exc:
        return _retry(call, render("tool_retry", message=exc.message))
    except Exception as exc:  # a tool's failure goes back to the model, never crashes the run
        return _retry(call, _failure_text("tool_failed", call, exc))
    except (SystemExit, KeyboardInterrupt) as exc:  # raised by the tool (a host's Ctrl-C cancels the task)
        return _retry(call, _failure_text("tool_exited", call, exc))
    return _tool_result(call, value)


def _failure_text(template: str, call: ToolCall, exc: BaseException) -> str:
    return render(template, tool=call.name, error_type=type(exc).__name__, error=exception_text(exc))


def _tool_result(call: ToolCall, value: Any) -> ToolResult | RetryPrompt:
    """The value as a result, or a retry prompt when it can't be turned into JSON."""
    if (files := file_result(call, value)) is not None:
        return files
    try:
        content = tool_content(value)
    except ContentError as exc:
        return _retry(call, render("tool_result_invalid", tool=call.name, error=exc))
    return ToolResult(call_id=call.id, name=call.name, content=content)


def _scrubbed(
    part: ToolResult | RetryPrompt, call: ToolCall, tool: Tool[Any] | None
) -> ToolResult | RetryPrompt | None:
    """``part`` without the call's secret argument values, or ``None`` when it has none of them."""
    secrets = tool.secret_values(call.arguments) if tool is not None else []
    content = scrub_values(part.content, secrets)
    return None if content == part.content else part.model_copy(update={"content": content})


def _retry(call: ToolCall, text: str) -> RetryPrompt:
    return RetryPrompt(content=safe_text(text), call_id=call.id, name=call.name)


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
