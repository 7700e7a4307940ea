"""Foreground runs: ``agentkit run --save FILE`` records each run in the run database, so
``agentkit runs ls`` lists it beside the background runs (marked ``foreground``, with the file that holds
the whole run). The row is a pointer to the file; the run's events stay in the file.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentkit._extras import require
from agentkit.background._dberrors import _message, describe_database, translated
from agentkit.background.errors import RunDatabaseError
from agentkit.background.status import RunState
from agentkit.exceptions import MissingExtra

if TYPE_CHECKING:
    import sqlalchemy as sa

    from agentkit.background.tables import Tables

__all__ = [
    "FOREGROUND",
    "ForegroundRun",
    "check_installed",
    "find_foreground_run",
    "list_foreground_runs",
    "record_foreground_run",
]

FOREGROUND = "foreground"
"""What ``agentkit runs ls`` shows in the WORKER column of a foreground run."""
_FEATURE = "Listing saved runs in 'agentkit runs ls'"


@dataclass(frozen=True)
class ForegroundRun:
    """One ``agentkit run --save`` run, as recorded in the run database."""

    id: str
    title: str
    state: RunState
    """``succeeded``, ``failed``, or ``cancelled`` (stopped with Ctrl-C)."""
    model: str
    saved_path: str
    """The ``--save`` file: ``agentkit view`` on it shows the whole run."""
    created_at: float
    """Unix time (seconds)."""
    updated_at: float
    error: str | None = None


def check_installed() -> None:
    """Raise :class:`MissingExtra` unless the ``background`` extra (SQLAlchemy, DBOS) is installed."""
    require("sqlalchemy", "background", _FEATURE)
    if importlib.util.find_spec("dbos") is None:  # not imported: DBOS takes about 0.4 s to load
        raise MissingExtra("dbos", "background", _FEATURE)


@contextmanager
def _opened(url: str) -> Iterator[tuple[sa.Engine, Tables]]:
    """An engine on the run database at ``url`` with agentkit's tables created; its failures raise
    :class:`RunDatabaseError`."""
    from agentkit.background.engine import create_engine
    from agentkit.background.tables import Tables, create_tables

    with _database_errors(url):
        engine = create_engine(url, pool_size=1)
        try:
            tables = Tables(engine)
            create_tables(engine, tables)
            yield engine, tables
        finally:
            engine.dispose()


@contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """:func:`translated`, plus a directory that can't be made for a SQLite file."""
    try:
        with translated(url):
            yield
    except OSError as exc:
        where = describe_database(url)
        reason = exc.strerror or type(exc).__name__
        raise RunDatabaseError(_message(RunDatabaseError, where, reason), database=where, reason=reason) from exc


def record_foreground_run(url: str, run: ForegroundRun) -> None:
    """Write ``run`` to the run database at ``url`` (replacing a run with the same id)."""
    with _opened(url) as (engine, tables), engine.begin() as conn:
        table = tables.foreground
        conn.execute(table.delete().where(table.c.run_id == run.id))
        conn.execute(
            table.insert().values(
                run_id=run.id,
                title=run.title,
                state=run.state.value,
                model=run.model,
                saved_path=run.saved_path,
                error=run.error,
                created_at=run.created_at,
                updated_at=run.updated_at,
            )
        )


def list_foreground_runs(url: str, *, state: RunState | None = None, limit: int | None = 50) -> list[ForegroundRun]:
    """Foreground runs, newest first, optionally only those in ``state``."""
    with _opened(url) as (engine, tables), engine.connect() as conn:
        table = tables.foreground
        query = table.select().order_by(table.c.created_at.desc(), table.c.run_id.desc())
        if state is not None:
            query = query.where(table.c.state == state.value)
        if limit is not None:
            query = query.limit(limit)
        return [_run(row) for row in conn.execute(query).mappings()]


def find_foreground_run(url: str, run_id: str) -> ForegroundRun | None:
    """The foreground run ``run_id``, or ``None`` if there is none."""
    with _opened(url) as (engine, tables), engine.connect() as conn:
        table = tables.foreground
        row = conn.execute(table.select().where(table.c.run_id == run_id)).mappings().first()
        return None if row is None else _run(row)


def _run(row: Any) -> ForegroundRun:
    return ForegroundRun(
        id=row["run_id"],
        title=row["title"],
        state=RunState(row["state"]),
        model=row["model"],
        saved_path=row["saved_path"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        error=row["error"],
    )
