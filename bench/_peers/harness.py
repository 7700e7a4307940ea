"""Driving the measurements: where each framework's interpreter is, worker processes, the emulator.

The emulator (``tests.emulator``, a real HTTP server on 127.0.0.1) runs in its own process, so on a
2-core machine it has one core and the framework under test the other.
"""

from __future__ import annotations

import json
import select
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

BENCH = Path(__file__).resolve().parents[1]
REPO = BENCH.parent
PEERS_VENV = BENCH / ".venv-peers"
PEERS_PYTHON = PEERS_VENV / "bin" / "python"
SETUP_PEERS = BENCH / "setup_peers.sh"
WORKER = BENCH / "_peers" / "worker.py"

PEERS = ("pydantic_ai", "openai_agents")
LABELS = {
    "raw": "raw openai client",
    "agentkit": "agentkit",
    "pydantic_ai": "PydanticAI",
    "openai_agents": "OpenAI Agents SDK",
}

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the repository root: tests.emulator


def ensure_peers() -> bool:
    """Create ``bench/.venv-peers`` if needed (idempotent); False, with a note, when it can't be."""
    done = subprocess.run(["bash", str(SETUP_PEERS)], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not PEERS_PYTHON.exists():
        print(f"note: bench/.venv-peers could not be set up, peers skipped:\n{done.stdout}{done.stderr}")
        return False
    return True


def python_for(framework: str) -> str:
    """The interpreter that has ``framework``: the peers venv for the peers, this one otherwise."""
    return str(PEERS_PYTHON) if framework in PEERS else sys.executable


def frameworks(with_peers: bool) -> list[str]:
    """The frameworks to measure, the raw client first."""
    names = ["raw", "agentkit"]
    return names + list(PEERS) if with_peers else names


@contextmanager
def emulator(latency_ms: float) -> Iterator[Any]:
    """An emulator process answering every chat completion with the 3-turn tool loop."""
    from tests.emulator import EmulatorProcess

    with EmulatorProcess(latency_ms=latency_ms, tool_turns=2) as emu:
        yield emu


class Worker:
    """A ``bench/_peers/worker.py`` process measuring one framework."""

    def __init__(self, framework: str, base_url: str, transport: str = "httpx", timeout_s: float = 300.0) -> None:
        self.framework = framework
        self.timeout_s = timeout_s
        command = [python_for(framework), str(WORKER), "--framework", framework, "--base-url", base_url]
        command += ["--transport", transport]
        # stderr goes to a file, not a pipe: a chatty worker never blocks. Closed in close().
        self._errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self._process = subprocess.Popen(
            command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, text=True
        )
        self.ready: dict[str, Any] = self._read()

    def ask(self, command: str) -> dict[str, Any]:
        """Send one command, return its JSON answer."""
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(command + "\n")
        stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        stdout = self._process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], self.timeout_s)
        line = stdout.readline() if ready else ""
        if not line:
            errors = self._stderr()
            self.close()
            raise RuntimeError(f"{self.framework} worker failed:\n{errors}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"{self.framework} worker: {answer['error']}")
        return answer

    def _stderr(self) -> str:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._errors.seek(0)
        return self._errors.read()[-4000:]

    def close(self) -> None:
        """Ask the worker to quit and wait for it."""
        if self._process.poll() is None:
            try:
                self.ask_quit()
                self._process.wait(30)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait(10)
        for stream in (self._process.stdin, self._process.stdout, self._errors):
            if stream is not None:
                stream.close()

    def ask_quit(self) -> None:
        """Tell the worker to stop (no answer expected)."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            stdin.write("quit\n")
            stdin.flush()

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def median_ms(seconds: Sequence[float]) -> float:
    """Median in milliseconds."""
    return statistics.median(seconds) * 1000


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with padded columns (readable in a terminal, pasted as is into RESULTS.md).

    The first column is left-aligned (names), the others right-aligned (numbers).
    """
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "|:" + "-" * (widths[0] + 1) + "|" + "|".join("-" * (w + 1) + ":" for w in widths[1:]) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
