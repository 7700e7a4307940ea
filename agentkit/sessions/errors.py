"""Errors of :mod:`agentkit.sessions`."""

from __future__ import annotations

from agentkit.exceptions import AgentkitError

__all__ = ["SessionBusy"]


class SessionBusy(AgentkitError):
    """Another run holds the session and the caller asked not to wait (``on_busy="raise"``)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"Session {session_id!r} is in use by another run. Wait for that run to end and try again, "
            "or pass Session(..., on_busy='wait') to queue behind it."
        )
        self.session_id = session_id

    def __reduce__(self) -> tuple[type[SessionBusy], tuple[str]]:
        return SessionBusy, (self.session_id,)  # a background run's error is pickled
