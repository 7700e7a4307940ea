"""Throwaway uids for sandbox runs, and killing every process of one.

A run under its own uid can be cleaned up completely: ``kill(-1, SIGKILL)`` sent *by a process
running as that uid* reaches exactly the processes of that uid, in one atomic sweep, including ones
that left the process group. Zombies are ignored when counting (only their parent can reap them).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys

from agentkit_tools._errors import ToolPackError

__all__ = ["UID_RANGE", "free_uid", "kill_uid", "process_count"]

UID_RANGE = (1_900_000_000, 2_000_000_000)
_KILL = shutil.which("kill", path="/usr/bin:/bin")
_KILL_ALL = "import os, signal; os.kill(-1, signal.SIGKILL)"


def free_uid() -> int:
    """A uid from a high range that no process uses right now."""
    while True:
        uid = UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0])
        if process_count(uid) == 0:
            return uid


def process_count(uid: int) -> int:
    """How many live (not zombie) processes have real uid ``uid``, from ``/proc``."""
    return sum(_status_uid(entry.name) == (uid, True) for entry in os.scandir("/proc") if entry.name.isdigit())


def _status_uid(pid: str) -> tuple[int, bool] | None:
    """A process's real uid and whether it is alive (not a zombie), or ``None`` if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
    except OSError:
        return None
    state, uids = fields.get("State", "").split(), fields.get("Uid", "").split()
    if not state or not uids:
        return None
    return int(uids[0]), state[0] not in ("Z", "X")


async def kill_uid(uid: int, *, python: str = sys.executable) -> None:
    """Kill every process of ``uid``: ``kill(-1)`` sent *as* that uid reaches exactly those."""
    for _ in range(20):
        if process_count(uid) == 0:
            return
        argv = [_KILL, "-KILL", "-1"] if _KILL else [python, "-I", "-S", "-c", _KILL_ALL]
        killer = await asyncio.create_subprocess_exec(
            *argv,
            user=uid,
            group=uid,
            extra_groups=[],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await killer.wait()
    raise ToolPackError(f"Processes of sandbox uid {uid} survived 20 kill rounds; kill them by hand.")
