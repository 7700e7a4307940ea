"""Files confined to one root directory: read, write, list and search.

Every path a model gives is relative to the root. ``..``, absolute paths and symlinks whose target
is outside the root are refused (see :mod:`agentkit_tools._confined`); special files (FIFOs,
devices) are never read. Reads, writes, listings and searches are size-limited. Writes are atomic
(a temporary file renamed over the target, which replaces a symlink instead of writing through it).
"""

from __future__ import annotations

import contextlib
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
from agentkit_tools._confined import ConfinedRoot, PathDenied
from agentkit_tools._errors import ToolPackError

__all__ = [
    "DirEntry",
    "FileContent",
    "Listing",
    "PathDenied",
    "SearchMatch",
    "SearchResult",
    "Workspace",
    "WorkspaceLimits",
    "WriteResult",
    "workspace_tools",
]

EntryKind = Literal["file", "dir", "symlink", "other"]


@dataclass(frozen=True)
class WorkspaceLimits:
    """Size limits of a :class:`Workspace`."""

    max_read_bytes: int = 256 * 1024
    max_write_bytes: int = 1024 * 1024
    max_list_entries: int = 1000
    max_search_results: int = 100
    max_search_file_bytes: int = 1024 * 1024
    """Files larger than this are skipped by search."""
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
class SearchMatch:
    """A line that contains the query."""

    path: str
    line: int
    text: str


@dataclass(frozen=True)
class SearchResult:
    """Matches of a search; ``complete`` is false when a limit cut it short."""

    matches: list[SearchMatch] = field(default_factory=list)
    complete: bool = True
    skipped_files: int = 0


class Workspace:
    """File operations confined to ``root``."""

    def __init__(self, root: str | os.PathLike[str], *, limits: WorkspaceLimits | None = None) -> None:
        self.root = ConfinedRoot(root)
        self.limits = limits or WorkspaceLimits()

    def read(self, path: str) -> FileContent:
        """Read a UTF-8 text file (invalid bytes are replaced)."""
        parts = self.root.check(path)
        with self.root.open_file(parts, os.O_RDONLY | os.O_NONBLOCK) as fd:
            size = _regular_size(fd, self.root.display(parts))
            data = _read_up_to(fd, self.limits.max_read_bytes)
        if b"\x00" in data:
            shown = self.root.display(parts)
            raise ToolPackError(f"{shown!r} is a binary file; only text files can be read.")
        text = data.decode("utf-8", errors="replace")
        return FileContent(self.root.display(parts), text, size, truncated=size > len(data))

    def write(self, path: str, content: str, *, create_dirs: bool = True) -> WriteResult:
        """Create or replace a text file atomically."""
        data = content.encode("utf-8")
        if len(data) > self.limits.max_write_bytes:
            raise ToolPackError(
                f"Content is {len(data)} bytes; the write limit is {self.limits.max_write_bytes}. "
                "Write a smaller file or split it into several files."
            )
        parts = self.root.check(path)
        if not parts:
            raise PathDenied("The workspace root is a directory, not a file. Give a file path.")
        if create_dirs:
            self._make_dirs(parts[:-1])
        with self.root.open_dir(parts[:-1]) as dir_fd:
            created = _replace_atomically(dir_fd, parts[-1], data)
        return WriteResult(self.root.display(parts), len(data), created)

    def list_dir(self, path: str = ".", *, recursive: bool = False) -> tuple[list[DirEntry], bool]:
        """Entries under ``path`` (symlinks are listed, never followed); the flag says if complete."""
        parts = self.root.check(path)
        entries: list[DirEntry] = []
        for entry in self._walk(parts, recursive):
            if len(entries) >= self.limits.max_list_entries:
                return entries, False
            entries.append(entry)
        return entries, True

    def search(self, query: str, path: str = ".", *, glob: str = "*", case_sensitive: bool = False) -> SearchResult:
        """Lines containing ``query`` (a literal string, not a regex) in files matching ``glob``."""
        if not query:
            raise ToolPackError("The search query is empty. Give the text to look for.")
        state = _SearchState(query if case_sensitive else query.lower(), case_sensitive, self.limits)
        for entry in self._walk(self.root.check(path), recursive=True):
            if entry.kind != "file" or not fnmatchcase(PurePosixPath(entry.path).name, glob):
                continue
            if state.admit(entry.size):
                self._search_file(entry.path, state)
            if state.stopped:
                break
        return SearchResult(state.matches, complete=not state.stopped, skipped_files=state.skipped)

    def _search_file(self, path: str, state: _SearchState) -> None:
        try:
            content = self.read(path)
        except ToolPackError:
            state.skipped += 1
            return
        for number, line in enumerate(content.text.splitlines(), start=1):
            if state.matches_line(line) and not state.add(SearchMatch(path, number, line)):
                return

    def _make_dirs(self, parts: tuple[str, ...]) -> None:
        for depth in range(1, len(parts) + 1):
            with self.root.open_dir(parts[: depth - 1]) as dir_fd, contextlib.suppress(FileExistsError):
                os.mkdir(parts[depth - 1], 0o755, dir_fd=dir_fd)

    def _walk(self, parts: tuple[str, ...], recursive: bool) -> Iterator[DirEntry]:
        pending: deque[tuple[str, ...]] = deque([parts])
        while pending:
            current = pending.popleft()
            with self.root.open_dir(current) as dir_fd:
                children = sorted(_scan(dir_fd), key=lambda item: item[0])
            for name, kind, size in children:
                child = (*current, name)
                yield DirEntry(self.root.display(child), kind, size)
                if recursive and kind == "dir":
                    pending.append(child)


class _SearchState:
    def __init__(self, needle: str, case_sensitive: bool, limits: WorkspaceLimits) -> None:
        self.needle = needle
        self.case_sensitive = case_sensitive
        self.limits = limits
        self.budget = limits.max_search_total_bytes
        self.matches: list[SearchMatch] = []
        self.skipped = 0
        self.stopped = False

    def admit(self, size: int | None) -> bool:
        """Whether to read a file of ``size`` bytes; too large ones are skipped, the budget stops."""
        if size is None or size > self.limits.max_search_file_bytes:
            self.skipped += 1
            return False
        if size > self.budget:
            self.stopped = True
            return False
        self.budget -= size
        return True

    def matches_line(self, line: str) -> bool:
        return self.needle in (line if self.case_sensitive else line.lower())

    def add(self, match: SearchMatch) -> bool:
        if len(self.matches) >= self.limits.max_search_results:
            self.stopped = True
            return False
        text = match.text[: self.limits.max_line_chars]
        self.matches.append(SearchMatch(match.path, match.line, text))
        return True


def _scan(dir_fd: int) -> list[tuple[str, EntryKind, int | None]]:
    found: list[tuple[str, EntryKind, int | None]] = []
    with os.scandir(dir_fd) as it:
        for entry in it:
            info = entry.stat(follow_symlinks=False)
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
        raise ToolPackError(f"{shown!r} is not a regular file (a directory, FIFO or device); can't read it.")
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


def _replace_atomically(dir_fd: int, name: str, data: bytes) -> bool:
    created = not _exists(dir_fd, name)
    temp = f".{name}.{token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o644, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb", closefd=True) as handle:
            handle.write(data)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        os.unlink(temp, dir_fd=dir_fd)
        raise
    return created


def _exists(dir_fd: int, name: str) -> bool:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        raise ToolPackError(f"{name!r} is a directory; it can't be overwritten with a file.")
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
