"""Paths confined to a root directory, opened without ever following a symlink out of it.

A user path is checked lexically first (relative, no ``..``, no NUL), then resolved with
``realpath`` and required to stay under the root: symlinks *inside* the root keep working, symlinks
that lead out are refused. The resolved path is then opened one component at a time from a file
descriptor of the root with ``O_NOFOLLOW``, so a symlink swapped in after the check (a race) makes
the open fail instead of escaping.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from agentkit_tools._errors import ToolPackError

__all__ = ["ConfinedRoot", "PathDenied", "WorkspaceError"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class WorkspaceError(ToolPackError):
    """A workspace operation failed; the message names the path relative to the root, never the host path."""


class PathDenied(WorkspaceError):
    """A path points outside the workspace, or can't be used there."""


class ConfinedRoot:
    """A directory that paths given by a model can't leave."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root)
        if not path.is_dir():
            raise ValueError(f"Workspace root {str(path)!r} is not an existing directory; create it first.")
        self.path = path.resolve(strict=True)

    def check(self, user_path: str) -> tuple[str, ...]:
        """The components (relative to the root, symlinks resolved) that ``user_path`` names."""
        _check_lexically(user_path)
        real = Path(os.path.realpath(self.path / user_path))
        if real != self.path and self.path not in real.parents:
            raise PathDenied(
                f"Path {user_path!r} resolves outside the workspace (through a symlink). "
                "Use a path whose target is inside the workspace."
            )
        return real.relative_to(self.path).parts

    def display(self, parts: tuple[str, ...]) -> str:
        """The workspace-relative form of ``parts`` shown to the model."""
        return PurePosixPath(*parts).as_posix() if parts else "."

    @contextmanager
    def open_dir(self, parts: tuple[str, ...]) -> Iterator[int]:
        """A descriptor of directory ``parts``, reached without following any symlink."""
        fd = os.open(self.path, _DIR_FLAGS)
        try:
            for name in parts:
                child = _open_subdir(fd, name, parts)
                os.close(fd)
                fd = child
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def open_file(self, parts: tuple[str, ...], flags: int, mode: int = 0o644) -> Iterator[int]:
        """A descriptor of file ``parts`` opened with ``flags`` plus ``O_NOFOLLOW``."""
        if not parts:
            raise PathDenied("The workspace root is a directory, not a file. Give a file path.")
        with self.open_dir(parts[:-1]) as dir_fd:
            try:
                fd = os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
            except OSError as exc:
                raise _explain(exc, parts) from None
            try:
                yield fd
            finally:
                os.close(fd)


def _check_lexically(user_path: str) -> None:
    if "\x00" in user_path:
        raise PathDenied("Path contains a NUL character. Give a plain relative path.")
    if user_path.startswith(("/", "\\", "~")) or PurePosixPath(user_path).is_absolute():
        raise PathDenied(
            f"Path {user_path!r} is absolute. Give a path relative to the workspace root, e.g. 'notes/a.txt'."
        )
    if ".." in PurePosixPath(user_path).parts:
        raise PathDenied(f"Path {user_path!r} contains '..'. Paths must stay inside the workspace.")


def _open_subdir(fd: int, name: str, parts: tuple[str, ...]) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except OSError as exc:
        if exc.errno == errno.ENOTDIR and _is_symlink(fd, name):
            exc = OSError(errno.ELOOP, os.strerror(errno.ELOOP))
        raise _explain(exc, parts) from None


def _is_symlink(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _explain(exc: OSError, parts: tuple[str, ...]) -> WorkspaceError:
    shown = PurePosixPath(*parts).as_posix()
    if exc.errno == errno.ELOOP:
        return PathDenied(f"Path {shown!r} changed into a symlink while it was being opened; refused.")
    if exc.errno == errno.ENOENT:
        return WorkspaceError(f"{shown!r} does not exist. List the directory to see what is there.")
    if exc.errno == errno.ENOTDIR:
        return WorkspaceError(f"A parent of {shown!r} is not a directory.")
    if exc.errno == errno.EISDIR:
        return WorkspaceError(f"{shown!r} is a directory. Give a file path, or list the directory.")
    if exc.errno == errno.EEXIST:
        return WorkspaceError(f"{shown!r} already exists.")
    return WorkspaceError(f"Can't open {shown!r}: {exc.strerror}.")
