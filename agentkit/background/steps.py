"""The hook the agent loop calls for every model call, tool call and event.

A run talks to a :class:`StepRunner` only. :class:`InProcessStepRunner` just calls through (a normal,
non-durable run); the durable runner (``agentkit.background._durable``) makes each call a DBOS step,
so a run replayed after a crash gets the recorded results back instead of calling again.

Rules for code that runs under a durable step runner:

* Every call with an effect or a non-deterministic result (model, tool, clock, randomness) goes
  through :meth:`StepRunner.model_call` or :meth:`StepRunner.tool_call`; the code between them must
  be deterministic given their results, or the replay diverges (which is detected and reported).
* Step results and errors must be picklable.
* Call order decides step numbers: start parallel calls in a fixed order (``asyncio.gather`` keeps
  the order of its arguments).
* :meth:`StepRunner.receive` waits for a message from outside (an approval): its step is numbered
  when it is called, like the others, and what follows a message must not depend on when other
  messages arrive (wait for one message at a time).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

__all__ = ["InProcessStepRunner", "StepRunner", "idempotency_key"]

T = TypeVar("T")

ModelCall = Callable[[], Awaitable[T]]
ToolCall = Callable[[str], Awaitable[T]]
"""A tool call receives its idempotency key."""


def idempotency_key(run_id: str, step_index: int) -> str:
    """The key a tool call gets: the same on every replay of the same step of the same run."""
    return f"{run_id}:{step_index}"


class StepRunner(Protocol):
    """What the agent loop calls; see the module docstring for the rules."""

    @property
    def run_id(self) -> str:
        """The id of the run."""
        ...

    @property
    def elapsed_s(self) -> float:
        """Seconds the run has spent so far, for time budgets. Durable runs count the time of their
        steps as first recorded, so a replay takes the same budget decisions as the original run."""
        ...

    def model_call(self, call: ModelCall[T], *, name: str = "model", timeout: float | None = None) -> Awaitable[T]:
        """Run ``call()`` (one model request) and record its result once per run, whatever the crashes and
        replays (like :meth:`tool_call`, a call interrupted before its result was recorded runs again).

        A ``timeout`` is applied inside the step, so a timeout is recorded and replayed like any outcome.
        """
        ...

    def tool_call(self, tool_name: str, call: ToolCall[T], *, timeout: float | None = None) -> Awaitable[T]:
        """Run ``call(idempotency_key)`` and record its result once per run; a recorded call is never run again.

        ``call`` runs at least once: a crash before its result is recorded - while it runs, or after it
        returned and before the record was written - runs it again, with the same key. A mutating tool
        passes the key to whatever it changes (or uses :class:`agentkit.background.EffectStore`), so the
        second attempt can be recognised.
        """
        ...

    async def emit(self, event: Mapping[str, Any]) -> None:
        """Append a JSON-serialisable event (with a ``kind`` key) to the run's event log."""
        ...

    def receive(self, topic: str) -> Awaitable[Any]:
        """Wait for the message sent to this run on ``topic`` (by any process) and return it.

        Durable runs record the message as a step: a replay gets it back at once; a message sent
        while no process runs the run waits for it. A cancelled run stops waiting. ``None`` is not a
        message (it marks a wait that timed out).
        """
        ...


class InProcessStepRunner:
    """A step runner with no durability: calls go straight through, events go to ``sink``, messages
    come from :meth:`send` in this process."""

    def __init__(self, run_id: str, sink: Callable[[Mapping[str, Any]], Awaitable[None]] | None = None) -> None:
        self._run_id = run_id
        self._sink = sink
        self._steps = 0
        self._started = time.monotonic()
        self._mailboxes: dict[str, asyncio.Queue[Any]] = {}

    @property
    def run_id(self) -> str:
        """The id of the run."""
        return self._run_id

    @property
    def elapsed_s(self) -> float:
        """Seconds since this runner was created."""
        return time.monotonic() - self._started

    def _next_index(self) -> int:
        index = self._steps
        self._steps += 1
        return index

    def model_call(self, call: ModelCall[T], *, name: str = "model", timeout: float | None = None) -> Awaitable[T]:
        """Await ``call()``."""
        self._next_index()
        return asyncio.wait_for(call(), timeout)

    def tool_call(self, tool_name: str, call: ToolCall[T], *, timeout: float | None = None) -> Awaitable[T]:
        """Await ``call(key)``."""
        key = idempotency_key(self._run_id, self._next_index())
        return asyncio.wait_for(call(key), timeout)

    async def emit(self, event: Mapping[str, Any]) -> None:
        """Hand the event to the sink, if any."""
        if self._sink is not None:
            await self._sink(event)

    def _mailbox(self, topic: str) -> asyncio.Queue[Any]:
        return self._mailboxes.setdefault(topic, asyncio.Queue())

    def send(self, topic: str, message: Any) -> None:
        """Deliver ``message`` to :meth:`receive` on ``topic`` (from this process's event loop)."""
        self._mailbox(topic).put_nowait(message)

    def receive(self, topic: str) -> Awaitable[Any]:
        """Wait for the next message :meth:`send` delivers on ``topic``."""
        self._next_index()
        return self._mailbox(topic).get()
