"""Approvals in background runs: a run pauses durably on a tool that needs approval and goes on when
someone approves or denies, from this process or another one; cancel and resume while it waits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent
from agentkit.background import (
    ApprovalNotPending,
    DurableBackend,
    DurableConfig,
    PendingApproval,
    RunCancelled,
    RunHandle,
    RunSpec,
    RunState,
    RunStore,
    RunTimeout,
)
from agentkit.events import ApprovalDecided, ApprovalRequested
from tests.background import bg_approval_agents as agents
from tests.background.conftest import DATABASES, database
from tests.background.harness import REPO

DENIED = "The user did not approve the call to tool '{tool}' (reason: {reason}). Do not retry it as is."


@pytest.fixture(scope="module", params=DATABASES)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DurableBackend]:
    with database(request.param, tmp_path_factory.mktemp("agentkit-home")) as url:
        config = DurableConfig(system_db_url=url, executor_id="approvals", queue_poll_s=0.05, wait_poll_s=0.1)
        backend = DurableBackend(config)
        backend.launch()
        yield backend
        backend.shutdown()


@pytest.fixture
def store(backend: DurableBackend) -> RunStore:
    return backend.store


def _start(
    tmp_path: Path, label: str, tool: str = "refund", calls: int = 1, agent: Agent[Any, str] = agents.refunder
) -> RunHandle:
    effects = tmp_path / "effects.txt"
    return agent.start(f"{label} {tool} {calls} {effects} 0", deps={"path": str(effects)})


def _kinds(handle: RunHandle) -> list[str]:
    return [e.kind for e in handle.events(follow=False)]


def test_a_run_waits_for_approval_and_runs_the_tool_once_approved(store: RunStore, tmp_path: Path) -> None:
    handle = _start(tmp_path, "a")
    [pending] = handle.wait_for_approval(timeout=10)
    assert (pending.call_id, pending.tool, pending.run_id) == ("a-c0", "refund", handle.id)
    assert json.loads(pending.arguments) == {"order": "a-o0", "token": "[REDACTED]"}
    status = handle.status()
    assert status.state is RunState.WAITING and status.approvals == "person"
    assert status.pending_approvals == (pending,)
    assert handle.id in {run.id for run in store.list(state=RunState.WAITING)}
    assert handle.id not in {run.id for run in store.list(state=RunState.RUNNING)}
    time.sleep(0.3)
    assert agents.tool_runs(str(tmp_path / "effects.txt")) == []  # paused: nothing ran
    requested = [e.event for e in handle.events(follow=False) if e.kind == "approval_requested"]
    assert isinstance(requested[0], ApprovalRequested) and requested[0].call.id == "a-c0"
    assert "s3cret" not in json.dumps([e.data for e in handle.events(follow=False)])

    assert handle.approve("a-c0") == pending
    assert handle.result(timeout=10).output == "refunded a-o0"
    assert agents.tool_runs(str(tmp_path / "effects.txt")) == ["a-o0"]
    assert [s.name for s in store.steps(handle.id)].count("DBOS.recv") == 1
    decided = [e.event for e in handle.events(follow=False) if e.kind == "approval_decided"]
    assert isinstance(decided[0], ApprovalDecided) and decided[0].approved
    assert handle.status().pending_approvals == ()
    with pytest.raises(ApprovalNotPending, match="has succeeded; it waits for no approval"):
        handle.approve("a-c0")


def test_a_denial_reaches_the_model_and_the_tool_never_runs(store: RunStore, tmp_path: Path) -> None:
    handle = _start(tmp_path, "d")
    handle.wait_for_approval(timeout=10)
    pending = r"no pending approval for tool call 'nope' \(pending: d-c0 \(refund\)\)"
    with pytest.raises(ApprovalNotPending, match=pending):
        handle.approve("nope")
    handle.deny("d-c0", "over the limit")
    assert handle.result(timeout=10).output == DENIED.format(tool="refund", reason="over the limit")
    assert agents.tool_runs(str(tmp_path / "effects.txt")) == []


def test_an_agent_with_its_own_approver_is_not_decided_from_outside(store: RunStore, tmp_path: Path) -> None:
    handle = _start(tmp_path, "t", agent=agents.trusting_refunder)
    assert handle.result(timeout=10).output == "refunded t-o0"
    assert handle.status().approvals == "agent"
    assert "agentkit.model:approval" in [s.name for s in store.steps(handle.id)]
    with pytest.raises(ApprovalNotPending, match="own approver"):
        handle.approve("t-c0")


def test_parallel_calls_decided_out_of_order_run_in_call_order(store: RunStore, tmp_path: Path) -> None:
    handle = _start(tmp_path, "p", tool="lookup", calls=2)
    deadline = time.monotonic() + 10
    while len(handle.pending_approvals()) < 2:
        assert time.monotonic() < deadline, "both parallel calls should be pending at once"
        time.sleep(0.02)
    handle.approve("p-c1")
    time.sleep(0.3)  # the second call's decision is stored first, and waits for the first's
    assert agents.tool_runs(str(tmp_path / "effects.txt")) == []
    handle.approve("p-c0")
    assert handle.result(timeout=10).output == "looked up p-o0 | looked up p-o1"
    assert agents.tool_runs(str(tmp_path / "effects.txt")) == ["p-o0", "p-o1"]
    decided = [e.data["call_id"] for e in handle.events(follow=False) if e.kind == "approval_decided"]
    assert decided == ["p-c0", "p-c1"]


def test_a_run_cancelled_while_waiting_stops_waiting_and_resumes_waiting(store: RunStore, tmp_path: Path) -> None:
    handle = _start(tmp_path, "c")
    [pending] = handle.wait_for_approval(timeout=10)
    handle.cancel()
    with pytest.raises(RunCancelled):
        handle.result(timeout=5)
    status = handle.status()
    assert status.state is RunState.CANCELLED and status.pending_approvals == (pending,)
    handle.approve("c-c0")  # kept until the run goes on
    handle.resume()
    assert handle.result(timeout=10).output == "refunded c-o0"
    assert agents.tool_runs(str(tmp_path / "effects.txt")) == ["c-o0"]
    assert _kinds(handle).count("approval_requested") == 1


def test_a_cancelled_wait_ends_promptly_and_a_message_sent_meanwhile_is_received_on_resume(
    store: RunStore, tmp_path: Path
) -> None:
    log = tmp_path / "log.txt"
    handle = store.start(RunSpec("tests.background.bg_fake_agent:waits_for_a_message", {"path": str(log)}))
    deadline = time.monotonic() + 10
    while not log.exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    handle.cancel()
    deadline = time.monotonic() + 3
    while "stopped" not in log.read_text():
        assert time.monotonic() < deadline, "the cancelled run kept waiting"
        time.sleep(0.01)
    with pytest.raises(ValueError, match="send a value"):
        store.send(handle.id, "go", None)
    store.send(handle.id, "go", {"n": 1}, idempotency_key="once")
    store.send(handle.id, "go", {"n": 2}, idempotency_key="once")  # the same key: not delivered again
    handle.resume()
    assert handle.result(timeout=10) == {"n": 1}


def test_waiting_for_approval_times_out_with_the_fix(store: RunStore, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    handle = store.start(RunSpec("tests.background.bg_fake_agent:waits_for_a_message", {"path": str(log)}))
    with pytest.raises(RunTimeout, match="asked for no approval"):
        handle.wait_for_approval(timeout=0.2)
    store.send(handle.id, "go", "done")
    assert handle.result(timeout=10) == "done"
    assert handle.wait_for_approval(timeout=1) == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-c", "from agentkit.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_approve_and_deny_from_another_process(backend: DurableBackend, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agentkit.background.cli import runs_app

    db = ["--db", backend.config.system_db_url]
    handle = _start(tmp_path, "x", calls=2)
    handle.wait_for_approval(timeout=10)
    listed = CliRunner().invoke(runs_app, ["ls", "--state", "waiting", *db])
    assert handle.id in listed.output and "waiting" in listed.output
    shown = CliRunner().invoke(runs_app, ["show", handle.id, *db])
    assert "state:   waiting" in shown.output
    assert 'x-c0  refund  {"order": "x-o0", "token": "[REDACTED]"}' in shown.output

    approved = _cli("runs", "approve", handle.id, "x-c0", *db)
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout == f"approved x-c0 (refund) of run {handle.id}\n"
    deadline = time.monotonic() + 10
    while [p.call_id for p in handle.pending_approvals()] != ["x-c1"]:
        assert time.monotonic() < deadline, "the second call was never asked for"
        time.sleep(0.02)
    denied = _cli("runs", "deny", handle.id, "x-c1", "--reason", "one is enough", *db)
    assert denied.returncode == 0, denied.stderr
    result = handle.result(timeout=10)
    assert result.output == "refunded x-o0 | " + DENIED.format(tool="refund", reason="one is enough")
    assert agents.tool_runs(str(tmp_path / "effects.txt")) == ["x-o0"]
    again = _cli("runs", "deny", handle.id, "x-c1", *db)
    assert again.returncode == 1 and "has succeeded" in again.stderr


def test_pending_approvals_are_read_from_the_event_log() -> None:
    from agentkit.background.approvals import pending_approvals
    from agentkit.background.events import RunEvent

    def requested(seq: int, call_id: str) -> RunEvent:
        call = {"id": call_id, "name": "refund", "arguments": "{}"}
        return RunEvent("r", seq, "approval_requested", float(seq), {"step": 1, "call": call})

    decided = RunEvent("r", 2, "approval_decided", 2.0, {"call_id": "c1", "approved": True})
    found = pending_approvals([requested(0, "c1"), requested(1, "c2"), decided])
    assert found == [PendingApproval("r", "c2", "refund", "{}", 1, 1.0)]
    assert found[0].topic == "agentkit.approval:1:c2"


def test_only_an_explicit_approval_approves() -> None:
    from agentkit.approval import ApprovalDecision
    from agentkit.background.approvals import decision_from_message, decision_message

    assert decision_from_message(decision_message(True)) == ApprovalDecision(approved=True)
    assert decision_from_message(decision_message(False, "no")) == ApprovalDecision(approved=False, reason="no")
    assert decision_from_message({"approved": "yes"}).approved is False
    assert decision_from_message("approve").approved is False
