"""Run a child process with a wall-clock timeout and bounded output capture.

The child starts in a new session (its own process group). When the main process exits or the
timeout fires, ``reap`` is called to kill whatever the child left behind (the group, and more for
the sandbox), so no background process outlives the call and the output pipes close. Output beyond
the limit is dropped from the middle (head and tail are kept, with a note); output far beyond it
stops the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Capture", "ProcessOutcome", "kill_group", "run_process"]

_READ_CHUNK = 65536
_DRAIN_SECONDS = 2.0
"""After the child is gone, how long to wait for pipes held by escaped processes."""


class Capture:
    """Keeps the first and last bytes of a stream, and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        """Append ``chunk``: the head fills first, then the tail keeps the most recent bytes."""
        self.total += len(chunk)
        take = max(0, min(self.head_limit - len(self.head), len(chunk)))
        self.head += chunk[:take]
        self.tail += chunk[take:]
        if len(self.tail) > self.tail_limit:
            del self.tail[: len(self.tail) - self.tail_limit]

    @property
    def truncated(self) -> bool:
        """Whether bytes were dropped."""
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        """The kept bytes as text, with a note where bytes were dropped."""
        head = self.head.decode("utf-8", errors="replace")
        if not self.truncated:
            return head + self.tail.decode("utf-8", errors="replace")
        dropped = self.total - len(self.head) - len(self.tail)
        tail = self.tail.decode("utf-8", errors="replace")
        return f"{head}\n[... {dropped} bytes of output truncated ...]\n{tail}"


@dataclass(frozen=True)
class ProcessOutcome:
    """How a child process ended."""

    stdout: Capture
    stderr: Capture
    returncode: int | None
    """Exit status; negative for a signal (``-9`` is SIGKILL)."""
    timed_out: bool
    output_overflow: bool
    duration: float


async def run_process(
    argv: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    timeout: float,
    max_output_bytes: int,
    reap: Callable[[int], Awaitable[None]],
    kill_after_output_bytes: int | None = None,
) -> ProcessOutcome:
    """Run ``argv``; ``reap(pid)`` must kill the child and everything it started."""
    start = time.monotonic()
    out, err = Capture(max_output_bytes), Capture(max_output_bytes)
    overflow = asyncio.Event()
    cap = kill_after_output_bytes or 16 * max_output_bytes
    pipes = [os.pipe(), os.pipe()]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=pipes[0][1],
            stderr=pipes[1][1],
            cwd=cwd,
            env=dict(env),
            start_new_session=True,
        )
    except BaseException:
        for fd in (*pipes[0], *pipes[1]):
            os.close(fd)
        raise
    for _, write_end in pipes:
        os.close(write_end)
    readers = [
        asyncio.create_task(_pump(pipes[0][0], out, (out, err), cap, overflow)),
        asyncio.create_task(_pump(pipes[1][0], err, (out, err), cap, overflow)),
    ]
    timed_out = False
    try:
        timed_out = await _wait(proc, timeout, overflow)
    finally:
        await reap(proc.pid)
        await proc.wait()
        await _drain(readers)
    return ProcessOutcome(out, err, proc.returncode, timed_out, overflow.is_set(), time.monotonic() - start)


async def _wait(proc: asyncio.subprocess.Process, timeout: float, overflow: asyncio.Event) -> bool:
    """Wait for the child's exit, the timeout or an output overflow; True when the timeout fired."""
    exited = asyncio.create_task(proc.wait())
    flooded = asyncio.create_task(overflow.wait())
    try:
        done, _ = await asyncio.wait({exited, flooded}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (exited, flooded):
            task.cancel()
        await asyncio.gather(exited, flooded, return_exceptions=True)
    return not done


async def _pump(
    fd: int,
    capture: Capture,
    both: tuple[Capture, Capture],
    cap: int,
    overflow: asyncio.Event,
) -> None:
    """Read ``fd`` to EOF into ``capture``; flag an overflow when both streams pass ``cap``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(loop=loop)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        while chunk := await reader.read(_READ_CHUNK):
            capture.feed(chunk)
            if both[0].total + both[1].total > cap:
                overflow.set()
    finally:
        transport.close()


async def _drain(readers: list[asyncio.Task[None]]) -> None:
    """Let the readers reach EOF; stop waiting for pipes still held by a process that escaped."""
    _, pending = await asyncio.wait(readers, timeout=_DRAIN_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (the child started a new session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
