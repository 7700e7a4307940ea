"""The process-wide backend and stores that ``agent.start(...)`` and ``agentkit.runs`` use.

``backend()`` makes this process execute runs (launched on first use); ``store()`` only reads and
manages runs, for processes that leave the execution to ``agentkit worker`` processes.
"""

from __future__ import annotations

import atexit
import threading

from agentkit._extras import require
from agentkit.background.backend import DurableBackend
from agentkit.background.config import DurableConfig
from agentkit.background.errors import BackgroundError
from agentkit.background.handle import RunHandle
from agentkit.background.status import RunState, RunStatus
from agentkit.background.store import RunStore

__all__ = ["backend", "get", "list_runs", "shutdown", "store"]

_lock = threading.Lock()
_stores: dict[tuple[str, str], RunStore] = {}
"""Stores by database and application version (a run is queued under its store's version)."""


def backend(config: DurableConfig | None = None) -> DurableBackend:
    """This process's executing backend: the one already launched, or a new one with ``config``
    (default: :class:`DurableConfig`); a launched backend must have the same configuration, or pass none."""
    with _lock:
        launched = DurableBackend.active()
        if launched is None:
            _require_dbos()
            launched = DurableBackend(config)
            launched.launch()
            atexit.register(launched.shutdown)
        elif config is not None and config != launched.config:
            raise BackgroundError(
                "This process already executes runs with another DurableConfig "
                f"(database {launched.config.system_db_url}, executor {launched.config.executor_id}); "
                "one backend per process: pass the same configuration, or none."
            )
        return launched


def store(config: DurableConfig | None = None) -> RunStore:
    """A store on ``config``'s database (the launched backend's own when it uses the same database)."""
    launched = DurableBackend.active()
    config = config or (launched.config if launched is not None else DurableConfig())
    key = (config.system_db_url, config.app_version)
    if launched is not None and (launched.config.system_db_url, launched.config.app_version) == key:
        return launched.store
    with _lock:
        if key not in _stores:
            _require_dbos()
            _stores[key] = RunStore(config)
        return _stores[key]


def _require_dbos() -> None:
    require("dbos", "background", "The background-run engine (agent.start(), agentkit.runs)")


def get(run_id: str, config: DurableConfig | None = None) -> RunHandle:
    """A handle on run ``run_id`` (``agentkit.runs.get``); :class:`RunNotFound` if there is none."""
    return store(config).handle(run_id)


def list_runs(
    state: RunState | None = None, *, limit: int | None = 50, config: DurableConfig | None = None
) -> list[RunStatus]:
    """Runs, newest first (``agentkit.runs.list``)."""
    return store(config).list(state=state, limit=limit)


def shutdown() -> None:
    """Stop this process's backend, if any, and close the stores opened for ``agentkit.runs``.

    Runs in progress stay ``running`` and continue when a worker (or this program, started again)
    executes them. Done at exit anyway; call it to switch databases or to clean up in a script.
    """
    with _lock:
        launched = DurableBackend.active()
        if launched is not None:
            launched.shutdown()
        while _stores:
            _stores.popitem()[1].close()
