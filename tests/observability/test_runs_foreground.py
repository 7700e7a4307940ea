"""``agentkit run --save`` lists the run in the run database: ``agentkit runs ls`` shows it beside the
background runs, marked ``foreground``; ``agentkit runs show`` points at the saved file."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agentkit.background import DurableConfig, shutdown, start_run
from agentkit.cli import app
from tests.background import bg_agents

from .conftest import APP

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb", "AGENTKIT_MODEL": None, "AGENTKIT_DB": None}
WEATHER = ["run", "Weather in Paris?", "-m", f"{APP}:weather_model", "-t", f"{APP}:get_weather", "-q"]
FAILING = ["run", "Weather?", "-m", f"{APP}:failing_model", "-t", f"{APP}:broken", "-q"]
HEADER = "ID                                    STATE      UPDATED              WORKER                  TITLE"
TIME = "YYYY-MM-DD hh:mm:ss"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=ENV)


def timeless(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", TIME, text)


def row(run_id: str, state: str, worker: str, title: str) -> str:
    return f"{run_id:<38}{state:<11}{TIME:<21}{worker:<24}{title}"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.sqlite'}"


def queue_background_run(db: str) -> None:
    """A background run that stays queued: no worker runs it."""
    try:
        start_run(
            bg_agents.writer, "x 1 /dev/null 0", run_id="bg-1", config=DurableConfig(system_db_url=db), execute=False
        )
    finally:
        shutdown()


def test_runs_ls_lists_saved_runs_beside_background_runs_newest_first(tmp_path: Path, db: str) -> None:
    queue_background_run(db)
    good, bad = tmp_path.resolve() / "good.json", tmp_path.resolve() / "bad.json"
    assert invoke(*WEATHER, "--run-id", "fg-ok", "--save", str(good), "--db", db).exit_code == 0
    assert invoke(*FAILING, "--run-id", "fg-bad", "--save", str(bad), "--db", db).exit_code == 1

    result = invoke("runs", "ls", "--db", db)

    assert result.exit_code == 0, result.output
    assert timeless(result.stdout).splitlines() == [
        HEADER,
        row("fg-bad", "failed", "foreground", f"Weather?  [saved: {bad}]"),
        row("fg-ok", "succeeded", "foreground", f"Weather in Paris?  [saved: {good}]"),
        row("bg-1", "queued", "-", "x 1 /dev/null 0"),
    ]


def test_runs_ls_state_and_limit_apply_to_saved_runs(tmp_path: Path, db: str) -> None:
    queue_background_run(db)
    good, bad = tmp_path.resolve() / "good.json", tmp_path.resolve() / "bad.json"
    invoke(*WEATHER, "--run-id", "fg-ok", "--save", str(good), "--db", db)
    invoke(*FAILING, "--run-id", "fg-bad", "--save", str(bad), "--db", db)

    succeeded = invoke("runs", "ls", "--db", db, "--state", "succeeded")
    queued = invoke("runs", "ls", "--db", db, "--state", "queued")
    newest = invoke("runs", "ls", "--db", db, "--limit", "1")

    assert timeless(succeeded.stdout).splitlines() == [
        HEADER,
        row("fg-ok", "succeeded", "foreground", f"Weather in Paris?  [saved: {good}]"),
    ]
    assert timeless(queued.stdout).splitlines() == [HEADER, row("bg-1", "queued", "-", "x 1 /dev/null 0")]
    assert timeless(newest.stdout).splitlines() == [
        HEADER,
        row("fg-bad", "failed", "foreground", f"Weather?  [saved: {bad}]"),
    ]


def test_runs_show_on_a_saved_run_prints_its_row_and_how_to_view_it(tmp_path: Path, db: str) -> None:
    bad = tmp_path.resolve() / "bad.json"
    invoke(*FAILING, "--run-id", "fg-bad", "--save", str(bad), "--db", db)

    result = invoke("runs", "show", "fg-bad", "--db", db)

    assert result.exit_code == 0, result.output
    lines = timeless(result.stdout).splitlines()
    assert lines[:8] == [
        "id:      fg-bad",
        "state:   failed",
        "title:   Weather?",
        "runner:  foreground (agentkit run --save)",
        "model:   test:scripted",
        f"created: {TIME}",
        f"updated: {TIME}",
        f"saved:   {bad}",
    ]
    assert lines[8].startswith("error:   ToolRetriesExceeded: Tool 'broken' failed 3 times, more than its retry limit")
    assert lines[-2:] == [
        "Raise the limit with @tool(retries=...) or fix the tool/prompt.",
        f"'agentkit view {bad}' shows the whole run.",
    ]


def test_a_run_database_failure_keeps_the_saved_file_and_the_run_status(tmp_path: Path) -> None:
    saved = tmp_path / "run.json"
    directory = tmp_path / "a-directory"
    directory.mkdir()

    result = invoke(*WEATHER, "--run-id", "fg-ok", "--save", str(saved), "--db", f"sqlite:///{directory}")

    assert result.exit_code == 0
    assert result.stdout == "It is 21 °C and clear in Paris.\n"
    assert result.stderr == (
        f"warning: {saved} is saved but not listed in 'agentkit runs ls'. Can't use the run database {directory} "
        "(unable to open database file): check that it exists and that this user can read and write it "
        "(for PostgreSQL, that the server is up and the URL is right).\n"
    )
    assert json.loads(saved.read_text())["run_id"] == "fg-ok"


def test_a_failed_run_keeps_exit_status_1_when_its_listing_fails(tmp_path: Path) -> None:
    saved, not_a_directory = tmp_path / "run.json", tmp_path / "file"
    not_a_directory.write_text("")

    result = invoke(*FAILING, "--save", str(saved), "--db", f"sqlite:///{not_a_directory}/runs.sqlite")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"warning: {saved} is saved but not listed in 'agentkit runs ls'. Can't use the run database "
        f"{not_a_directory}/runs.sqlite (File exists): check that it exists and that this user can read and "
        "write it (for PostgreSQL, that the server is up and the URL is right)."
    )
    assert json.loads(saved.read_text())["error"]["type"] == "ToolRetriesExceeded"


def test_without_the_background_extra_the_run_is_saved_with_one_note(
    tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "run.json"
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # makes the import fail

    result = invoke(*WEATHER, "--save", str(saved), "--db", db)

    assert result.exit_code == 0
    assert result.stderr == (
        f"note: {saved} is saved but not listed in 'agentkit runs ls'. Listing saved runs in 'agentkit runs ls' "
        "needs the optional dependency 'sqlalchemy', which is not installed. "
        "Install it with: pip install 'agentkit[background]'\n"
    )
    assert saved.exists()
    assert not (tmp_path / "runs.sqlite").exists()
