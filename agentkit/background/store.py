"""Runs as seen from any process: start, inspect, follow, cancel, resume, wait.

A :class:`RunStore` talks to the system database only (through ``dbos.DBOSClient`` and agentkit's event
table); it executes nothing, so the CLI, a web server or a notebook can use it next to the workers.
"""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from agentkit.background.config import APP_NAME, DurableConfig
from agentkit.background.errors import RunCancelled, RunFailed, RunNotFound, RunTimeout
from agentkit.background.events import EventLog, RunEvent
from agentkit.background.spec import RunSpec
from agentkit.background.status import RunState, RunStatus, StepRecord
from agentkit.background.tables import Tables, create_tables

if TYPE_CHECKING:
    import sqlalchemy as sa
    from dbos import DBOSClient

    from agentkit.background.handle import RunHandle

__all__ = ["RunStore"]

WORKFLOW_NAME = "agentkit.run"  # must match agentkit.background._durable.WORKFLOW_NAME
ACTIVE_DBOS_STATUSES = ["ENQUEUED", "DELAYED", "PENDING"]
_DBOS_STATUSES_OF: dict[RunState, list[str]] = {
    RunState.QUEUED: ["ENQUEUED", "DELAYED"],
    RunState.RUNNING: ["PENDING"],
    RunState.SUCCEEDED: ["SUCCESS"],
    RunState.FAILED: ["ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"],
    RunState.CANCELLED: ["CANCELLED"],
}


class RunStore:
    """Start and manage durable runs in the system database of ``config``."""

    def __init__(self, config: DurableConfig | None = None, *, engine: sa.Engine | None = None) -> None:
        from dbos import DBOS, DBOSClient

        from agentkit.background.engine import create_engine

        self.config = config or DurableConfig()
        self._owns_engine = engine is None
        self._engine = engine or create_engine(self.config.system_db_url, pool_size=4)
        if self.config.is_sqlite:
            DBOS.migrate(self.config.system_db_url)  # a fresh SQLite file gets its schema here
        tables = Tables(self._engine)
        create_tables(self._engine, tables)
        self.events_log = EventLog(self._engine, tables)
        self._client: DBOSClient = DBOSClient(
            system_database_url=self.config.system_db_url,
            system_database_engine=self._engine if self.config.is_sqlite else None,
            application_name=APP_NAME,
        )

    def close(self) -> None:
        """Release the database connections."""
        self._client.destroy()
        if self._owns_engine:
            self._engine.dispose()

    # --- starting ----------------------------------------------------------------------------------

    def start(self, spec: RunSpec, *, run_id: str | None = None, delay_s: float | None = None) -> RunHandle:
        """Queue a run of ``spec`` and return its handle at once; a worker picks it up.

        Starting again with the same ``run_id`` returns the existing run instead of a second one.
        """
        from dbos import EnqueueOptions

        from agentkit.background.handle import RunHandle

        options: EnqueueOptions = {
            "queue_name": self.config.queue,
            "workflow_name": WORKFLOW_NAME,
            "workflow_id": run_id or str(uuid.uuid4()),
            "app_version": self.config.app_version,
        }
        if delay_s is not None:
            options["delay_seconds"] = delay_s
        enqueued: Any = self._client.enqueue(options, spec.to_dict())
        return RunHandle(self, enqueued.get_workflow_id())

    def handle(self, run_id: str) -> RunHandle:
        """A handle on an existing run (checked to exist)."""
        from agentkit.background.handle import RunHandle

        self.status(run_id)
        return RunHandle(self, run_id)

    # --- inspecting --------------------------------------------------------------------------------

    def status(self, run_id: str) -> RunStatus:
        """The run's current status; :class:`RunNotFound` if there is no such run."""
        found = self._client.list_workflows(workflow_ids=[run_id])
        if not found:
            raise RunNotFound(f"No run {run_id!r} in {self._where()}; check the id with `agentkit runs ls`.")
        return RunStatus.from_workflow(found[0])

    def list(self, *, state: RunState | None = None, limit: int | None = 50) -> builtins.list[RunStatus]:
        """Runs, newest first, optionally only those in ``state`` (without their errors: see :meth:`status`)."""
        statuses = None if state is None else _DBOS_STATUSES_OF[state]
        found = self._client.list_workflows(
            name=WORKFLOW_NAME, status=statuses, limit=limit, sort_desc=True, load_output=False
        )
        return [RunStatus.from_workflow(wf) for wf in found]

    def steps(self, run_id: str) -> builtins.list[StepRecord]:
        """The run's finished steps, in order (a step in progress is not listed)."""
        self.status(run_id)
        return [StepRecord.from_step(step) for step in self._client.list_workflow_steps(run_id)]

    def stuck_runs(self) -> builtins.list[RunStatus]:
        """Unfinished runs of another version than this process's: no worker of this version will run them."""
        found = self._client.list_workflows(name=WORKFLOW_NAME, status=ACTIVE_DBOS_STATUSES, load_output=False)
        return [RunStatus.from_workflow(wf) for wf in found if wf.app_version != self.config.app_version]

    def events(self, run_id: str, *, offset: int = 0, follow: bool = True, poll_s: float = 0.2) -> Iterator[RunEvent]:
        """The run's events from ``offset``; with ``follow``, wait for new ones until the run finishes."""
        while True:
            batch = self.events_log.read(run_id, offset)
            yield from batch
            if batch:
                offset = batch[-1].seq + 1
                continue
            if not follow:
                return
            if self.status(run_id).state.finished:
                yield from self.events_log.read(run_id, offset)  # written just before it finished
                return
            time.sleep(poll_s)

    def result(self, run_id: str, *, timeout: float | None = None, poll_s: float = 0.1) -> Any:
        """Wait for the run to finish and return its result.

        Raises :class:`RunTimeout` (the run goes on), :class:`RunFailed` or :class:`RunCancelled`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (status := self.status(run_id)).state.finished:
            if deadline is not None and time.monotonic() >= deadline:
                raise RunTimeout(
                    f"Run {run_id} is still {status.state.value} after {timeout} s; wait longer, "
                    "or check that a worker is running (`agentkit worker`)."
                )
            time.sleep(poll_s)
        return self._outcome(status)

    def _outcome(self, status: RunStatus) -> Any:
        wf = self._client.list_workflows(workflow_ids=[status.id])[0]
        if status.state is RunState.SUCCEEDED:
            return wf.output
        if status.state is RunState.CANCELLED:
            raise RunCancelled(f"Run {status.id} was cancelled; `agentkit runs resume {status.id}` continues it.")
        error = wf.error if isinstance(wf.error, BaseException) else None
        raise RunFailed(f"Run {status.id} failed: {status.error}") from error

    # --- controlling -------------------------------------------------------------------------------

    def cancel(self, run_id: str) -> None:
        """Stop the run at its next step (a step in progress finishes first); resumable later."""
        self.status(run_id)
        self._client.cancel_workflow(run_id)

    def resume(self, run_id: str) -> None:
        """Put a cancelled, dead-lettered or stranded run (its worker died) back on the queue; it
        continues from its last finished step. A succeeded or failed run is left as it is.

        Don't resume a run whose worker is alive: that worker loses the run at its next step, and the
        step it was running starts again elsewhere (with the same idempotency key)."""
        self.status(run_id)
        self._client.resume_workflow(run_id, queue_name=self.config.queue)

    def _where(self) -> str:
        path = self.config.sqlite_path()
        return str(path) if path is not None else "the system database"
