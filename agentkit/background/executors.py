"""Worker heartbeats, and the rule that declares a worker dead.

Each executing process keeps a row in ``agentkit_executors`` fresh. A worker is dead when it has no
row (it shut down), when its heartbeat is older than ``heartbeat_timeout_s``, or - on SQLite, where
all workers share one machine - when its process no longer exists.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from agentkit.background.config import DurableConfig
from agentkit.background.tables import Tables

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["ExecutorRegistry", "pid_alive"]

FORGET_AFTER_S = 24 * 3600


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ExecutorRegistry:
    """This process's heartbeat row, and liveness checks of the others."""

    def __init__(self, engine: sa.Engine, tables: Tables, config: DurableConfig) -> None:
        self._engine = engine
        self._table = tables.executors
        self._config = config
        self._host = socket.gethostname()

    def register(self) -> None:
        """Write (or take over) this executor's row."""
        from sqlalchemy.dialects import postgresql, sqlite

        now = time.time()
        row = {
            "executor_id": self._config.executor_id,
            "host": self._host,
            "pid": os.getpid(),
            "app_version": self._config.app_version,
            "started_at": now,
            "heartbeat_at": now,
        }
        dialect = sqlite if self._engine.dialect.name == "sqlite" else postgresql
        insert = dialect.insert(self._table).values(row)
        upsert = insert.on_conflict_do_update(
            index_elements=["executor_id"], set_={k: v for k, v in row.items() if k != "executor_id"}
        )
        with self._engine.begin() as conn:
            conn.execute(upsert)

    def beat(self) -> None:
        """Refresh this executor's heartbeat (re-registering if another process removed the row)."""
        import sqlalchemy as sa

        t = self._table
        with self._engine.begin() as conn:
            updated = conn.execute(
                sa.update(t)
                .where(t.c.executor_id == self._config.executor_id)
                .values(heartbeat_at=time.time(), pid=os.getpid(), host=self._host)
            ).rowcount
        if not updated:
            self.register()

    def unregister(self) -> None:
        """Remove this executor's row (on clean shutdown)."""
        import sqlalchemy as sa

        t = self._table
        with self._engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.executor_id == self._config.executor_id, t.c.pid == os.getpid()))

    def forget(self, executor_ids: Iterable[str]) -> None:
        """Remove the rows of these executors (dead ones whose runs were recovered), and any row
        silent for a day."""
        import sqlalchemy as sa

        t = self._table
        ids = set(executor_ids) - {self._config.executor_id}
        with self._engine.begin() as conn:
            conn.execute(
                sa.delete(t).where(t.c.executor_id.in_(ids) | (t.c.heartbeat_at < time.time() - FORGET_AFTER_S))
            )

    def dead(self, executor_ids: Iterable[str]) -> set[str]:
        """Which of ``executor_ids`` are dead (never this process's own id)."""
        import sqlalchemy as sa

        candidates = set(executor_ids) - {self._config.executor_id}
        if not candidates:
            return set()
        t = self._table
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.c.executor_id, t.c.host, t.c.pid, t.c.heartbeat_at).where(t.c.executor_id.in_(candidates))
            ).all()
        stale_before = time.time() - self._config.heartbeat_timeout_s
        alive = {
            row.executor_id for row in rows if not self._row_dead(row.host, row.pid, row.heartbeat_at, stale_before)
        }
        return candidates - alive

    def _row_dead(self, host: str, pid: int, heartbeat_at: float, stale_before: float) -> bool:
        if heartbeat_at < stale_before:
            return True
        return self._config.is_sqlite and host == self._host and not pid_alive(pid)
