"""``agent.run(prompt, session=...)``: load the stored conversation, run, append what the run added."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from agentkit import Agent, ModelRequest, ModelResponse, Session, SessionBusy, TextPart, UserError, UserPart
from agentkit.sessions import MemorySessionStore, SessionStore
from agentkit.testing import ScriptedModel, call
from tests.sessions.agents import echo, user_prompts


class Weather(BaseModel):
    city: str
    celsius: float


def test_a_session_continues_the_conversation_in_every_store(store: SessionStore) -> None:
    session = Session("user-42", store=store)
    assert echo.run_sync("one", session=session).output == "seen: one"
    assert echo.run_sync("two", session=session).output == "seen: one,two"
    stored = store.load("user-42")
    assert user_prompts(stored) == ["one", "two"]
    assert [m.kind for m in stored] == ["request", "response", "request", "response"]
    assert [(i.id, i.messages) for i in store.list_sessions()] == [("user-42", 4)]


def test_sessions_are_kept_apart(store: SessionStore) -> None:
    echo.run_sync("a1", session=Session("a", store=store))
    assert echo.run_sync("b1", session=Session("b", store=store)).output == "seen: b1"
    assert echo.run_sync("a2", session=Session("a", store=store)).output == "seen: a1,a2"
    assert store.delete("a") == 4
    assert store.delete("a") == 0
    assert [i.id for i in store.list_sessions()] == ["b"]


def test_appends_are_numbered_after_the_last_message(store: SessionStore) -> None:
    first: list[ModelRequest | ModelResponse] = [
        ModelRequest(parts=[UserPart(content="x")]),
        ModelResponse(parts=[TextPart(content="y")]),
    ]
    store.append("s", first)
    store.append("s", [])
    store.append("s", [ModelRequest(parts=[UserPart(content="z")])])
    assert user_prompts(store.load("s")) == ["x", "z"]
    assert store.load("never-stored") == []


def test_a_plain_string_uses_the_default_store_beside_the_runs_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentkit.sessions import default_session_url

    monkeypatch.delenv("AGENTKIT_SESSIONS_DB", raising=False)
    monkeypatch.setenv("AGENTKIT_DB", f"sqlite:///{tmp_path / 'db' / 'runs.sqlite'}")
    assert default_session_url() == f"sqlite:///{tmp_path / 'db' / 'sessions.sqlite'}"
    echo.run_sync("one", session="user-1")
    assert echo.run_sync("two", session="user-1").output == "seen: one,two"
    assert (tmp_path / "db" / "sessions.sqlite").exists()
    monkeypatch.setenv("AGENTKIT_SESSIONS_DB", f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    assert echo.run_sync("three", session="user-1").output == "seen: three"


def test_the_default_store_follows_a_postgres_runs_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentkit.sessions import default_session_url

    monkeypatch.delenv("AGENTKIT_SESSIONS_DB", raising=False)
    monkeypatch.setenv("AGENTKIT_DB", "postgresql://u@127.0.0.1:5432/app")
    assert default_session_url() == "postgresql://u@127.0.0.1:5432/app"


def test_a_session_after_a_typed_output_run_continues() -> None:
    store = MemorySessionStore()
    model = ScriptedModel([call("final_result", city="Paris", celsius=21.5, id="o1"), "It was Paris."])
    typed: Agent[None, Weather] = Agent(model, output_type=Weather)
    assert typed.run_sync("weather?", session=Session("t", store=store)).output == Weather(city="Paris", celsius=21.5)
    chat = Agent(model)
    assert chat.run_sync("which city?", session=Session("t", store=store)).output == "It was Paris."
    sent = model.requests[1].messages
    calls = [p for m in sent if isinstance(m, ModelResponse) for p in m.tool_calls]
    answered = {p.call_id for m in sent if isinstance(m, ModelRequest) for p in m.parts if hasattr(p, "call_id")}
    assert [c.id for c in calls] == ["o1"]
    assert "o1" in answered
    assert user_prompts(store.load("t")) == ["weather?", "which city?"]


async def test_stream_and_iter_take_a_session() -> None:
    store = MemorySessionStore()
    events = [e async for e in echo.stream("one", session=Session("s", store=store))]
    assert events[-1].kind == "final"
    async with echo.iter("two", session=Session("s", store=store)) as run:
        async for _ in run:
            pass
    assert run.result is not None and run.result.output == "seen: one,two"
    assert (await echo.run("three", session=Session("s", store=store))).output == "seen: one,two,three"


async def test_an_iter_left_before_the_end_appends_nothing() -> None:
    store = MemorySessionStore()
    async with echo.iter("one", session=Session("s", store=store)) as run:
        pass
    assert run.result is None
    assert store.load("s") == []
    assert store.try_lock("s") is not None


def test_a_failed_run_appends_nothing_and_frees_the_session() -> None:
    store = MemorySessionStore()
    broken = Agent(ScriptedModel([]))
    with pytest.raises(UserError, match="ScriptedModel ran out of responses"):
        broken.run_sync("one", session=Session("s", store=store))
    assert store.load("s") == []
    assert echo.run_sync("two", session=Session("s", store=store, on_busy="raise")).output == "seen: two"


def test_a_session_with_a_strategy_stores_the_winner() -> None:
    from agentkit.strategies import BestOfN

    store = MemorySessionStore()
    echo.run_sync("one", session=Session("s", store=store))
    result = echo.run_sync("two", session=Session("s", store=store), strategy=BestOfN(2, verifier=lambda out: 1.0))
    assert result.output == "seen: one,two"
    assert user_prompts(store.load("s")) == ["one", "two"]


async def test_two_concurrent_runs_on_one_session_take_turns(tmp_path: Path) -> None:
    store = MemorySessionStore()
    gate = tmp_path
    holder = asyncio.create_task(echo.run(f"hold {gate}", session=Session("s", store=store)))
    while not (gate / "holding").exists():
        await asyncio.sleep(0.01)
    waiter = asyncio.create_task(echo.run("next", session=Session("s", store=store)))
    await asyncio.sleep(0.3)
    assert not waiter.done()
    (gate / "release").write_text("1")
    assert (await holder).output == "held"
    assert (await waiter).output == "seen: hold,next"
    assert user_prompts(store.load("s")) == [f"hold {gate}", "next"]


def test_two_threads_on_one_session_take_turns(tmp_path: Path) -> None:
    store = MemorySessionStore()
    outputs: dict[str, str] = {}

    def run(name: str, prompt: str) -> None:
        outputs[name] = echo.run_sync(prompt, session=Session("s", store=store)).output

    holder = threading.Thread(target=run, args=("holder", f"hold {tmp_path}"))
    holder.start()
    while not (tmp_path / "holding").exists():
        threading.Event().wait(0.01)
    waiter = threading.Thread(target=run, args=("waiter", "next"))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()
    (tmp_path / "release").write_text("1")
    holder.join(10)
    waiter.join(10)
    assert outputs == {"holder": "held", "waiter": "seen: hold,next"}


async def test_on_busy_raise_fails_at_once_with_the_fix(tmp_path: Path) -> None:
    store = MemorySessionStore()
    holder = asyncio.create_task(echo.run(f"hold {tmp_path}", session=Session("user-42", store=store)))
    while not (tmp_path / "holding").exists():
        await asyncio.sleep(0.01)
    with pytest.raises(SessionBusy) as caught:
        await echo.run("next", session=Session("user-42", store=store, on_busy="raise"))
    assert str(caught.value) == (
        "Session 'user-42' is in use by another run. Wait for that run to end and try again, "
        "or pass Session(..., on_busy='wait') to queue behind it."
    )
    assert caught.value.session_id == "user-42"
    (tmp_path / "release").write_text("1")
    await holder
    assert user_prompts(store.load("user-42")) == [f"hold {tmp_path}"]


async def test_a_cancelled_waiter_leaves_the_session_usable(tmp_path: Path) -> None:
    store = MemorySessionStore()
    holder = asyncio.create_task(echo.run(f"hold {tmp_path}", session=Session("s", store=store)))
    while not (tmp_path / "holding").exists():
        await asyncio.sleep(0.01)
    waiter = asyncio.create_task(echo.run("never", session=Session("s", store=store)))
    await asyncio.sleep(0.05)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    (tmp_path / "release").write_text("1")
    await holder
    assert (await echo.run("after", session=Session("s", store=store, on_busy="raise"))).output == "seen: hold,after"


@pytest.mark.parametrize(
    ("session_id", "error"),
    [
        ("", "The session id is empty; pass a non-blank id such as session='user-42'."),
        ("   ", "The session id is empty; pass a non-blank id such as session='user-42'."),
        (
            "x" * 201,
            "The session id is 201 characters long; the limit is 200. Use a shorter id (for long keys, pass a "
            "hash of them).",
        ),
        ("a\nb", "The session id 'a\\nb' contains control characters; use printable text only."),
    ],
)
def test_bad_session_ids_are_refused_with_the_fix(session_id: str, error: str) -> None:
    with pytest.raises(UserError) as caught:
        echo.run_sync("hi", session=session_id)
    assert str(caught.value) == error
    with pytest.raises(UserError) as again:
        Session(session_id)
    assert str(again.value) == error


def test_the_longest_allowed_id_works() -> None:
    store = MemorySessionStore()
    assert echo.run_sync("hi", session=Session("x" * 200, store=store)).output == "seen: hi"


def test_bad_session_arguments_are_refused_with_the_fix() -> None:
    with pytest.raises(UserError) as caught:
        echo.run_sync("hi", session=42)  # type: ignore[arg-type]
    assert str(caught.value) == "session= takes a str id or a Session, got int; pass e.g. session='user-42'."
    with pytest.raises(UserError) as busy:
        Session("s", on_busy="skip")  # type: ignore[arg-type]
    assert str(busy.value) == "on_busy must be 'wait' or 'raise', got 'skip'."
    history = [ModelRequest(parts=[UserPart(content="x")])]
    with pytest.raises(UserError) as both:
        echo.run_sync("hi", session=Session("s", store=MemorySessionStore()), message_history=history)
    assert str(both.value) == (
        "Pass either session='s' (its stored conversation is the history) or message_history=, not both."
    )


def test_an_unknown_store_url_is_refused_with_the_fix() -> None:
    from agentkit.sessions import open_store

    with pytest.raises(UserError) as caught:
        open_store("mysql://db/app")
    assert str(caught.value) == (
        "Can't open a session store at 'mysql://db/app': use sqlite:///path/to/sessions.sqlite or "
        "postgresql://user@host:port/database."
    )


def test_postgres_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from agentkit.sessions import PostgresSessionStore

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(UserError) as caught:
        PostgresSessionStore("postgresql://u@127.0.0.1:1/db")
    assert str(caught.value) == (
        "PostgreSQL sessions need psycopg, which is not installed: pip install 'agentkit[background]'."
    )


def test_sqlite_sessions_need_no_optional_dependency() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules.update(dict.fromkeys(['sqlalchemy', 'dbos', 'psycopg'])); "
        "from agentkit.sessions import SQLiteSessionStore; import tempfile, os; "
        "s = SQLiteSessionStore(os.path.join(tempfile.mkdtemp(), 's.sqlite')); print(s.load('x'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


async def test_runs_on_other_sessions_do_not_wait(tmp_path: Path) -> None:
    store = MemorySessionStore()
    holder = asyncio.create_task(echo.run(f"hold {tmp_path}", session=Session("a", store=store)))
    while not (tmp_path / "holding").exists():
        await asyncio.sleep(0.01)
    assert (await echo.run("other", session=Session("b", store=store, on_busy="raise"))).output == "seen: other"
    (tmp_path / "release").write_text("1")
    await holder


async def test_a_run_cancelled_while_it_holds_the_session_appends_nothing(tmp_path: Path) -> None:
    store = MemorySessionStore()
    await echo.run("one", session=Session("s", store=store))
    holder = asyncio.create_task(echo.run(f"hold {tmp_path}", session=Session("s", store=store)))
    while not (tmp_path / "holding").exists():
        await asyncio.sleep(0.01)
    holder.cancel()
    with pytest.raises(asyncio.CancelledError):
        await holder
    assert user_prompts(store.load("s")) == ["one"]
    assert (await echo.run("two", session=Session("s", store=store, on_busy="raise"))).output == "seen: one,two"


def test_session_busy_survives_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(SessionBusy("user-42")))
    assert isinstance(error, SessionBusy)
    assert error.session_id == "user-42"
    assert str(error) == str(SessionBusy("user-42"))
