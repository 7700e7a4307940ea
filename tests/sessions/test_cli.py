"""``agentkit sessions ls|show|rm``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit import ModelRequest, ModelResponse, Session, TextPart, ToolCall, ToolResult, UserPart
from agentkit.cli import app
from agentkit.messages import load_messages
from agentkit.sessions import open_store
from tests.sessions.agents import echo

STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _cli(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(app, list(args))
    return done.exit_code, done.stdout, done.stderr


def _local(when: dt.datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def test_ls_show_and_rm(store_url: str) -> None:
    store = open_store(store_url)
    echo.run_sync("one", session=Session("user-42", store=store))
    echo.run_sync("two", session=Session("user-42", store=store))
    echo.run_sync("hello", session=Session("b", store=store))
    db = ["--db", store_url]

    code, out, _ = _cli("sessions", "ls", *db)
    assert code == 0
    assert STAMP.sub("<t>", out) == (
        "SESSION  MESSAGES  CREATED              UPDATED\nb               2  <t>  <t>\nuser-42         4  <t>  <t>\n"
    )

    code, out, _ = _cli("sessions", "show", "user-42", *db)
    assert code == 0
    messages = store.load("user-42")
    assert out.splitlines()[0] == f"session 'user-42': 4 messages in {store_url}"
    assert out.splitlines()[1:] == [
        "",
        f"#1 request  {_local(messages[0].timestamp)}",
        "  user: one",
        "",
        f"#2 response from test:function  {_local(messages[1].timestamp)}",
        "  text: seen: one",
        "",
        f"#3 request  {_local(messages[2].timestamp)}",
        "  user: two",
        "",
        f"#4 response from test:function  {_local(messages[3].timestamp)}",
        "  text: seen: one,two",
    ]

    code, out, _ = _cli("sessions", "show", "user-42", "--json", *db)
    assert code == 0 and load_messages(out) == messages

    code, out, _ = _cli("sessions", "rm", "user-42", *db)
    assert (code, out) == (0, "Removed session 'user-42' (4 messages).\n")
    assert [i.id for i in store.list_sessions()] == ["b"]


def test_show_prints_tool_calls_results_and_multiline_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    open_store(url).append(
        "t",
        [
            ModelRequest(parts=[UserPart(content="weather?")]),
            ModelResponse(parts=[ToolCall(id="c1", name="get_weather", arguments='{"city": "Paris"}')]),
            ModelRequest(parts=[ToolResult(call_id="c1", name="get_weather", content={"celsius": 21})]),
            ModelResponse(parts=[TextPart(content="Sunny.\nWarm.")]),
        ],
    )
    code, out, _ = _cli("sessions", "show", "t", "--db", url)
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("  ")] == [
        "  user: weather?",
        '  tool call get_weather [c1]: {"city": "Paris"}',
        '  tool result get_weather [c1]: {"celsius": 21}',
        "  text: Sunny.",
        "      Warm.",
    ]


def test_empty_and_missing_sessions_are_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert _cli("sessions", "ls", "--db", url) == (0, f"No sessions in {url}.\n", "")
    missing = f"error: no session 'nope' in {url}; list the sessions with: agentkit sessions ls\n"
    assert _cli("sessions", "show", "nope", "--db", url) == (1, "", missing)
    assert _cli("sessions", "rm", "nope", "--db", url) == (1, "", missing)
    code, _, err = _cli("sessions", "ls", "--db", "mysql://x/y")
    assert (code, err) == (
        1,
        "error: Can't open a session store at 'mysql://x/y': use sqlite:///path/to/sessions.sqlite or "
        "postgresql://user@host:port/database.\n",
    )


def test_rm_refuses_a_session_a_run_holds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    store = open_store(url)
    echo.run_sync("one", session=Session("busy", store=store))
    lease = store.try_lock("busy")
    assert lease is not None
    try:
        assert _cli("sessions", "rm", "busy", "--db", url) == (
            1,
            "",
            "error: session 'busy' is in use by a run; try again when the run ends.\n",
        )
    finally:
        lease.release()
    assert len(store.load("busy")) == 2


def test_the_db_option_defaults_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_SESSIONS_DB", f"sqlite:///{tmp_path / 'env.sqlite'}")
    echo.run_sync("one", session="from-env")
    code, out, _ = _cli("sessions", "ls")
    assert code == 0 and "from-env" in out


def test_a_password_in_the_url_is_not_printed() -> None:
    from agentkit.redaction import url_without_password

    assert url_without_password("postgresql://u:s3cret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert url_without_password("sqlite:////tmp/s.sqlite") == "sqlite:////tmp/s.sqlite"
