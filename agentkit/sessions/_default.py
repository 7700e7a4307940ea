"""Which store ``session="..."`` uses, and opening a store from a URL."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from agentkit.exceptions import UserError
from agentkit.sessions.store import SessionStore

__all__ = ["SESSIONS_DB_ENV", "default_session_url", "default_store", "open_store"]

SESSIONS_DB_ENV = "AGENTKIT_SESSIONS_DB"
SESSIONS_FILE = "sessions.sqlite"

_opened: dict[str, SessionStore] = {}
_opened_guard = threading.Lock()


def default_session_url() -> str:
    """``$AGENTKIT_SESSIONS_DB``; else, when background runs use SQLite, a file ``sessions.sqlite`` beside
    their database (``~/.agentkit`` or ``$AGENTKIT_HOME``, or the directory of ``$AGENTKIT_DB``); when they
    use PostgreSQL (``$AGENTKIT_DB``), that same database."""
    configured = os.environ.get(SESSIONS_DB_ENV)
    if configured:
        return configured
    from agentkit.background.config import default_system_db_url

    runs = default_system_db_url()
    if runs.startswith("sqlite"):
        return f"sqlite:///{Path(runs.split(':///', 1)[1]).parent / SESSIONS_FILE}"
    return runs


def open_store(url: str) -> SessionStore:
    """A store for ``sqlite:///path`` or ``postgresql://...``; a store is opened once per URL per process."""
    with _opened_guard:
        store = _opened.get(url)
        if store is None:
            store = _opened[url] = _open(url)
        return store


def _open(url: str) -> SessionStore:
    if url.startswith("sqlite:///"):
        from agentkit.sessions.sqlite import SQLiteSessionStore

        return SQLiteSessionStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql:", "postgresql+", "postgres:")):
        from agentkit.sessions.postgres import PostgresSessionStore

        return PostgresSessionStore(url)
    raise UserError(
        f"Can't open a session store at {url!r}: use sqlite:///path/to/sessions.sqlite or "
        "postgresql://user@host:port/database."
    )


def default_store() -> SessionStore:
    """The store of :func:`default_session_url`."""
    return open_store(default_session_url())
