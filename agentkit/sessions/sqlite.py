"""Sessions in a SQLite file (the default store), usable by several processes on one machine.

Needs only the standard library. Messages are rows numbered per session; a run holds its session with
a lock file in ``<database>.locks/`` (see :mod:`agentkit.sessions._filelock`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from agentkit.messages import ModelRequest, ModelResponse
from agentkit.sessions._filelock import try_lock_file
from agentkit.sessions._rows import from_rows, to_rows
from agentkit.sessions._sql import TABLE, first_seq, insert_sql, last_seq_sql, load_sql, numbered
from agentkit.sessions.store import SessionInfo, SessionLease

__all__ = ["SQLiteSessionStore"]

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    message TEXT NOT NULL,
    created_at REAL NOT NULL,
    restart INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, seq)
)
"""
BUSY_TIMEOUT_S = 30.0


class SQLiteSessionStore:
    """Sessions in the SQLite file ``path`` (created with its directory on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._locks = self.path.with_name(self.path.name + ".locks")
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    def __repr__(self) -> str:
        return f"SQLiteSessionStore({str(self.path)!r})"

    @property
    def url(self) -> str:
        """``sqlite:///<absolute path>``."""
        return f"sqlite:///{self.path}"

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn
        finally:
            conn.close()

    def load(self, session_id: str) -> list[ModelRequest | ModelResponse]:
        """The session's messages in order."""
        with self._connection() as conn:
            rows = conn.execute(
                load_sql("?"),
                (session_id, session_id),
            )
            return from_rows([row[0] for row in rows])

    def append(
        self, session_id: str, messages: Sequence[ModelRequest | ModelResponse], *, restart: bool = False
    ) -> None:
        """Add ``messages`` after the session's last one, in one transaction (``restart``: they are the
        conversation from now on, see :meth:`SessionStore.append`)."""
        rows = to_rows(messages)
        if not rows:
            return
        now = time.time()
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                (last,) = conn.execute(last_seq_sql("?"), (session_id,)).fetchone()
                conn.executemany(
                    insert_sql("?"),
                    numbered(session_id, last, rows, now, restart),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def try_lock(self, session_id: str) -> SessionLease | None:
        """Take the session's lock file if no thread or process holds it."""
        return try_lock_file(self._locks, session_id)

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, most recently updated first."""
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT session_id, SUM(CASE WHEN seq >= {first_seq('m.session_id')} THEN 1 ELSE 0 END), "
                f"MIN(created_at), MAX(created_at) FROM {TABLE} m "
                "GROUP BY session_id ORDER BY MAX(created_at) DESC, session_id"
            ).fetchall()
        return [SessionInfo(row[0], row[1], row[2], row[3]) for row in rows]

    def delete(self, session_id: str) -> int:
        """Remove the session's messages; returns how many there were."""
        with self._connection() as conn:
            return conn.execute(f"DELETE FROM {TABLE} WHERE session_id = ?", (session_id,)).rowcount
