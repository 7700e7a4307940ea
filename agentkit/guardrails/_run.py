"""Running a set of guardrails on one piece of data: concurrently, each with its own events, and the
first tripwire (or failure) cancels the others and stops the run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from agentkit.events import GuardrailEnd, GuardrailStart
from agentkit.exceptions import AgentkitError
from agentkit.guardrails.errors import GuardrailTripped, InputGuardrailTripped, OutputGuardrailTripped
from agentkit.guardrails.guardrail import GuardrailResult, InputGuardrail, OutputGuardrail

if TYPE_CHECKING:
    from agentkit._loop import EventSink
    from agentkit.context import RunContext

__all__ = ["GuardrailRunner", "begin", "run_directly"]

Guardrail = InputGuardrail | OutputGuardrail
GuardrailCheck = Callable[[], Awaitable[GuardrailResult]]
GuardrailRunner = Callable[[str, GuardrailCheck], Awaitable[GuardrailResult]]
"""Runs one guardrail's check: ``(name, check) -> awaitable result``. It is called for every guardrail of a
set, in their order, before any is awaited: a durable runner records each check as a step, and the
steps get the same numbers on every replay."""


def run_directly(name: str, check: GuardrailCheck) -> Awaitable[GuardrailResult]:
    """The default runner: just run the check."""
    return check()


async def begin(
    guardrails: Sequence[Guardrail], ctx: RunContext[Any], data: Any, emit: EventSink, runner: GuardrailRunner
) -> Awaitable[None]:
    """Emit each guardrail's start event and start its check (in order); await the returned awaitable for
    the outcome: ``None`` when all passed, else the first tripwire's (or failure's) error is raised."""
    for guardrail in guardrails:
        await emit(GuardrailStart(run_id=ctx.run_id, stage=guardrail.stage, guardrail=guardrail.name))
    started = time.perf_counter()
    pending = [runner(g.name, partial(g.check, ctx, data)) for g in guardrails]
    return _settle([_finish(g, p, ctx.run_id, emit, started) for g, p in zip(guardrails, pending, strict=True)])


async def _settle(checks: list[Awaitable[None]]) -> None:
    tasks = [asyncio.ensure_future(c) for c in checks]
    try:
        await asyncio.gather(*tasks)
    finally:  # one tripped or failed, or the run was cancelled: stop the others
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _finish(
    guardrail: Guardrail, pending: Awaitable[GuardrailResult], run_id: str, emit: EventSink, started: float
) -> None:
    end = partial(GuardrailEnd, run_id=run_id, stage=guardrail.stage, guardrail=guardrail.name)
    try:
        result = await pending
    except AgentkitError as exc:
        await emit(end(tripped=False, duration_s=time.perf_counter() - started, error=str(exc)))
        raise
    duration = time.perf_counter() - started
    await emit(end(tripped=result.tripped, duration_s=duration, reason=result.reason, info=result.info))
    if result.tripped:
        raise tripped_error(guardrail, result)


def tripped_error(guardrail: Guardrail, result: GuardrailResult) -> GuardrailTripped:
    """The error a tripped guardrail stops its run with."""
    if isinstance(guardrail, InputGuardrail):
        return InputGuardrailTripped(guardrail.name, result)
    return OutputGuardrailTripped(guardrail.name, result)
