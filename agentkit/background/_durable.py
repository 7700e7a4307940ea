"""The DBOS side of a durable run: the registered workflow and the step runner it hands to the runner.

Importing this module imports DBOS (about 0.4 s) and registers the workflow; only a process that
executes runs (:class:`agentkit.background.DurableBackend`) imports it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from dbos import DBOS
from dbos import error as dbos_error

from agentkit.background.errors import BackgroundError, ReplayDiverged, StepInterrupt
from agentkit.background.events import EventLog
from agentkit.background.spec import RunSpec, resolve_runner
from agentkit.background.steps import ModelCall, ToolCall, idempotency_key

__all__ = ["WORKFLOW_NAME", "DurableStepRunner", "agentkit_run", "bind_event_log"]

T = TypeVar("T")

WORKFLOW_NAME = "agentkit.run"
MODEL_STEP = "agentkit.model"
TOOL_STEP = "agentkit.tool"

_event_log: EventLog | None = None


def bind_event_log(log: EventLog | None) -> None:
    """Set the event log runs of this process write to (done by the backend at launch)."""
    global _event_log
    _event_log = log


Timed = tuple[T, float]
"""What a step records: its value and how long it took (so replays see the original durations)."""


async def _timed(call: Callable[[], Awaitable[T]], timeout: float | None) -> Timed[T]:
    started = time.monotonic()
    value = await asyncio.wait_for(call(), timeout)
    return value, time.monotonic() - started


def _diverged_message(exc: dbos_error.DBOSUnexpectedStepError) -> str:
    run_id, step_id, expected, recorded = exc.inputs
    return (
        f"Run {run_id} can't resume: its step {step_id} was recorded as {recorded!r}, but the code now "
        f"calls {expected!r}. The agent's code changed while the run was in flight. Finish it with the "
        "old code, or cancel it; next time bump DurableConfig.version when a change alters the steps."
    )


async def _call_model(call: ModelCall[T], timeout: float | None) -> Timed[T]:
    return await _timed(call, timeout)


async def _call_tool(call: ToolCall[T], key: str, timeout: float | None) -> Timed[T]:
    return await _timed(lambda: call(key), timeout)


class DurableStepRunner:
    """Each model and tool call is a DBOS step; events go to the run's event log (exactly once)."""

    def __init__(self, run_id: str, events: EventLog) -> None:
        self._run_id = run_id
        self._events = events
        self._steps = 0
        self._next_seq = 0
        self._unwritten: list[Mapping[str, Any]] = []
        self._writer: asyncio.Task[None] | None = None
        self._elapsed = 0.0

    @property
    def run_id(self) -> str:
        """The id of the run (the DBOS workflow id)."""
        return self._run_id

    @property
    def elapsed_s(self) -> float:
        """The summed durations of the steps finished so far, as first recorded."""
        return self._elapsed

    async def _run(self, step: Awaitable[Timed[T]]) -> T:
        try:
            value, seconds = await step
        except dbos_error.DBOSUnexpectedStepError as exc:
            raise StepInterrupt(_diverged_message(exc)) from exc
        self._elapsed += seconds
        return value

    def _next_index(self) -> int:
        index = self._steps
        self._steps += 1
        return index

    def model_call(self, call: ModelCall[T], *, name: str = "model", timeout: float | None = None) -> Awaitable[T]:
        """Run ``call()`` as the next DBOS step (its number is taken now, not when awaited)."""
        self._next_index()
        reservation = DBOS.reserve_step()
        return self._run(reservation.run_async({"name": f"{MODEL_STEP}:{name}"}, _call_model, call, timeout))

    def tool_call(self, tool_name: str, call: ToolCall[T], *, timeout: float | None = None) -> Awaitable[T]:
        """Run ``call(key)`` as the next DBOS step, ``key`` being ``"<run id>:<step index>"``."""
        key = idempotency_key(self._run_id, self._next_index())
        reservation = DBOS.reserve_step()
        return self._run(reservation.run_async({"name": f"{TOOL_STEP}:{tool_name}"}, _call_tool, call, key, timeout))

    async def emit(self, event: Mapping[str, Any]) -> None:
        """Append ``event`` at the next sequence number; a replay re-emitting it writes nothing.

        Written in the background, in batches when events come faster than one write: an event lost
        in a crash before it was written is emitted again, at the same number, by the replay.
        """
        if DBOS.step_id is not None:
            raise BackgroundError(
                f"Event {event.get('kind')!r} was emitted inside a step of run {self._run_id}; a replay skips "
                "finished steps, so it could not be re-emitted in order. Emit it after the step returns "
                "(for a durable run, turn streaming of deltas off)."
            )
        self._next_seq += 1
        self._unwritten.append(event)
        self._ensure_writer()

    def _ensure_writer(self) -> asyncio.Task[None]:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_events())
        return self._writer

    async def _write_events(self) -> None:
        # The unwritten events are always the last ones emitted; they stay listed until written.
        while self._unwritten:
            batch = list(self._unwritten)
            await asyncio.to_thread(self._events.append, self._run_id, self._next_seq - len(batch), batch)
            del self._unwritten[: len(batch)]

    async def flush(self) -> None:
        """Wait until every emitted event is written (retrying once after a failed write)."""
        if self._writer is not None and not self._writer.done():
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._unwritten:
            await self._ensure_writer()


@DBOS.workflow(name=WORKFLOW_NAME)
async def agentkit_run(spec: dict[str, Any]) -> Any:
    """The workflow of every durable run: resolve the runner and run it with a durable step runner."""
    run_spec = RunSpec.from_dict(spec)
    runner = resolve_runner(run_spec.runner)
    if _event_log is None:
        raise RuntimeError("agentkit durable runs need DurableBackend.launch() before they execute.")
    run_id = DBOS.workflow_id
    assert run_id is not None
    steps = DurableStepRunner(run_id, _event_log)
    try:
        return await runner(run_spec.payload, steps)
    except StepInterrupt as exc:
        raise ReplayDiverged(str(exc)) from None
    finally:
        await steps.flush()
