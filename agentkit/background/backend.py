"""The process that executes durable runs: DBOS launched on the system database, plus heartbeats.

``DurableBackend(config).launch()`` makes this process a worker: it executes queued runs (up to
``worker_concurrency`` at once), resumes the unfinished runs of a previous process with the same
executor id at once, and those of dead workers after their heartbeat times out. Only one backend per
process (DBOS is a per-process singleton).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

from agentkit.background._dberrors import database_error, translated
from agentkit.background.config import APP_NAME, DurableConfig
from agentkit.background.errors import BackgroundError, RunDatabaseError
from agentkit.background.events import EventLog
from agentkit.background.executors import ExecutorRegistry
from agentkit.background.store import WORKFLOW_NAME, RunStore
from agentkit.background.tables import Tables, create_tables

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["DurableBackend"]

log = logging.getLogger("agentkit.background")

_active: DurableBackend | None = None


def _set_active(backend: DurableBackend | None) -> None:
    global _active
    _active = backend


class _DatabaseFailuresReportedOnce(logging.Filter):
    """Drops DBOS's tracebacks of failures of the run database (agentkit reports them itself, as typed
    errors in one line), and its warnings about the runs held after such a failure."""

    def __init__(self, backend: DurableBackend) -> None:
        super().__init__()
        self._backend = backend

    def filter(self, record: logging.LogRecord) -> bool:
        if self._backend.fault is not None and record.getMessage().startswith("Asyncio task cancelled"):
            return False  # the runs held after the failure, stopped at shutdown
        failure = record.exc_info[1] if record.exc_info else None
        return failure is None or database_error(failure, self._backend.config.system_db_url) is None


_CANCELLED_ERRORS = frozenset({"DBOSAwaitedWorkflowCancelledError", "DBOSWorkflowCancelledError"})


class _CancelsReportedAsInfo(logging.Filter):
    """A cancelled run is one INFO line (``agentkit run <id> was cancelled``), not DBOS's ERROR traceback;
    DBOS's notes on the cancelled tasks and on waiting for the recorded outcome become INFO too."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        if failure is not None and type(failure).__name__ in _CANCELLED_ERRORS:
            log.info("agentkit run %s was cancelled", getattr(failure, "workflow_id", None) or "(unknown id)")
            return False
        message = record.getMessage()
        if message.startswith("Asyncio task cancelled") or "is no longer owned by this execution" in message:
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


_CANCELS = _CancelsReportedAsInfo()


class DurableBackend:
    """Executes durable runs in this process; see the module docstring."""

    def __init__(self, config: DurableConfig | None = None) -> None:
        self.config = config or DurableConfig()
        self._engine: sa.Engine | None = None
        self._store: RunStore | None = None
        self._registry: ExecutorRegistry | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.fault: RunDatabaseError | None = None
        """The failure of the run database that stopped this backend's runs, if one did."""
        self._quiet: logging.Filter = logging.Filter()

    @staticmethod
    def active() -> DurableBackend | None:
        """The backend launched in this process, if any."""
        return _active

    @property
    def store(self) -> RunStore:
        """Start and manage runs (available once launched)."""
        if self._store is None:
            raise BackgroundError("DurableBackend.launch() must run before the backend is used.")
        return self._store

    def launch(self) -> None:
        """Connect, create the schema, recover this executor's runs and start executing queued runs.

        The backend is :meth:`active` from just before DBOS launches (recovered runs may start then) on."""
        if _active is not None:
            raise BackgroundError(
                f"A DurableBackend is already running in this process (executor {_active.config.executor_id}); "
                "use it, or call its shutdown() first."
            )
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._launch()
        else:  # launched from a thread without a loop, so runs go to DBOS's own loop, not the caller's
            worker = threading.Thread(target=self._launch_capturing, name="agentkit-launch")
            worker.start()
            worker.join()
            if self._launch_error is not None:
                raise self._launch_error

    _launch_error: BaseException | None = None

    def _launch_capturing(self) -> None:
        try:
            self._launch()
        except BaseException as exc:
            self._launch_error = exc

    def _launch(self) -> None:
        self._quiet = _DatabaseFailuresReportedOnce(self)
        logging.getLogger("dbos").addFilter(self._quiet)
        logging.getLogger("dbos").addFilter(_CANCELS)
        try:
            with translated(self.config.system_db_url):
                self._connect_and_start()
        except BaseException:
            logging.getLogger("dbos").removeFilter(self._quiet)
            _set_active(None)
            if self._store is not None:
                self._store.close()
                self._store = None
            raise

    def _connect_and_start(self) -> None:
        from dbos import DBOS

        from agentkit.background import _durable
        from agentkit.background.engine import create_engine

        engine = self._engine = create_engine(self.config.system_db_url)
        tables = Tables(engine)
        create_tables(engine, tables)
        _durable.bind_event_log(
            EventLog(engine, tables),
            wait_poll_s=self.config.wait_poll_s,
            database_url=self.config.system_db_url,
            on_fault=self.report_fault,
        )
        self._registry = ExecutorRegistry(engine, tables, self.config)
        self._registry.register()  # before DBOS claims runs under this id
        self._store = RunStore(self.config, engine=engine if self.config.is_sqlite else None)
        DBOS(config=self._dbos_config(engine))
        _set_active(self)  # recovered runs may start during launch: their runners find this backend's store
        DBOS.launch()
        DBOS.register_queue(
            self.config.queue,
            worker_concurrency=self.config.worker_concurrency,
            global_concurrency=self.config.concurrency,
            polling_interval_sec=self.config.queue_poll_s,
            on_conflict="always_update",
        )
        DBOS.register_queue(
            self.config.branch_queue,
            worker_concurrency=self.config.branch_worker_concurrency,
            polling_interval_sec=self.config.queue_poll_s,
            on_conflict="always_update",
        )
        self.recover_dead_workers()
        self._report_stuck_runs()
        self._heartbeat = threading.Thread(target=self._heartbeat_loop, name="agentkit-heartbeat", daemon=True)
        self._heartbeat.start()

    def _dbos_config(self, engine: sa.Engine) -> Any:
        from dbos import DBOSConfig

        config: DBOSConfig = {
            "name": APP_NAME,
            "system_database_url": self.config.system_db_url,
            "application_version": self.config.app_version,
            "executor_id": self.config.executor_id,
            "log_level": self.config.log_level,
            # SQLite has no notifications: a run waiting for a message (an approval) polls for it
            "notification_listener_polling_interval_sec": self.config.wait_poll_s,
        }
        if self.config.is_sqlite:
            config["system_database_engine"] = engine  # ours: WAL + synchronous=NORMAL
        return config

    def _report_stuck_runs(self) -> None:
        stuck = self.store.stuck_runs()
        if stuck:
            versions = sorted({run.app_version or "?" for run in stuck})
            log.warning(
                "%d unfinished runs belong to other versions (%s) and won't run on this worker (version %s): "
                "start a worker with that code and version, or cancel them (`agentkit runs ls` lists them).",
                len(stuck),
                ", ".join(versions),
                self.config.app_version,
            )

    def recover_dead_workers(self) -> list[str]:
        """Requeue the runs held by dead workers of this version; returns those workers' ids."""
        from dbos import DBOS

        assert self._registry is not None
        running = DBOS.list_workflows(
            status="PENDING",
            name=WORKFLOW_NAME,
            app_version=self.config.app_version,
            load_input=False,
            load_output=False,
        )
        dead = sorted(self._registry.dead(wf.executor_id for wf in running if wf.executor_id))
        if dead:
            log.warning("Recovering the runs of dead workers %s", ", ".join(dead))
            DBOS._recover_pending_workflows(dead)
        self._registry.forget(dead)
        return dead

    def report_fault(self, error: RunDatabaseError) -> None:
        """Record that the run database failed under this backend's runs (the first failure counts):
        ``agentkit worker`` stops on it, and ``result()`` in this process raises it."""
        if self.fault is None:
            self.fault = error

    def _heartbeat_loop(self) -> None:
        assert self._registry is not None
        while not self._stop.wait(self.config.heartbeat_s):
            try:
                self._registry.beat()
                self.recover_dead_workers()
            except Exception as exc:  # a database hiccup must not end the heartbeat
                self._heartbeat_failed(exc)

    def _heartbeat_failed(self, exc: Exception) -> None:
        error = database_error(exc, self.config.system_db_url)
        if error is None:
            log.exception("agentkit heartbeat failed; retrying in %s s", self.config.heartbeat_s)
            return
        log.error("agentkit heartbeat failed; retrying in %s s: %s", self.config.heartbeat_s, error)
        if type(error) is not RunDatabaseError:  # full or corrupted: waiting won't help
            self.report_fault(error)

    def shutdown(self, *, wait_s: int = 0) -> None:
        """Stop executing. Runs still in progress stay ``running`` and are recovered by another worker
        (or by this executor id's next launch); ``wait_s`` gives them time to finish first."""
        from dbos import DBOS

        if self._stop.is_set() or self._registry is None:
            return
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        DBOS.destroy(workflow_completion_timeout_sec=wait_s)
        try:
            self._registry.unregister()
        except Exception as exc:  # its row goes stale instead: other workers recover its runs all the same
            log.error(
                "agentkit could not remove this worker's heartbeat: %s",
                database_error(exc, self.config.system_db_url) or exc,
            )
        if self._store is not None:
            self._store.close()
        if self._engine is not None:
            self._engine.dispose()
        from agentkit.background import _durable

        _durable.bind_event_log(None)
        logging.getLogger("dbos").removeFilter(self._quiet)
        _set_active(None)
