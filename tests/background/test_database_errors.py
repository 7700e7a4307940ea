"""A full disk or a damaged run database: typed errors naming the file, the cause and the fix; one line
from ``agentkit runs ls`` and ``agentkit worker``; runs stopped by a full disk are not failed, and go on
once a worker runs with space again."""

from __future__ import annotations

import pickle
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from agentkit import Agent, tool
from agentkit.background import (
    DurableBackend,
    DurableConfig,
    RunDatabaseCorrupt,
    RunDatabaseError,
    RunDatabaseFull,
    RunSpec,
    RunState,
    RunStore,
)
from agentkit.background import engine as engine_module
from agentkit.background._dberrors import database_error, raised_by_database
from agentkit.cli import app
from agentkit.testing import ScriptedModel, call
from tests.background.harness import REPO, RUNNER, Worker

MAX_PAGES_ENV = "AGENTKIT_TEST_MAX_PAGES"
"""Read by :mod:`tests.background.bg_full_disk` in a worker (never imported here: it patches the engine)."""
FULL = (
    "The run database {path} is full ({reason}): free space on its disk, then start the worker again; runs go on "
    "from their last finished step."
)
CORRUPT = (
    "The run database {path} is corrupted ({reason}): stop the workers, then restore it from a backup, or move it "
    "away to start with an empty one (its runs are lost)."
)


def _garbage(path: Path, start: int = 0, seed: int = 0) -> None:
    """Overwrite ``path`` from byte ``start`` to its end with random bytes."""
    size = max(path.stat().st_size if path.exists() else 0, 8192)
    with open(path, "r+b" if path.exists() else "wb") as f:
        f.seek(start)
        f.write(random.Random(seed).randbytes(size - start))


def _runs_ls(db: str) -> Any:
    return CliRunner().invoke(app, ["runs", "ls", "--db", db])


# --- errors, as classified -----------------------------------------------------------------------------


def _sqlite_error(cls: type[sqlite3.Error], text: str, code: int) -> sqlite3.Error:
    error = cls(text)
    error.sqlite_errorcode = code
    return error


class _PgError(Exception):
    """Stands for a psycopg error: a message and a SQLSTATE."""

    def __init__(self, text: str, sqlstate: str) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("driver", "kind", "reason"),
    [
        (_sqlite_error(sqlite3.OperationalError, "database or disk is full", 13), RunDatabaseFull, None),
        (_sqlite_error(sqlite3.DatabaseError, "database disk image is malformed", 11), RunDatabaseCorrupt, None),
        (_sqlite_error(sqlite3.DatabaseError, "file is not a database", 26), RunDatabaseCorrupt, None),
        (_sqlite_error(sqlite3.OperationalError, "unable to open database file", 14), RunDatabaseError, None),
        (_PgError("could not extend file: No space left on device\nHINT: x", "53100"), RunDatabaseFull, "could not"),
        (_PgError("invalid page in block 7", "XX001"), RunDatabaseCorrupt, None),
    ],
)
def test_database_failures_become_typed_errors(driver: Exception, kind: type[RunDatabaseError], reason: Any) -> None:
    wrapped = sa.exc.OperationalError("INSERT INTO x VALUES (1)", {}, driver)
    error = database_error(wrapped, "sqlite:////data/runs.sqlite")
    assert type(error) is kind and error is not None
    assert error.database == "/data/runs.sqlite"
    assert error.reason == (str(driver) if reason is None else str(driver).splitlines()[0])
    assert "\n" not in str(error) and "/data/runs.sqlite" in str(error)


def test_errors_of_the_program_are_left_as_they_are() -> None:
    for driver in (
        sqlite3.IntegrityError("UNIQUE constraint failed: t.k"),
        _PgError('relation "x" does not exist', "42P01"),
        ValueError("not a database error"),
    ):
        assert database_error(sa.exc.DatabaseError("SELECT 1", {}, driver), "sqlite:///runs.sqlite") is None


def test_a_postgres_url_is_named_without_its_password() -> None:
    error = database_error(_PgError("connection refused", "08006"), "postgresql://agentkit:s3cret@db:5432/runs")
    assert str(error) == (
        "Can't use the run database postgresql://agentkit:***@db:5432/runs (connection refused): check that it "
        "exists and that this user can read and write it (for PostgreSQL, that the server is up and the URL is "
        "right)."
    )


def test_an_error_replayed_from_a_record_is_not_taken_for_a_live_database_failure() -> None:
    engine = sa.create_engine("sqlite://")
    with pytest.raises(sa.exc.OperationalError) as raised, engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM missing"))
    engine.dispose()
    wrapped = RuntimeError("step failed")
    wrapped.__cause__ = raised.value
    assert raised_by_database(raised.value) and raised_by_database(wrapped)
    assert not raised_by_database(pickle.loads(pickle.dumps(raised.value)))  # as DBOS replays a recorded error


# --- a file that is not a database, a damaged database ------------------------------------------------


def test_runs_ls_and_the_worker_say_in_one_line_that_the_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    _garbage(path)
    expected = CORRUPT.format(path=path, reason="file is not a database")
    listed = _runs_ls(f"sqlite:///{path}")
    assert (listed.exit_code, listed.stdout, listed.stderr) == (1, "", f"error: {expected}\n")
    worker = subprocess.run(
        [sys.executable, "-m", "agentkit.background.worker", "--db", f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=60,
    )
    assert (worker.returncode, worker.stdout, worker.stderr) == (1, "", f"error: {expected}\n")
    command = CliRunner().invoke(app, ["worker", "--db", f"sqlite:///{path}"])
    assert (command.exit_code, command.stdout, command.stderr) == (1, "", f"error: {expected}\n")


@pytest.fixture
def damaged(tmp_path: Path) -> Iterator[tuple[RunStore, str, Path]]:
    """A store whose database, holding one queued run, was damaged after the store opened it."""
    path = tmp_path / "runs.sqlite"
    store = RunStore(DurableConfig(system_db_url=f"sqlite:///{path}", executor_id="client"))
    run_id = store.start(RunSpec(RUNNER, {"path": str(tmp_path / "fx"), "turns": 1}, title="t")).id
    _garbage(path, start=4096)  # the header stays: SQLite opens the file and meets damaged pages
    yield store, run_id, path
    store.close()


def test_result_on_a_damaged_database_names_the_file_instead_of_waiting_for_a_worker(
    damaged: tuple[RunStore, str, Path],
) -> None:
    store, run_id, path = damaged
    with pytest.raises(RunDatabaseCorrupt) as raised:
        store.result(run_id, timeout=5)
    assert str(raised.value) == CORRUPT.format(path=path, reason="database disk image is malformed")
    assert isinstance(raised.value.__cause__, sa.exc.DatabaseError)
    listed = _runs_ls(f"sqlite:///{path}")
    assert (listed.exit_code, listed.stderr) == (1, f"error: {raised.value}\n")


def test_a_timed_out_wait_checks_the_database_and_reports_damage_where_no_read_went(tmp_path: Path) -> None:
    """Reads of the run work (its pages are intact), but other pages of the file are damaged: the wait
    that runs out says so (``PRAGMA quick_check``) instead of asking for a worker."""
    path = tmp_path / "runs.sqlite"
    config = DurableConfig(system_db_url=f"sqlite:///{path}", executor_id="client")
    store = RunStore(config)
    run_id = store.start(RunSpec(RUNNER, {"path": str(tmp_path / "fx"), "turns": 1})).id
    store.close()
    with sqlite3.connect(path) as conn:  # another table, at the end of the file
        conn.execute("CREATE TABLE other (v TEXT)")
        conn.executemany("INSERT INTO other VALUES (?)", [("x" * 100,)] * 2000)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    _garbage(path, start=path.stat().st_size - 20 * 4096)
    store = RunStore(config)
    try:
        assert store.status(run_id).state is RunState.QUEUED
        with pytest.raises(RunDatabaseCorrupt) as raised:
            store.result(run_id, timeout=0.1)
    finally:
        store.close()
    assert str(raised.value) == CORRUPT.format(path=path, reason="database disk image is malformed")


def test_a_timed_out_wait_checks_the_database_and_reports_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen from another process, a full disk shows when a wait runs out: the wait looks at the disk."""
    import shutil

    path = tmp_path / "runs.sqlite"
    store = RunStore(DurableConfig(system_db_url=f"sqlite:///{path}", executor_id="client"))
    try:
        run_id = store.start(RunSpec(RUNNER, {"path": str(tmp_path / "fx"), "turns": 1})).id
        usage = shutil.disk_usage(tmp_path)
        monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=4096))
        with pytest.raises(RunDatabaseFull) as raised:
            store.result(run_id, timeout=0.1)
    finally:
        store.close()
    assert str(raised.value) == FULL.format(path=path, reason="4096 bytes free on its disk")


# --- a full disk under running runs ---------------------------------------------------------------------


def _page_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        count = int(conn.execute("PRAGMA page_count").fetchone()[0])
    conn.close()
    return count


def _queue_runs(url: str, tmp_path: Path, count: int = 4, turns: int = 30) -> tuple[RunStore, list[str]]:
    store = RunStore(DurableConfig(system_db_url=url, executor_id="client"))
    payload = {"path": str(tmp_path / "fx.txt"), "turns": turns, "delay_s": 0.0}
    return store, [store.start(RunSpec(RUNNER, payload, title=f"r{i}")).id for i in range(count)]


def test_a_full_disk_stops_the_worker_with_one_line_and_its_runs_go_on_after(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    url = f"sqlite:///{path}"
    store, run_ids = _queue_runs(url, tmp_path)
    try:
        limit = {MAX_PAGES_ENV: str(_page_count(path) + 10)}
        worker = Worker(url, "w1", imports=["tests.background.bg_full_disk"], env=limit)
        worker.wait_ready()
        returncode, output = worker.output_until_exit(timeout=60)
        stopped = [store.status(run_id).state for run_id in run_ids]
        worker = Worker(url, "w1")  # space again: the same executor id takes its runs back
        worker.wait_ready()
        results = [store.result(run_id, timeout=60) for run_id in run_ids]
        worker.stop()
    finally:
        store.close()
    expected = FULL.format(path=path, reason="database or disk is full")
    assert (returncode, output.splitlines()) == (1, [f"error: agentkit worker stopped: {expected}"])
    assert set(stopped) <= {RunState.RUNNING, RunState.QUEUED}, "a full disk failed a run"
    assert [len(result["keys"]) for result in results] == [30] * len(run_ids)


limited_pages: dict[str, int] = {}
_original_connect = engine_module._on_sqlite_connect


def _limited_connect(dbapi_conn: Any, record: Any) -> None:
    _original_connect(dbapi_conn, record)
    dbapi_conn.execute(f"PRAGMA max_page_count={limited_pages['pages']}")


def test_result_in_the_process_whose_runs_hit_a_full_disk_raises_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.sqlite"
    url = f"sqlite:///{path}"
    store, run_ids = _queue_runs(url, tmp_path, count=2)
    store.close()
    limited_pages["pages"] = _page_count(path) + 10
    monkeypatch.setattr(engine_module, "_on_sqlite_connect", _limited_connect)
    backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="embedded", queue_poll_s=0.05))
    backend.launch()
    try:
        with pytest.raises(RunDatabaseFull) as raised:
            backend.store.result(run_ids[0], timeout=30)
        assert backend.store.status(run_ids[0]).state is RunState.RUNNING
    finally:
        backend.shutdown()
    assert str(raised.value) == FULL.format(path=path, reason="database or disk is full")


failures = {"left": 1}


@tool(side_effect="mutating")
def save_to_my_database() -> str:
    """Fails once with the error of a full database: the user's own database, not the run database."""
    if failures["left"]:
        failures["left"] -= 1
        raise sqlite3.OperationalError("database or disk is full")
    return "saved"


saver = Agent(
    ScriptedModel([call("save_to_my_database", id="c1"), call("save_to_my_database", id="c2"), "done"]),
    tools=[save_to_my_database],
)


def test_a_tool_failing_on_its_own_full_database_is_a_tool_failure_not_a_run_database_failure(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="tool-db", queue_poll_s=0.05))
    backend.launch()
    try:
        handle = saver.start("save", agent_ref=f"{__name__}:saver")
        result = handle.result(timeout=30)
    finally:
        backend.shutdown()
    assert result.output == "done" and backend.fault is None
    store = RunStore(DurableConfig(system_db_url=url))
    try:
        errors = [step.error for step in store.steps(handle.id) if step.error]
    finally:
        store.close()
    assert errors == ["OperationalError: database or disk is full"]
