"""Input guardrails beside the first model request: the request's answer is handed back only once every
input guardrail passed (so no tool runs before), and a tripwire cancels the request."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from agentkit.guardrails._run import GuardrailRunner, begin
from agentkit.guardrails.guardrail import InputGuardrail

if TYPE_CHECKING:
    from agentkit._loop import EventSink, Messages, ModelCaller, RunConfig
    from agentkit.context import RunContext
    from agentkit.messages import ModelResponse
    from agentkit.models.base import Model, RequestParams
    from agentkit.settings import ModelSettings

__all__ = ["InputGate", "gated"]

T = TypeVar("T")


class InputGate:
    """The input guardrails of one run, or of one strategy run (``shared``: its branches all wait for it)."""

    def __init__(
        self,
        guardrails: Sequence[InputGuardrail],
        ctx: RunContext[Any],
        prompt: Any,
        emit: EventSink,
        runner: GuardrailRunner,
        *,
        shared: bool = False,
    ) -> None:
        self._guardrails = guardrails
        self._ctx = ctx
        self._prompt = prompt
        self._emit = emit
        self._runner = runner
        self.shared = shared
        self._task: asyncio.Future[None] | None = None
        self._waiters = 0
        self._starting = asyncio.Lock()

    @property
    def passed(self) -> bool:
        """Whether every guardrail passed."""
        task = self._task
        return task is not None and task.done() and not task.cancelled() and task.exception() is None

    async def start(self) -> None:
        """Start the guardrails, unless they run already (or passed)."""
        async with self._starting:
            if self._task is None or self._task.cancelled():
                checks = await begin(self._guardrails, self._ctx, self._prompt, self._emit, self._runner)
                self._task = asyncio.ensure_future(checks)

    async def alongside(self, work: Awaitable[T]) -> T:
        """``work``'s result once the guardrails passed too; a tripwire cancels ``work`` and is raised.

        When ``work`` fails, the guardrails stop too (unless the gate is shared, or others wait for it): the
        next request starts them again.
        """
        assert self._task is not None, "start() the gate first"
        task = asyncio.ensure_future(work)
        self._waiters += 1
        try:
            both: list[asyncio.Future[Any]] = [task, self._task]
            await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
            if self._task.done():
                self._task.result()  # raises the tripwire (or the guardrail's failure)
            value = await task
            await asyncio.wait([self._task])  # never cancels the guardrails: a shared gate has other waiters
            self._task.result()
            return value
        finally:
            self._waiters -= 1
            if not task.done():
                task.cancel()
                await asyncio.wait([task])
            _retrieve(task)
            if not self.shared and self._waiters == 0:
                await self.stop()

    async def stop(self) -> None:
        """Stop guardrails still running (they start again with the next request); no-op once they ended."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
            _retrieve(self._task)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark an outcome nobody else will read as read (no "exception was never retrieved" at exit)."""
    if task.done() and not task.cancelled():
        task.exception()


def gated(inner: ModelCaller, gate: InputGate) -> ModelCaller:
    """``inner`` with the first request of the run sent alongside the input guardrails."""

    async def call(
        model: Model,
        messages: Messages,
        settings: ModelSettings,
        params: RequestParams,
        config: RunConfig[Any],
        timeout: float | None,
    ) -> ModelResponse:
        if gate.passed:
            return await inner(model, messages, settings, params, config, timeout)
        await gate.start()
        return await gate.alongside(inner(model, messages, settings, params, config, timeout))

    return call
