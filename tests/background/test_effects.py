"""EffectStore: a tool's database writes commit with its idempotency key, so a repeated attempt (a
replay after a crash) returns the first result without repeating the effect. The idempotency key a
tool gets, in plain and durable runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from agentkit import Agent, RunContext, ToolResult, UserError, tool
from agentkit.background import DurableBackend, DurableConfig, EffectStore
from agentkit.testing import ScriptedModel, call


def _ctx(key: str | None = "run-1:0:call-1") -> RunContext[None]:
    return RunContext(deps=None, run_id="run-1", idempotency_key=key)


@pytest.fixture
def app(db_url: str) -> Iterator[tuple[EffectStore, sa.Engine]]:
    """An effect store on an application database with a ``notes`` table."""
    from agentkit.background.engine import create_engine

    engine = create_engine(db_url, pool_size=4)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (text TEXT NOT NULL)"))
    store = EffectStore(engine)
    yield store, engine
    store.close()
    engine.dispose()


def _notes(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [row.text for row in conn.execute(sa.text("SELECT text FROM notes"))]


def _adder(text: str, calls: list[str]) -> Any:
    def add(conn: sa.Connection) -> dict[str, Any]:
        calls.append(text)
        conn.execute(sa.text("INSERT INTO notes (text) VALUES (:t)"), {"t": text})
        return {"added": text, "at": (1, 2)}

    return add


def test_an_effect_runs_once_per_key_and_a_repeat_returns_the_recorded_result(
    app: tuple[EffectStore, sa.Engine],
) -> None:
    store, engine = app
    calls: list[str] = []
    first = store.once(_ctx(), _adder("a", calls))
    again = store.once(_ctx(), _adder("b", calls))  # a replay of the same call: same key
    other = store.once(_ctx("run-1:0:call-2"), _adder("c", calls))
    assert first == again == {"added": "a", "at": [1, 2]}  # both decoded from the recorded JSON
    assert other == {"added": "c", "at": [1, 2]}
    assert calls == ["a", "c"] and _notes(engine) == ["a", "c"]
    assert store.recorded("run-1:0:call-1") and not store.recorded("run-1:0:call-3")
    assert store.once(_ctx(None), _adder("d", calls), key="my-key") == {"added": "d", "at": [1, 2]}


def test_a_failed_effect_commits_nothing_and_runs_again(app: tuple[EffectStore, sa.Engine]) -> None:
    store, engine = app

    def half_done(conn: sa.Connection) -> str:
        conn.execute(sa.text("INSERT INTO notes (text) VALUES ('half')"))
        raise RuntimeError("the API said no")

    with pytest.raises(RuntimeError, match="the API said no"):
        store.once(_ctx(), half_done)
    assert _notes(engine) == [] and not store.recorded("run-1:0:call-1")
    assert store.once(_ctx(), _adder("whole", [])) == {"added": "whole", "at": [1, 2]}
    assert _notes(engine) == ["whole"]


def test_a_result_that_is_not_json_is_refused_and_nothing_commits(app: tuple[EffectStore, sa.Engine]) -> None:
    store, engine = app

    def returns_a_set(conn: sa.Connection) -> set[int]:
        conn.execute(sa.text("INSERT INTO notes (text) VALUES ('x')"))
        return {1}

    with pytest.raises(UserError) as raised:
        store.once(_ctx(), returns_a_set)
    assert str(raised.value) == (
        "The effect with key 'run-1:0:call-1' returned a set, which can't be recorded as JSON (Object of type set "
        "is not JSON serializable); return a JSON value (str, number, bool, None, list, dict). Nothing was committed."
    )
    assert _notes(engine) == [] and not store.recorded("run-1:0:call-1")


def test_an_effect_needs_a_key() -> None:
    store = EffectStore("sqlite:///unused.sqlite")
    with pytest.raises(UserError) as raised:
        store.once(_ctx(None), lambda conn: None)
    assert str(raised.value) == (
        "EffectStore.once needs the idempotency key of the tool call, and the RunContext of run 'run-1' has none "
        "(the tool was called outside an agent run); pass key=... explicitly."
    )


def test_concurrent_attempts_with_one_key_run_the_effect_once(app: tuple[EffectStore, sa.Engine]) -> None:
    """Two attempts at once (a run resumed while its old worker still ran it): the second waits for the
    first to commit, then returns its result."""
    store, engine = app
    calls: list[str] = []
    inside = threading.Event()

    def slow(conn: sa.Connection) -> str:
        calls.append("slow")
        conn.execute(sa.text("INSERT INTO notes (text) VALUES ('slow')"))
        inside.set()
        time.sleep(0.3)
        return "slow"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(store.once(_ctx(), slow)))
    first.start()
    assert inside.wait(10)
    results.append(store.once(_ctx(), _adder("fast", calls)))
    first.join()
    assert results == ["slow", "slow"] and calls == ["slow"] and _notes(engine) == ["slow"]


def test_without_a_database_and_without_a_worker_here_the_error_says_what_to_pass() -> None:
    with pytest.raises(UserError) as raised:
        EffectStore().once(_ctx(), lambda conn: None)
    assert str(raised.value) == (
        "EffectStore() without a database uses the run database of the worker executing in this process, and "
        "none runs here; pass your database: EffectStore('sqlite:///app.sqlite')."
    )


keys_seen: list[str | None] = []


@tool(side_effect="mutating")
async def remember(ctx: RunContext[None], text: str) -> str:
    """Record the call's key, and write a note exactly once through the run database."""
    keys_seen.append(ctx.idempotency_key)

    def write(conn: sa.Connection) -> str:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS notes (text TEXT)"))
        conn.execute(sa.text("INSERT INTO notes (text) VALUES (:t)"), {"t": text})
        return f"noted {text}"

    return await EffectStore().aonce(ctx, write)


remembering = Agent(ScriptedModel([call("remember", text="x", id="c-1"), "done"]), tools=[remember])


@tool(side_effect="mutating")
def key_of(ctx: RunContext[None]) -> str:
    """Return the call's idempotency key."""
    assert ctx.idempotency_key is not None
    return ctx.idempotency_key


def test_a_plain_run_gives_each_call_the_key_run_id_step_call_id() -> None:
    model = ScriptedModel([call("key_of", id="c-1"), call("key_of", id="c-2"), "done"])
    result = Agent(model, tools=[key_of]).run_sync("go")
    keys = [p.content for m in result.messages for p in m.parts if isinstance(p, ToolResult)]
    assert keys == [f"{result.run_id}:0:c-1", f"{result.run_id}:1:c-2"]
    again = Agent(ScriptedModel([call("key_of", id="c-1"), "done"]), tools=[key_of]).run_sync("go")
    assert again.run_id != result.run_id, "a plain run has a fresh id, so its keys are new each time"


def test_a_durable_run_gives_its_tool_a_stable_key_and_the_default_store_uses_the_run_database(
    tmp_path: Path,
) -> None:
    keys_seen.clear()
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="effects", queue_poll_s=0.05))
    backend.launch()
    try:
        handle = remembering.start("go", agent_ref=f"{__name__}:remembering", run_id="durable-1")
        assert handle.result(timeout=20).output == "done"
        [tool_step] = [s for s in backend.store.steps(handle.id) if s.name == "agentkit.tool:remember"]
    finally:
        backend.shutdown()
    assert keys_seen == ["durable-1:0:c-1"] and tool_step.output == "noted x"
    with sa.create_engine(url).connect() as conn:
        keys = [row.key for row in conn.execute(sa.text("SELECT key FROM agentkit_effects"))]
        notes = [row.text for row in conn.execute(sa.text("SELECT text FROM notes"))]
    assert keys == ["durable-1:0:c-1"] and notes == ["x"]
