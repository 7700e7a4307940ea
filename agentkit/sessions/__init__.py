"""Sessions: conversations stored under an id, continued by each run that names them.

>>> result = agent.run_sync("My name is Ada.", session="user-42")  # doctest: +SKIP
>>> agent.run_sync("What is my name?", session="user-42").output  # doctest: +SKIP

A run on a session holds it (other runs on it wait, or fail with :class:`SessionBusy` when asked to),
starts from its stored messages and appends the messages it added. Stores: :class:`SQLiteSessionStore`
(the default, a file beside the background-run database), :class:`PostgresSessionStore` (many processes
and machines) and :class:`MemorySessionStore` (tests).
"""

from __future__ import annotations

from agentkit.sessions._default import SESSIONS_DB_ENV, default_session_url, default_store, open_store
from agentkit.sessions.errors import SessionBusy
from agentkit.sessions.memory import MemorySessionStore
from agentkit.sessions.postgres import PostgresSessionStore
from agentkit.sessions.session import MAX_SESSION_ID_CHARS, OnBusy, Session
from agentkit.sessions.sqlite import SQLiteSessionStore
from agentkit.sessions.store import SessionInfo, SessionLease, SessionStore

__all__ = [
    "MAX_SESSION_ID_CHARS",
    "SESSIONS_DB_ENV",
    "MemorySessionStore",
    "OnBusy",
    "PostgresSessionStore",
    "SQLiteSessionStore",
    "Session",
    "SessionBusy",
    "SessionInfo",
    "SessionLease",
    "SessionStore",
    "default_session_url",
    "default_store",
    "open_store",
]
