"""A :class:`Session`: the id of a stored conversation, where it is stored, and what to do when it is busy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from agentkit.exceptions import UserError

if TYPE_CHECKING:
    from agentkit.sessions.store import SessionStore

__all__ = ["MAX_SESSION_ID_CHARS", "OnBusy", "Session", "as_session", "check_session_id"]

MAX_SESSION_ID_CHARS = 200

OnBusy = Literal["wait", "raise"]
"""``"wait"``: queue behind the run that holds the session; ``"raise"``: fail at once with :class:`SessionBusy`."""


def check_session_id(session_id: object) -> str:
    """``session_id`` if it is a usable id; otherwise a :class:`UserError` saying what to pass."""
    if not isinstance(session_id, str):
        raise UserError(f"A session id must be a str, got {type(session_id).__name__}; pass e.g. session='user-42'.")
    if not session_id.strip():
        raise UserError("The session id is empty; pass a non-blank id such as session='user-42'.")
    if len(session_id) > MAX_SESSION_ID_CHARS:
        raise UserError(
            f"The session id is {len(session_id)} characters long; the limit is {MAX_SESSION_ID_CHARS}. "
            "Use a shorter id (for long keys, pass a hash of them)."
        )
    if any(ord(ch) < 32 for ch in session_id):
        raise UserError(f"The session id {session_id!r} contains control characters; use printable text only.")
    return session_id


@dataclass(frozen=True)
class Session:
    """A conversation stored under ``id``: ``agent.run(prompt, session=Session("user-42"))``.

    A plain string ``session="user-42"`` means ``Session("user-42")``: the default store (a SQLite file
    ``sessions.sqlite`` beside the background-run database, or ``$AGENTKIT_SESSIONS_DB``), waiting for
    any other run on the same session to end first.
    """

    id: str
    store: SessionStore | None = None
    """Where the conversation lives; ``None``: the default store (:func:`agentkit.sessions.default_store`)."""
    on_busy: OnBusy = "wait"
    """What a run does when another run holds the session: ``"wait"`` for it, or ``"raise"`` :class:`SessionBusy`."""

    def __post_init__(self) -> None:
        check_session_id(self.id)
        if self.on_busy not in ("wait", "raise"):
            raise UserError(f"on_busy must be 'wait' or 'raise', got {self.on_busy!r}.")


def as_session(session: str | Session) -> Session:
    """``session`` as a :class:`Session` (a string is an id in the default store)."""
    if isinstance(session, Session):
        return session
    if isinstance(session, str):
        return Session(session)
    raise UserError(f"session= takes a str id or a Session, got {type(session).__name__}; pass e.g. session='user-42'.")
