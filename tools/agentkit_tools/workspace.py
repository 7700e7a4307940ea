"""Files confined to one root directory: read, write, list and search.

Every path a model gives is relative to the root. ``..``, absolute paths and symlinks whose target
is outside the root are refused (see :mod:`agentkit_tools._confined`); special files (FIFOs,
devices) are never read. Reads, writes, listings and searches are size-limited. Writes are atomic
(a temporary file renamed over the target, which replaces a symlink instead of writing through it).
Every failure, including an OS error caused by a concurrent change (a race), is a
:class:`WorkspaceError` that names the path relative to the root, never the host path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import PurePosixPath
from secrets import token_hex
from typing import Any, Literal

from agentkit.tools import Tool, tool
from agentkit_tools._confined import ConfinedRoot, PathDenied, WorkspaceError
from agentkit_tools._file_search import SearchMatch, SearchState, search_open_file

__all__ = [
    "NAME_MAX_BYTES",
    "DirEntry",
    "FileContent",
    "Listing",
    "PathDenied",
    "SearchMatch",
    "SearchResult",
    "Workspace",
    "WorkspaceError",
    "WorkspaceLimits",
    "WriteResult",
    "workspace_tools",
]

EntryKind = Literal["file", "dir", "symlink", "other"]
Parts = tuple[str, ...]

NAME_MAX_BYTES = 255
"""Longest file or directory name, in bytes of its UTF-8 form (the Linux ``NAME_MAX``)."""


@dataclass(frozen=True)
class WorkspaceLimits:
    """Size limits of a :class:`Workspace`."""

    max_read_bytes: int = 256 * 1024
    max_write_bytes: int = 1024 * 1024
    max_list_entries: int = 1000
    max_search_results: int = 100
    max_search_file_bytes: int = 1024 * 1024
    """Search reads files up to this size whole; larger ones are skipped (and the result is incomplete)."""
    max_search_total_bytes: int = 32 * 1024 * 1024
    """Search stops after reading this much."""
    max_line_chars: int = 300


@dataclass(frozen=True)
class FileContent:
    """A file's text; ``truncated`` when only the first ``max_read_bytes`` were read."""

    path: str
    text: str
    size: int
    truncated: bool


@dataclass(frozen=True)
class WriteResult:
    """What a write did."""

    path: str
    bytes_written: int
    created: bool


@dataclass(frozen=True)
class DirEntry:
    """One listed entry; ``size`` is set for regular files."""

    path: str
    kind: EntryKind
    size: int | None = None


@dataclass(frozen=True)
class SearchResult:
    """Matches of a search.

    ``complete`` is true only when every text file matching the glob was searched whole and no limit
    cut the search short. ``skipped_files`` counts the files that were not searched whole (larger
    than ``max_search_file_bytes``, unreadable, or changed during the search), ``binary_files`` the
    files not searched because they are binary (a NUL byte in their first 64 KiB).
    """

    matches: list[SearchMatch] = field(default_factory=list)
    complete: bool = True
    skipped_files: int = 0
    binary_files: int = 0


class Workspace:
    """File operations confined to ``root``."""

    def __init__(self, root: str | os.PathLike[str], *, limits: WorkspaceLimits | None = None) -> None:
        self.root = ConfinedRoot(root)
        self.limits = limits or WorkspaceLimits()

    def read(self, path: str) -> FileContent:
        """Read a UTF-8 text file (invalid bytes are replaced)."""
        with _os_errors("read", path):
            parts = self._check(path)
            with self.root.open_file(parts, os.O_RDONLY | os.O_NONBLOCK) as fd:
                size = _regular_size(fd, self.root.display(parts))
                data = _read_up_to(fd, self.limits.max_read_bytes)
        if b"\x00" in data:
            shown = self.root.display(parts)
            raise WorkspaceError(f"{shown!r} is a binary file; only text files can be read.")
        text = data.decode("utf-8", errors="replace")
        return FileContent(self.root.display(parts), text, size, truncated=size > len(data))

    def write(self, path: str, content: str, *, create_dirs: bool = True) -> WriteResult:
        """Create or replace a text file atomically."""
        data = _encode(content)
        if len(data) > self.limits.max_write_bytes:
            raise WorkspaceError(
                f"Content is {len(data)} bytes; the write limit is {self.limits.max_write_bytes}. "
                "Write a smaller file or split it into several files."
            )
        with _os_errors("write", path):
            parts = self._check(path)
            if not parts:
                raise PathDenied("The workspace root is a directory, not a file. Give a file path.")
            if create_dirs:
                self._make_dirs(parts[:-1])
            with self.root.open_dir(parts[:-1]) as dir_fd:
                created = _replace_atomically(dir_fd, parts[-1], data, self.root.display(parts))
        return WriteResult(self.root.display(parts), len(data), created)

    def list_dir(self, path: str = ".", *, recursive: bool = False) -> tuple[list[DirEntry], bool]:
        """Entries under ``path`` (symlinks are listed, never followed); the flag says if complete.

        A subdirectory that vanishes or changes into a symlink during a recursive listing is left
        out and makes the listing incomplete.
        """
        entries: list[DirEntry] = []
        unreadable: list[Parts] = []
        with _os_errors("list", path):
            for _, entry in self._walk(self._check(path), recursive, unreadable):
                if len(entries) >= self.limits.max_list_entries:
                    return entries, False
                entries.append(entry)
        return entries, not unreadable

    def search(self, query: str, path: str = ".", *, glob: str = "*", case_sensitive: bool = False) -> SearchResult:
        """Lines containing ``query`` (a literal string, not a regex) in files matching ``glob``."""
        if not query:
            raise WorkspaceError("The search query is empty. Give the text to look for.")
        state = self._search_state(query, case_sensitive)
        unreadable: list[Parts] = []
        with _os_errors("search", path):
            for parts, entry in self._walk(self._check(path), True, unreadable):
                if entry.kind != "file" or not fnmatchcase(parts[-1], glob):
                    continue
                if state.admit(entry.size):
                    self._search_file(parts, state)
                if state.stopped:
                    break
        state.skipped += len(unreadable)
        complete = not state.stopped and not state.skipped
        return SearchResult(state.matches, complete, state.skipped, state.binary)

    def _search_state(self, query: str, case_sensitive: bool) -> SearchState:
        lim = self.limits
        return SearchState(
            needle=query if case_sensitive else query.lower(),
            case_sensitive=case_sensitive,
            max_results=lim.max_search_results,
            max_file_bytes=lim.max_search_file_bytes,
            max_line_chars=lim.max_line_chars,
            budget=lim.max_search_total_bytes,
        )

    def _search_file(self, parts: Parts, state: SearchState) -> None:
        """Search one file; one that vanished or changed since it was listed counts as skipped."""
        shown = self.root.display(parts)
        try:
            with self.root.open_file(parts, os.O_RDONLY | os.O_NONBLOCK) as fd:
                _regular_size(fd, shown)
                search_open_file(fd, shown, state)
        except (WorkspaceError, OSError):
            state.skipped += 1

    def _check(self, path: str) -> Parts:
        _check_names(path)
        try:
            return self.root.check(path)
        except OSError as exc:  # realpath lstat()ed a symlink that was replaced before readlink()
            if exc.errno not in _RESOLVE_RACES:
                raise
            shown = PurePosixPath(path).as_posix()
            raise WorkspaceError(
                f"Path {shown!r} changed while it was being resolved (a symlink on it was replaced "
                "meanwhile). Try again."
            ) from None

    def _make_dirs(self, parts: Parts) -> None:
        for depth in range(1, len(parts) + 1):
            with self.root.open_dir(parts[: depth - 1]) as dir_fd, contextlib.suppress(FileExistsError):
                os.mkdir(parts[depth - 1], 0o755, dir_fd=dir_fd)

    def _walk(self, parts: Parts, recursive: bool, unreadable: list[Parts]) -> Iterator[tuple[Parts, DirEntry]]:
        """Entries below ``parts``, breadth first; subdirectories that can't be opened go to ``unreadable``."""
        pending: deque[Parts] = deque([parts])
        while pending:
            current = pending.popleft()
            # The directory asked for must open; below it, one that changed meanwhile is skipped.
            children = self._children(current, unreadable if current != parts else None)
            for name, kind, size in children:
                child = (*current, name)
                yield child, DirEntry(self.root.display(child), kind, size)
                if recursive and kind == "dir":
                    pending.append(child)

    def _children(self, parts: Parts, unreadable: list[Parts] | None) -> list[tuple[str, EntryKind, int | None]]:
        try:
            with self.root.open_dir(parts) as dir_fd:
                return sorted(_scan(dir_fd), key=lambda item: item[0])
        except (WorkspaceError, OSError):
            if unreadable is None:
                raise
            unreadable.append(parts)
            return []


@contextlib.contextmanager
def _os_errors(action: str, path: str) -> Iterator[None]:
    """Turn an :class:`OSError` (it may carry the host path) into a :class:`WorkspaceError` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise _explain_os_error(exc, action, path) from None


_RESOLVE_RACES = frozenset({errno.ENOENT, errno.EINVAL, errno.ENOTDIR})

_OS_ADVICE: dict[int, str] = {
    errno.ENOENT: "it (or a directory on its path) does not exist or was removed meanwhile. "
    "List the directory to see what is there.",
    errno.ENOTDIR: "a part of the path is not a directory (or was replaced meanwhile). "
    "List the directory to see what is there.",
    errno.EISDIR: "it is a directory. Give a file path, or list the directory.",
    errno.EACCES: "permission denied. Use a path the agent may access.",
    errno.EPERM: "operation not permitted. Use a path the agent may access.",
    errno.ENOSPC: "the disk is full. Free space or write less.",
    errno.EDQUOT: "the disk quota is used up. Free space or write less.",
    errno.EROFS: "the workspace is on a read-only file system.",
    errno.ENAMETOOLONG: f"a name is too long for the file system. Use names of at most {NAME_MAX_BYTES} bytes.",
    errno.EMFILE: "too many files are open. Try again later.",
}


def _explain_os_error(exc: OSError, action: str, path: str) -> WorkspaceError:
    shown = PurePosixPath(path).as_posix()
    if exc.errno == errno.ELOOP:
        return PathDenied(f"Path {shown!r} changed into a symlink while it was being used; refused. Try again.")
    advice = _OS_ADVICE.get(exc.errno or 0)
    if advice is None:
        advice = f"{exc.strerror or type(exc).__name__}. Try again, or use another path."
    return WorkspaceError(f"Can't {action} {shown!r}: {advice}")


def _encode(content: str) -> bytes:
    try:
        return content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise WorkspaceError(
            f"The content has a character that is not valid Unicode text (a lone UTF-16 surrogate at "
            f"position {exc.start}). Remove it and write the file again."
        ) from None


def _check_names(path: str) -> None:
    """Refuse names the file system can't hold, with a message that says why."""
    for name in PurePosixPath(path).parts:
        try:
            size = len(os.fsencode(name))
        except UnicodeEncodeError:
            raise WorkspaceError(
                f"Path {path!r} contains a character that can't be used in a file name (a lone UTF-16 "
                "surrogate). Use plain Unicode text."
            ) from None
        if size > NAME_MAX_BYTES:
            raise WorkspaceError(
                f"The name {name[:40] + '...'!r} is {size} bytes long in UTF-8; file and directory names "
                f"can be at most {NAME_MAX_BYTES} bytes. Use a shorter name."
            )


def _scan(dir_fd: int) -> list[tuple[str, EntryKind, int | None]]:
    found: list[tuple[str, EntryKind, int | None]] = []
    with os.scandir(dir_fd) as it:
        for entry in it:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed since the directory was read: it is no longer there
            size = info.st_size if stat.S_ISREG(info.st_mode) else None
            found.append((entry.name, _kind(info.st_mode), size))
    return found


def _kind(mode: int) -> EntryKind:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"


def _regular_size(fd: int, shown: str) -> int:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise WorkspaceError(f"{shown!r} is not a regular file (a directory, FIFO or device); can't read it.")
    return info.st_size


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _replace_atomically(dir_fd: int, name: str, data: bytes, shown: str) -> bool:
    """Write ``data`` to a short-named temporary file, then rename it over ``name``.

    The temporary name has a fixed length (24 bytes) so any name the file system accepts can be written.
    """
    created = not _exists(dir_fd, name, shown)
    temp = f".ak-{token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o644, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb", closefd=True) as handle:
            handle.write(data)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    return created


def _exists(dir_fd: int, name: str, shown: str) -> bool:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        raise WorkspaceError(f"{shown!r} is a directory; it can't be overwritten with a file.")
    return True


@dataclass(frozen=True)
class Listing:
    """A directory listing; ``complete`` is false when ``max_list_entries`` cut it short."""

    entries: list[DirEntry]
    complete: bool


def workspace_tools(
    root: str | os.PathLike[str], *, limits: WorkspaceLimits | None = None, read_only: bool = False
) -> list[Tool[Any]]:
    """``read_file``, ``list_files``, ``search_files`` and (unless ``read_only``) ``write_file``."""
    ws = Workspace(root, limits=limits)

    @tool(side_effect="pure")
    def read_file(path: str) -> FileContent:
        """Read a text file of the workspace. Long files are cut (``truncated`` is true).

        Args:
            path: Path relative to the workspace root, e.g. "src/app.py".
        """
        return ws.read(path)

    @tool(side_effect="pure")
    def list_files(path: str = ".", recursive: bool = False) -> Listing:
        """List the files and directories in a workspace directory.

        Args:
            path: Directory relative to the workspace root; "." is the root.
            recursive: Also list everything below it.
        """
        return Listing(*ws.list_dir(path, recursive=recursive))

    @tool(side_effect="pure")
    def search_files(query: str, path: str = ".", glob: str = "*", case_sensitive: bool = False) -> SearchResult:
        """Find lines containing a text (a literal string, not a regex) in workspace files.

        Args:
            query: The text to look for.
            path: Directory to search in, relative to the workspace root.
            glob: Only files whose name matches this pattern, e.g. "*.py".
            case_sensitive: Match upper/lower case exactly.
        """
        return ws.search(query, path, glob=glob, case_sensitive=case_sensitive)

    @tool(side_effect="mutating")
    def write_file(path: str, content: str) -> WriteResult:
        """Create or overwrite a text file in the workspace (parent directories are created).

        Args:
            path: Path relative to the workspace root, e.g. "notes/todo.md".
            content: The complete new content of the file.
        """
        return ws.write(path, content)

    reads = [read_file, list_files, search_files]
    return reads if read_only else [*reads, write_file]
