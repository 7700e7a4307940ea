"""Workspace files stay inside the root whatever path a model sends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentkit_tools._errors import ToolPackError
from agentkit_tools.workspace import PathDenied, Workspace, WorkspaceLimits


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
