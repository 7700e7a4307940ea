"""``agentkit run --save``: list the saved run in the run database, for ``agentkit runs ls``.

The file is written first; listing it can only add a line on stderr, never lose the file or change the
run's exit status.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentkit.exceptions import AgentkitError, MissingExtra
from agentkit.redaction import redact_text

__all__ = ["SavedRunListing", "list_saved_run"]

TITLE_CHARS = 80  # as agentkit.background.starting.TITLE_CHARS


@dataclass(frozen=True)
class SavedRunListing:
    """What to list: the run, its file, and where to list it (``None``: the default run database)."""

    run_id: str
    task: str
    path: Path
    db: str | None
    started_at: float


def list_saved_run(listing: SavedRunListing, records: list[dict[str, Any]], error: BaseException | None) -> None:
    """Record the run in the run database; on failure, say in one line on stderr why it is not listed."""
    try:
        from agentkit.background import foreground

        foreground.check_installed()
    except MissingExtra as exc:
        sys.stderr.write(f"note: {listing.path} is saved but not listed in 'agentkit runs ls'. {exc}\n")
        return
    from agentkit.background.config import default_system_db_url
    from agentkit.background.status import RunState

    state = RunState.SUCCEEDED
    if error is not None:
        state = RunState.CANCELLED if isinstance(error, KeyboardInterrupt) else RunState.FAILED
    run = foreground.ForegroundRun(
        id=listing.run_id,
        title=redact_text(listing.task)[:TITLE_CHARS],
        state=state,
        model=_model(records),
        saved_path=str(listing.path.resolve()),
        created_at=listing.started_at,
        updated_at=time.time(),
        error=None if error is None else redact_text(f"{type(error).__name__}: {error}"),
    )
    try:
        foreground.record_foreground_run(listing.db or default_system_db_url(), run)
    except AgentkitError as exc:
        sys.stderr.write(f"warning: {listing.path} is saved but not listed in 'agentkit runs ls'. {exc}\n")


def _model(records: list[dict[str, Any]]) -> str:
    for record in records:
        if record.get("kind") == "run_start":
            return str(record.get("model") or "-")
    return "-"
