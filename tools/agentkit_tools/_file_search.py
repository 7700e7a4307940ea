"""Literal text search over one open file, streamed in chunks so memory stays bounded.

A file is read whole, :data:`CHUNK_BYTES` at a time, up to the per-file limit; lines are rebuilt
across chunk boundaries (and UTF-8 characters split between chunks are decoded correctly), so a
match is found wherever it lies in the file. A file that holds a NUL byte in its first chunk is
binary and is not searched; a file that grows past the limit while it is read is only partly
searched and counted as skipped.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["CHUNK_BYTES", "SearchMatch", "SearchState", "search_open_file"]

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class SearchMatch:
    """A line that contains the query."""

    path: str
    line: int
    text: str


@dataclass
class SearchState:
    """What one search has found so far, and the limits it must respect."""

    needle: str
    case_sensitive: bool
    max_results: int
    max_file_bytes: int
    max_line_chars: int
    budget: int
    """Bytes the search may still read."""
    matches: list[SearchMatch] = field(default_factory=list)
    skipped: int = 0
    binary: int = 0
    stopped: bool = False

    def admit(self, size: int | None) -> bool:
        """Whether to read a file of ``size`` bytes; too large ones are skipped, the budget stops."""
        if size is None or size > self.max_file_bytes:
            self.skipped += 1
            return False
        if size > self.budget:
            self.stopped = True
            return False
        self.budget -= size
        return True

    def add(self, path: str, number: int, line: str) -> bool:
        """Record ``line`` if it matches; false once the result limit stops the search."""
        if self.needle not in (line if self.case_sensitive else line.lower()):
            return True
        if len(self.matches) >= self.max_results:
            self.stopped = True
            return False
        self.matches.append(SearchMatch(path, number, line[: self.max_line_chars]))
        return True


class _Lines:
    """Splits a stream of UTF-8 chunks into numbered lines (``\\n`` or ``\\r\\n`` endings)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._number = 0

    def feed(self, data: bytes, *, final: bool = False) -> Iterator[tuple[int, str]]:
        lines = (self._pending + self._decoder.decode(data, final)).split("\n")
        self._pending = lines.pop()
        if final and self._pending:
            lines.append(self._pending)
        for line in lines:
            self._number += 1
            yield self._number, line.removesuffix("\r")


def search_open_file(fd: int, path: str, state: SearchState) -> None:
    """Search the regular file open on ``fd`` from its start to its end (or the per-file limit)."""
    lines = _Lines()
    total = 0
    while True:
        chunk = os.read(fd, CHUNK_BYTES)
        if total == 0 and b"\x00" in chunk:
            state.binary += 1
            return
        total += len(chunk)
        if total > state.max_file_bytes:
            state.skipped += 1
            return
        for number, line in lines.feed(chunk, final=not chunk):
            if not state.add(path, number, line):
                return
        if not chunk:
            return
