"""A handle on one durable run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from agentkit.background.approvals import PendingApproval
from agentkit.background.events import RunEvent
from agentkit.background.status import RunStatus

if TYPE_CHECKING:
    from agentkit.background.store import RunStore

__all__ = ["RunHandle"]


class RunHandle:
    """Returned by ``agent.start(...)`` and ``agentkit.runs.get(id)``; usable from any process."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self._store = store
        self.id = run_id

    def __repr__(self) -> str:
        return f"RunHandle({self.id!r})"

    def status(self) -> RunStatus:
        """The run's current status (``waiting`` with its :attr:`~RunStatus.pending_approvals` when it
        waits for a decision)."""
        return self._store.status(self.id)

    def events(self, *, offset: int = 0, follow: bool = True) -> Iterator[RunEvent]:
        """The run's event log from ``offset``; with ``follow``, live until the run finishes.

        Each entry's :attr:`~RunEvent.event` is the typed agentkit event; resume a read at ``seq + 1``.
        """
        return self._store.events(self.id, offset=offset, follow=follow)

    def aevents(self, *, offset: int = 0, follow: bool = True) -> AsyncIterator[RunEvent]:
        """:meth:`events` as an async iterator: ``async for entry in handle.aevents(): ...``."""
        return self._store.aevents(self.id, offset=offset, follow=follow)

    def pending_approvals(self) -> list[PendingApproval]:
        """The tool calls waiting for :meth:`approve` or :meth:`deny`, oldest first."""
        return self._store.pending_approvals(self.id)

    def wait_for_approval(self, timeout: float | None = None) -> list[PendingApproval]:
        """Wait until the run waits for a decision and return the pending calls (``[]`` if it ended
        without asking; ``RunTimeout`` after ``timeout`` seconds)."""
        return self._store.wait_for_approval(self.id, timeout=timeout)

    def approve(self, call_id: str) -> PendingApproval:
        """Let the pending tool call ``call_id`` run (``ApprovalNotPending`` if it isn't pending)."""
        return self._store.approve(self.id, call_id)

    def deny(self, call_id: str, reason: str = "") -> PendingApproval:
        """Refuse the pending tool call ``call_id``; the model is told ``reason``."""
        return self._store.deny(self.id, call_id, reason)

    def cancel(self) -> None:
        """Stop the run at its next step (a run waiting for approval stops waiting)."""
        self._store.cancel(self.id)

    def resume(self) -> None:
        """Continue a cancelled or stranded run from its last finished step."""
        self._store.resume(self.id)

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the result (``RunTimeout`` after ``timeout`` seconds; the run goes on)."""
        return self._store.result(self.id, timeout=timeout)
