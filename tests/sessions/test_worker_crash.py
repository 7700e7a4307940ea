"""A background run on a session whose worker is killed (SIGKILL) mid-run: the session is freed, and the
recovered run starts from the history it first loaded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit import Session
from agentkit.background import DurableConfig, RunStore, start_run
from agentkit.sessions import open_store
from tests.background.conftest import database
from tests.background.harness import Worker
from tests.sessions.agents import echo, user_prompts
from tests.sessions.conftest import DATABASES


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


def test_a_recovered_run_starts_from_the_history_it_first_loaded(db_url: str, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    session = Session("crashed", store=open_store(db_url.replace("runs.sqlite", "sessions.sqlite")))
    echo.run_sync("one", session=session)
    config = DurableConfig(system_db_url=db_url, executor_id="test-client")
    store = RunStore(config)
    worker = Worker(db_url, "w1")
    try:
        worker.wait_ready()
        handle = start_run(
            echo,
            f"hold {gate}",
            session=session,
            config=config,
            execute=False,
            agent_ref="tests.sessions.agents:echo",
        )
        deadline = time.monotonic() + 30
        while not (gate / "holding").exists():
            assert time.monotonic() < deadline, "the worker never started the run"
            time.sleep(0.01)
        worker.kill()
        assert echo.run_sync("between", session=session).output == "seen: one,between"
        (gate / "release").write_text("1")
        worker = Worker(db_url, "w1")  # the same executor id: takes its run back at once
        worker.wait_ready()
        result = handle.result(timeout=40)
    finally:
        worker.stop()
        store.close()
    assert result.output == "held"
    assert user_prompts(result.messages) == ["one", f"hold {gate}"]
    stored = session.store.load("crashed")  # type: ignore[union-attr]
    assert user_prompts(stored) == ["one", "between", f"hold {gate}"]
    assert len(stored) == 6
