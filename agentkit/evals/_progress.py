"""The progress bar of an evaluation: rich on a terminal, nothing otherwise (tests, pipes, CI)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from agentkit._extras import require

__all__ = ["progress_bar"]

Advance = Callable[[], None]


def _enabled(progress: bool | None) -> bool:
    if progress is None:
        return sys.stderr.isatty()
    return progress


@contextmanager
def progress_bar(total: int, description: str, *, progress: bool | None) -> Iterator[Advance]:
    """A callback to call once per finished case. ``progress=None``: a bar only when stderr is a terminal
    (and rich is installed); ``True``: always (rich required); ``False``: never."""
    if not _enabled(progress) or (progress is None and _missing_rich()):
        yield lambda: None
        return
    rich_progress = require("rich.progress", "cli", "The evaluation progress bar")
    from rich.console import Console

    console = Console(stderr=True)
    with rich_progress.Progress(console=console, transient=console.is_terminal) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def _missing_rich() -> bool:
    import importlib.util

    return importlib.util.find_spec("rich") is None
