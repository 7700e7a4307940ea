"""``agent.start(prompt, session=...)``: a background run continues a session, loading and appending it
as durable steps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit import Session, UserError
from agentkit.background import DurableBackend, DurableConfig
from agentkit.sessions import MemorySessionStore, open_store
from tests.background.conftest import database
from tests.sessions.agents import echo, user_prompts
from tests.sessions.conftest import DATABASES


@pytest.fixture(scope="module", params=DATABASES)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DurableBackend]:
    with database(request.param, tmp_path_factory.mktemp("agentkit-home")) as url:
        backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="sessions", queue_poll_s=0.05))
        backend.launch()
        yield backend
        backend.shutdown()


def _sessions_url(backend: DurableBackend) -> str:
    """Sessions beside the runs: a sibling SQLite file, or the same PostgreSQL database."""
    return backend.config.system_db_url.replace("runs.sqlite", "sessions.sqlite")


def test_a_background_run_continues_a_session(backend: DurableBackend) -> None:
    session = Session("bg", store=open_store(_sessions_url(backend)))
    echo.run_sync("one", session=session)
    handle = echo.start("two", session=session)
    assert handle.result(timeout=30).output == "seen: one,two"
    assert echo.run_sync("three", session=session).output == "seen: one,two,three"
    assert user_prompts(session.store.load("bg")) == ["one", "two", "three"]  # type: ignore[union-attr]
    names = [s.name for s in backend.store.steps(handle.id)]
    assert names == ["agentkit.model:session-load", "agentkit.model:model", "agentkit.model:session-append"]


def test_a_background_run_starts_a_new_session(backend: DurableBackend) -> None:
    store = open_store(_sessions_url(backend))
    handle = echo.start("first", session=Session("fresh", store=store))
    assert handle.result(timeout=30).output == "seen: first"
    assert user_prompts(store.load("fresh")) == ["first"]


def test_a_session_only_this_process_can_open_is_refused_with_the_fix() -> None:
    with pytest.raises(UserError) as caught:
        echo.start("x", session=Session("m", store=MemorySessionStore()))
    assert str(caught.value) == (
        "A background run can't use the session 'm': its store (MemorySessionStore) lives in this process only. "
        "Use a SQLiteSessionStore or PostgresSessionStore (or the default store)."
    )


def test_a_resumed_run_starts_from_the_history_it_first_loaded(backend: DurableBackend, tmp_path: Path) -> None:
    from agentkit.background import RunCancelled

    session = Session("replayed", store=open_store(_sessions_url(backend)))
    echo.run_sync("one", session=session)
    handle = echo.start(f"hold {tmp_path}", session=session)
    while not (tmp_path / "holding").exists():
        time.sleep(0.01)
    handle.cancel()
    (tmp_path / "release").write_text("1")
    with pytest.raises(RunCancelled):
        handle.result(timeout=30)
    assert echo.run_sync("between", session=session).output == "seen: one,between"
    handle.resume()
    result = handle.result(timeout=30)
    assert result.output == "held"
    assert user_prompts(result.messages) == ["one", f"hold {tmp_path}"]
    stored = session.store.load("replayed")  # type: ignore[union-attr]
    assert user_prompts(stored) == ["one", "between", f"hold {tmp_path}"]
    assert len(stored) == 6
