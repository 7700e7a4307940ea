"""Sessions in this process's memory: for tests and short-lived programs."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from agentkit.messages import ModelRequest, ModelResponse
from agentkit.sessions._rows import from_rows, to_rows
from agentkit.sessions.store import SessionInfo, SessionLease

__all__ = ["MemorySessionStore"]


@dataclass
class _Stored:
    rows: list[str] = field(default_factory=list)
    start: int = 0
    """Index of the first row of the conversation (the last restart)."""
    created_at: float = 0.0
    updated_at: float = 0.0


class _Lease:
    def __init__(self, lock: threading.Lock) -> None:
        self._lock: threading.Lock | None = lock

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


class MemorySessionStore:
    """Sessions kept in a dict: shared by the threads and event loops of one process, gone when it exits.

    Messages are stored as JSON, like the database stores, so a test sees what a real store would return.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._sessions: dict[str, _Stored] = {}
        self._locks: dict[str, threading.Lock] = {}

    @property
    def url(self) -> str | None:
        """``None``: another process can't open this store."""
        return None

    def load(self, session_id: str) -> list[ModelRequest | ModelResponse]:
        """The session's messages in order."""
        with self._guard:
            stored = self._sessions.get(session_id)
            rows = stored.rows[stored.start :] if stored else []
        return from_rows(rows)

    def append(
        self, session_id: str, messages: Sequence[ModelRequest | ModelResponse], *, restart: bool = False
    ) -> None:
        """Add ``messages`` at the end of the session (``restart``: they are the conversation from now on)."""
        rows = to_rows(messages)
        if not rows:
            return
        now = time.time()
        with self._guard:
            stored = self._sessions.setdefault(session_id, _Stored(created_at=now))
            if restart:
                stored.start = len(stored.rows)
            stored.rows.extend(rows)
            stored.updated_at = now

    def try_lock(self, session_id: str) -> SessionLease | None:
        """Take the session's lock if it is free."""
        with self._guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        return _Lease(lock) if lock.acquire(blocking=False) else None

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, most recently updated first."""
        with self._guard:
            infos = [
                SessionInfo(key, len(s.rows) - s.start, s.created_at, s.updated_at) for key, s in self._sessions.items()
            ]
        return sorted(infos, key=lambda info: (-info.updated_at, info.id))

    def delete(self, session_id: str) -> int:
        """Forget the session; returns how many messages it had."""
        with self._guard:
            stored = self._sessions.pop(session_id, None)
        return len(stored.rows) if stored else 0
