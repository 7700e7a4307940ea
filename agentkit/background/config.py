"""Where durable runs live and how a process takes part in them.

Nothing here imports DBOS: reading a configuration must stay cheap.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "APP_NAME",
    "DEFAULT_QUEUE",
    "REPLAY_PROTOCOL",
    "DurableConfig",
    "default_home",
    "default_system_db_url",
    "process_executor_id",
]

APP_NAME = "agentkit"
"""The DBOS application name every agentkit process uses (workflows, queues, versions are scoped to it)."""

DEFAULT_QUEUE = "agentkit-runs"

REPLAY_PROTOCOL = "2"
"""Bumped when agentkit changes the sequence of steps a run records, which breaks replay of old runs.

2: a tool call that needs approval, in a run started without an approver, waits for a decision
(two steps: the received decision and its durable timeout) instead of being refused."""

HOME_ENV = "AGENTKIT_HOME"
DB_ENV = "AGENTKIT_DB"


def default_home() -> Path:
    """``$AGENTKIT_HOME``, or ``~/.agentkit``."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".agentkit"


def default_system_db_url() -> str:
    """``$AGENTKIT_DB``, or a SQLite file ``runs.sqlite`` in :func:`default_home`."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return configured
    return f"sqlite:///{default_home() / 'runs.sqlite'}"


def process_executor_id() -> str:
    """An executor id unique to this process: ``<host>-<pid>``."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class DurableConfig:
    """How this process stores, runs and recovers durable runs.

    Every field has a working default: a SQLite database under ``~/.agentkit`` (or ``$AGENTKIT_HOME``)
    and one executor per process.
    """

    system_db_url: str = field(default_factory=default_system_db_url)
    """``sqlite:///path/runs.sqlite`` (embedded default) or ``postgresql://...`` (several workers)."""
    executor_id: str = field(default_factory=process_executor_id)
    """Identity of this worker. A worker restarting with the same id recovers its unfinished runs at once;
    runs of a dead executor with another id are recovered after ``heartbeat_timeout_s``."""
    version: str = "0"
    """Your code's replay version. Bump it when a change would make in-flight runs replay differently;
    runs started under another version are left alone and reported by :meth:`RunStore.stuck_runs`."""
    queue: str = DEFAULT_QUEUE
    concurrency: int | None = None
    """Most runs of this queue running at once across all workers (``None``: no global limit)."""
    worker_concurrency: int | None = 8
    """Most runs one worker process executes at once."""
    branch_worker_concurrency: int | None = 16
    """Most strategy branches one worker process executes at once. Branches of ``agent.start(task,
    strategy=...)`` are child runs on their own queue (:attr:`branch_queue`), so a strategy run waiting
    for its branches never takes the place they need."""
    queue_poll_s: float = 0.2
    """How often a worker looks for new runs."""
    heartbeat_s: float = 2.0
    heartbeat_timeout_s: float = 30.0
    wait_poll_s: float = 1.0
    """How often a run waiting for a decision (an approval) checks whether it was cancelled; on SQLite
    also how often a waiting run looks for the decision (PostgreSQL notifies at once)."""
    log_level: str = "WARNING"

    @property
    def branch_queue(self) -> str:
        """The queue of strategy branches (child runs): ``<queue>.branches``."""
        return f"{self.queue}.branches"

    def __post_init__(self) -> None:
        _check_positive("queue_poll_s", self.queue_poll_s)
        _check_positive("heartbeat_s", self.heartbeat_s)
        _check_positive("wait_poll_s", self.wait_poll_s)
        if self.heartbeat_timeout_s <= self.heartbeat_s:
            raise ValueError(
                f"heartbeat_timeout_s ({self.heartbeat_timeout_s}) must exceed heartbeat_s "
                f"({self.heartbeat_s}), or live workers would be declared dead; raise heartbeat_timeout_s."
            )
        for name in ("concurrency", "worker_concurrency", "branch_worker_concurrency"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 or None (no limit), got {value}.")

    @property
    def app_version(self) -> str:
        """The pinned DBOS application version: agentkit's replay protocol plus :attr:`version`."""
        return f"agentkit-r{REPLAY_PROTOCOL}-{self.version}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the system database is a SQLite file."""
        return self.system_db_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite file, or ``None`` for another database."""
        if not self.is_sqlite:
            return None
        return Path(self.system_db_url.split(":///", 1)[1])


def _check_positive(name: str, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}.")
