"""Runs in two processes on one session take turns (SQLite lock files, PostgreSQL advisory locks)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentkit import Session, SessionBusy
from agentkit.sessions import open_store
from tests.background.harness import REPO
from tests.sessions.agents import echo, user_prompts

WAIT_S = 30.0


def _run_elsewhere(url: str, session_id: str, prompt: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "tests.sessions.agents", url, session_id, prompt]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the other process ended first: {process.communicate()}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def _stop(process: subprocess.Popen[str]) -> None:
    process.kill()
    process.communicate(timeout=WAIT_S)


def test_a_run_in_another_process_holds_the_session(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url)
    echo.run_sync("first", session=Session("shared", store=store))
    other = _run_elsewhere(store_url, "shared", f"hold {tmp_path}")
    try:
        _wait_for(tmp_path / "holding", other)
        with pytest.raises(SessionBusy, match="Session 'shared' is in use by another run"):
            echo.run_sync("busy", session=Session("shared", store=store, on_busy="raise"))
        (tmp_path / "release").write_text("1")
        assert echo.run_sync("after", session=Session("shared", store=store)).output == "seen: first,hold,after"
        out, err = other.communicate(timeout=WAIT_S)
    finally:
        _stop(other)
    assert (other.returncode, out) == (0, "held\n"), err
    assert user_prompts(store.load("shared")) == ["first", f"hold {tmp_path}", "after"]


def test_a_waiting_run_goes_after_the_other_process(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url)
    other = _run_elsewhere(store_url, "shared", f"hold {tmp_path}")
    try:
        _wait_for(tmp_path / "holding", other)
        late = _run_elsewhere(store_url, "shared", "late")
        time.sleep(0.5)
        assert late.poll() is None, late.communicate()
        (tmp_path / "release").write_text("1")
        out, err = late.communicate(timeout=WAIT_S)
        assert (late.returncode, out) == (0, "seen: hold,late\n"), err
        other.communicate(timeout=WAIT_S)
    finally:
        _stop(other)
    assert user_prompts(store.load("shared")) == [f"hold {tmp_path}", "late"]


def test_a_killed_holder_frees_the_session(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url)
    other = _run_elsewhere(store_url, "shared", f"hold {tmp_path}")
    try:
        _wait_for(tmp_path / "holding", other)
    finally:
        _stop(other)
    deadline = time.monotonic() + WAIT_S
    while True:  # PostgreSQL notices the closed connection a moment later
        try:
            result = echo.run_sync("next", session=Session("shared", store=store, on_busy="raise"))
            break
        except SessionBusy:
            assert time.monotonic() < deadline, "the killed process's lock was never released"
            time.sleep(0.05)
    assert result.output == "seen: next"
