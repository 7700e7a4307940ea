"""Session stores for the tests: in memory, a SQLite file, and PostgreSQL when
``AGENTKIT_TEST_POSTGRES_URL`` names a server (a fresh database each time; skipped otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.sessions import MemorySessionStore, SessionStore, open_store
from tests.background.conftest import database

DATABASES = ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres])]


@pytest.fixture(params=DATABASES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty session database (SQLite or PostgreSQL)."""
    with database(request.param, tmp_path) as url:
        yield url.replace("runs.sqlite", "sessions.sqlite")


@pytest.fixture(params=["memory", *DATABASES])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """An empty store of each kind."""
    if request.param == "memory":
        yield MemorySessionStore()
        return
    with database(request.param, tmp_path) as url:
        yield open_store(url.replace("runs.sqlite", "sessions.sqlite"))
