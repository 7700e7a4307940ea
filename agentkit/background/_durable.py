"""The DBOS side of a durable run: the registered workflow and the step runner it hands to the runner.

Importing this module imports DBOS (about 0.4 s) and registers the workflow; only a process that
executes runs (:class:`agentkit.background.DurableBackend`) imports it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from dbos import DBOS
from dbos import error as dbos_error

from agentkit.background._dberrors import database_error, raised_by_database
from agentkit.background.errors import BackgroundError, ReplayDiverged, RunDatabaseError, StepInterrupt
from agentkit.background.events import EventLog
from agentkit.background.spec import Runner, RunSpec, resolve_runner
from agentkit.background.steps import ModelCall, ToolCall, idempotency_key

__all__ = [
    "RECEIVE_TIMEOUT_S",
    "WORKFLOW_NAME",
    "DatabaseFault",
    "DurableStepRunner",
    "agentkit_run",
    "bind_event_log",
]

T = TypeVar("T")

log = logging.getLogger("agentkit.background")

WORKFLOW_NAME = "agentkit.run"
MODEL_STEP = "agentkit.model"
TOOL_STEP = "agentkit.tool"

RECEIVE_TIMEOUT_S = 30 * 24 * 3600.0
"""How long one wait for a message lasts before it is recorded as timed out and starts again (a
wait costs two recorded steps, so a long one keeps a run waiting for days cheap to replay)."""

_event_log: EventLog | None = None
_wait_poll_s = 1.0
_database_url = ""
_on_fault: Callable[[RunDatabaseError], None] | None = None


def bind_event_log(
    events: EventLog | None,
    *,
    wait_poll_s: float = 1.0,
    database_url: str = "",
    on_fault: Callable[[RunDatabaseError], None] | None = None,
) -> None:
    """Set the event log runs of this process write to, how often a waiting run checks whether it
    was cancelled, the run database (named in errors) and who is told when it fails (done by the
    backend at launch)."""
    global _event_log, _wait_poll_s, _database_url, _on_fault
    _event_log = events
    _wait_poll_s = wait_poll_s
    _database_url = database_url
    _on_fault = on_fault


class DatabaseFault(StepInterrupt):
    """The run database failed under a run (full, corrupted, unreachable): the run stops where it is."""

    def __init__(self, error: RunDatabaseError) -> None:
        super().__init__(str(error))
        self.error = error


def _check_database_failure(exc: BaseException) -> None:
    """Raise :class:`DatabaseFault` if ``exc`` is a failure of the run database met just now."""
    if raised_by_database(exc) and (error := database_error(exc, _database_url)) is not None:
        raise DatabaseFault(error) from exc


class _Body:
    """What the call inside a step raised, so that it is not mistaken for a failure of the database."""

    raised: BaseException | None = None


Timed = tuple[T, float]
"""What a step records: its value and how long it took (so replays see the original durations)."""


async def _timed(call: Callable[[], Awaitable[T]], timeout: float | None, body: _Body) -> Timed[T]:
    started = time.monotonic()
    try:
        value = await asyncio.wait_for(call(), timeout)
    except BaseException as exc:
        body.raised = exc
        raise
    return value, time.monotonic() - started


def _diverged_message(exc: dbos_error.DBOSUnexpectedStepError) -> str:
    run_id, step_id, expected, recorded = exc.inputs
    return (
        f"Run {run_id} can't resume: its step {step_id} was recorded as {recorded!r}, but the code now "
        f"calls {expected!r}. The agent's code changed while the run was in flight. Finish it with the "
        "old code, or cancel it; next time bump DurableConfig.version when a change alters the steps."
    )


def _detached(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """A task outside the run's DBOS context, so the DBOS calls it makes are not steps of the run."""
    return contextvars.Context().run(asyncio.create_task, coro)


async def _interrupt_when_stopped(run_id: str, waiting: asyncio.Task[Any], stop: list[BaseException]) -> None:
    """Cancel ``waiting`` once the run is no longer running here (cancelled, or queued again), putting
    the reason in ``stop``."""
    while True:
        await asyncio.sleep(_wait_poll_s)
        try:
            status = await DBOS.get_workflow_status_async(run_id)
        except Exception:  # a database hiccup: look again at the next poll
            log.warning("Can't read the status of waiting run %s; retrying", run_id, exc_info=True)
            continue
        if status is not None and status.status == "PENDING":
            continue
        if status is not None and status.status == "CANCELLED":
            stop.append(dbos_error.DBOSWorkflowCancelledError(f"Run {run_id} was cancelled while it waited."))
        else:
            stop.append(dbos_error.DBOSWorkflowConflictIDError(run_id))
        waiting.cancel()
        return


async def _call_model(call: ModelCall[T], timeout: float | None, body: _Body) -> Timed[T]:
    return await _timed(call, timeout, body)


async def _call_tool(call: ToolCall[T], key: str, timeout: float | None, body: _Body) -> Timed[T]:
    return await _timed(lambda: call(key), timeout, body)


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

    async def _run(self, step: Awaitable[Timed[T]], body: _Body) -> T:
        try:
            value, seconds = await step
        except dbos_error.DBOSUnexpectedStepError as exc:
            raise StepInterrupt(_diverged_message(exc)) from exc
        except Exception as exc:
            if exc is not body.raised:
                _check_database_failure(exc)
            raise
        self._elapsed += seconds
        return value

    def _next_index(self) -> int:
        index = self._steps
        self._steps += 1
        return index

    def model_call(self, call: ModelCall[T], *, name: str = "model", timeout: float | None = None) -> Awaitable[T]:
        """Run ``call()`` as the next DBOS step (its number is taken now, not when awaited)."""
        self._next_index()
        reservation, body = DBOS.reserve_step(), _Body()
        return self._run(
            reservation.run_async({"name": f"{MODEL_STEP}:{name}"}, _call_model, call, timeout, body), body
        )

    def tool_call(self, tool_name: str, call: ToolCall[T], *, timeout: float | None = None) -> Awaitable[T]:
        """Run ``call(key)`` as the next DBOS step, ``key`` being ``"<run id>:<step index>"``."""
        key = idempotency_key(self._run_id, self._next_index())
        reservation, body = DBOS.reserve_step(), _Body()
        step = reservation.run_async({"name": f"{TOOL_STEP}:{tool_name}"}, _call_tool, call, key, timeout, body)
        return self._run(step, body)

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

    async def receive(self, topic: str) -> Any:
        """Wait for the message sent to this run on ``topic`` (``DBOS.recv``, recorded as a step).

        Its step numbers are taken when it is awaited, before it waits for anything. A cancelled run stops
        waiting within :attr:`DurableConfig.wait_poll_s`; a message sent meanwhile waits for the resume.
        """
        self._next_index()
        while True:
            message = await self._receive_once(topic)
            if message is not None:
                return message

    async def _receive_once(self, topic: str) -> Any:
        waiting = asyncio.current_task()
        assert waiting is not None
        stop: list[BaseException] = []
        watcher = _detached(_interrupt_when_stopped(self._run_id, waiting, stop))
        try:
            return await DBOS.recv_async(topic, timeout_seconds=RECEIVE_TIMEOUT_S)
        except asyncio.CancelledError:
            if not stop:
                raise
            waiting.uncancel()
            raise stop[0] from None
        except Exception as exc:
            _check_database_failure(exc)
            raise
        finally:
            watcher.cancel()

    def _ensure_writer(self) -> asyncio.Task[None]:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_events())
            # A failed write leaves its events listed: flush() writes them again and raises the typed
            # error. Mark the failure seen here so a writer replaced before flush() isn't logged by
            # asyncio as "Task exception was never retrieved" next to that one clear line.
            self._writer.add_done_callback(_seen)
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
            try:
                await self._ensure_writer()
            except Exception as exc:
                _check_database_failure(exc)
                raise


def _seen(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


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
        return await _execute(runner, run_spec.payload, steps)
    except DatabaseFault as fault:
        return await _hold(run_id, fault.error)


async def _execute(runner: Runner, payload: dict[str, Any], steps: DurableStepRunner) -> Any:
    try:
        return await runner(payload, steps)
    except DatabaseFault:
        raise
    except StepInterrupt as exc:
        raise ReplayDiverged(str(exc)) from None
    finally:
        await steps.flush()


async def _hold(run_id: str, error: RunDatabaseError) -> Any:
    """Leave a run whose database failed unfinished, neither failed nor recorded: the backend is told
    (a worker stops), and a worker started later goes on from the run's last recorded step."""
    log.debug("Run %s stopped: %s", run_id, error)  # the worker reports the fault itself, once
    if _on_fault is not None:
        _on_fault(error)
    await asyncio.Event().wait()  # until this process stops executing runs
    raise error
