"""Worker subprocesses and the side-effect files of the fake agents, for crash tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentkit.background import RunStore
from agentkit.background.worker import READY_LINE

REPO = Path(__file__).resolve().parents[2]
RUNNER = "tests.background.bg_fake_agent:append_steps"


class Worker:
    """``python -m agentkit.background.worker`` in a subprocess."""

    def __init__(
        self,
        db_url: str,
        executor_id: str,
        *,
        heartbeat_timeout: float = 30.0,
        concurrency: int = 20,
        branch_concurrency: int = 16,
        imports: Sequence[str] = (),
        agents: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
        environment = dict(os.environ, **(env or {}), PYTHONPATH=path)
        command = [
            sys.executable, "-m", "agentkit.background.worker",
            "--db", db_url,
            "--executor-id", executor_id,
            "--worker-concurrency", str(concurrency),
            "--branch-concurrency", str(branch_concurrency),
            "--poll", "0.05",
            "--heartbeat-timeout", str(heartbeat_timeout),
            "--wait-poll", "0.1",
        ]  # fmt: skip
        for module in imports:
            command += ["--import", module]
        command += agents
        self.proc = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.pid = self.proc.pid

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Block until the worker printed its ready line."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        output = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith(READY_LINE):
                return
        self.stop()
        raise AssertionError("worker did not start:\n" + "".join(output))

    def output_until_exit(self, timeout: float) -> tuple[int, str]:
        """Wait for the worker to exit on its own; its exit status and the rest of its output."""
        assert self.proc.stdout is not None
        try:
            returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the worker did not exit within {timeout} s") from None
        output = self.proc.stdout.read()
        self._close()
        return returncode, output

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()

    def stop(self) -> None:
        """SIGTERM and wait (clean shutdown)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()


@dataclass
class SideEffects:
    """The lines of the side-effect file, in order: which process performed which call."""

    lines: list[tuple[str, int]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> SideEffects:
        effects = cls()
        for line in path.read_text().splitlines():
            _kind, call_id, pid = line.split()
            effects.lines.append((call_id, int(pid)))
        return effects

    def calls_by_pid(self) -> dict[int, list[str]]:
        by_pid: dict[int, list[str]] = defaultdict(list)
        for call, pid in self.lines:
            by_pid[pid].append(call)
        return by_pid

    def all_calls(self) -> set[str]:
        return {call for call, _ in self.lines}


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def fake_call_id(output: Any) -> str:
    """The call id a step of :mod:`bg_fake_agent` returns."""
    return str(output["id"] if isinstance(output, dict) else output)


def finished_calls(store: RunStore, run_ids: list[str], call_id: Callable[[Any], str] = fake_call_id) -> set[str]:
    """Ids of the calls whose steps are checkpointed (each step's output tells its call id)."""
    return {call_id(step.output) for run_id in run_ids for step in store.steps(run_id)}


def wait_for_calls_by(path: Path, pid: int, timeout: float = 30.0) -> None:
    """Block until process ``pid`` has performed a call."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if path.exists() and any(pid == p for _, p in SideEffects.read(path).lines):
                return
        except ValueError:  # read a line while it was being written
            pass
        time.sleep(0.005)
    raise AssertionError(f"worker {pid} performed no call in {timeout} s")


def wait_for_lines(path: Path, count: int, timeout: float = 30.0) -> None:
    """Block until the side-effect file has at least ``count`` lines."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if line_count(path) >= count:
            return
        time.sleep(0.005)
    raise AssertionError(f"fewer than {count} side effects after {timeout} s")
