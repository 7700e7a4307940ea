"""The SQL both session stores share; ``p`` is the driver's parameter mark (``?`` or ``%s``)."""

from __future__ import annotations

__all__ = ["TABLE", "first_seq", "insert_sql", "last_seq_sql", "load_sql", "numbered"]

TABLE = "agentkit_session_messages"


def first_seq(session: str) -> str:
    """SQL for the first row of a session's conversation: its last restart (or its first row)."""
    return f"(SELECT COALESCE(MAX(r.seq), 0) FROM {TABLE} r WHERE r.session_id = {session} AND r.restart = 1)"


def load_sql(p: str) -> str:
    """The messages of one session's conversation, in order (parameters: the session id twice)."""
    return f"SELECT message FROM {TABLE} WHERE session_id = {p} AND seq >= {first_seq(p)} ORDER BY seq"


def last_seq_sql(p: str) -> str:
    """The session's last sequence number, 0 when it has none."""
    return f"SELECT COALESCE(MAX(seq), 0) FROM {TABLE} WHERE session_id = {p}"


def insert_sql(p: str) -> str:
    """One message row."""
    return f"INSERT INTO {TABLE} (session_id, seq, message, created_at, restart) VALUES ({p}, {p}, {p}, {p}, {p})"


def numbered(
    session_id: str, last: int, rows: list[str], now: float, restart: bool
) -> list[tuple[str, int, str, float, int]]:
    """``rows`` as parameters of :func:`insert_sql`, numbered after ``last``; a restart marks the first."""
    return [(session_id, last + 1 + i, text, now, int(restart and i == 0)) for i, text in enumerate(rows)]
