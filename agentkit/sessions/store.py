"""The :class:`SessionStore` protocol every store implements, and what it reports about a session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from agentkit.messages import ModelRequest, ModelResponse

__all__ = ["SessionInfo", "SessionLease", "SessionStore"]

Messages = list[ModelRequest | ModelResponse]


@dataclass(frozen=True)
class SessionInfo:
    """One stored session, as ``agentkit sessions ls`` lists it."""

    id: str
    messages: int
    """Messages a run would load (since the last restart)."""
    created_at: float
    """Seconds since the epoch when its first message was stored."""
    updated_at: float
    """Seconds since the epoch when its last message was stored."""


class SessionLease(Protocol):
    """Exclusive hold of one session, across threads and processes; :meth:`release` ends it."""

    def release(self) -> None:
        """Let the next run take the session."""
        ...


@runtime_checkable
class SessionStore(Protocol):
    """Where sessions live. Messages are append-only, numbered 1, 2, ... per session.

    Methods are blocking (runs call them from a worker thread). :meth:`try_lock` never waits: a run that
    waits for a busy session polls it.
    """

    @property
    def url(self) -> str | None:
        """A URL another process can open the same store with (``None``: this process only)."""
        ...

    def load(self, session_id: str) -> Messages:
        """The session's messages in order, from its last restart (empty for a session never stored)."""
        ...

    def append(
        self, session_id: str, messages: Sequence[ModelRequest | ModelResponse], *, restart: bool = False
    ) -> None:
        """Add ``messages`` after the session's last one (creating the session).

        ``restart=True``: ``messages`` are the whole conversation from now on (a run that summarized part of
        the stored conversation stores its compacted transcript); :meth:`load` returns them and what follows,
        and the earlier rows stay stored (append-only) until :meth:`delete`.
        """
        ...

    def try_lock(self, session_id: str) -> SessionLease | None:
        """Take the session now, or ``None`` if another holder has it."""
        ...

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, most recently updated first."""
        ...

    def delete(self, session_id: str) -> int:
        """Remove the session; returns how many messages it had stored, also any before its last restart
        (0: there was no such session)."""
        ...
