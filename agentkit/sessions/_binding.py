"""What ``agent.run(..., session=...)`` does around a run: hold the session, load it as the history,
and append the run's new messages when it finishes."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.result import AgentResult
from agentkit.sessions._default import default_store
from agentkit.sessions._locking import hold
from agentkit.sessions.session import Session, as_session
from agentkit.sessions.store import SessionStore

__all__ = ["BoundSession", "bind_session", "run_in_session", "session_iter", "session_run", "to_store"]

Messages = list[ModelRequest | ModelResponse]
R = TypeVar("R", bound=AgentResult[Any])
RunF = TypeVar("RunF", bound=Callable[..., Awaitable[Any]])
IterF = TypeVar("IterF", bound=Callable[..., AbstractAsyncContextManager[Any]])


@dataclass
class BoundSession:
    """The history a run starts from, and where its new messages go (nowhere without a session)."""

    history: Messages
    store: SessionStore | None = None
    session_id: str = ""

    async def save(self, result: AgentResult[Any] | None) -> None:
        """Append what ``result``'s run added (nothing for a run that did not finish)."""
        if self.store is not None and result is not None:
            messages, restart = to_store(result, len(self.history))
            await asyncio.to_thread(functools.partial(self.store.append, restart=restart), self.session_id, messages)


def to_store(result: AgentResult[Any], loaded: int) -> tuple[Messages, bool]:
    """What a run that started from ``loaded`` stored messages adds to its session, and whether it restarts it.

    Its new messages; or, when context management summarized part of the stored conversation together with
    the run's own first messages (``new_message_index`` is then 0), its whole compacted transcript, as the
    conversation from now on (appending it would repeat the stored part).
    """
    if loaded and result.new_message_index == 0:
        return list(result.messages), True
    return result.new_messages(), False


def store_of(session: Session) -> SessionStore:
    """The session's store, or the default one."""
    return session.store if session.store is not None else default_store()


@asynccontextmanager
async def bind_session(
    session: str | Session | None, message_history: Sequence[ModelRequest | ModelResponse] | None
) -> AsyncIterator[BoundSession]:
    """Hold ``session`` (if any) for the block and give its stored conversation as the history."""
    if session is None:
        yield BoundSession(list(message_history or []))
        return
    resolved = as_session(session)
    if message_history:
        raise UserError(
            f"Pass either session={resolved.id!r} (its stored conversation is the history) or message_history=, "
            "not both."
        )
    store = await asyncio.to_thread(store_of, resolved)
    async with hold(store, resolved.id, resolved.on_busy):
        history = await asyncio.to_thread(store.load, resolved.id)
        yield BoundSession(history, store, resolved.id)


async def run_in_session(
    session: str | Session,
    message_history: Sequence[ModelRequest | ModelResponse] | None,
    run: Callable[[Messages], Awaitable[R]],
) -> R:
    """``run(history)`` holding ``session``, its result's new messages appended to the session."""
    async with bind_session(session, message_history) as bound:
        result = await run(bound.history)
        await bound.save(result)
        return result


def session_run(run: RunF) -> RunF:
    """Make ``run(..., session=...)`` run in the session (``Agent.run``'s decorator); other calls pass through."""

    @functools.wraps(run)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = kwargs.pop("session", None)
        if session is None:
            return await run(*args, **kwargs)
        history = kwargs.pop("message_history", None)
        return await run_in_session(session, history, lambda loaded: run(*args, message_history=loaded, **kwargs))

    return cast(RunF, wrapper)


def session_iter(iter_run: IterF) -> IterF:
    """Make ``iter(..., session=...)`` run in the session (``Agent.iter``'s decorator): the session is held
    while the ``async with`` block runs, and the run's new messages are appended if it finished."""

    @functools.wraps(iter_run)
    def wrapper(*args: Any, **kwargs: Any) -> AbstractAsyncContextManager[Any]:
        session = kwargs.pop("session", None)
        if session is None:
            return iter_run(*args, **kwargs)
        return _iter_in_session(iter_run, session, args, kwargs)

    return cast(IterF, wrapper)


@asynccontextmanager
async def _iter_in_session(
    iter_run: Callable[..., AbstractAsyncContextManager[Any]],
    session: str | Session,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> AsyncIterator[Any]:
    async with bind_session(session, kwargs.pop("message_history", None)) as bound:
        async with iter_run(*args, message_history=bound.history, **kwargs) as run:
            yield run
        await bound.save(run.result)
