"""Start the emulator in a child process (for benchmarks: it gets its own core and GIL)."""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


class EmulatorProcess:
    """``python -m tests.emulator`` as a context manager.

    Example::

        with EmulatorProcess(latency_ms=100, tool_turns=2) as emu:
            client = openai.AsyncOpenAI(base_url=emu.base_url, api_key="bench")
            ...
            emu.stats()["max_in_flight"]
    """

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        chat_mode: str = "plain-chat",
        tool_turns: int = 2,
        reasoning: str | None = None,
        record: bool = False,
        port: int = 0,
        startup_timeout: float = 20.0,
    ) -> None:
        self.args = ["--port", str(port), "--latency-ms", str(latency_ms), "--chat-mode", chat_mode]
        self.args += ["--tool-turns", str(tool_turns)]
        self.args += ["--reasoning", reasoning] if reasoning is not None else []
        self.args += ["--record"] if record else []
        self.startup_timeout = startup_timeout
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        return self.url + "/v1"

    def start(self) -> EmulatorProcess:
        """Spawn the process and wait for its ``EMULATOR_URL`` line."""
        command = [sys.executable, "-m", "tests.emulator", *self.args]
        self._process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        stdout = self._process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], self.startup_timeout)
        line = stdout.readline() if ready else ""
        if not line.startswith("EMULATOR_URL "):
            self.stop()
            raise RuntimeError(f"the emulator process did not start (first output line: {line!r})")
        self.url = line.split()[1]
        return self

    def stats(self) -> dict[str, Any]:
        """Counters from GET /_emulator/stats (requests, in_flight, max_in_flight, errors)."""
        result: dict[str, Any] = httpx.get(self.url + "/_emulator/stats", timeout=10).json()
        return result

    def reset(self) -> None:
        """Zero the counters."""
        httpx.post(self.url + "/_emulator/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
