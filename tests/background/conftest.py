"""Databases for the background tests: a SQLite file always; PostgreSQL when
``AGENTKIT_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts one), with a fresh database each time."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.background.postgres import fresh_database

POSTGRES_ENV = "AGENTKIT_TEST_POSTGRES_URL"
DATABASES = ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres])]


@contextlib.contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    """An empty system database of ``kind`` (skips the test when PostgreSQL is not configured)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'runs.sqlite'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"set {POSTGRES_ENV}=postgresql://user@127.0.0.1:port/postgres to run the PostgreSQL variant")
    with fresh_database(server) as url:
        yield url


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A system database URL, empty."""
    with database(request.param, tmp_path) as url:
        yield url
