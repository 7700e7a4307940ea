"""Durable runs executed in this process: results, events, status, cancel/resume, replay checks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.background import (
    DurableBackend,
    DurableConfig,
    InProcessStepRunner,
    ReplayDiverged,
    RunCancelled,
    RunFailed,
    RunnerNotFound,
    RunNotFound,
    RunSpec,
    RunState,
    RunStore,
    RunTimeout,
)
from agentkit.background.config import REPLAY_PROTOCOL
from tests.background import bg_fake_agent
from tests.background.conftest import DATABASES, database
from tests.background.harness import REPO, RUNNER

FAKE = "tests.background.bg_fake_agent"


@pytest.fixture(scope="module", params=DATABASES)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DurableBackend]:
    with database(request.param, tmp_path_factory.mktemp("agentkit-home")) as url:
        backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="unit", queue_poll_s=0.05))
        backend.launch()
        yield backend
        backend.shutdown()


@pytest.fixture
def store(backend: DurableBackend) -> RunStore:
    return backend.store


def _spec(path: Path, turns: int = 3, delay_s: float = 0.0, runner: str = RUNNER) -> RunSpec:
    return RunSpec(runner, {"path": str(path), "turns": turns, "delay_s": delay_s}, title="test run")


def _wait_for_event(store: RunStore, run_id: str, count: int = 1, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while store.events_log.count(run_id) < count:
        assert time.monotonic() < deadline, f"run {run_id} logged fewer than {count} events"
        time.sleep(0.01)


def test_a_run_returns_its_result_and_logs_its_events_and_steps(store: RunStore, tmp_path: Path) -> None:
    handle = store.start(_spec(tmp_path / "fx.txt"))
    result = handle.result(timeout=10)
    assert result["keys"] == [f"{handle.id}:1", f"{handle.id}:3", f"{handle.id}:5"]
    assert [(e.seq, e.kind, e.data["turn"]) for e in handle.events()] == [(i, "turn", i) for i in range(3)]
    assert [e.seq for e in handle.events(offset=2)] == [2]
    status = handle.status()
    assert (status.state, status.title, status.runner) == (RunState.SUCCEEDED, "test run", RUNNER)
    assert status.executor_id == "unit"
    assert [s.name for s in store.steps(handle.id)] == ["agentkit.model:model", "agentkit.tool:append"] * 3
    assert handle.id in {s.id for s in store.list(state=RunState.SUCCEEDED)}


async def test_events_read_asynchronously_from_an_offset_and_typed(backend: DurableBackend, tmp_path: Path) -> None:
    from agentkit.events import FinalResultEvent, ToolCallEnd
    from tests.background import bg_agents

    effects = tmp_path / "lines.txt"
    handle = bg_agents.writer.start(f"typed 2 {effects} 0", deps={"path": str(effects)})
    live = [entry async for entry in handle.aevents()]  # follows the run until it finishes
    assert live == list(handle.events(follow=False))
    assert [e.seq for e in live] == list(range(len(live)))
    typed = [entry.event for entry in live]
    assert sum(isinstance(e, ToolCallEnd) for e in typed) == 2
    assert isinstance(typed[-1], FinalResultEvent) and typed[-1].output == "typed:m2"
    tail = [entry async for entry in handle.aevents(offset=live[-2].seq + 1, follow=False)]
    assert tail == live[-1:]


def test_entries_of_custom_runners_are_not_typed_events(store: RunStore, tmp_path: Path) -> None:
    from agentkit.background import BackgroundError

    handle = store.start(_spec(tmp_path / "fx.txt", turns=1))
    handle.result(timeout=10)
    [entry] = handle.events()
    with pytest.raises(BackgroundError, match=r"Event 0 \('turn'\) .* not an agentkit event .* read its .data"):
        _ = entry.event


def test_starting_twice_with_one_id_makes_one_run(store: RunStore, tmp_path: Path) -> None:
    first = store.start(_spec(tmp_path / "fx.txt", turns=1), run_id="same-id")
    second = store.start(_spec(tmp_path / "fx.txt", turns=1), run_id="same-id")
    assert first.id == second.id == "same-id"
    first.result(timeout=10)
    assert len((tmp_path / "fx.txt").read_text().splitlines()) == 2


def test_result_times_out_while_the_run_goes_on(store: RunStore, tmp_path: Path) -> None:
    handle = store.start(_spec(tmp_path / "fx.txt", turns=2, delay_s=0.2))
    with pytest.raises(RunTimeout, match="still"):
        handle.result(timeout=0.1)
    assert len(handle.result(timeout=10)["keys"]) == 2


def test_cancel_stops_a_run_and_resume_finishes_it(store: RunStore, tmp_path: Path) -> None:
    effects = tmp_path / "fx.txt"
    handle = store.start(_spec(effects, turns=6, delay_s=0.1))
    _wait_for_event(store, handle.id)
    handle.cancel()
    with pytest.raises(RunCancelled, match="resume"):
        handle.result(timeout=10)
    time.sleep(0.3)  # a step in flight at the cancel may still end; nothing starts after it
    calls_before = len(effects.read_text().splitlines())
    assert calls_before < 12
    time.sleep(0.3)
    assert len(effects.read_text().splitlines()) == calls_before
    handle.resume()
    result = handle.result(timeout=10)
    assert len(result["keys"]) == 6
    calls = effects.read_text().splitlines()
    assert len(calls) - len(set(calls)) <= 1, "only the step in flight at the cancel may run again"
    events = list(handle.events())
    assert [e.data["turn"] for e in events] == list(range(6))
    # The replay counted the recorded durations: the same elapsed times as the original logged.
    assert result["elapsed"] == [e.data["elapsed"] for e in events]
    assert result["elapsed"][0] >= 0.2


def test_a_code_change_that_alters_the_steps_fails_the_resumed_run_clearly(store: RunStore, tmp_path: Path) -> None:
    handle = store.start(_spec(tmp_path / "fx.txt", turns=4, delay_s=0.1, runner=f"{FAKE}:renamable_agent"))
    _wait_for_event(store, handle.id)
    handle.cancel()
    with pytest.raises(RunCancelled):
        handle.result(timeout=10)
    bg_fake_agent.TOOL_NAME["name"] = "renamed_tool"
    try:
        handle.resume()
        with pytest.raises(RunFailed, match="code changed") as info:
            handle.result(timeout=10)
    finally:
        bg_fake_agent.TOOL_NAME["name"] = "append"
    assert isinstance(info.value.__cause__, ReplayDiverged)
    assert "'agentkit.tool:append'" in str(info.value.__cause__)


def test_an_unimportable_runner_fails_the_run_with_the_fix(store: RunStore, tmp_path: Path) -> None:
    handle = store.start(_spec(tmp_path / "fx.txt", runner="no_such_module_xyz:agent"))
    with pytest.raises(RunFailed, match="PYTHONPATH") as info:
        handle.result(timeout=10)
    assert isinstance(info.value.__cause__, RunnerNotFound)


def test_an_event_emitted_inside_a_step_fails_the_run_with_the_fix(store: RunStore, tmp_path: Path) -> None:
    handle = store.start(_spec(tmp_path / "fx.txt", runner=f"{FAKE}:emits_inside_a_step"))
    with pytest.raises(RunFailed, match="inside a step"):
        handle.result(timeout=10)


LAUNCH_IN_LOOP = """
import asyncio, sys
from agentkit.background import DurableBackend, DurableConfig, RunSpec
sys.path.insert(0, sys.argv[2])

async def main():
    backend = DurableBackend(DurableConfig(system_db_url=sys.argv[1], executor_id="in-loop", queue_poll_s=0.05))
    backend.launch()  # from a running loop: DBOS must still run workflows on its own loop
    spec = RunSpec("tests.background.bg_fake_agent:append_steps", {"path": sys.argv[3], "turns": 2})
    handle = backend.store.start(spec)
    result = await asyncio.to_thread(handle.result, 20)
    backend.shutdown()
    print(len(result["keys"]))

asyncio.run(main())
"""


def test_a_backend_launched_inside_an_event_loop_runs_workflows(tmp_path: Path) -> None:
    args = [f"sqlite:///{tmp_path / 'runs.sqlite'}", str(REPO), str(tmp_path / "fx.txt")]
    command = [sys.executable, "-c", LAUNCH_IN_LOOP, *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2"]


def test_unknown_run_ids_are_reported(store: RunStore) -> None:
    with pytest.raises(RunNotFound, match="runs ls"):
        store.status("no-such-run")
    with pytest.raises(RunNotFound):
        store.handle("no-such-run")


def test_runs_of_another_version_are_left_alone_and_reported(backend: DurableBackend, tmp_path: Path) -> None:
    old = RunStore(DurableConfig(system_db_url=backend.config.system_db_url, version="old-code"))
    try:
        handle = old.start(_spec(tmp_path / "fx.txt", turns=1))
        time.sleep(0.3)
        assert handle.status().state is RunState.QUEUED
        stuck = backend.store.stuck_runs()
        assert [(s.id, s.app_version) for s in stuck] == [(handle.id, f"agentkit-r{REPLAY_PROTOCOL}-old-code")]
        handle.cancel()
    finally:
        old.close()


def test_the_sqlite_database_uses_wal_and_synchronous_normal(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from agentkit.background.engine import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'new' / 'runs.sqlite'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        engine.dispose()


async def test_the_in_process_step_runner_calls_through_with_idempotency_keys() -> None:
    events: list[object] = []

    async def sink(event: object) -> None:
        events.append(event)

    steps = InProcessStepRunner("run-1", sink)

    async def model() -> str:
        return "answer"

    async def tool(key: str) -> str:
        return key

    assert await steps.model_call(model) == "answer"
    assert await steps.tool_call("t", tool) == "run-1:1"
    await steps.emit({"kind": "x"})
    assert events == [{"kind": "x"}]
    steps.send("go", "early")
    assert await steps.receive("go") == "early"
    later = asyncio.ensure_future(steps.receive("go"))
    await asyncio.sleep(0.01)
    assert not later.done()
    steps.send("go", "late")
    assert await later == "late"


def test_importing_the_package_does_not_import_dbos() -> None:
    code = "import sys, agentkit.background; print('dbos' in sys.modules, 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_agent_start_runs_the_agent_loop_durably(backend: DurableBackend, tmp_path: Path) -> None:
    from tests.background import bg_agents

    effects = tmp_path / "lines.txt"
    handle = bg_agents.writer.start(f"demo 3 {effects} 0", deps={"path": str(effects)})
    result = handle.result(timeout=20)
    assert result.output == "demo:m3"
    assert result.run_id == handle.id
    lines = [line.split()[:2] for line in effects.read_text().splitlines()]
    assert [kind for kind, _ in lines] == ["model", "tool"] * 3 + ["model"]
    assert all(key.startswith(f"{handle.id}:") for kind, key in lines if kind == "tool")
    names = [s.name for s in backend.store.steps(handle.id)]
    assert names == ["agentkit.model:model", "agentkit.tool:append_line"] * 3 + ["agentkit.model:model"]
    kinds = [e.kind for e in handle.events()]
    assert kinds.count("tool_call_end") == 3
    assert "model_request" in kinds


def test_the_runs_commands_list_show_cancel_and_resume(backend: DurableBackend, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agentkit.background.cli import runs_app

    db = ["--db", backend.config.system_db_url]
    handle = backend.store.start(_spec(tmp_path / "fx.txt", turns=2, delay_s=0.2))
    cli = CliRunner()
    listed = cli.invoke(runs_app, ["ls", *db])
    assert listed.exit_code == 0 and handle.id in listed.output
    assert cli.invoke(runs_app, ["cancel", handle.id, *db]).output == f"cancelled {handle.id}\n"
    with pytest.raises(RunCancelled):
        handle.result(timeout=10)
    resumed = cli.invoke(runs_app, ["resume", handle.id, *db])
    assert resumed.exit_code == 0 and resumed.output.startswith(handle.id)
    handle.result(timeout=10)
    shown = cli.invoke(runs_app, ["show", handle.id, "--events", *db])
    assert "state:   succeeded" in shown.output
    assert "agentkit.tool:append" in shown.output
    assert '"kind": "turn"' in shown.output
    missing = cli.invoke(runs_app, ["show", "no-such-run", *db])
    assert missing.exit_code == 1 and "runs ls" in missing.output
