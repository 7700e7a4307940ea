"""Agents addressed by import path: what ``start()`` records, its check in the caller, and workers."""

from __future__ import annotations

import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from agentkit import Agent
from agentkit.background.agent_refs import check_agent_ref, find_agent_ref
from agentkit.background.errors import RunnerNotFound
from agentkit.background.worker import import_targets
from agentkit.exceptions import UserError
from agentkit.testing import FunctionModel, text
from tests.background import bg_agents
from tests.background.harness import REPO, Worker

WRITER = "tests.background.bg_agents:writer"


def _main_module(monkeypatch: pytest.MonkeyPatch, spec_name: str | None = None, **names: object) -> None:
    main = types.ModuleType("__main__")
    main.__dict__.update(names)
    main.__spec__ = types.SimpleNamespace(name=spec_name) if spec_name else None  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", main)


def test_an_agent_imported_by_a_script_is_recorded_under_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    _main_module(monkeypatch, planner=bg_agents.writer)  # `from myagents import writer as planner` in a script
    assert find_agent_ref(bg_agents.writer) == WRITER


def test_an_agent_defined_in_a_script_is_recorded_under_main(monkeypatch: pytest.MonkeyPatch) -> None:
    agent = Agent(FunctionModel(lambda m, i: text("hi")))
    _main_module(monkeypatch, planner=agent)
    assert find_agent_ref(agent) == "__main__:planner"
    _main_module(monkeypatch, "myapp.jobs", planner=agent)  # python -m myapp.jobs
    assert find_agent_ref(agent) == "myapp.jobs:planner"


def test_a_script_agent_cannot_go_to_a_separate_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    agent = Agent(FunctionModel(lambda m, i: text("hi")))
    _main_module(monkeypatch, planner=agent)
    check_agent_ref("__main__:planner", agent, execute=True)  # embedded: this process runs it
    with pytest.raises(UserError) as info:
        check_agent_ref("__main__:planner", agent, execute=False)
    assert str(info.value) == (
        "agent.start(execute=False) can't hand the agent '__main__:planner' to a worker: it is defined in the "
        "script that is running (__main__), which a worker can't import. Define the agent in a module (e.g. "
        "`planner = Agent(...)` in myagents.py), import it from there, and start the worker with it: "
        "`agentkit worker myagents:planner` (or pass agent_ref='myagents:planner')."
    )


def test_a_reference_to_another_object_is_refused_in_the_caller() -> None:
    other = Agent(FunctionModel(lambda m, i: text("hi")))
    with pytest.raises(UserError) as info:
        check_agent_ref(WRITER, other, execute=False)
    assert str(info.value) == (
        f"agent_ref {WRITER!r} names a Agent other than the agent being started, so a worker would run that one "
        "instead; point agent_ref at this agent's module-level variable."
    )
    with pytest.raises(UserError) as missing:
        check_agent_ref("tests.background.bg_agents:nobody", other, execute=False)
    assert str(missing.value) == (
        "agent_ref 'tests.background.bg_agents:nobody' does not resolve in this process: Module "
        "'tests.background.bg_agents' has no 'nobody'; the agent 'tests.background.bg_agents:nobody' was "
        "renamed or removed."
    )


def test_a_worker_target_must_name_an_agent() -> None:
    import_targets(["tests.background.bg_agents", WRITER])
    with pytest.raises(RunnerNotFound) as info:
        import_targets(["tests.background.bg_agents:append_line"])
    assert str(info.value) == (
        "'tests.background.bg_agents:append_line' is a Tool, not an Agent; name the Agent variable."
    )


START_FROM_A_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from agentkit.background import DurableConfig
from tests.background.bg_agents import writer

handle = writer.start(
    "s1 1 {path} 0", deps={{"path": {path!r}}}, config=DurableConfig(system_db_url={db!r}), execute=False
)
print(handle.result(timeout=60).output)
"""


def test_a_separate_worker_runs_an_agent_a_script_imported(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    script = tmp_path / "start_it.py"
    script.write_text(START_FROM_A_SCRIPT.format(path=str(tmp_path / "fx.txt"), db=db))
    worker = Worker(db, "w-refs", agents=[WRITER])
    try:
        worker.wait_ready()
        done = subprocess.run(
            [sys.executable, str(script), str(REPO)], capture_output=True, text=True, timeout=90, check=False
        )
    finally:
        worker.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "s1:m1"


def test_a_worker_given_a_missing_agent_exits_with_one_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "agentkit.background.worker", "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"]
    done = subprocess.run(
        [*command, "tests.background.bg_agents:nobody"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "error: Module 'tests.background.bg_agents' has no 'nobody'; the agent "
        "'tests.background.bg_agents:nobody' was renamed or removed."
    )


def test_a_worker_without_the_scripts_agent_says_where_to_define_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentkit.background.agent_runner import _load_agent

    _main_module(monkeypatch)  # the worker's own __main__ has no planner
    with pytest.raises(RunnerNotFound) as info:
        _load_agent("__main__:planner")
    assert str(info.value) == (
        "The run names the agent '__main__:planner', defined in the script that started it, so only that process "
        "can run it. Define the agent in a module (e.g. `planner = Agent(...)` in myagents.py), import it from "
        "there, and start the worker with it: `agentkit worker myagents:planner` (or pass "
        "agent_ref='myagents:planner')."
    )


def _wait_for_line(path: Path, line: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and line in path.read_text().split():
            return
        time.sleep(0.01)
    raise AssertionError(f"no {line!r} in {path} after {timeout} s")


def test_a_cancel_is_one_info_line_in_the_worker(tmp_path: Path) -> None:
    from agentkit.background import DurableConfig, RunState
    from tests.background.bg_cancel_agents import sleeper

    db, marks = f"sqlite:///{tmp_path / 'runs.sqlite'}", tmp_path / "marks.txt"
    worker = Worker(db, "w-cancel", agents=["tests.background.bg_cancel_agents:sleeper"])
    try:
        worker.wait_ready()
        config = DurableConfig(system_db_url=db)
        handle = sleeper.start("wait", deps={"path": str(marks), "seconds": 1.0}, config=config, execute=False)
        _wait_for_line(marks, "start")
        handle.cancel()
        _wait_for_line(marks, "end")  # the tool's thread finished after the cancel
        time.sleep(0.5)
    finally:
        worker.proc.terminate()
        output = worker.proc.communicate(timeout=15)[0]
    assert handle.status().state is RunState.CANCELLED
    lines = [line for line in output.splitlines() if not line.startswith("agentkit worker ready")]
    assert [line.split(" ", 1)[1] for line in lines] == [
        f"[    INFO] (agentkit.background) agentkit run {handle.id} was cancelled"
    ]


def test_a_worker_target_module_that_cannot_be_imported_is_named() -> None:
    with pytest.raises(RunnerNotFound) as info:
        import_targets(["no_such_module_xyz"])
    assert str(info.value) == (
        "Can't import module 'no_such_module_xyz' of the worker target 'no_such_module_xyz' (No module named "
        "'no_such_module_xyz'); install it or add its directory to PYTHONPATH of the worker."
    )
