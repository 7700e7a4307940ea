"""A handle on one durable run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

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
        """The run's current status."""
        return self._store.status(self.id)

    def events(self, *, offset: int = 0, follow: bool = True) -> Iterator[RunEvent]:
        """The run's event log from ``offset``; with ``follow``, live until the run finishes."""
        return self._store.events(self.id, offset=offset, follow=follow)

    def cancel(self) -> None:
        """Stop the run at its next step."""
        self._store.cancel(self.id)

    def resume(self) -> None:
        """Continue a cancelled or stranded run from its last finished step."""
        self._store.resume(self.id)

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the result (``RunTimeout`` after ``timeout`` seconds; the run goes on)."""
        return self._store.result(self.id, timeout=timeout)
