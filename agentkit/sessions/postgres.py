"""Sessions in PostgreSQL, for many processes on many machines.

Needs psycopg (3), which the ``background`` extra installs. A run holds its session with a session-level
advisory lock on its own connection: the server releases it if the process dies.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.sessions._rows import from_rows, to_rows
from agentkit.sessions._sql import TABLE, first_seq, insert_sql, last_seq_sql, load_sql, numbered
from agentkit.sessions.store import SessionInfo, SessionLease

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresSessionStore", "advisory_key"]

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    message TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    restart INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, seq)
)
"""
_SCHEMA_KEY = "agentkit-sessions:schema"


def advisory_key(purpose: str, session_id: str) -> int:
    """A signed 64-bit advisory-lock key for ``session_id`` (``purpose`` keeps different locks apart)."""
    digest = hashlib.sha256(f"agentkit-sessions:{purpose}:{session_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _psycopg() -> Any:
    try:
        import psycopg
    except ModuleNotFoundError as exc:
        raise UserError(
            "PostgreSQL sessions need psycopg, which is not installed: pip install 'agentkit[background]'."
        ) from exc
    return psycopg


def _conninfo(url: str) -> str:
    """A libpq URL (SQLAlchemy-style ``postgresql+psycopg://`` is accepted too)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


class _AdvisoryLease:
    def __init__(self, conn: psycopg.Connection[Any], key: int) -> None:
        self._conn: psycopg.Connection[Any] | None = conn
        self._key = key

    def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
            finally:
                conn.close()


class PostgresSessionStore:
    """Sessions in the PostgreSQL database at ``url`` (``postgresql://user@host:port/db``); the table is
    created on first use."""

    def __init__(self, url: str) -> None:
        self._psycopg = _psycopg()
        self._url = url
        self._conninfo = _conninfo(url)
        with self._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("schema", _SCHEMA_KEY),))
            conn.execute(_SCHEMA)

    def __repr__(self) -> str:
        return "PostgresSessionStore(...)"

    @property
    def url(self) -> str:
        """The URL this store was opened with."""
        return self._url

    def _connect(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] = self._psycopg.connect(self._conninfo, autocommit=True)
        return conn

    def load(self, session_id: str) -> list[ModelRequest | ModelResponse]:
        """The session's messages in order."""
        with self._connect() as conn:
            rows = conn.execute(
                load_sql("%s"),
                (session_id, session_id),
            )
            return from_rows([row[0] for row in rows.fetchall()])

    def append(
        self, session_id: str, messages: Sequence[ModelRequest | ModelResponse], *, restart: bool = False
    ) -> None:
        """Add ``messages`` after the session's last one, in one transaction (``restart``: they are the
        conversation from now on, see :meth:`SessionStore.append`)."""
        rows = to_rows(messages)
        if not rows:
            return
        now = time.time()
        with self._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("append", session_id),))
            row = conn.execute(last_seq_sql("%s"), (session_id,)).fetchone()
            last = int(row[0]) if row else 0
            with conn.cursor() as cursor:
                cursor.executemany(
                    insert_sql("%s"),
                    numbered(session_id, last, rows, now, restart),
                )

    def try_lock(self, session_id: str) -> SessionLease | None:
        """Take the session's advisory lock on a connection kept open until the lease is released."""
        key = advisory_key("run", session_id)
        conn = self._connect()
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        except BaseException:
            conn.close()
            raise
        if not (row and row[0]):
            conn.close()
            return None
        return _AdvisoryLease(conn, key)

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, most recently updated first."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT session_id, SUM(CASE WHEN seq >= {first_seq('m.session_id')} THEN 1 ELSE 0 END), "
                f"MIN(created_at), MAX(created_at) FROM {TABLE} m "
                "GROUP BY session_id ORDER BY MAX(created_at) DESC, session_id"
            ).fetchall()
        return [SessionInfo(row[0], int(row[1]), float(row[2]), float(row[3])) for row in rows]

    def delete(self, session_id: str) -> int:
        """Remove the session's messages; returns how many there were."""
        with self._connect() as conn:
            return conn.execute(f"DELETE FROM {TABLE} WHERE session_id = %s", (session_id,)).rowcount
