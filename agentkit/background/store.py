"""Runs as seen from any process: start, inspect, follow, cancel, resume, wait.

A :class:`RunStore` talks to the system database only (through ``dbos.DBOSClient`` and agentkit's event
table); it executes nothing, so the CLI, a web server or a notebook can use it next to the workers.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import shutil
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from agentkit.background._dberrors import database_error, describe_database, translated
from agentkit.background.approvals import (
    BY_PERSON,
    DECIDED,
    REQUESTED,
    PendingApproval,
    decision_message,
    pending_approvals,
)
from agentkit.background.config import APP_NAME, DurableConfig
from agentkit.background.errors import (
    ApprovalNotPending,
    RunCancelled,
    RunFailed,
    RunNotFound,
    RunTimeout,
)
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
    RunState.WAITING: ["PENDING"],
    RunState.SUCCEEDED: ["SUCCESS"],
    RunState.FAILED: ["ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"],
    RunState.CANCELLED: ["CANCELLED"],
}
_MAY_WAIT_FOR_APPROVAL = {"ENQUEUED", "DELAYED", "PENDING", "CANCELLED"}
"""DBOS statuses of runs that may have undecided approval requests."""
FULL_DISK_BYTES = 1 << 20
"""Less free space than this on the disk of a SQLite run database counts as a full disk."""

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[Concatenate[RunStore, P], R]) -> Callable[Concatenate[RunStore, P], R]:
    """Raise the failures of the run database as :class:`RunDatabaseError` (file, cause and fix)."""

    @functools.wraps(method)
    def guarded(self: RunStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with translated(self.config.system_db_url):
            return method(self, *args, **kwargs)

    return guarded


class RunStore:
    """Start and manage durable runs in the system database of ``config``."""

    def __init__(self, config: DurableConfig | None = None, *, engine: sa.Engine | None = None) -> None:
        from dbos import DBOS, DBOSClient

        from agentkit.background.engine import create_engine

        self.config = config or DurableConfig()
        self._owns_engine = engine is None
        with translated(self.config.system_db_url):
            self._engine = engine or create_engine(self.config.system_db_url, pool_size=4)
            if self.config.is_sqlite:
                DBOS.migrate(self.config.system_db_url)  # a fresh SQLite file gets its schema here
            tables = self.tables = Tables(self._engine)
            create_tables(self._engine, tables)
            self.events_log = EventLog(self._engine, tables)
            self._client: DBOSClient = DBOSClient(
                system_database_url=self.config.system_db_url,
                system_database_engine=self._engine if self.config.is_sqlite else None,
                application_name=APP_NAME,
            )

    @_guarded
    def close(self) -> None:
        """Release the database connections."""
        self._client.destroy()
        if self._owns_engine:
            self._engine.dispose()

    # --- starting ----------------------------------------------------------------------------------

    @property
    def client(self) -> DBOSClient:
        """The DBOS client this store uses."""
        return self._client

    @property
    def engine(self) -> sa.Engine:
        """The engine on the system database (agentkit's own tables live there too)."""
        return self._engine

    @_guarded
    def start(
        self, spec: RunSpec, *, run_id: str | None = None, delay_s: float | None = None, queue: str | None = None
    ) -> RunHandle:
        """Queue a run of ``spec`` (on ``queue``, default the configured one) and return its handle at
        once; a worker picks it up.

        Starting again with the same ``run_id`` returns the existing run instead of a second one.
        """
        from dbos import EnqueueOptions

        from agentkit.background.handle import RunHandle

        options: EnqueueOptions = {
            "queue_name": queue or self.config.queue,
            "workflow_name": WORKFLOW_NAME,
            "workflow_id": run_id or str(uuid.uuid4()),
            "app_version": self.config.app_version,
        }
        if delay_s is not None:
            options["delay_seconds"] = delay_s
        enqueued: Any = self._client.enqueue(options, spec.to_dict())
        return RunHandle(self, enqueued.get_workflow_id())

    @_guarded
    def handle(self, run_id: str) -> RunHandle:
        """A handle on an existing run (checked to exist)."""
        from agentkit.background.handle import RunHandle

        self.status(run_id)
        return RunHandle(self, run_id)

    # --- inspecting --------------------------------------------------------------------------------

    @_guarded
    def status(self, run_id: str) -> RunStatus:
        """The run's current status; :class:`RunNotFound` if there is no such run."""
        return self._with_approvals([self._workflow(run_id)])[0]

    def _workflow(self, run_id: str) -> Any:
        found = self._client.list_workflows(workflow_ids=[run_id])
        if not found:
            raise RunNotFound(f"No run {run_id!r} in {self._where()}; check the id with `agentkit runs ls`.")
        return found[0]

    def _with_approvals(self, workflows: Sequence[Any]) -> builtins.list[RunStatus]:
        """Statuses of ``workflows`` (``dbos.WorkflowStatus``), with their pending approvals (one query)."""
        may_wait = [wf.workflow_id for wf in workflows if wf.status in _MAY_WAIT_FOR_APPROVAL]
        logged = self.events_log.read_kinds(may_wait, (REQUESTED, DECIDED))
        return [RunStatus.from_workflow(wf, pending_approvals(logged.get(wf.workflow_id, ()))) for wf in workflows]

    @_guarded
    def list(
        self, *, state: RunState | None = None, limit: int | None = 50, branches: bool = False
    ) -> builtins.list[RunStatus]:
        """Runs, newest first, optionally only those in ``state`` (without their errors: see :meth:`status`).

        The branches of strategy runs (child runs) are left out unless ``branches``; :meth:`children` lists them.
        """
        statuses = None if state is None else _DBOS_STATUSES_OF[state]
        split = state in (RunState.RUNNING, RunState.WAITING)  # one DBOS status: filter after the lookup
        page = None if split or limit is None else limit
        runs: builtins.list[RunStatus] = []
        offset = 0
        while True:
            found = self._client.list_workflows(
                name=WORKFLOW_NAME, status=statuses, limit=page, offset=offset, sort_desc=True, load_output=False
            )
            runs += [
                run
                for run in self._with_approvals(found)
                if (state is None or run.state is state) and (branches or run.parent is None)
            ]
            if page is None or len(found) < page or (limit is not None and len(runs) >= limit):
                return runs if limit is None else runs[:limit]
            offset += page

    @_guarded
    def children(self, run_id: str) -> builtins.list[RunStatus]:
        """The branches (child runs) of the strategy run ``run_id``, in branch order."""
        found = self._client.list_workflows(workflow_id_prefix=f"{run_id}:", name=WORKFLOW_NAME, load_output=False)
        kids = [run for run in self._with_approvals(found) if run.parent == run_id]
        return sorted(kids, key=lambda run: int(run.id.rsplit(":", 1)[1]))

    @_guarded
    def _branch_ids(self, run_id: str) -> builtins.list[str]:
        """The ids of the strategy run's branches (``<run id>:<index>``), without reading their payloads."""
        found = self._client.list_workflows(
            workflow_id_prefix=f"{run_id}:", name=WORKFLOW_NAME, load_input=False, load_output=False
        )
        ids = [wf.workflow_id for wf in found if wf.workflow_id[len(run_id) + 1 :].isdigit()]
        return sorted(ids, key=lambda branch: int(branch[len(run_id) + 1 :]))

    @_guarded
    def steps(self, run_id: str) -> builtins.list[StepRecord]:
        """The run's finished steps, in order (a step in progress is not listed)."""
        self.status(run_id)
        return [StepRecord.from_step(step) for step in self._client.list_workflow_steps(run_id)]

    @_guarded
    def stuck_runs(self) -> builtins.list[RunStatus]:
        """Unfinished runs of another version than this process's: no worker of this version will run them."""
        found = self._client.list_workflows(name=WORKFLOW_NAME, status=ACTIVE_DBOS_STATUSES, load_output=False)
        return [RunStatus.from_workflow(wf) for wf in found if wf.app_version != self.config.app_version]

    def events(self, run_id: str, *, offset: int = 0, follow: bool = True, poll_s: float = 0.2) -> Iterator[RunEvent]:
        """The run's events from ``offset``; with ``follow``, wait for new ones until the run finishes.

        A strategy run's events include those of its branches (child runs) as they are logged: each entry's
        :attr:`~RunEvent.run_id` names the log it comes from and its event's ``branch`` the branch;
        ``offset`` counts in the strategy run's own log, and the branches' logs are read from their start.
        """
        cursor = _EventCursor(self, run_id, offset)
        while True:
            batch = cursor.read()
            yield from batch
            if batch:
                continue
            if not follow:
                return
            if self._finished(run_id):
                yield from cursor.read()  # written just before it finished
                return
            time.sleep(poll_s)

    async def aevents(
        self, run_id: str, *, offset: int = 0, follow: bool = True, poll_s: float = 0.2
    ) -> AsyncIterator[RunEvent]:
        """:meth:`events` for ``async for``: the database is read in a thread, never blocking the loop."""
        cursor = _EventCursor(self, run_id, offset)
        while True:
            batch = await asyncio.to_thread(cursor.read)
            for event in batch:
                yield event
            if batch:
                continue
            if not follow:
                return
            if await asyncio.to_thread(self._finished, run_id):
                for event in await asyncio.to_thread(cursor.read):
                    yield event
                return
            await asyncio.sleep(poll_s)

    @_guarded
    def _read_events(self, run_id: str, offset: int) -> builtins.list[RunEvent]:
        return self.events_log.read(run_id, offset)

    @_guarded
    def _finished(self, run_id: str) -> bool:
        return RunStatus.from_workflow(self._workflow(run_id)).state.finished

    @_guarded
    def result(self, run_id: str, *, timeout: float | None = None, poll_s: float = 0.1) -> Any:
        """Wait for the run to finish and return its result.

        Raises :class:`RunTimeout` (the run goes on), :class:`RunFailed` or :class:`RunCancelled`.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (status := RunStatus.from_workflow(self._workflow(run_id))).state.finished:
            self._raise_database_fault()
            if deadline is not None and time.monotonic() >= deadline:
                self._check_database()
                raise RunTimeout(_still_going(self.status(run_id), timeout))
            time.sleep(poll_s)
        return self._outcome(status)

    def _raise_database_fault(self) -> None:
        """Raise the database failure that stopped the runs this process executes on this database."""
        from agentkit.background.backend import DurableBackend

        launched = DurableBackend.active()
        same_database = launched is not None and launched.config.system_db_url == self.config.system_db_url
        if same_database and launched is not None and launched.fault is not None:
            raise launched.fault

    def _check_database(self) -> None:
        """Raise :class:`RunDatabaseFull` if the disk of the SQLite file is full, or
        :class:`RunDatabaseCorrupt` if SQLite's quick check finds the file damaged."""
        import sqlalchemy as sa

        path = self.config.sqlite_path()
        if path is None:
            return
        free = shutil.disk_usage(path.parent).free
        if free < FULL_DISK_BYTES:
            error = database_error(_DiskFull(f"{free} bytes free on its disk"), self.config.system_db_url)
            assert error is not None
            raise error
        with self._engine.connect() as conn:
            problems = [str(row[0]) for row in conn.execute(sa.text("PRAGMA quick_check"))]
        if problems != ["ok"]:
            found = [line for problem in problems for line in problem.splitlines() if not line.startswith("***")]
            failure = _QuickCheckFailed(found[0] if found else "quick_check failed")
            error = database_error(failure, self.config.system_db_url)
            assert error is not None
            raise error

    def _outcome(self, status: RunStatus) -> Any:
        wf = self._client.list_workflows(workflow_ids=[status.id])[0]
        if status.state is RunState.SUCCEEDED:
            return wf.output
        if status.state is RunState.CANCELLED:
            raise RunCancelled(f"Run {status.id} was cancelled; `agentkit runs resume {status.id}` continues it.")
        error = wf.error if isinstance(wf.error, BaseException) else None
        raise RunFailed(f"Run {status.id} failed: {status.error}") from error

    # --- approvals ---------------------------------------------------------------------------------

    @_guarded
    def pending_approvals(self, run_id: str) -> builtins.list[PendingApproval]:
        """The run's tool calls waiting for a decision, oldest first."""
        return builtins.list(self.status(run_id).pending_approvals)

    @_guarded
    def wait_for_approval(
        self, run_id: str, *, timeout: float | None = None, poll_s: float = 0.1
    ) -> builtins.list[PendingApproval]:
        """Wait until the run waits for a decision and return the pending calls (``[]`` if it ended
        without asking); :class:`RunTimeout` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (status := self.status(run_id)).pending_approvals:
            if status.state.finished:
                return []
            if deadline is not None and time.monotonic() >= deadline:
                raise RunTimeout(
                    f"Run {run_id} asked for no approval in {timeout} s (it is {status.state.value}); wait "
                    "longer, or check that a worker is running (`agentkit worker`; a worker whose run database "
                    "failed exits, saying why)."
                )
            time.sleep(poll_s)
        return builtins.list(status.pending_approvals)

    @_guarded
    def approve(self, run_id: str, call_id: str) -> PendingApproval:
        """Let the pending call ``call_id`` run; returns the request decided."""
        return self._decide(run_id, call_id, approved=True, reason="")

    @_guarded
    def deny(self, run_id: str, call_id: str, reason: str = "") -> PendingApproval:
        """Refuse the pending call ``call_id``; the model sees ``reason``. Returns the request decided."""
        return self._decide(run_id, call_id, approved=False, reason=reason)

    def _decide(self, run_id: str, call_id: str, *, approved: bool, reason: str) -> PendingApproval:
        """Send the decision to the run (durably: it waits in the database if no worker holds the run).

        The first decision on a call counts: a second one, sent before the run logged the first, is dropped.
        """
        request = _pending_request(self.status(run_id), call_id)
        self._client.send(run_id, decision_message(approved, reason), request.topic, request.topic)
        return request

    @_guarded
    def send(self, run_id: str, topic: str, message: Any, *, idempotency_key: str | None = None) -> None:
        """Send ``message`` (picklable, not ``None``) to the run's ``steps.receive(topic)``, for custom runners.

        Stored at once: a run not waiting yet (or not running anywhere) gets it when it asks. Sends with
        the same ``idempotency_key`` deliver one message.
        """
        if message is None:
            raise ValueError("None can't be sent to a run (a wait that receives None timed out); send a value.")
        self.status(run_id)
        self._client.send(run_id, message, topic, idempotency_key)

    # --- controlling -------------------------------------------------------------------------------

    @_guarded
    def cancel(self, run_id: str) -> None:
        """Stop the run at its next step (a step in progress finishes first); resumable later."""
        self.status(run_id)
        self._client.cancel_workflow(run_id)
        for child in self.children(run_id):
            if not child.state.finished:
                self._client.cancel_workflow(child.id)

    @_guarded
    def resume(self, run_id: str) -> None:
        """Put a cancelled, dead-lettered or stranded run (its worker died) back on the queue; it
        continues from its last finished step. A succeeded or failed run is left as it is.

        Don't resume a run whose worker is alive: that worker loses the run at its next step, and the
        step it was running starts again elsewhere (with the same idempotency key)."""
        status = self.status(run_id)
        for child in self.children(run_id):
            if child.state is RunState.CANCELLED:
                self._client.resume_workflow(child.id, queue_name=self.config.branch_queue)
        self._client.resume_workflow(run_id, queue_name=status.queue or self.config.queue)

    def _where(self) -> str:
        return describe_database(self.config.system_db_url)


class _EventCursor:
    """Where a reader of a run's events is: in the run's own log and, for a strategy run, in each
    branch's log (branches are looked for on every read, since they start while the run goes on; by id
    alone, so a read loads no branch's payload)."""

    def __init__(self, store: RunStore, run_id: str, offset: int) -> None:
        self._store = store
        self._run_id = run_id
        self._offsets = {run_id: offset}
        self._tree = bool(store.status(run_id).strategy)

    def read(self) -> builtins.list[RunEvent]:
        """The events logged since the last read, the run's own first, then each branch's in branch order."""
        if self._tree:
            for branch in self._store._branch_ids(self._run_id):
                self._offsets.setdefault(branch, 0)
        batch: builtins.list[RunEvent] = []
        for run_id, offset in self._offsets.items():
            found = self._store._read_events(run_id, offset)
            if found:
                self._offsets[run_id] = found[-1].seq + 1
            batch += found
        return batch


class _DiskFull(sqlite3.OperationalError):
    """What a writer of the database would meet, as the driver would report it."""

    sqlite_errorcode = 13  # SQLITE_FULL


class _QuickCheckFailed(sqlite3.DatabaseError):
    """What ``PRAGMA quick_check`` found (its first line), as the driver would report a damaged file."""

    sqlite_errorcode = 11  # SQLITE_CORRUPT


def _still_going(status: RunStatus, timeout: float | None) -> str:
    """Why a wait for ``status``'s run ran out, and what to do."""
    if status.pending_approvals:
        calls = ", ".join(f"{p.call_id} ({p.tool})" for p in status.pending_approvals)
        return (
            f"Run {status.id} is still waiting for approval of {calls} after {timeout} s; decide with "
            f"handle.approve/deny or `agentkit runs approve|deny {status.id} CALL_ID`."
        )
    return (
        f"Run {status.id} is still {status.state.value} after {timeout} s; wait longer, "
        "or check that a worker is running (`agentkit worker`; a worker whose run database failed exits, saying why)."
    )


def _pending_request(status: RunStatus, call_id: str) -> PendingApproval:
    """The pending request for ``call_id``, or :class:`ApprovalNotPending` saying why there is none."""
    if status.approvals and status.approvals != BY_PERSON:
        raise ApprovalNotPending(
            f"Run {status.id} decides approvals with its agent's own approver, not from outside. To decide "
            "from any process, start runs from an Agent without an approver."
        )
    for request in status.pending_approvals:
        if request.call_id == call_id:
            return request
    if status.state.finished and status.state is not RunState.CANCELLED:
        raise ApprovalNotPending(f"Run {status.id} has {status.state.value}; it waits for no approval.")
    pending = ", ".join(f"{p.call_id} ({p.tool})" for p in status.pending_approvals) or "none"
    raise ApprovalNotPending(
        f"Run {status.id} has no pending approval for tool call {call_id!r} (pending: {pending}); it was "
        f"decided already or never asked. `agentkit runs show {status.id}` lists what the run waits for."
    )
