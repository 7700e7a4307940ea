"""Database failures of the run database, as typed errors that name the database, the cause and the fix.

SQLite reports a full disk and a damaged file with result codes, PostgreSQL with SQLSTATEs; anything
else that keeps the database from being used (can't open, read-only, server down) is a plain
:class:`RunDatabaseError`. Errors of the program (a bad query, a constraint) are left as they are.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from types import TracebackType

from agentkit.background.errors import RunDatabaseCorrupt, RunDatabaseError, RunDatabaseFull
from agentkit.redaction import url_without_password

__all__ = ["database_error", "describe_database", "raised_by_database", "translated"]

_SQLITE_FULL = {13}  # SQLITE_FULL
_SQLITE_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_PG_FULL = {"53100"}  # disk_full
_PG_CORRUPT = {"XX001", "XX002"}  # data_corrupted, index_corrupted
_PG_UNAVAILABLE = {"08", "53", "57", "58"}  # connection, resources, operator intervention, system error
_FULL_TEXT = ("database or disk is full", "no space left on device")
_CORRUPT_TEXT = ("malformed", "file is not a database")


def describe_database(url: str) -> str:
    """The SQLite file of ``url``, or the URL without its password."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return url_without_password(url)


def _driver_error(exc: BaseException) -> BaseException | None:
    """The database driver's own exception behind ``exc`` (``exc`` itself, its ``orig``, or a cause)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            return orig
        if isinstance(current, sqlite3.Error) or _sqlstate(current) is not None:
            return current
        if type(current).__module__.startswith("psycopg"):
            return current
        current = current.__cause__ or current.__context__
    return None


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return state if isinstance(state, str) else None


def _kind(driver: BaseException) -> type[RunDatabaseError] | None:
    """Which error ``driver`` stands for; ``None`` for an error of the program, not of the database."""
    code = getattr(driver, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    state = _sqlstate(driver)
    text = str(driver).lower()
    if primary in _SQLITE_FULL or state in _PG_FULL or any(t in text for t in _FULL_TEXT):
        return RunDatabaseFull
    if primary in _SQLITE_CORRUPT or state in _PG_CORRUPT or any(t in text for t in _CORRUPT_TEXT):
        return RunDatabaseCorrupt
    program_errors = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)
    if isinstance(driver, program_errors) or (state is not None and state[:2] in ("23", "42")):
        return None
    if state is not None and state[:2] in _PG_UNAVAILABLE:
        return RunDatabaseError
    if isinstance(driver, sqlite3.OperationalError | sqlite3.DatabaseError) or type(driver).__name__ in (
        "OperationalError",
        "DatabaseError",
    ):
        return RunDatabaseError
    return None


def database_error(exc: BaseException, url: str) -> RunDatabaseError | None:
    """``exc`` as the typed error of the run database at ``url``, or ``None`` if it is another error."""
    if isinstance(exc, RunDatabaseError):
        return exc
    driver = _driver_error(exc)
    kind = None if driver is None else _kind(driver)
    if driver is None or kind is None:
        return None
    where = describe_database(url)
    reason = (str(driver).strip().splitlines() or [type(driver).__name__])[0]
    return kind(_message(kind, where, reason), database=where, reason=reason)


def _message(kind: type[RunDatabaseError], where: str, reason: str) -> str:
    if kind is RunDatabaseFull:
        return (
            f"The run database {where} is full ({reason}): free space on its disk, then start the worker "
            "again; runs go on from their last finished step."
        )
    if kind is RunDatabaseCorrupt:
        return (
            f"The run database {where} is corrupted ({reason}): stop the workers, then restore it from a "
            "backup, or move it away to start with an empty one (its runs are lost)."
        )
    return (
        f"Can't use the run database {where} ({reason}): check that it exists and that this user can read "
        "and write it (for PostgreSQL, that the server is up and the URL is right)."
    )


@contextlib.contextmanager
def translated(url: str) -> Iterator[None]:
    """Raise the failures of the run database at ``url`` as typed errors (the original as the cause)."""
    try:
        yield
    except Exception as exc:
        error = database_error(exc, url)
        if error is None or error is exc:
            raise
        raise error from exc


def raised_by_database(exc: BaseException) -> bool:
    """Whether ``exc`` (or the error it wraps, its ``__cause__``) was raised by a live database call in
    this process - a SQLAlchemy engine or the ``sqlite3`` module - rather than re-raised from a recorded
    outcome (an unpickled error has neither a traceback nor a cause)."""
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            return False
        if _in_database_code(current.__traceback__):
            return True
        current = current.__cause__
    return False


def _in_database_code(tb: TracebackType | None) -> bool:
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename.replace("\\", "/")
        if "/sqlalchemy/engine/" in filename or "/agentkit/background/engine.py" in filename:
            return True
        tb = tb.tb_next
    return False
