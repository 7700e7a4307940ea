"""``agentkit view``: the HTML report of a saved run file or of a background run id."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agentkit._cli.loading import CliInputError
from agentkit._cli.records import RunFileError, SavedRun, load_run
from agentkit.report import render_html

__all__ = ["default_output", "load_source", "render_source"]


def load_source(source: str) -> SavedRun:
    """A run from a file (``--save`` output, ``--json`` output) or, for an id, the background run store."""
    path = Path(source)
    if path.is_file():
        try:
            return load_run(path)
        except (RunFileError, UnicodeDecodeError) as exc:
            raise CliInputError(str(exc)) from None
    if path.suffix in {".json", ".jsonl"} or "/" in source:
        raise CliInputError(f"No such file: {source}.")
    return _from_store(source)


_RUN_LOOKUPS = ("agentkit.runs", "agentkit.background.runtime")
"""Modules with ``get(run_id)`` returning a run handle; the first that imports is used."""


def _from_store(run_id: str) -> SavedRun:
    """A background run's events so far, and its error if it failed (``handle.events(follow=False)``)."""
    runs = _run_lookup(run_id)
    handle = runs.get(run_id)
    events = [_as_dict(e) for e in handle.events(follow=False)]
    status = handle.status()
    error = getattr(status, "error", None)
    return SavedRun(events, str(error) if error else None, run_id)


def _run_lookup(run_id: str) -> Any:
    missing: list[str] = []
    for name in _RUN_LOOKUPS:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            missing.append(str(exc))
    raise CliInputError(
        f"{run_id!r} is not a file, and background runs are not available to look it up ({missing[-1]}). "
        "Pass a file written by 'agentkit run --save FILE', or install background runs: "
        "pip install 'agentkit[background]'."
    )


def _as_dict(event: Any) -> dict[str, Any]:
    """An event from a run store: an event object, a dict, or a log entry with a ``data`` dict."""
    if isinstance(event, Mapping):
        return dict(event)
    data = getattr(event, "data", None)
    if isinstance(data, Mapping):
        return dict(data)
    dumped: dict[str, Any] = event.model_dump(mode="json")
    return dumped


def render_source(run: SavedRun) -> str:
    """The report HTML of a loaded run."""
    events: Iterable[Mapping[str, Any]] = run.events
    return render_html(events, error=run.error)


def default_output(source: str, run: SavedRun) -> Path:
    """``run.json`` → ``run.html`` next to it; a run id → ``<run id>.html`` here."""
    path = Path(source)
    if path.is_file():
        return path.with_suffix(".html")
    return Path(f"{run.run_id or source}.html")
