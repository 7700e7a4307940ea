"""Sessions in background runs: ``agent.start(prompt, session=...)``.

The session travels in the run's payload as its id and store URL. The worker holds the session for the
run, and loads and appends it as durable steps: a run replayed after a crash starts from the history it
first loaded and never appends twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse, dump_messages, load_messages
from agentkit.result import AgentResult
from agentkit.sessions._binding import store_of, to_store
from agentkit.sessions._default import open_store
from agentkit.sessions._locking import hold
from agentkit.sessions.session import Session, as_session, check_session_id
from agentkit.sessions.store import SessionStore

if TYPE_CHECKING:
    from agentkit.background.steps import StepRunner

__all__ = ["SESSION_KEY", "run_durable_session", "session_payload"]

SESSION_KEY = "session"

Messages = list[ModelRequest | ModelResponse]
R = TypeVar("R", bound=AgentResult[Any])


def session_payload(session: str | Session) -> dict[str, str]:
    """The session as JSON for a run's payload (its store must be one a worker can open by URL)."""
    resolved = as_session(session)
    store = store_of(resolved)
    if store.url is None:
        raise UserError(
            f"A background run can't use the session {resolved.id!r}: its store ({type(store).__name__}) lives "
            "in this process only. Use a SQLiteSessionStore or PostgresSessionStore (or the default store)."
        )
    return {"id": resolved.id, "url": store.url, "on_busy": resolved.on_busy}


async def run_durable_session(payload: dict[str, Any], steps: StepRunner, run: Callable[[Messages], Awaitable[R]]) -> R:
    """``run(history)`` holding the session named in ``payload``, loading and appending it as steps."""
    session_id = check_session_id(payload.get("id"))
    store = await asyncio.to_thread(open_store, str(payload["url"]))
    async with hold(store, session_id, "raise" if payload.get("on_busy") == "raise" else "wait"):
        stored = await steps.model_call(lambda: asyncio.to_thread(_load_json, store, session_id), name="session-load")
        history = load_messages(stored)
        result = await run(history)
        new, restart = to_store(result, len(history))
        await steps.model_call(
            lambda: asyncio.to_thread(_append, store, session_id, new, restart), name="session-append"
        )
        return result


def _load_json(store: SessionStore, session_id: str) -> str:
    return dump_messages(store.load(session_id))


def _append(store: SessionStore, session_id: str, messages: Messages, restart: bool) -> int:
    store.append(session_id, messages, restart=restart)
    return len(messages)
