"""Workspace files stay inside the root whatever path a model sends."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit_tools import workspace
from agentkit_tools._errors import ToolPackError
from agentkit_tools._file_search import CHUNK_BYTES
from agentkit_tools.workspace import (
    PathDenied,
    SearchMatch,
    SearchResult,
    Workspace,
    WorkspaceError,
    WorkspaceLimits,
    workspace_tools,
)


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace root next to a directory it must never reach."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "docs").mkdir(parents=True)
    outside.mkdir()
    (root / "docs" / "a.txt").write_text("hello world\nsecond Line\n")
    (outside / "secret.txt").write_text("TOP SECRET\n")
    return root, outside


@pytest.fixture
def ws(layout: tuple[Path, Path]) -> Workspace:
    return Workspace(layout[0])


TRAVERSALS = [
    "../outside/secret.txt",
    "docs/../../outside/secret.txt",
    "a/../../outside/secret.txt",
    "./../outside/secret.txt",
    "docs/../..",
    "..",
    "/etc/passwd",
    "//etc/passwd",
    "~/x",
    "\\etc\\passwd",
    "docs/a.txt\x00",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_rejected_on_read(ws: Workspace, path: str) -> None:
    with pytest.raises(PathDenied):
        ws.read(path)


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_rejected_on_write(ws: Workspace, layout: tuple[Path, Path], path: str) -> None:
    with pytest.raises(PathDenied):
        ws.write(path, "pwned")
    assert (layout[1] / "secret.txt").read_text() == "TOP SECRET\n"


def test_url_encoding_is_not_decoded(ws: Workspace, layout: tuple[Path, Path]) -> None:
    result = ws.write("..%2Foutside%2Fsecret.txt", "literal name")
    assert result.path == "..%2Foutside%2Fsecret.txt"
    assert (layout[0] / "..%2Foutside%2Fsecret.txt").read_text() == "literal name"
    assert (layout[1] / "secret.txt").read_text() == "TOP SECRET\n"


def test_symlinked_directory_escape(ws: Workspace, layout: tuple[Path, Path]) -> None:
    root, outside = layout
    (root / "link").symlink_to(outside)
    with pytest.raises(PathDenied, match="outside the workspace"):
        ws.read("link/secret.txt")
    with pytest.raises(PathDenied):
        ws.write("link/new.txt", "x")
    with pytest.raises(PathDenied):
        ws.list_dir("link")
    with pytest.raises(PathDenied):
        ws.search("SECRET", "link")
    assert not (outside / "new.txt").exists()


def test_symlink_to_file_outside(ws: Workspace, layout: tuple[Path, Path]) -> None:
    root, outside = layout
    (root / "innocent.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(PathDenied):
        ws.read("innocent.txt")
    with pytest.raises(PathDenied):
        ws.write("innocent.txt", "overwrite")
    assert (outside / "secret.txt").read_text() == "TOP SECRET\n"


def test_dangling_symlink_to_outside_cannot_create(ws: Workspace, layout: tuple[Path, Path]) -> None:
    root, outside = layout
    (root / "trap.txt").symlink_to(outside / "created-by-attacker.txt")
    with pytest.raises(PathDenied):
        ws.write("trap.txt", "x")
    assert not (outside / "created-by-attacker.txt").exists()


def test_absolute_symlink_chain_escape(ws: Workspace, layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "hop1").symlink_to(root / "hop2")
    (root / "hop2").symlink_to("/etc")
    with pytest.raises(PathDenied):
        ws.read("hop1/hostname")


def test_symlink_inside_root_is_allowed(ws: Workspace, layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "alias").symlink_to(root / "docs")
    assert ws.read("alias/a.txt").text.startswith("hello")


def test_root_given_as_symlink(layout: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = layout
    (tmp_path / "rootlink").symlink_to(root)
    assert Workspace(tmp_path / "rootlink").read("docs/a.txt").size == 24


def test_symlink_swapped_in_after_check_is_refused(ws: Workspace, layout: tuple[Path, Path]) -> None:
    """The race: the path is checked, then a directory is replaced by a symlink before opening."""
    root, outside = layout
    parts = ws.root.check("docs/a.txt")
    (root / "docs").rename(root / "docs-moved")
    (root / "docs").symlink_to(outside)
    (outside / "a.txt").write_text("outside")
    with pytest.raises(PathDenied, match="symlink"), ws.root.open_file(parts, os.O_RDONLY):
        pass


def test_read_write_list_search(ws: Workspace) -> None:
    assert ws.write("new/deep/file.txt", "one\nNeedle two\n").created
    assert not ws.write("new/deep/file.txt", "one\nneedle two\n").created
    assert ws.read("new/deep/file.txt").text == "one\nneedle two\n"
    entries, complete = ws.list_dir(".", recursive=True)
    assert complete
    assert [(e.path, e.kind) for e in entries] == [
        ("docs", "dir"),
        ("new", "dir"),
        ("docs/a.txt", "file"),
        ("new/deep", "dir"),
        ("new/deep/file.txt", "file"),
    ]
    found = ws.search("NEEDLE")
    assert [(m.path, m.line, m.text) for m in found.matches] == [("new/deep/file.txt", 2, "needle two")]
    assert ws.search("NEEDLE", case_sensitive=True).matches == []
    assert ws.search("hello", glob="*.md").matches == []


def test_write_does_not_leave_temp_files(ws: Workspace, layout: tuple[Path, Path]) -> None:
    ws.write("docs/a.txt", "replaced")
    assert sorted(p.name for p in (layout[0] / "docs").iterdir()) == ["a.txt"]


def test_symlinks_are_listed_not_followed(ws: Workspace, layout: tuple[Path, Path]) -> None:
    root, outside = layout
    (root / "link").symlink_to(outside)
    entries, _ = ws.list_dir(".", recursive=True)
    assert ("link", "symlink") in [(e.path, e.kind) for e in entries]
    assert not any("secret" in e.path for e in entries)
    assert ws.search("SECRET").matches == []


def test_read_limit_truncates(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "big.txt").write_text("x" * 5000)
    content = Workspace(root, limits=WorkspaceLimits(max_read_bytes=1000)).read("big.txt")
    assert content.truncated
    assert content.size == 5000
    assert len(content.text) == 1000


def test_write_limit(layout: tuple[Path, Path]) -> None:
    ws = Workspace(layout[0], limits=WorkspaceLimits(max_write_bytes=10))
    with pytest.raises(ToolPackError, match="write limit is 10"):
        ws.write("f.txt", "x" * 11)


def test_list_limit(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    for i in range(20):
        (root / f"f{i:02}.txt").write_text("")
    entries, complete = Workspace(root, limits=WorkspaceLimits(max_list_entries=5)).list_dir()
    assert len(entries) == 5
    assert not complete


def test_search_limits(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    (root / "many.txt").write_text("hit\n" * 50)
    (root / "huge.txt").write_text("hit\n" * 1000)
    limits = WorkspaceLimits(max_search_results=10, max_search_file_bytes=1000)
    result = Workspace(root, limits=limits).search("hit")
    assert len(result.matches) == 10
    assert not result.complete
    assert all(m.path == "many.txt" for m in result.matches)


def test_special_and_binary_files_are_not_read(ws: Workspace, layout: tuple[Path, Path]) -> None:
    root, _ = layout
    os.mkfifo(root / "pipe")
    with pytest.raises(ToolPackError, match="not a regular file"):
        ws.read("pipe")
    (root / "bin.dat").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ToolPackError, match="binary"):
        ws.read("bin.dat")
    with pytest.raises(ToolPackError, match="not a regular file"):
        ws.read("docs")
    with pytest.raises(ToolPackError, match="does not exist"):
        ws.read("missing.txt")


def test_cannot_overwrite_directory(ws: Workspace) -> None:
    with pytest.raises(ToolPackError, match="is a directory"):
        ws.write("docs", "x")
    with pytest.raises(PathDenied, match="not a file"):
        ws.write(".", "x")


def test_root_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an existing directory"):
        Workspace(tmp_path / "nope")


# --- search reads every admitted file whole (issue 12) -------------------------------------------------


def test_search_finds_a_match_after_256_kib_in_a_900_kib_file(tmp_path: Path) -> None:
    line = b"y" * 99 + b"\n"  # 100 bytes a line
    before = 3000  # 300,000 bytes: past the 256 KiB read limit of read_file
    (tmp_path / "big.txt").write_bytes(line * before + b"the NEEDLE is here\n" + line * 6000)
    assert (tmp_path / "big.txt").stat().st_size > 900_000
    result = Workspace(tmp_path).search("needle")
    assert result == SearchResult([SearchMatch("big.txt", before + 1, "the NEEDLE is here")], complete=True)


def test_search_finds_a_match_at_the_last_byte_of_a_file_at_the_limit(tmp_path: Path) -> None:
    limit = WorkspaceLimits().max_search_file_bytes
    (tmp_path / "edge.txt").write_bytes(b"\n" * (limit - 6) + b"needle")
    result = Workspace(tmp_path).search("needle")
    assert result == SearchResult([SearchMatch("edge.txt", limit - 5, "needle")], complete=True)


@pytest.mark.parametrize("offset", [-5, -3, -1, 0])
def test_search_finds_a_match_across_a_chunk_boundary(tmp_path: Path, offset: int) -> None:
    """The needle (with 2-byte UTF-8 characters) starts a few bytes before the first chunk ends."""
    filler = b"a" * (CHUNK_BYTES + offset - 12) + b"\n"
    data = filler + b"0123456789 " + "Crème brûlée end".encode() + b"\r\nlast\n"
    assert data.index("Crème".encode()) == CHUNK_BYTES + offset
    (tmp_path / "f.txt").write_bytes(data)
    result = Workspace(tmp_path).search("CRÈME BRÛLÉE")
    assert result == SearchResult([SearchMatch("f.txt", 2, "0123456789 Crème brûlée end")], complete=True)
    assert Workspace(tmp_path).search("last").matches == [SearchMatch("f.txt", 3, "last")]


def test_search_streams_in_bounded_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big.txt").write_bytes((b"z" * 99 + b"\n") * 9000)
    requested: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        requested.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", counting_read)
    assert Workspace(tmp_path).search("nothing").complete
    assert max(requested) == CHUNK_BYTES
    assert len(requested) == 900_000 // CHUNK_BYTES + 2  # the full chunks, the rest, then EOF


def test_search_reports_a_file_over_the_limit_as_skipped(tmp_path: Path) -> None:
    (tmp_path / "huge.txt").write_text("needle\n" * 200)  # 1400 bytes
    (tmp_path / "small.txt").write_text("needle\n")
    result = Workspace(tmp_path, limits=WorkspaceLimits(max_search_file_bytes=1000)).search("needle")
    assert result == SearchResult([SearchMatch("small.txt", 1, "needle")], complete=False, skipped_files=1)


def test_search_file_growing_past_the_limit_while_read_is_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "log.txt").write_text("needle\n")
    real_scan = workspace._scan

    def scan_then_grow(dir_fd: int) -> list[tuple[str, workspace.EntryKind, int | None]]:
        found = real_scan(dir_fd)  # sees 7 bytes: admitted
        (tmp_path / "log.txt").write_text("needle\n" * 1000)
        return found

    monkeypatch.setattr(workspace, "_scan", scan_then_grow)
    result = Workspace(tmp_path, limits=WorkspaceLimits(max_search_file_bytes=1000)).search("needle")
    assert result.complete is False
    assert result.skipped_files == 1


def test_search_counts_binary_files_apart(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"needle\x00\x01")
    (tmp_path / "late-nul.txt").write_bytes(b"x" * CHUNK_BYTES + b"\nneedle\x00\n")  # NUL after the first chunk
    result = Workspace(tmp_path).search("needle")
    assert result == SearchResult([SearchMatch("late-nul.txt", 2, "needle\x00")], complete=True, binary_files=1)


def test_search_tool_result_shows_completeness(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("needle\n")
    search_files = {t.name: t for t in workspace_tools(tmp_path)}["search_files"]
    assert search_files.function("needle") == SearchResult([SearchMatch("a.txt", 1, "needle")], complete=True)


# --- long names (issue 12) ---------------------------------------------------------------------------


def name_of(size: int, char: str) -> str:
    """A file name of exactly ``size`` UTF-8 bytes built from ``char`` and ASCII padding."""
    width = len(char.encode())
    count = (size - 4) // width
    name = char * count + "a" * (size - 4 - count * width) + ".txt"
    assert len(name.encode()) == size
    return name


@pytest.mark.parametrize("size", [236, 250, 255])
@pytest.mark.parametrize("char", ["a", "é", "日", "😀"])
def test_long_names_up_to_255_bytes_can_be_written(tmp_path: Path, size: int, char: str) -> None:
    ws = Workspace(tmp_path)
    name = name_of(size, char)
    directory = name_of(size, char).removesuffix(".txt") + ".dir"
    path = f"{directory}/{name}"
    assert ws.write(path, "v1").created
    assert not ws.write(path, "v2").created  # a replace goes through the temporary file too
    assert ws.read(path).text == "v2"
    assert [e.path for e in ws.list_dir(directory)[0]] == [path]
    assert os.listdir(tmp_path / directory) == [name]  # no temporary file left


LONG_NAME_ERROR = (
    "The name {shown!r} is {size} bytes long in UTF-8; file and directory names can be at most 255 bytes. "
    "Use a shorter name."
)


@pytest.mark.parametrize(("size", "char"), [(256, "a"), (257, "日"), (300, "😀"), (4000, "a")])
def test_names_over_255_bytes_get_a_clear_error(tmp_path: Path, size: int, char: str) -> None:
    ws = Workspace(tmp_path)
    name = name_of(size, char)
    expected = LONG_NAME_ERROR.format(shown=name[:40] + "...", size=size)
    for attempt in (
        lambda: ws.write(f"dir/{name}", "x"),
        lambda: ws.write(f"{name}/f.txt", "x"),
        lambda: ws.read(name),
    ):
        with pytest.raises(WorkspaceError) as info:
            attempt()
        assert str(info.value) == expected
    assert os.listdir(tmp_path) == []


def test_lone_surrogates_get_a_clear_error(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(WorkspaceError) as info:
        ws.write("a\ud800.txt", "x")
    assert str(info.value) == (
        "Path 'a\\ud800.txt' contains a character that can't be used in a file name (a lone UTF-16 surrogate). "
        "Use plain Unicode text."
    )
    with pytest.raises(WorkspaceError) as info:
        ws.write("a.txt", "ok \ud800")
    assert str(info.value) == (
        "The content has a character that is not valid Unicode text (a lone UTF-16 surrogate at position 3). "
        "Remove it and write the file again."
    )
    assert os.listdir(tmp_path) == []


# --- OS errors and races become workspace-relative WorkspaceErrors (issue 12) -----------------------------


def oserror(code: int, filename: str | os.PathLike[str]) -> OSError:
    """An OSError like the OS raises it: its text carries the host path."""
    return OSError(code, os.strerror(code), str(filename))


def test_file_removed_between_check_and_open(
    ws: Workspace, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = layout
    real_check = ws.root.check

    def check_then_remove(path: str) -> tuple[str, ...]:
        parts = real_check(path)
        (root / "docs" / "a.txt").unlink()
        return parts

    monkeypatch.setattr(ws.root, "check", check_then_remove)
    with pytest.raises(WorkspaceError) as info:
        ws.read("docs/a.txt")
    assert str(info.value) == "'docs/a.txt' does not exist. List the directory to see what is there."


def test_directory_removed_between_check_and_list(
    ws: Workspace, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = layout
    real_check = ws.root.check

    def check_then_remove(path: str) -> tuple[str, ...]:
        parts = real_check(path)
        (root / "docs" / "a.txt").unlink()
        (root / "docs").rmdir()
        return parts

    monkeypatch.setattr(ws.root, "check", check_then_remove)
    with pytest.raises(WorkspaceError) as info:
        ws.list_dir("docs")
    assert str(info.value) == "'docs' does not exist. List the directory to see what is there."


@pytest.mark.parametrize("code", [errno.ENOENT, errno.EINVAL, errno.ENOTDIR])
def test_realpath_race_is_relative(
    ws: Workspace, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """``realpath`` lstat()s a symlink, then readlink()s it: if the link is replaced between, it raises."""
    root, _ = layout

    def replaced(path: str) -> str:
        raise oserror(code, root / "docs")

    monkeypatch.setattr(os.path, "realpath", replaced)
    for attempt in (lambda: ws.read("docs/a.txt"), lambda: ws.write("docs/a.txt", "x")):
        with pytest.raises(WorkspaceError) as info:
            attempt()
        assert str(info.value) == (
            "Path 'docs/a.txt' changed while it was being resolved (a symlink on it was replaced meanwhile). Try again."
        )


def test_other_realpath_errors_are_relative(
    ws: Workspace, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = layout

    def denied(path: str) -> str:
        raise oserror(errno.EACCES, root / "docs")

    monkeypatch.setattr(os.path, "realpath", denied)
    with pytest.raises(WorkspaceError) as info:
        ws.list_dir("docs/")
    assert str(info.value) == "Can't list 'docs': permission denied. Use a path the agent may access."


OS_FAULTS = [
    # (function patched, errno, operation, expected message)
    ("replace", errno.ENOSPC, "write", "Can't write 'docs/a.txt': the disk is full. Free space or write less."),
    (
        "replace",
        errno.EISDIR,
        "write",
        "Can't write 'docs/a.txt': it is a directory. Give a file path, or list the directory.",
    ),
    ("fstat", errno.EIO, "read", "Can't read 'docs/a.txt': Input/output error. Try again, or use another path."),
    ("read", errno.EIO, "read", "Can't read 'docs/a.txt': Input/output error. Try again, or use another path."),
    (
        "mkdir",
        errno.EACCES,
        "write-new-dir",
        "Can't write 'docs/new/b.txt': permission denied. Use a path the agent may access.",
    ),
    ("scandir", errno.EMFILE, "list", "Can't list 'docs': too many files are open. Try again later."),
    ("stat", errno.EROFS, "write", "Can't write 'docs/a.txt': the workspace is on a read-only file system."),
    (
        "open",
        errno.ELOOP,
        "write",
        "Path 'docs/a.txt' changed into a symlink while it was being used; refused. Try again.",
    ),
]


def run_operation(ws: Workspace, operation: str) -> object:
    if operation == "write":
        return ws.write("docs/a.txt", "new")
    if operation == "write-new-dir":
        return ws.write("docs/new/b.txt", "new")
    if operation == "read":
        return ws.read("docs/a.txt")
    return ws.list_dir("docs")


@pytest.mark.parametrize(("function", "code", "operation", "expected"), OS_FAULTS)
def test_os_errors_name_the_workspace_path(
    ws: Workspace,
    layout: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    function: str,
    code: int,
    operation: str,
    expected: str,
) -> None:
    root, _ = layout
    real = getattr(os, function)
    state = {"calls": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        name = args[0] if args and isinstance(args[0], str) else "x"
        if function == "open" and name.startswith("."):  # the write's temporary file
            raise oserror(code, root / "docs" / name)
        if function != "open":
            state["calls"] += 1
            raise oserror(code, root / "docs" / str(name))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, function, failing)
    with pytest.raises(WorkspaceError) as info:
        run_operation(ws, operation)
    assert str(info.value) == expected
    assert str(root) not in str(info.value)
    monkeypatch.undo()
    assert sorted(os.listdir(root / "docs")) == ["a.txt"]  # no temporary file left behind
    assert (root / "docs" / "a.txt").read_text() == "hello world\nsecond Line\n"


def test_entry_removed_while_listing_is_left_out(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    real_scandir = os.scandir

    class Vanishing:
        def __init__(self, entry: os.DirEntry[str]) -> None:
            self.name = entry.name
            self._entry = entry

        def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
            if self.name == "a.txt":
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/host/abs/a.txt")
            return self._entry.stat(follow_symlinks=follow_symlinks)

    @contextlib.contextmanager
    def scandir(fd: int) -> Iterator[list[Vanishing]]:
        with real_scandir(fd) as it:
            yield [Vanishing(e) for e in it]

    monkeypatch.setattr(os, "scandir", scandir)
    assert ws.list_dir("docs") == ([], True)
    assert ws.search("hello") == SearchResult([], complete=True)


def test_search_skips_what_changes_under_it(
    ws: Workspace, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory swapped for a symlink, and a file removed, after they were listed: skipped, incomplete."""
    root, outside = layout
    ws.write("gone/b.txt", "hello again\n")
    real_scan = workspace._scan

    def scan_then_swap(dir_fd: int) -> list[tuple[str, workspace.EntryKind, int | None]]:
        found = real_scan(dir_fd)
        names = [name for name, _, _ in found]
        if "docs" in names:  # the root was listed: swap docs before it is entered
            (root / "docs").rename(root / "docs-moved")
            (root / "docs").symlink_to(outside)
        if "b.txt" in names:  # gone/ was listed: remove the file before it is read
            (root / "gone" / "b.txt").unlink()
        return found

    monkeypatch.setattr(workspace, "_scan", scan_then_swap)
    result = ws.search("hello")
    assert result == SearchResult([], complete=False, skipped_files=2)
    assert "TOP SECRET" not in repr(result)


def test_os_error_in_search_root_is_relative(
    ws: Workspace, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = layout

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise oserror(errno.EACCES, root / "docs")

    monkeypatch.setattr(os, "scandir", failing)
    with pytest.raises(WorkspaceError) as info:
        ws.search("hello", "docs")
    assert str(info.value) == "Can't search 'docs': permission denied. Use a path the agent may access."


def exchange(first: Path, second: Path) -> None:
    """Swap two directory entries atomically (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, rename_exchange = -100, 2
    if libc.renameat2(at_fdcwd, bytes(first), at_fdcwd, bytes(second), rename_exchange) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def test_real_symlink_race_only_raises_relative_workspace_errors(layout: tuple[Path, Path], tmp_path: Path) -> None:
    """A thread keeps swapping ``docs`` (a directory) with a symlink to the outside, and removing ``a.txt``,
    while reads, writes, listings and searches run: nothing leaks, nothing escapes, only WorkspaceErrors."""
    root, outside = layout
    (outside / "a.txt").write_text("TOP SECRET\n")
    (root / "swap").symlink_to(outside)
    try:
        exchange(root / "docs", root / "swap")
        exchange(root / "docs", root / "swap")
    except (OSError, AttributeError) as exc:
        pytest.skip(f"renameat2(RENAME_EXCHANGE) unavailable here: {exc}")
    outside_before = sorted(os.listdir(outside))
    ws = Workspace(root, limits=WorkspaceLimits(max_search_total_bytes=1 << 40))
    stop = threading.Event()
    swapper_errors: list[BaseException] = []

    def swap() -> None:
        try:
            while not stop.is_set():
                exchange(root / "docs", root / "swap")
                with contextlib.suppress(FileNotFoundError):
                    os.rename(root / "swap" / "a.txt", root / "swap" / "a.off")
                    os.rename(root / "swap" / "a.off", root / "swap" / "a.txt")
        except BaseException as exc:  # reported by the test, not lost in the thread
            swapper_errors.append(exc)

    operations: list[Callable[[], object]] = [
        lambda: ws.read("docs/a.txt"),
        lambda: ws.write("docs/a.txt", "hello world\n"),
        lambda: ws.write("docs/new.txt", "new\n"),
        lambda: ws.list_dir("docs"),
        lambda: ws.list_dir(".", recursive=True),
        lambda: ws.search("TOP SECRET"),
        lambda: ws.search("hello", "docs"),
    ]
    raised: list[WorkspaceError] = []
    thread = threading.Thread(target=swap)
    thread.start()
    try:
        iterations = 0
        while iterations < 300 or (len(raised) < 20 and iterations < 5000):
            for operation in operations:
                try:
                    outcome = operation()
                except WorkspaceError as exc:
                    raised.append(exc)
                else:
                    assert "TOP SECRET" not in repr(outcome)
                    assert "secret.txt" not in repr(outcome)
            iterations += 1
    finally:
        stop.set()
        thread.join()
    assert swapper_errors == []
    assert raised, "the race never hit: the harness did not exercise anything"
    for exc in raised:
        message = str(exc)
        assert str(tmp_path) not in message and "/tmp" not in message
        assert message.startswith(("'docs", "Path 'docs", "Can't ", "A parent of 'docs")), message
    assert sorted(os.listdir(outside)) == outside_before
    assert (outside / "secret.txt").read_text() == "TOP SECRET\n"
    assert (outside / "a.txt").read_text() == "TOP SECRET\n"


def test_search_total_budget_makes_the_result_incomplete(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text("needle\n" * 100)  # 700 bytes each

    def search(budget: int) -> tuple[list[str], bool, int]:
        limits = WorkspaceLimits(max_search_total_bytes=budget, max_search_results=1000)
        result = Workspace(tmp_path, limits=limits).search("needle")
        return sorted({m.path for m in result.matches}), result.complete, len(result.matches)

    assert search(1500) == (["a.txt", "b.txt"], False, 200)
    assert search(2100) == (["a.txt", "b.txt", "c.txt"], True, 300)


def test_recursive_listing_leaves_out_a_directory_swapped_mid_walk(
    ws: Workspace, layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, outside = layout
    real_scan = workspace._scan

    def scan_then_swap(dir_fd: int) -> list[tuple[str, workspace.EntryKind, int | None]]:
        found = real_scan(dir_fd)
        if "docs" in [name for name, _, _ in found]:
            (root / "docs").rename(root / "docs-moved")
            (root / "docs").symlink_to(outside)
        return found

    monkeypatch.setattr(workspace, "_scan", scan_then_swap)
    entries, complete = ws.list_dir(".", recursive=True)
    assert [(e.path, e.kind) for e in entries] == [("docs", "dir")]
    assert complete is False


def test_temporary_file_name_is_short_and_fixed(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    renamed: list[str] = []
    real_replace = os.replace

    def recording_replace(src: str, dst: str, **kwargs: Any) -> None:
        renamed.append(src)
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", recording_replace)
    ws.write("docs/" + "x" * 251 + ".txt", "x")
    (temp,) = renamed
    assert len(temp) == 24
    assert temp.startswith(".ak-") and temp.endswith(".tmp") and int(temp[4:20], 16) >= 0
