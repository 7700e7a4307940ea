"""Holding a session for the length of a run: wait for it (polling the store), or fail at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agentkit.sessions.errors import SessionBusy
from agentkit.sessions.session import OnBusy
from agentkit.sessions.store import SessionLease, SessionStore

__all__ = ["hold"]

FIRST_POLL_S = 0.01
MAX_POLL_S = 0.2


@asynccontextmanager
async def hold(store: SessionStore, session_id: str, on_busy: OnBusy) -> AsyncIterator[None]:
    """Hold ``session_id`` in ``store`` while the block runs (across threads, event loops and processes)."""
    lease = await _acquire(store, session_id, on_busy)
    try:
        yield
    finally:
        lease.release()


async def _acquire(store: SessionStore, session_id: str, on_busy: OnBusy) -> SessionLease:
    delay = FIRST_POLL_S
    while (lease := await _try_lock(store, session_id)) is None:
        if on_busy == "raise":
            raise SessionBusy(session_id)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_POLL_S)
    return lease


async def _try_lock(store: SessionStore, session_id: str) -> SessionLease | None:
    """``store.try_lock`` in a thread; a lease taken after the caller was cancelled is released."""
    attempt = asyncio.ensure_future(asyncio.to_thread(store.try_lock, session_id))
    try:
        return await asyncio.shield(attempt)
    except asyncio.CancelledError:
        attempt.add_done_callback(_release_abandoned)
        raise


def _release_abandoned(attempt: asyncio.Future[SessionLease | None]) -> None:
    if not attempt.cancelled() and attempt.exception() is None and (lease := attempt.result()) is not None:
        lease.release()
