"""Per-session lock files held with ``flock``: exclusive across threads and processes, and released
by the operating system when the holding process dies (no stale locks after a crash)."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

__all__ = ["FileLease", "try_lock_file"]


class FileLease:
    """A held lock file; :meth:`release` unlocks and closes it."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def lock_path(directory: Path, key: str) -> Path:
    """The lock file of ``key`` (a hash, so any id makes a safe file name)."""
    return directory / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.lock"


def try_lock_file(directory: Path, key: str) -> FileLease | None:
    """Lock ``key``'s file without waiting, or ``None`` if someone else holds it.

    Each call opens its own file description, so two threads of one process exclude each other too.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(directory, key), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return FileLease(fd)
